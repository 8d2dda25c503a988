"""The stat index (clusterstack/engine/stat_index.py), as someone editing the target by hand would test
it: a refresh skips reading only the files whose stat is the one they had when they held what state
records, and finds every drift it found when it read every file (an edit of the same size, one that
keeps the modification time, a file replaced by a symlink or by a copy, a file removed); a touched but
unchanged file is read and is no drift; an entry not older than the index (git's racy case) is read;
an index that is damaged, or of another target, is ignored."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from clusterstack.engine import target as target_module
from tests.test_engine import DEV, cs, edit

PAYMENTS = "namespace--payments.yaml"


@pytest.fixture
def reads(monkeypatch):
    """The names of the target files a command reads back (a spy on the one function that reads them)."""
    seen: list[str] = []
    real = target_module._read_file_and_stat

    def spy(path: Path):
        seen.append(path.name)
        return real(path)

    monkeypatch.setattr(target_module, "_read_file_and_stat", spy)
    return seen


@pytest.fixture
def applied(make_project):
    """A project after two ups: the second changes one object, so the index is written again a tick
    after every other file was (their entries are older than the index: not racy)."""
    project = make_project({"dev": DEV})
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    time.sleep(0.05)
    edit(project, 'pods: "5"', 'pods: "6"')
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    assert (project / ".clusterstack" / "dev.index").is_file()
    return project


def _refresh(project: Path) -> str:
    result = cs(project, "refresh", "-s", "dev")
    assert result.exit_code == 0, result.output
    return result.output


def test_unchanged_files_are_not_read_and_nothing_drifts(applied, reads):
    assert "No drift: the target matches state." in _refresh(applied)
    assert PAYMENTS not in reads
    assert len(list((applied / "deploy" / "dev").glob("*--payments*.yaml"))) >= 3, "the payments objects each have a file"
    assert not [name for name in reads if "payments" in name]


def _edit_in_place(path: Path, old: bytes, new: bytes) -> os.stat_result:
    """Change ``path``'s bytes without changing its size or inode; its stat before."""
    assert len(old) == len(new)
    before = path.stat()
    data = path.read_bytes()
    assert old in data
    with path.open("r+b") as handle:
        handle.write(data.replace(old, new))
    assert path.stat().st_size == before.st_size
    assert path.stat().st_ino == before.st_ino
    return before


def test_an_edit_of_the_same_size_is_drift(applied, reads):
    _edit_in_place(applied / "deploy" / "dev" / PAYMENTS, b"team: payments", b"team: paymentz")
    assert "drift: Namespace payments: modified" in _refresh(applied)
    assert PAYMENTS in reads


def test_an_edit_that_keeps_the_modification_time_is_drift(applied, reads):
    """A hand edit within the same tick of the modification time (here: the time set back, as
    ``touch -r`` or an editor that keeps it would): the change time still moves, and no user can set
    it back."""
    path = applied / "deploy" / "dev" / PAYMENTS
    before = _edit_in_place(path, b"team: payments", b"team: paymentz")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert "drift: Namespace payments: modified" in _refresh(applied)
    assert PAYMENTS in reads


def test_a_file_replaced_by_a_symlink_to_the_same_bytes_is_drift_never_read_through(applied, reads, tmp_path):
    path = applied / "deploy" / "dev" / PAYMENTS
    copy = tmp_path / "copy.yaml"
    copy.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(copy)
    assert "drift: Namespace payments: modified" in _refresh(applied)
    assert "copy.yaml" not in reads


def test_a_removed_file_is_drift(applied):
    (applied / "deploy" / "dev" / PAYMENTS).unlink()
    assert "drift: Namespace payments: deleted" in _refresh(applied)


def test_a_copy_of_the_same_bytes_in_its_place_is_read_and_no_drift(applied, reads):
    path = applied / "deploy" / "dev" / PAYMENTS
    copy = path.with_name("copy")
    copy.write_bytes(path.read_bytes())
    os.replace(copy, path)  # another inode
    assert "No drift: the target matches state." in _refresh(applied)
    assert PAYMENTS in reads


def test_a_touched_but_unchanged_file_is_read_and_no_drift(applied, reads):
    path = applied / "deploy" / "dev" / PAYMENTS
    os.utime(path)
    assert "No drift: the target matches state." in _refresh(applied)
    assert PAYMENTS in reads


