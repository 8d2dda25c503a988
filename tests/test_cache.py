"""The evaluation cache is used only while everything the last evaluation read is unchanged: a change
to any part of its key (the stack's files, a module the program imported, a file it read, a directory
it listed, an environment variable it read, the versions, the evaluation path) runs the program
again, and --no-cache always does. Each test counts the program's runs by what it appends to a log."""

from __future__ import annotations

import hashlib
import json
import os
import stat
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


def header(saved):
    """The cache file's first line: its format, key and the digest of the evaluation that follows."""
    return json.loads(saved.read_bytes().partition(b"\n")[0])


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
    assert header(saved)["format"] == cache.FORMAT
    saved.write_text("{not json")
    preview(project)
    assert header(saved)["format"] == cache.FORMAT, "evaluated again and cached anew"


def test_the_key_names_what_the_evaluation_read(project, tmp_path, monkeypatch):
    monkeypatch.setenv("CLUSTERSTACK_TEST_TEAM", "payments")
    preview(project)
    key = header(tmp_path / "cache" / "dev.json")["key"]
    assert set(key["stackFiles"]) == {"Pulumi.yaml", "stacks/common.yaml", "stacks/Pulumi.dev.yaml"}
    assert str(project / "helper.py") in key["files"]
    assert str(project / "data.json") in key["files"]
    assert any(path.endswith(os.path.join("pulumi_kubernetes", "__init__.py")) for path in key["files"])
    assert str(project / "drafts") in key["directories"]  # (with the directories the import system listed)
    assert key["environment"]["CLUSTERSTACK_TEST_TEAM"] == hashlib.sha256(b"payments").hexdigest(), "a variable's value is kept as its digest"
    assert set(key["versions"]) == {"python", "path", "clusterstack", "pulumi", "pulumi-kubernetes"}


def _keep_time(path, change):
    """``change`` the file, then give it back its modification time: only its content tells."""
    stamp = path.stat()
    change()
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda root: _keep_time(root / "stacks/Pulumi.dev.yaml", lambda: edit(root, "10", "11")), id="stack file"),
        pytest.param(
            lambda root: _keep_time(root / "stacks/common.yaml", lambda: (root / "stacks/common.yaml").write_text("config:\n  kubernetes:context: tesT\n")),
            id="common.yaml",
        ),
        pytest.param(lambda root: _keep_time(root / "helper.py", lambda: (root / "helper.py").write_text("VALUE = 2\n")), id="a program module"),
        pytest.param(lambda root: _keep_time(root / "Pulumi.yaml", lambda: _swap(root / "Pulumi.yaml", "python", "pythoN")), id="Pulumi.yaml"),
    ],
)
def test_an_edit_that_keeps_the_size_and_time_of_a_project_file_is_seen(project, change):
    """The stack's files and the project's modules are known by their content, not their size and time."""
    preview(project)
    change(project)
    preview(project)
    assert runs(project) == 2


