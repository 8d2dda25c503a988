"""Which path programs are evaluated on (clusterstack/program/evalpath.py): ``CLUSTERSTACK_EVAL=fast``
or ``sdk`` decides; otherwise the fast path on a Pulumi SDK it was proven on, and on any other the
SDK's own path, said once on stderr with the way to choose. That both paths give the same is
tests/test_fast_path.py's."""

from __future__ import annotations

import pytest

from clusterstack.program import evalpath


@pytest.fixture(autouse=True)
def _said_afresh():
    evalpath._say_unproven.cache_clear()
    yield
    evalpath._say_unproven.cache_clear()


@pytest.mark.parametrize("chosen", ["fast", "sdk"])
def test_the_environment_decides(monkeypatch, chosen, capsys):
    monkeypatch.setenv(evalpath.EVAL_ENV, chosen)
    monkeypatch.setattr(evalpath, "version", lambda name: "2.0.0")
    assert evalpath.mode() == chosen
    assert capsys.readouterr().err == ""


def test_a_proven_sdk_takes_the_fast_path(monkeypatch, capsys):
    monkeypatch.delenv(evalpath.EVAL_ENV, raising=False)
    monkeypatch.setattr(evalpath, "version", lambda name: min(evalpath.PROVEN_ON))
    assert evalpath.mode() == "fast"
    assert capsys.readouterr().err == ""


def test_an_unproven_sdk_takes_its_own_path_and_says_so_once(monkeypatch, capsys):
    monkeypatch.setenv(evalpath.EVAL_ENV, "something else")
    monkeypatch.setattr(evalpath, "version", lambda name: "3.999.0")
    assert evalpath.mode() == "sdk"
    assert evalpath.mode() == "sdk"
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    proven = sorted(evalpath.PROVEN_ON, key=lambda v: tuple(map(int, v.split("."))))
    assert f"pulumi 3.999.0 is not a version the fast evaluation path was proven on ({proven[0]} to {proven[-1]})" in err
    assert f"set {evalpath.EVAL_ENV}=fast" in err
