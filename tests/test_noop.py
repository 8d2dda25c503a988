"""A no-op plan answered from the record of the state's files (engine/noop.py), without decoding the
state, gives exactly what the full path gives: the same output, exit code, state, target and stat
index, whatever was done to the target, the state or the record in between (a file edited, edited
to the same size with its times put back, replaced by a symlink, deleted, a symlinked directory on
the way, a kustomization or claim edited, the index or the record damaged). Each case is run on two
projects made alike, one answering from the record and one without it (the full path), and the
record is shown to be what answers when nothing changed."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest

from clusterstack.engine import noop
from clusterstack.engine.state import DeferredState
from clusterstack.engine.store import StateStore
from clusterstack.program.cache import CACHE_DIR_ENV
from tests.conftest import REPO
from tests.test_engine import DEV, cs

# A Namespace patch too: a file below the root (patches/), besides the objects' files in it.
STACK = DEV + "  clusterstack:existingNamespaces:\n    kube-system: {podSecurity: {enforce: privileged}}\n"
FILE = "namespace--payments.yaml"
PATCH = "patches/namespace--kube-system.yaml"


class Project:
    """One project, its target, its state and its evaluation cache in a directory of its own."""

    def __init__(self, base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = base / "project"
        self.cache = base / "cache"
        self._monkeypatch = monkeypatch
        (self.root / "stacks").mkdir(parents=True)
        for name in ("Pulumi.yaml", "__main__.py"):
            shutil.copy(REPO / name, self.root / name)
        (self.root / "stacks" / "common.yaml").write_text("config:\n  kubernetes:context: test\n")
        (self.root / "stacks" / "Pulumi.dev.yaml").write_text(STACK)
        self.deploy = self.root / "deploy" / "dev"
        self.state_dir = self.root / ".clusterstack"
        self._lineage: str | None = None

    def run(self, *args: str) -> tuple[int, str]:
        self._monkeypatch.setenv(CACHE_DIR_ENV, str(self.cache))
        result = cs(self.root, *args)
        return result.exit_code, re.sub(r" in \d+\.\ds\.", " in (seconds).", result.output.replace(str(self.root), "<root>"))

    def files(self) -> dict[str, Any]:
        """The target and the state directory: each file's bytes (a symlink: where it points), with what
        differs between two projects made alike put aside (their directory, the state's lineage, the
        inodes and times in the stat index: of it, each file's recorded digest)."""
        found: dict[str, Any] = {}
        for directory in (self.deploy, self.state_dir):
            for path in sorted(directory.rglob("*")) if directory.is_dir() else ():
                name = str(path.relative_to(self.root))
                if path.is_symlink():
                    found[name] = f"-> {os.readlink(path)}".replace(str(self.root), "<root>")
                elif path.is_file() and not path.name.endswith(".lock"):
                    data = path.read_bytes().replace(str(self.root).encode(), b"<root>").replace(self.lineage.encode(), b"<lineage>")
                    found[name] = data
                    if path.name == "dev.index":
                        with suppress(ValueError):
                            found[name] = {file: entry[0] for file, entry in json.loads(data)["files"].items()}
        return found

    @property
    def lineage(self) -> str:
        """The state's lineage, as the first up made it."""
        if self._lineage is None:
            self._lineage = json.loads((self.state_dir / "dev.json").read_bytes())["lineage"]
        return self._lineage

    @property
    def record(self) -> Path:
        return self.cache / f"dev.{noop.NOTE}"


def _applied(base: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A project applied, then previewed until a plan of its cached evaluation kept its verdict and
    the record of its state's files."""
    project = Project(base, monkeypatch)
    assert project.run("up", "-s", "dev", "--yes")[0] == 0
    for _ in range(2):  # (the up made the target's directory, which the import system had listed: evaluated again)
        assert project.run("preview", "-s", "dev")[0] == 0
    assert project.record.exists()
    assert project.lineage
    return project


@pytest.fixture
def loads(monkeypatch):
    """Counts the state files decoded (the full path loads the state; the record answers without)."""
    counted: list[int] = []
    load = StateStore.load

    def counting(self):
        counted.append(1)
        return load(self)

    monkeypatch.setattr(StateStore, "load", counting)
    return counted


def test_a_no_op_preview_and_up_are_answered_from_the_record_without_decoding_the_state(tmp_path, monkeypatch, loads):
    project = _applied(tmp_path, monkeypatch)
    before = project.files()
    loads.clear()
    assert project.run("preview", "-s", "dev", "--detailed-exitcode") == (0, "No changes.\n")
    assert project.run("preview", "-s", "dev", "--json")[0] == 0
    assert project.run("up", "-s", "dev", "--yes") == (0, "No changes.\n")
    assert loads == [], "no state decoded"
    assert project.files() == before, "nothing written"


def test_a_deferred_state_decodes_exactly_the_bytes_the_plan_was_made_against(tmp_path, monkeypatch):
    project = _applied(tmp_path, monkeypatch)
    store = StateStore(project.state_dir, "dev")
    full = store.load()
    assert full is not None
    raw = store.path.read_bytes()
    deferred = store.deferred(raw, full.lineage, full.serial, full.layout, full.naming)
    assert isinstance(deferred, DeferredState)
    store.path.write_text("{}")  # (what is decoded is the bytes digested, not the file as it is later)
    assert deferred.entries == full.entries
    assert (deferred.lineage, deferred.serial, deferred.layout, deferred.naming) == (full.lineage, full.serial, full.layout, full.naming)


def _edit(path: Path) -> None:
    path.write_text(path.read_text().replace("payments", "payment5", 1) + "# by hand\n")


def _same_size_edit_with_times_put_back(path: Path) -> None:
    status = path.stat()
    text = path.read_text()
    assert "team: payments" in text
    path.write_text(text.replace("team: payments", "team: paymentz"))
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert path.stat().st_size == status.st_size


def _symlinked(path: Path) -> None:
    copy = path.with_name("elsewhere.txt")
    copy.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(copy)


def _directory_symlinked(path: Path) -> None:
    moved = path.parent.parent.parent / "moved-patches"
    path.parent.rename(moved)  # (its files keep their inodes and times: the index alone would vouch for them)
    path.parent.symlink_to(moved, target_is_directory=True)


def _claimed_by_another_stack(deploy: Path) -> None:
    claim = deploy / ".clusterstack-target"
    claim.write_text(claim.read_text().replace('"stack": "dev"', '"stack": "prod"'))


CASES: dict[str, Callable[[Project], object]] = {
    "nothing": lambda p: None,
    "a file edited by hand": lambda p: _edit(p.deploy / FILE),
    "a same-size edit, its times put back": lambda p: _same_size_edit_with_times_put_back(p.deploy / FILE),
    "a file replaced by a symlink": lambda p: _symlinked(p.deploy / FILE),
    "a file deleted": lambda p: (p.deploy / FILE).unlink(),
    "a patch deleted": lambda p: (p.deploy / PATCH).unlink(),
    "a symlinked directory on the way": lambda p: _directory_symlinked(p.deploy / PATCH),
    "the kustomization edited": lambda p: (p.deploy / "kustomization.yaml").write_text("resources: []\n"),
    "the kustomization deleted": lambda p: (p.deploy / "kustomization.yaml").unlink(),
    "the claim another stack's": lambda p: _claimed_by_another_stack(p.deploy),
    "the claim deleted": lambda p: (p.deploy / ".clusterstack-target").unlink(),
    "the stat index damaged": lambda p: (p.state_dir / "dev.index").write_text('{"version": 1, "files": '),
    "the stat index gone": lambda p: (p.state_dir / "dev.index").unlink(),
    "the state damaged": lambda p: (p.state_dir / "dev.json").write_text('{"version": 1, '),
    "the state edited": lambda p: (p.state_dir / "dev.json").write_text((p.state_dir / "dev.json").read_text().replace('"pods":"10"', '"pods":"12"')),
    "a journal beside the state": lambda p: (p.state_dir / "dev.journal").write_bytes(b""),
    "the record damaged": lambda p: p.record.write_bytes(p.record.read_bytes()[:100]),
    "the record of another state": lambda p: p.record.write_text(p.record.read_text().replace('"state":"', '"state":"0', 1)),
    "the record readable by others": lambda p: p.record.chmod(0o644),
    "the record a symlink to a copy": lambda p: _symlinked(p.record),
    "a kustomization a symlink to a copy": lambda p: _symlinked(p.deploy / "kustomization.yaml"),
    "a pipe in place of a file": lambda p: _piped(p.deploy / FILE),
    "the target moved and symlinked": lambda p: _directory_symlinked(p.deploy / FILE),
}


def _piped(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


@pytest.mark.parametrize("refresh", ["--refresh=true", "--refresh=false"])
@pytest.mark.parametrize("case", list(CASES))
def test_the_record_answers_as_the_full_path_does(tmp_path, monkeypatch, loads, case, refresh):
    """Preview, up, then preview again: the same on a project with the record and on one without."""
    results = {}
    for way in ("record", "full"):
        project = _applied(tmp_path / way, monkeypatch)
        CASES[case](project)
        commands = []
        for command in (("preview", "-s", "dev", "--detailed-exitcode", refresh), ("up", "-s", "dev", "--yes", refresh), ("preview", "-s", "dev", "--detailed-exitcode")):
            if way == "full":
                project.record.unlink(missing_ok=True)  # (the full path keeps one for the next run)
            loads.clear()
            commands.append(project.run(*command))
            if case == "nothing":
                assert bool(loads) == (way == "full"), "the record answers when nothing changed"
        results[way] = (commands, project.files())
    assert results["record"][0] == results["full"][0]
    record, full = results["record"][1], results["full"][1]
    assert sorted(record) == sorted(full)
    assert {name: data for name, data in record.items() if data != full[name]} == {}


def test_what_a_drift_case_shows(tmp_path, monkeypatch):
    """The cases above are not all "No changes": the full path's answers, which the record matches, are these."""
    project = _applied(tmp_path, monkeypatch)
    _same_size_edit_with_times_put_back(project.deploy / FILE)
    assert project.run("preview", "-s", "dev", "--detailed-exitcode")[0] == 2
    _directory_symlinked(project.deploy / PATCH)
    code, output = project.run("preview", "-s", "dev", "--detailed-exitcode")
    assert code == 2, output
    assert "kube-system" in output


def test_no_record_for_a_state_with_secret_values_or_files_it_did_not_write(tmp_path, monkeypatch):
    project = _applied(tmp_path, monkeypatch)
    store = StateStore(project.state_dir, "dev")
    state = store.load()
    assert state is not None
    record = json.loads(project.record.read_bytes())
    assert record["count"] == len(state.entries)
    assert sorted(relative for relative, _ in record["files"]) == sorted(
        str(p.relative_to(project.deploy)) for p in project.deploy.rglob("*.yaml") if p.name != "kustomization.yaml"
    )
    key = next(iter(state.entries))
    unwritten = {**state.entries}
    unwritten[key] = type(state.entries[key])(key, "c", state.entries[key].manifest, written="")
    assert noop._record(_target(project), type(state)(state.lineage, state.serial, unwritten, state.layout, state.naming), "0" * 64) is None
    sealed = {**state.entries}
    sealed[key] = type(state.entries[key])(key, "c", {**state.entries[key].manifest, "data": "[secret] hmac-sha256:00"}, written=state.entries[key].written)
    assert noop._record(_target(project), type(state)(state.lineage, state.serial, sealed, state.layout, state.naming), "0" * 64) is None


def _target(project: Project):
    from clusterstack.engine.run import Stack
    from clusterstack.stack.project import Project as StackProject

    return Stack.open(StackProject.load(project.root), "dev").target


def test_a_plan_saved_from_the_record_is_applied_as_one_saved_from_the_full_path(tmp_path, monkeypatch, loads):
    project = _applied(tmp_path, monkeypatch)
    plan_file = tmp_path / "dev.plan"
    loads.clear()
    assert project.run("preview", "-s", "dev", "--out", str(plan_file))[0] == 0
    assert loads == [], "answered from the record"
    state = json.loads((project.state_dir / "dev.json").read_bytes())
    saved = json.loads(plan_file.read_bytes())
    assert saved["state"] == {"existed": True, "lineage": state["lineage"], "serial": state["serial"]}
    assert project.run("up", "-s", "dev", "--plan", str(plan_file)) == (0, "No changes.\n")
    assert loads == []


def test_a_record_that_cannot_be_written_costs_only_time(tmp_path, monkeypatch, loads):
    from clusterstack.program import cache

    write = cache._write_private

    def full_for_the_record(path, data):
        if path.suffix == f".{noop.NOTE}":
            raise OSError(28, "No space left on device", str(path))
        write(path, data)

    project = Project(tmp_path, monkeypatch)
    assert project.run("up", "-s", "dev", "--yes")[0] == 0
    monkeypatch.setattr(cache, "_write_private", full_for_the_record)
    for _ in range(3):
        assert project.run("preview", "-s", "dev", "--detailed-exitcode") == (0, "No changes.\n")
    assert (project.cache / "dev.unchanged").exists(), "the verdict kept"
    assert not project.record.exists()
    loads.clear()
    assert project.run("up", "-s", "dev", "--yes") == (0, "No changes.\n")
    assert loads == [1], "the full path"
