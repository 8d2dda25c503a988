"""The one way clusterstack writes a file it keeps (clusterstack/files.py): ``write_atomic`` leaves the
file whole or as it was, with the mode asked for, replaces a symlink planted at the path instead of
writing through it, and leaves no temporary file behind, also when the write fails;
``private_directory`` creates a directory only its owner may enter and leaves an existing one alone."""

from __future__ import annotations

import os
import stat

import pytest

from clusterstack.files import private_directory, write_atomic


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