def _swap(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("package", ["clusterstack", "pulumi"])
def test_another_version_of_clusterstack_or_pulumi_runs_the_program_again(project, monkeypatch, package):
    preview(project)
    real = metadata.version
    monkeypatch.setattr(cache, "version", lambda name: "99.0.0" if name == package else real(name))
    preview(project)
    assert runs(project) == 2


def test_a_cached_evaluation_is_used_without_parsing_the_stack_and_prints_its_warnings(project, monkeypatch):
    """What validating the stack warned of is kept with the evaluation and printed as it was."""
    (project / "stacks" / "common.yaml").write_text("config: {}\n")  # no kubernetes:context: a warning
    first = cs(project, "preview", "-s", "dev")
    assert "warning: stacks/Pulumi.dev.yaml: kubernetes:context: is not set" in first.stderr
    from clusterstack.program import evaluate

    def parse_stack(*args):
        raise AssertionError("a cached evaluation needs the stack's bytes, not their parse")

    monkeypatch.setattr(evaluate, "parse_stack", parse_stack)
    second = cs(project, "preview", "-s", "dev")
    assert (second.exit_code, second.stdout, second.stderr) == (first.exit_code, first.stdout, first.stderr)
    assert runs(project) == 1


def _cache_file(tmp_path):
    return tmp_path / "cache" / "dev.json"


def _lines(saved):
    head, summary, objects = saved.read_bytes().split(b"\n", 2)
    return json.loads(head), summary, objects


def _forge(saved, objects: bytes) -> None:
    """Objects of another's making, under a first line that names their digest (what a careless edit would not)."""
    head, summary, _ = _lines(saved)
    head["objects"] = hashlib.sha256(objects).hexdigest()
    saved.write_bytes(json.dumps(head).encode() + b"\n" + summary + b"\n" + objects)


def _edit_key(saved) -> None:
    head, summary, objects = _lines(saved)
    head["key"]["stackFiles"]["stacks/Pulumi.dev.yaml"] = "0" * 64
    saved.write_bytes(json.dumps(head).encode() + b"\n" + summary + b"\n" + objects)


DAMAGE = {
    "cut short": lambda saved: saved.write_bytes(saved.read_bytes()[:-100]),
    "an object edited": lambda saved: saved.write_bytes(saved.read_bytes().replace(b'"pods": "10"', b'"pods": "99"')),
    "the summary edited": lambda saved: saved.write_bytes(saved.read_bytes().replace(b'"kubernetesVersion": "1.34"', b'"kubernetesVersion": "1.35"')),
    "the key edited": _edit_key,
    "no longer JSON": lambda saved: saved.write_bytes(b"{not json\n{\n["),
    "empty": lambda saved: saved.write_bytes(b""),
    "objects of the wrong shape, their digest forged": lambda saved: _forge(saved, b'[{"key": 1}]'),
    "objects not JSON, their digest forged": lambda saved: _forge(saved, b"[{"),
    "readable by others": lambda saved: saved.chmod(0o644),
    "a symbolic link": lambda saved: (saved.rename(saved.with_name("elsewhere.json")), saved.symlink_to("elsewhere.json")),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_or_hand_edited_cache_runs_the_program_again_and_previews_the_same(project, tmp_path, damage):
    """With or without an applied state (which a no-op plan answers from without the objects)."""
    first = preview(project)
    damage(_cache_file(tmp_path))
    assert preview(project) == first
    assert runs(project) == 2
    assert preview(project) == first
    assert runs(project) == 2, "and cached anew"
    saved = _cache_file(tmp_path)
    assert not saved.is_symlink()
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600


def _planned(monkeypatch) -> list[int]:
    """Counts the plans made object by object (not answered as known to be unchanged)."""
    from clusterstack.engine.plan import plan

    made: list[int] = []

    def counted(*args, **kwargs):
        made.append(1)
        return plan(*args, **kwargs)

    monkeypatch.setattr("clusterstack.engine.run.plan", counted)
    return made


def test_a_no_op_plan_of_a_cached_evaluation_is_known_without_comparing_objects(project, tmp_path, monkeypatch):
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    preview(project)  # the up made the target's directory, which the import system had listed: evaluated again
    planned = _planned(monkeypatch)
    full = [cs(project, "preview", "-s", "dev", *flags) for flags in ((), ("--json",))]
    assert len(planned) == 1, "an evaluation from the cache is planned once, then its verdict kept"
    known = tmp_path / "cache" / "dev.unchanged"
    assert stat.S_IMODE(known.stat().st_mode) == 0o600
    again = [cs(project, "preview", "-s", "dev", *flags) for flags in ((), ("--json",))]
    assert len(planned) == 1, "known to be unchanged"
    assert [r.output for r in again] == [r.output for r in full]
    assert '"unchanged": 2' in again[1].output
    up = cs(project, "up", "-s", "dev", "--yes")
    assert up.exit_code == 0
    assert "No changes." in up.output
    assert len(planned) == 1
    assert runs(project) == 2


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda root, tmp_path: _swap(root / ".clusterstack" / "dev.json", '"pods":"10"', '"pods":"12"'), id="the state edited"),
        pytest.param(lambda root, tmp_path: (root / ".clusterstack" / "dev.journal").write_bytes(b""), id="a journal beside the state"),
        pytest.param(lambda root, tmp_path: _swap(tmp_path / "cache" / "dev.unchanged", '"state": "', '"state": "0'), id="the verdict edited"),
        pytest.param(lambda root, tmp_path: (tmp_path / "cache" / "dev.unchanged").chmod(0o644), id="the verdict readable by others"),
    ],
)
def test_a_no_op_verdict_holds_only_for_the_very_state_it_was_found_on(project, tmp_path, monkeypatch, change):
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    preview(project)
    preview(project)
    assert (tmp_path / "cache" / "dev.unchanged").exists()
    planned = _planned(monkeypatch)
    change(project, tmp_path)
    result = cs(project, "preview", "-s", "dev", "--refresh=false")
    assert result.exit_code == 0, result.output
    assert planned == [1], "planned object by object"
    edited = (project / ".clusterstack" / "dev.json").read_text().count('"pods":"12"')
    assert ("~ ResourceQuota payments/tenant-quota" in result.output) == bool(edited)
