"""The ways clusterstack writes a file it keeps (clusterstack/files.py): ``write_atomic`` leaves the
file whole or as it was, with the mode asked for, replaces a symlink planted at the path instead of
writing through it, and leaves no temporary file behind, also when the write fails; ``create`` makes
a new file in place only where nothing is (a symlink there is never followed) and removes it again
when the write fails; ``replace`` renames over what is there; a ``Batch`` of them is made durable by
one syncfs per file system, or by an fsync of each file and directory where there is no syncfs, and a
failed sync is an error; ``private_directory`` creates a directory only its owner may enter and
leaves an existing one alone."""

from __future__ import annotations

import os
import stat

import pytest

from clusterstack import files
from clusterstack.files import Batch, create, private_directory, replace, write_atomic


def test_a_file_is_written_whole_with_the_mode_asked_for(tmp_path):
    target = tmp_path / "state.json"
    write_atomic(target, b"first", mode=0o600, sync_directory=True)
    write_atomic(target, b"second", mode=0o600)
    assert target.read_bytes() == b"second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["state.json"]


def test_a_symlink_at_the_path_is_replaced_not_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"the user's")
    target = tmp_path / "plan.json"
    target.symlink_to(elsewhere)
    write_atomic(target, b"plan")
    assert not target.is_symlink()
    assert target.read_bytes() == b"plan"
    assert elsewhere.read_bytes() == b"the user's"


def test_a_failed_write_leaves_the_file_as_it_was_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "state.json"
    target.write_bytes(b"before")

    def full_disk(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, b"after")
    assert target.read_bytes() == b"before"
    assert os.listdir(tmp_path) == ["state.json"]


def test_a_missing_directory_is_an_error_not_a_guess(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "absent" / "state.json", b"x")


def test_a_private_directory_is_created_for_its_owner_only_and_an_existing_one_left_alone(tmp_path):
    created = tmp_path / "a" / "state"
    private_directory(created)
    assert stat.S_IMODE(created.stat().st_mode) & 0o077 == 0
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    private_directory(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755


def test_create_writes_a_new_file_in_place_and_refuses_anything_already_there(tmp_path):
    made = tmp_path / "new.yaml"
    status = create(made, b"kind: Namespace\n", 0o644)
    assert status is not None
    assert status.st_size == len(b"kind: Namespace\n")
    assert status.st_ino == made.stat().st_ino
    assert made.read_bytes() == b"kind: Namespace\n"
    assert create(made, b"other", 0o644) is None
    assert made.read_bytes() == b"kind: Namespace\n"
    victim = tmp_path / "victim"
    victim.write_bytes(b"the user's")
    planted = tmp_path / "planted.yaml"
    planted.symlink_to(victim)
    assert create(planted, b"written through?", 0o644) is None
    assert victim.read_bytes() == b"the user's"
    assert planted.is_symlink()
    dangling = tmp_path / "dangling.yaml"
    dangling.symlink_to(tmp_path / "nowhere")
    assert create(dangling, b"x", 0o644) is None
    assert not (tmp_path / "nowhere").exists()


def test_create_and_replace_give_the_mode_asked_for_whatever_the_umask(tmp_path):
    previous = os.umask(0o077)
    try:
        create(tmp_path / "a", b"a", 0o644)
        replace(tmp_path / "a", b"b", 0o644)
        create(tmp_path / "private", b"p", 0o600)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "private").stat().st_mode) == 0o600


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_create_that_fails_midway_leaves_nothing(tmp_path, monkeypatch, failure):
    def failing(descriptor: int, data) -> int:
        raise failure

    monkeypatch.setattr(os, "write", failing)
    with pytest.raises(type(failure)):
        create(tmp_path / "new.yaml", b"data", 0o644)
    assert os.listdir(tmp_path) == []


def test_replace_swaps_a_symlink_for_the_file_and_a_failure_leaves_the_old_one(tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"the user's")
    path = tmp_path / "object.yaml"
    path.symlink_to(elsewhere)
    status = replace(path, b"ours", 0o644)
    assert not path.is_symlink()
    assert path.read_bytes() == b"ours"
    assert elsewhere.read_bytes() == b"the user's"
    assert status.st_ino == path.stat().st_ino
    assert status.st_ctime_ns == path.stat().st_ctime_ns

    def full_disk(descriptor: int, data) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(OSError, match="No space left"):
        replace(path, b"newer", 0o644)
    assert path.read_bytes() == b"ours"
    assert sorted(os.listdir(tmp_path)) == ["elsewhere", "object.yaml"]


def _batch_of_two(tmp_path):
    (tmp_path / "d").mkdir()
    batch = Batch()
    for name in ("d/one", "d/two"):
        path = tmp_path / name
        status = create(path, b"x", 0o644)
        assert status is not None
        batch.wrote(path, status)
    gone = tmp_path / "d" / "gone"
    gone.write_bytes(b"")
    gone.unlink()
    batch.changed(gone)
    return batch


def test_a_batch_is_synced_by_one_syncfs_per_file_system(tmp_path, monkeypatch):
    if files.syncfs() is None:
        pytest.skip("no syncfs here: the fallback is tested below")
    calls: list[int] = []
    real = files.syncfs()
    assert real is not None

    def counted(descriptor: int) -> None:
        calls.append(descriptor)
        real(descriptor)

    monkeypatch.setattr(files, "_SYNCFS", [counted])
    fsynced: list[int] = []
    monkeypatch.setattr(os, "fsync", fsynced.append)
    _batch_of_two(tmp_path).sync()
    assert len(calls) == 1
    assert fsynced == []


def test_without_syncfs_each_file_and_directory_is_fsynced_and_a_planted_symlink_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "_SYNCFS", [None])
    batch = _batch_of_two(tmp_path)
    victim = tmp_path / "victim"
    victim.write_bytes(b"v")
    (tmp_path / "d" / "two").unlink()
    (tmp_path / "d" / "two").symlink_to(victim)
    synced: list[tuple[int, int]] = []
    real = os.fsync

    def spy(descriptor: int) -> None:
        status = os.fstat(descriptor)
        synced.append((status.st_dev, status.st_ino))
        real(descriptor)

    monkeypatch.setattr(os, "fsync", spy)
    batch.sync()
    expected = {(p.stat().st_dev, p.stat().st_ino) for p in (tmp_path / "d" / "one", tmp_path / "d")}
    assert set(synced) == expected, "the file and its directory; the symlink neither followed nor synced"


def test_a_failed_sync_is_an_error_and_empties_the_batch(tmp_path, monkeypatch):
    def full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "_SYNCFS", [full])
    monkeypatch.setattr(os, "fsync", full)
    batch = _batch_of_two(tmp_path)
    with pytest.raises(OSError, match="No space left"):
        batch.sync()
    assert len(batch) == 0
