"""The evaluation cache is used only while everything the last evaluation read is unchanged: a change
to any part of its key (the stack's files, a module the program imported, a file it read, a directory
it listed, an environment variable it read, the versions, the evaluation path) runs the program
again, and --no-cache always does. Each test counts the program's runs by what it appends to a log."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from importlib import metadata

import pytest

from clusterstack.program import cache, evalpath
from tests.test_engine import cs, edit

PROGRAM_TAIL = """
import json as _json, os as _os, pathlib as _pathlib
_here = _pathlib.Path(__file__).parent
with open(_here / "runs.log", "a") as _log:
    _log.write("ran\\n")
import helper
pulumi.export("helper", helper.VALUE)
pulumi.export("data", _json.loads((_here / "data.json").read_text()))
pulumi.export("team", _os.environ.get("CLUSTERSTACK_TEST_TEAM", "none"))
pulumi.export("drafts", sorted(_os.listdir(_here / "drafts")))
"""


@pytest.fixture
def project(make_project, monkeypatch, tmp_path):
    root = make_project({"dev": {"config": {"clusterstack:namespaces": {"payments": {"quota": {"pods": "10"}}}}}})
    main = root / "__main__.py"
    main.write_text(main.read_text() + PROGRAM_TAIL)
    (root / "helper.py").write_text("VALUE = 1\n")
    (root / "data.json").write_text('{"a": 1}')
    (root / "drafts").mkdir()
    monkeypatch.delenv("CLUSTERSTACK_TEST_TEAM", raising=False)
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delitem(sys.modules, "helper", raising=False)  # another test's project had one too
    return root


def runs(root) -> int:
    log = root / "runs.log"
    return log.read_text().count("ran") if log.exists() else 0


def preview(root, *extra):
    result = cs(root, "preview", "-s", "dev", *extra)
    assert result.exit_code == 0, result.output
    return result.output


def test_an_unchanged_stack_is_not_evaluated_again_and_previews_the_same(project):
    first = preview(project)
    assert runs(project) == 1
    assert preview(project) == first
    assert runs(project) == 1
    rendered = [cs(project, "render", "-s", "dev").output for _ in range(2)]
    assert rendered[0] == rendered[1]
    assert runs(project) == 1


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda root: edit(root, '"10"', '"11"') if '"10"' in (root / "stacks/Pulumi.dev.yaml").read_text() else edit(root, "'10'", "'11'"), id="stack file"),
        pytest.param(lambda root: (root / "stacks" / "common.yaml").write_text("config:\n  kubernetes:context: other\n"), id="common.yaml"),
        pytest.param(lambda root: (root / "helper.py").write_text("VALUE = 2\n"), id="an imported module"),
        pytest.param(lambda root: (root / "data.json").write_text('{"a": 2}'), id="a file the program read"),
        pytest.param(lambda root: (root / "drafts" / "new.txt").write_text(""), id="a directory the program listed"),
        pytest.param(lambda root: os.environ.__setitem__("CLUSTERSTACK_TEST_TEAM", "web"), id="an environment variable the program read"),
        pytest.param(lambda root: os.environ.__setitem__(evalpath.EVAL_ENV, "sdk"), id="the evaluation path"),
    ],
)
def test_a_change_to_any_part_of_the_key_runs_the_program_again(project, change, monkeypatch):
    monkeypatch.setenv("CLUSTERSTACK_TEST_TEAM", "payments")
    monkeypatch.delenv(evalpath.EVAL_ENV, raising=False)
    preview(project)
    assert runs(project) == 1
    change(project)
    preview(project)
    assert runs(project) == 2, "the change was seen"
    preview(project)
    assert runs(project) == 2, "and the new evaluation is cached in turn"


def test_a_version_change_runs_the_program_again(project, monkeypatch):
    preview(project)
    real = metadata.version
    monkeypatch.setattr(cache, "version", lambda package: "99.0.0" if package == "pulumi-kubernetes" else real(package))
    preview(project)
    assert runs(project) == 2


def test_a_module_outside_the_project_is_known_by_its_size_and_modification_time(project, tmp_path, monkeypatch):
    library = tmp_path / "library"
    library.mkdir()
    (library / "outside.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(library))
    monkeypatch.delitem(sys.modules, "outside", raising=False)
    main = project / "__main__.py"
    main.write_text(main.read_text() + "import outside\n")
    preview(project)
    preview(project)
    assert runs(project) == 1
    stamp = (library / "outside.py").stat()
    os.utime(library / "outside.py", ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000_000))
    preview(project)
    assert runs(project) == 2


def test_unrelated_environment_variables_do_not_matter_unless_the_program_reads_them_all(project, monkeypatch):
    preview(project)
    monkeypatch.setenv("CLUSTERSTACK_TEST_UNRELATED", "1")
    preview(project)
    assert runs(project) == 1
    main = project / "__main__.py"
    main.write_text(main.read_text() + "pulumi.export('variables', len(dict(_os.environ)))\n")
    preview(project)
    assert runs(project) == 2
    monkeypatch.setenv("CLUSTERSTACK_TEST_UNRELATED", "2")
    preview(project)
    assert runs(project) == 3, "a program that read the whole environment is keyed by all of it"


def test_no_cache_runs_the_program_and_leaves_the_cache_alone(project, tmp_path):
    preview(project, "--no-cache")
    preview(project, "--no-cache")
    assert runs(project) == 2
    assert not (tmp_path / "cache").exists()
    assert cs(project, "up", "-s", "dev", "--yes", "--no-cache").exit_code == 0
    assert runs(project) == 3


def test_a_failed_evaluation_is_not_cached_and_a_damaged_cache_is_ignored(project, tmp_path):
    (project / "helper.py").write_text("raise RuntimeError('broken helper')\n")
    failed = cs(project, "preview", "-s", "dev")
    assert failed.exit_code == 1
    assert "broken helper" in failed.output
    assert not (tmp_path / "cache" / "dev.json").exists()
    (project / "helper.py").write_text("VALUE = 1\n")
    preview(project)
    saved = tmp_path / "cache" / "dev.json"
    assert json.loads(saved.read_text())["format"] == cache.FORMAT
    saved.write_text("{not json")
    preview(project)
    assert json.loads(saved.read_text())["format"] == cache.FORMAT, "evaluated again and cached anew"


def test_the_key_names_what_the_evaluation_read(project, tmp_path, monkeypatch):
    monkeypatch.setenv("CLUSTERSTACK_TEST_TEAM", "payments")
    preview(project)
    key = json.loads((tmp_path / "cache" / "dev.json").read_text())["key"]
    assert set(key["stackFiles"]) == {"Pulumi.yaml", "stacks/common.yaml", "stacks/Pulumi.dev.yaml"}
    assert str(project / "helper.py") in key["files"]
    assert str(project / "data.json") in key["files"]
    assert any(path.endswith(os.path.join("pulumi_kubernetes", "__init__.py")) for path in key["files"])
    assert str(project / "drafts") in key["directories"]  # (with the directories the import system listed)
    assert key["environment"]["CLUSTERSTACK_TEST_TEAM"] == hashlib.sha256(b"payments").hexdigest(), "a variable's value is kept as its digest"
    assert set(key["versions"]) == {"python", "path", "clusterstack", "pulumi", "pulumi-kubernetes"}
