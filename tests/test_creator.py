"""The helper process that creates an ``up``'s new files while the engine goes on (engine/creator.py):
a real process, real files. It creates as ``files.create`` does (exclusively, never through a
symlink, removed again on failure), reports in order, stops at the first failure, which the engine
gets as an OSError naming the file only after the files reported before it; a helper that dies or
cannot start is an error, or no helper, never a hang or a file recorded unwritten. And an ``up``
with the helper writes exactly what one without it writes, down to the state and its stat index,
including where a full disk stops it."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from clusterstack.engine import creator as creator_module
from clusterstack.engine import target as target_module
from clusterstack.engine.creator import Creator
from clusterstack.engine.layout import file_name
from clusterstack.engine.store import StateStore
from tests.test_engine import cs


@pytest.fixture
def helper():
    started = Creator.start()
    assert started is not None
    yield started
    started.close()
    assert started._process.poll() is not None  # no process is left behind


def _all(helper: Creator) -> list[tuple[Path, os.stat_result | None]]:
    done = []
    while helper.busy:
        done += helper.reports(wait=True)
    return done


def test_each_file_is_created_whole_with_its_mode_and_reported_with_its_stat(helper, tmp_path):
    files = {tmp_path / f"f{i}.yaml": (f"kind: ConfigMap # {i}\n" * (i + 1)).encode() for i in range(50)}
    for path, data in files.items():
        helper.create(path, data, 0o600 if path.name == "f7.yaml" else 0o644)
    reported = _all(helper)
    assert [path for path, _ in reported] == list(files)
    for path, status in reported:
        assert status is not None
        assert path.read_bytes() == files[path]
        real = os.lstat(path)
        assert (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_mode) == (
            real.st_dev, real.st_ino, real.st_size, real.st_mtime_ns, real.st_ctime_ns, real.st_mode,
        )  # fmt: skip
    assert oct(os.lstat(tmp_path / "f7.yaml").st_mode & 0o777) == "0o600"
    assert oct(os.lstat(tmp_path / "f8.yaml").st_mode & 0o777) == "0o644"


def test_something_already_there_is_reported_and_left_as_it_is_a_symlink_never_followed(helper, tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    (tmp_path / "file").write_text("the user's")
    (tmp_path / "link").symlink_to(victim)
    (tmp_path / "dir").mkdir()
    for name in ("file", "link", "dir", "new"):
        helper.create(tmp_path / name, b"ours", 0o644)
    reported = dict(_all(helper))
    assert [name for name in ("file", "link", "dir", "new") if reported[tmp_path / name] is None] == ["file", "link", "dir"]
    assert victim.read_text() == "keep me"
    assert (tmp_path / "file").read_text() == "the user's"
    assert (tmp_path / "link").is_symlink()
    assert (tmp_path / "new").read_bytes() == b"ours"


def test_the_first_failure_is_raised_after_the_files_before_it_and_nothing_after_it_is_created(helper, tmp_path):
    names = [tmp_path / "a", tmp_path / "b", tmp_path / "missing" / "c", tmp_path / "d"]
    for path in names:
        helper.create(path, b"x", 0o644)
    reported: list[Path] = []

    def report_all() -> None:
        while helper.busy:
            reported.extend(path for path, _ in helper.reports(wait=True))

    with pytest.raises(OSError, match="No such file or directory") as raised:
        report_all()
    assert reported == names[:2]
    assert raised.value.errno == errno.ENOENT
    assert raised.value.filename == str(names[2])
    assert not names[3].exists()


def test_a_helper_that_dies_is_an_error_never_a_hang(helper, tmp_path):
    helper.create(tmp_path / "first", b"x", 0o644)
    assert [path for path, _ in _all(helper)] == [tmp_path / "first"]
    os.kill(helper._process.pid, signal.SIGKILL)  # the helper this test started
    helper._process.wait()

    def hand_over_more() -> None:
        for i in range(200):  # more than the pipe holds: sending meets the closed pipe, reading its end
            helper.create(tmp_path / f"after-{i}", b"y" * 1000, 0o644)
        _all(helper)

    with pytest.raises(OSError, match=r"the process creating the target's files ended \(exit code -9\)") as raised:
        hand_over_more()
    assert raised.value.errno == errno.EIO


def test_a_report_cut_short_by_the_helpers_end_is_an_error_not_a_hang(helper, tmp_path):
    helper.create(tmp_path / "first", b"x", 0o644)
    helper._process.kill()
    helper._process.wait()
    helper._unread = creator_module.REPORT.pack(creator_module.CREATED, 0, 0, 0, 0, 0, 0, 0)[:10]  # what a torn write would leave
    with pytest.raises(OSError, match="ended"):
        helper.reports(wait=True)


def test_more_than_the_pipes_hold_goes_through_without_a_deadlock(helper, tmp_path):
    data = b"z" * 9000
    count = 3 * creator_module.BACKLOG // len(data)
    for i in range(count):
        helper.create(tmp_path / f"big-{i}", data, 0o644)
    reported = _all(helper)
    assert len(reported) == count
    assert all(status is not None and status.st_size == len(data) for _, status in reported)


def test_a_helper_ended_early_stops_creating(tmp_path):
    helper = Creator.start()
    assert helper is not None
    for i in range(2000):
        helper.create(tmp_path / f"f{i}", b"x" * 100, 0o644)
    helper.close()
    assert helper._process.returncode is not None
    assert len(list(tmp_path.iterdir())) < 2000
    assert not [p for p in tmp_path.iterdir() if p.read_bytes() != b"x" * 100], "every file it left is whole"


def test_no_helper_when_none_can_start(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert Creator.start() is None
    monkeypatch.setattr(sys, "executable", "/bin/true")  # starts, but is not a Python that can run the helper
    assert Creator.start() is None
    hangs = tmp_path / "hangs"
    hangs.write_text("#!/bin/sh\nexec sleep 60\n")
    hangs.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(hangs))  # never says it is ready: given up on, and ended
    monkeypatch.setattr(creator_module, "START_TIMEOUT", 0.2)
    started = time.monotonic()
    assert Creator.start() is None
    assert time.monotonic() - started < 10


def _state_and_target(project: Path) -> tuple[dict[str, tuple[dict[str, Any], str]], dict[str, bytes], list[str]]:
    """What an up left: each object's record, every file of the target (the project's own path, in the
    claim, made neutral) and the files the stat index vouches for."""
    state = StateStore(project / ".clusterstack", "many").load()
    assert state is not None
    entries = {str(key): (entry.manifest, entry.written) for key, entry in state.entries.items()}
    deploy = project / "deploy" / "many"
    tree = {str(p.relative_to(deploy)): p.read_bytes().replace(str(project).encode(), b"<project>") for p in sorted(deploy.rglob("*")) if p.is_file()}
    index = json.loads((project / ".clusterstack" / "many.index").read_bytes())
    return entries, tree, sorted(name.replace(str(project), "<project>") for name in index["files"])


def _many(make_project, count: int = 30) -> Path:
    tenant = {"quota": {"pods": "4"}, "networkPolicy": {"defaultDeny": ["Ingress"]}}
    return make_project({"many": {"config": {"clusterstack:namespaces": {f"team-{i:02d}": tenant for i in range(count)}}}})


def test_an_up_with_the_helper_writes_and_records_what_one_without_it_does(make_project, tmp_path, monkeypatch):
    without = _many(make_project)
    with_helper = tmp_path / "with-helper"
    shutil.copytree(without, with_helper)
    assert cs(without, "up", "-s", "many", "--yes").exit_code == 0

    started: list[Creator | None] = []
    start = Creator.start

    def counted() -> Creator | None:
        started.append(start())
        return started[-1]

    monkeypatch.setattr(target_module, "CREATE_ASIDE_FROM", 1)
    monkeypatch.setattr(Creator, "start", staticmethod(counted))
    done = cs(with_helper, "up", "-s", "many", "--yes")
    assert done.exit_code == 0, done.output
    assert len(started) == 1
    assert started[0] is not None, "the helper ran"
    assert _state_and_target(with_helper) == _state_and_target(without)
    again = cs(with_helper, "preview", "-s", "many", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.output


def test_an_up_whose_helper_cannot_start_creates_the_files_itself(make_project, monkeypatch):
    project = _many(make_project, count=5)
    monkeypatch.setattr(target_module, "CREATE_ASIDE_FROM", 1)
    monkeypatch.setattr(Creator, "start", staticmethod(lambda: None))
    done = cs(project, "up", "-s", "many", "--yes")
    assert done.exit_code == 0, done.output
    assert len(StateStore(project / ".clusterstack", "many").load().entries) == 15


def test_a_full_target_disk_under_the_helper_keeps_what_landed_and_the_next_run_converges(make_project, tmp_path, monkeypatch):
    """The helper meets the full disk (a 64 KiB tmpfs: sixteen pages, one a file): the error is one line
    naming the file, what landed is recorded and exactly that, and once there is room the next run finishes."""
    monkeypatch.setattr(target_module, "CREATE_ASIDE_FROM", 1)
    project = _many(make_project)
    deploy = project / "deploy" / "many"
    deploy.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(deploy)], check=False, capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip()})")
    try:
        full = cs(project, "up", "-s", "many", "--yes")
        assert full.exit_code == 1
        assert "No space left on device (the file system is full; free space and run again)" in full.output
        assert f"error: {deploy}/" in full.output
        assert "Traceback" not in full.output
        state = StateStore(project / ".clusterstack", "many").load()
        assert state is not None
        recorded = {entry.key: entry.written for entry in state.entries.values()}
        assert 0 < len(recorded) < 90, "the disk did not fill mid-apply"
        for key, written in recorded.items():
            assert hashlib.sha256((deploy / file_name(key)).read_bytes()).hexdigest() == written, key
        subprocess.run(["mount", "-o", "remount,size=4m", str(deploy)], check=True)
        again = cs(project, "up", "-s", "many", "--yes")
        assert again.exit_code == 0, again.output
        assert len(StateStore(project / ".clusterstack", "many").load().entries) == 90
        assert cs(project, "preview", "-s", "many", "--detailed-exitcode").exit_code == 0
    finally:
        subprocess.run(["umount", "-l", str(deploy)], check=False)


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not gone, not a zombie left for its new parent to reap)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
def test_an_up_killed_while_its_helper_creates_files_leaves_no_process_and_the_next_up_converges(make_project):
    """A real ``up`` large enough for the helper (2,100 new files), SIGKILLed mid-apply: the helper sees
    its requests end and stops by itself, what it created is unrecorded or recorded whole, and the next
    ``up`` takes the files as its own and converges."""
    project = _many(make_project, count=700)
    deploy = project / "deploy" / "many"
    command = [sys.executable, "-m", "clusterstack", "--project-dir", str(project), "up", "-s", "many", "--yes"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    helpers: set[int] = set()
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        with contextlib.suppress(OSError):
            helpers |= {int(pid) for pid in children.read_text().split()}
        if helpers and deploy.is_dir() and sum(1 for _ in deploy.iterdir()) > 100:
            process.kill()
            break
        time.sleep(0.005)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the up finished before it could be killed mid-apply"
    assert helpers, "the up started no helper"
    deadline = time.monotonic() + 30
    while any(_running(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_running(pid) for pid in helpers), "the helper outlived the up"
    finished = cs(project, "up", "-s", "many", "--yes")
    assert finished.exit_code == 0, finished.output
    assert len(StateStore(project / ".clusterstack", "many").load().entries) == 2100
    assert cs(project, "preview", "-s", "many", "--detailed-exitcode").exit_code == 0