def test_entries_not_older_than_the_index_are_read(applied, reads):
    """git's racy case: a file written in the same tick as the index could have been written again in
    that tick without its stat changing, so it is compared by content. (The index's time is set back
    here, as a clock of coarse ticks would make it; this kernel's fine-grained timestamps would not.)"""
    index = applied / ".clusterstack" / "dev.index"
    os.utime(index, ns=(0, 0))
    assert "No drift: the target matches state." in _refresh(applied)
    assert PAYMENTS in reads


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"version": 1, "files": {}}', b"[1, 2]"])
def test_a_damaged_index_is_ignored_and_every_file_read(applied, reads, content):
    (applied / ".clusterstack" / "dev.index").write_bytes(content)
    _edit_in_place(applied / "deploy" / "dev" / PAYMENTS, b"team: payments", b"team: paymentz")
    assert "drift: Namespace payments: modified" in _refresh(applied)
    assert PAYMENTS in reads


@pytest.mark.parametrize("damage", ["x", [], ["digest"], [None, 1, 2, 3, 4, 5], {"a": 1}])
def test_a_damaged_entry_is_ignored_and_its_file_read(applied, reads, damage):
    index = applied / ".clusterstack" / "dev.index"
    data = json.loads(index.read_bytes())
    data["files"] = dict.fromkeys(data["files"], damage)
    index.write_text(json.dumps(data))
    os.utime(index, ns=(time.time_ns() + 10**9,) * 2)  # (not racy: only the damage makes it unusable)
    _edit_in_place(applied / "deploy" / "dev" / PAYMENTS, b"team: payments", b"team: paymentz")
    assert "drift: Namespace payments: modified" in _refresh(applied)
    assert PAYMENTS in reads


def test_the_index_of_another_target_is_ignored(applied, reads):
    index = applied / ".clusterstack" / "dev.index"
    index.write_bytes(index.read_bytes().replace(b'"layout":"object"', b'"layout":"namespace"'))
    assert "No drift: the target matches state." in _refresh(applied)
    assert PAYMENTS in reads


def test_an_up_that_writes_records_what_it_wrote_and_a_no_change_up_writes_no_index(applied):
    index = applied / ".clusterstack" / "dev.index"
    before = index.stat().st_mtime_ns, index.read_bytes()
    assert cs(applied, "up", "-s", "dev", "--yes").output.strip() == "No changes."
    assert (index.stat().st_mtime_ns, index.read_bytes()) == before
    assert str(applied / "deploy" / "dev" / PAYMENTS).encode() in before[1]


def test_the_bulk_check_of_a_no_op_plan_vouches_for_exactly_what_one_by_one_does(tmp_path):
    """``unvouched`` (engine/noop.py's check of every file) leaves exactly the files ``unchanged`` would
    not vouch for: edited, removed, replaced by a symlink, of another digest, unknown."""
    import hashlib

    from clusterstack.engine.stat_index import StatIndex

    root = tmp_path / "target"
    root.mkdir()
    paths = {name: root / f"{name}.yaml" for name in ("kept", "edited", "gone", "linked")}
    digests = {}
    index = StatIndex(tmp_path / "dev.index", root, "object", 3)
    for name, path in paths.items():
        path.write_text(f"{name}\n")
        digests[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        index.vouch(path, digests[name], os.lstat(path), wrote=True)
    time.sleep(0.05)  # (the index a tick after the files: its entries are not racy)
    index.save((path, digests[name]) for name, path in paths.items())
    paths["edited"].write_text("edited by hand\n")
    paths["gone"].unlink()
    paths["linked"].unlink()
    paths["linked"].symlink_to(paths["kept"])
    pairs = [(str(path), digests[name]) for name, path in paths.items()]
    pairs += [(str(paths["kept"]), "0" * 64), (str(root / "unknown.yaml"), digests["kept"])]

    def fresh() -> StatIndex:
        return StatIndex(tmp_path / "dev.index", root, "object", 3)

    one_by_one = [pair for pair in pairs if not fresh().unchanged(Path(pair[0]), pair[1])]
    checked = fresh()
    assert checked.unvouched(pairs) == one_by_one == pairs[1:]
    assert not checked.stale, "a usable index needs no writing"
    (tmp_path / "dev.index").write_text("{")
    damaged = fresh()
    assert damaged.unvouched(pairs) == pairs
    assert damaged.stale, "a damaged index is written again by the next up that settles"
