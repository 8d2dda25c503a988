"""The fast path decides in two steps (clusterstack/program/_sdk/fast.py): ``FastPath.check`` says
whether a registration can take the fast path (the prepared registration) or why not (the reason),
and changes nothing; ``FastPath.commit`` registers what it prepared. Checked on a real program run,
with ``check`` watched as the run calls it.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from clusterstack.program import _sdk
from clusterstack.program._sdk import fast

PROGRAM = """
import pulumi
import pulumi_kubernetes as k8s

class Box(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("test:index:Box", name, None, opts)
        k8s.core.v1.ConfigMap("cm", metadata={"name": "cm", "namespace": "ns"}, data={"k": "v"}, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})

box = Box("box", opts=pulumi.ResourceOptions(protect=True))
ns = k8s.core.v1.Namespace("ns", metadata={"name": "ns"}, opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name="old")]))
k8s.core.v1.Secret("s", metadata={"name": "s", "namespace": "ns"}, string_data={"k": "v"})
k8s.core.v1.ConfigMap("late", metadata={"name": ns.metadata.name.apply(lambda n: n + "-late"), "namespace": "ns"})
k8s.core.v1.ConfigMap("timed", metadata={"name": "timed", "namespace": "ns"}, opts=pulumi.ResourceOptions(ignore_changes=["data"]))
"""


def _state(path: fast.FastPath, res: Any) -> tuple[Any, ...]:
    """What a check must leave as it was: the fast path's books, the monitor's and the resource."""
    return (dict(path.urns), dict(path.ids), dict(path.declined), len(path.monitor.resources), sorted(vars(res)))


@pytest.fixture
def watched(monkeypatch):
    """Each call of ``FastPath.check`` in a run: the resource's name, the answer, and whether the call changed anything."""
    calls: list[tuple[str, Any, bool]] = []
    check = fast.FastPath.check

    def watching(self, res, t, name, custom, props, opts):
        before = _state(self, res)
        answer = check(self, res, t, name, custom, props, opts)
        calls.append((name, answer, _state(self, res) == before))
        return answer

    monkeypatch.setattr(fast.FastPath, "check", watching)
    return calls


def test_check_changes_nothing_and_says_why_it_declines(tmp_path, watched):
    main = tmp_path / "__main__.py"
    main.write_text(textwrap.dedent(PROGRAM))
    run = _sdk.run_program(main, project="p", stack="s", config={}, path="fast")
    answers = {name: answer for name, answer, _ in watched}
    assert [name for name, _, unchanged in watched if not unchanged] == [], "a check changes nothing"
    assert {name for name, answer in answers.items() if isinstance(answer, fast.Taken)} == {"box", "cm", "ns"}
    assert {name: answer for name, answer in answers.items() if isinstance(answer, str)} == {
        "s": "an Output that has not resolved",  # pulumi-kubernetes wraps a Secret's stringData in Output.secret
        "late": "an Output that has not resolved",
        "timed": "the ignore_changes option",
    }
    assert run.declined == {"an Output that has not resolved": 2, "the ignore_changes option": 1}


def test_commit_registers_what_check_prepared(tmp_path, watched):
    main = tmp_path / "__main__.py"
    main.write_text(textwrap.dedent(PROGRAM))
    run = _sdk.run_program(main, project="p", stack="s", config={}, path="fast")
    by_name = {registration.name: registration for registration in run.registrations}
    for name, taken, _ in watched:
        if isinstance(taken, fast.Taken):
            registration = by_name[name]
            assert (registration.urn, registration.parent, registration.inputs) == (taken.urn, _sdk.records.parent_of(taken.parent_urn), taken.inputs)
    assert by_name["cm"].protect, "the engine's inheritance from the parent's goal, held when committed"
    assert by_name["ns"].aliases == (_sdk.AliasSpec(name="old"),)
