"""Locks and faults, with real processes, real signals and real faults: two runs racing for a stale
lock never both hold it (and the state's serial never goes backwards); SIGTERM, SIGINT and SIGHUP in
every command that holds the lock release it and leave state loadable; a full disk, a read-only file
system or a permission this user lacks, on state, cache or target, is a one-line error naming the
path and the operation, leaves no temporary or lock file, and the next run converges. Tests run as
root: permissions are tried by running clusterstack as ``nobody`` (setpriv), file systems by
mounting a small tmpfs or a read-only bind, each skipped with the reason where the machine refuses."""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from clusterstack.engine.state import Entry
from clusterstack.engine.store import StateStore
from clusterstack.errors import ClusterstackError
from tests.test_engine import DEV, cs, edit
from tests.test_saved_plans import fill

NOBODY = 65534


def _files(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*")) if directory.exists() else []


def _leftovers(*directories: Path) -> list[str]:
    """Temporary and lock files: what a run that stopped must not leave behind."""
    return [
        name
        for d in directories
        for name in _files(d)
        if name.endswith((".tmp", ".lock")) or ("/." in f"/{name}" and not name.endswith("/.clusterstack-target") and name != ".clusterstack-target")
    ]


# --- Two runs, one stale lock --------------------------------------------------------------------

_CONTENDER = """
import os, sys, time
from pathlib import Path
from clusterstack.kube.kinds import ObjectKey
from clusterstack.engine.state import Entry
from clusterstack.engine.store import StateStore
from clusterstack.errors import ClusterstackError

directory, gate, name = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
kill = os.kill
def slow_kill(pid, sig):  # a loaded machine: checking whether a process lives takes a while, so runs interleave
    time.sleep(0.2)
    return kill(pid, sig)
os.kill = slow_kill
store = StateStore(directory, "dev")
while not gate.exists():
    time.sleep(0.001)
try:
    with store.lock("up"):
        try:  # a second holder would find this file there
            os.close(os.open(directory / "inside", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            print("BOTH", flush=True)
            sys.exit(3)
        state = store.load() or store.create()
        before = state.serial
        key = ObjectKey("", "Namespace", "", name)
        store.record_put(state, Entry(key, "c", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
        store.write(state)
        time.sleep(0.3)  # longer than a liveness check: a run that took the lock wrongly would find this one inside
        os.unlink(directory / "inside")
        print(f"held {before} {state.serial}", flush=True)
except ClusterstackError as error:
    print(f"refused {error}", flush=True)
    sys.exit(1)
"""


def _dead_pid() -> int:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return dead.pid


def test_two_processes_finding_a_stale_lock_never_both_take_it(tmp_path):
    """The issue's reproduction: a holder killed (its lock file left naming it), then two runs at once.
    Before the lock was the kernel's, both read the holder as gone, both removed the file and both went on."""
    directory = tmp_path / "state"
    directory.mkdir()
    store = StateStore(directory, "dev")
    serials: list[tuple[int, int]] = []
    refusals = 0
    for iteration in range(15):
        store.lock_path.write_text(json.dumps({"pid": _dead_pid(), "host": os.uname().nodename, "time": "then", "operation": "up"}))
        gate = tmp_path / f"go-{iteration}"
        contenders = [
            subprocess.Popen([sys.executable, "-c", _CONTENDER, str(directory), str(gate), f"ns-{iteration}-{n}"], stdout=subprocess.PIPE, text=True)
            for n in range(3)
        ]
        time.sleep(0.15)  # all three started and waiting at the gate
        gate.touch()
        outputs = [c.communicate(timeout=60)[0].strip() for c in contenders]
        assert not any("BOTH" in o for o in outputs), outputs
        held = [o for o in outputs if o.startswith("held ")]
        assert held, outputs
        for line in outputs:
            if line.startswith("refused "):
                refusals += 1
                # The holder by name; or, when it ended before this run could read its name, that it did.
                assert "the state of stack dev is locked by pid " in line or "which has ended since; run again" in line, line
        serials += [(int(a), int(b)) for a, b in (line.split()[1:] for line in held)]
        assert not store.lock_path.exists()
    assert refusals > 0, "the contenders never overlapped: the race was not tried"
    assert all(after == before + 1 for before, after in serials)
    assert sorted(serials) == sorted(set(serials))  # no serial written twice: none went backwards
    assert store.load().serial == len(serials)


def test_a_lock_held_is_not_removed_by_state_unlock_or_taken_by_another_store(tmp_path):
    store = StateStore(tmp_path, "dev")
    with store.lock("up"):
        with pytest.raises(ClusterstackError, match=rf"the lock is held by pid {os.getpid()} .*, which is still running; let it finish"):
            StateStore(tmp_path, "dev").unlock()
        with pytest.raises(ClusterstackError, match=rf"locked by pid {os.getpid()} "), StateStore(tmp_path, "dev").lock("destroy"):
            pass
        assert store.lock_path.exists()
    assert not store.lock_path.exists()


# --- Signals -------------------------------------------------------------------------------------

# The CLI, made to wait once it holds the lock (when it first reads the state under it), so a test
# can signal it there.
_HOLDING = """
import os, sys, time
from pathlib import Path
from clusterstack.engine.store import StateStore

read = StateStore._read_state_file
def waiting(self, path):
    if self.lock_path.exists() and os.environ.get("HELD"):
        Path(os.environ["HELD"]).touch()
        os.environ.pop("HELD")
        time.sleep(60)
    return read(self, path)
StateStore._read_state_file = waiting
from clusterstack.cli import main
sys.argv[0] = "clusterstack"
main()
"""

COMMANDS = {
    "up": ["up", "-s", "dev", "--yes"],
    "destroy": ["destroy", "-s", "dev", "--yes", "--allow-namespace-deletion"],
    "refresh": ["refresh", "-s", "dev"],
    "state repair": ["state", "repair", "-s", "dev", "--yes"],
}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: signal.Signals(s).name)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_signal_to_a_command_holding_the_lock_releases_it(make_project, tmp_path, command, sig):
    project = make_project({"dev": DEV})
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    edit(project, 'pods: "10"', 'pods: "11"')
    held = tmp_path / "held"
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLDING, "--project-dir", str(project), *COMMANDS[command]],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env={**os.environ, "HELD": str(held)},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not held.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert (project / ".clusterstack" / "dev.lock").exists()
        process.send_signal(sig)
        if sig == signal.SIGTERM:
            process.send_signal(sig)  # an impatient second one: it must not cut the clean-up short
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert "Traceback" not in stderr, stderr
    if sig == signal.SIGINT:
        assert (process.returncode, stderr.strip().splitlines()[-1]) == (1, "Aborted!")
    else:
        assert process.returncode == 128 + sig
        assert stderr.strip().splitlines() == [
            f"error: interrupted by {signal.Signals(sig).name}: stopped cleanly; no lock or temporary file left, state holds every change applied before it"
        ]
    assert _leftovers(project / ".clusterstack") == []
    assert StateStore(project / ".clusterstack", "dev").load() is not None
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    assert "took over" not in cs(project, "up", "-s", "dev", "--yes").output
    assert cs(project, "preview", "-s", "dev", "--detailed-exitcode").exit_code == 0


# --- Faults --------------------------------------------------------------------------------------


def test_a_failed_state_write_keeps_the_state_whole_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    """A full disk in the middle of writing the state (injected: os.fsync fails as a full disk does)."""
    store = StateStore(tmp_path, "dev")
    state = store.create()
    from clusterstack.kube.kinds import ObjectKey

    store.record_put(state, Entry(ObjectKey("", "Namespace", "", "a"), "c", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}))
    before = store.path.read_bytes()

    def full(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ClusterstackError) as caught:
        store.write(state)
    assert str(caught.value) == f"{store.path}: cannot write the state: No space left on device (the file system is full; free space and run again)"
    monkeypatch.undo()
    assert store.path.read_bytes() == before
    assert _leftovers(tmp_path) == []
    assert store.load() == state  # the journal still holds what the state file lacks


@pytest.fixture
def tmpfs(tmp_path):
    mounted: list[Path] = []

    def mount(directory: Path, size: str = "256k") -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)], check=False, capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs here ({result.stderr.strip()})")
        mounted.append(directory)
        return directory

    yield mount
    for directory in reversed(mounted):
        subprocess.run(["umount", "-l", str(directory)], check=False)


def _clusterstack(project, *args, user=None, env=None):
    command = [sys.executable, "-m", "clusterstack", "--project-dir", str(project), *args]
    if user is not None:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    return subprocess.run(command, check=False, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300, env={**os.environ, **(env or {})})


def test_a_full_state_disk_is_one_line_and_the_next_run_converges(make_project, tmp_path, tmpfs):
    project = make_project({"dev": DEV})
    state_dir = tmpfs(tmp_path / "state")
    assert _clusterstack(project, "--state-dir", str(state_dir), "up", "-s", "dev", "--yes").returncode == 0
    edit(project, 'pods: "10"', 'pods: "11"')
    fill(state_dir)
    full = _clusterstack(project, "--state-dir", str(state_dir), "up", "-s", "dev", "--yes")
    assert full.returncode == 1
    assert full.stderr.splitlines()[-1].startswith(f"error: {state_dir}/"), full.stderr
    assert full.stderr.splitlines()[-1].endswith(": No space left on device (the file system is full; free space and run again)")
    assert "Traceback" not in full.stderr
    assert _leftovers(state_dir) == []
    assert StateStore(state_dir, "dev").load() is not None
    (state_dir / "filler").unlink()
    assert _clusterstack(project, "--state-dir", str(state_dir), "up", "-s", "dev", "--yes").returncode == 0
    assert _clusterstack(project, "--state-dir", str(state_dir), "preview", "-s", "dev", "--detailed-exitcode").returncode == 0


def test_a_full_cache_disk_is_one_warning_and_the_command_goes_on(make_project, tmp_path, tmpfs):
    project = make_project({"dev": DEV})
    cache = tmpfs(tmp_path / "cache", "64k")
    fill(cache)
    result = _clusterstack(project, "preview", "-s", "dev", env={"CLUSTERSTACK_CACHE_DIR": str(cache)})
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [f"warning: {cache}/dev.json: cannot save the evaluation cache (No space left on device); going on without it"]
    assert _files(cache) == ["filler"]


def test_a_read_only_target_is_one_line_and_the_next_run_converges(make_project, tmp_path):
    project = make_project({"dev": DEV})
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    deploy = project / "deploy" / "dev"
    bound = subprocess.run(["mount", "--bind", str(deploy), str(deploy)], check=False, capture_output=True, text=True)
    if bound.returncode != 0:
        pytest.skip(f"cannot bind-mount here ({bound.stderr.strip()})")
    try:
        remounted = subprocess.run(["mount", "-o", "remount,bind,ro", str(deploy)], check=False, capture_output=True, text=True)
        if remounted.returncode != 0:
            pytest.skip(f"cannot remount read-only here ({remounted.stderr.strip()})")
        edit(project, 'pods: "10"', 'pods: "11"')
        refused = _clusterstack(project, "up", "-s", "dev", "--yes")
        assert refused.returncode == 1
        [line] = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
        assert line.startswith(f"error: {deploy}/"), line
        assert line.endswith(": cannot write the target: Read-only file system (the file system is mounted read-only)"), line
        assert "Traceback" not in refused.stderr
        assert _leftovers(project / ".clusterstack") == []
        assert StateStore(project / ".clusterstack", "dev").load() is not None
    finally:
        subprocess.run(["umount", str(deploy)], check=False)
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    assert cs(project, "preview", "-s", "dev", "--detailed-exitcode").exit_code == 0


@pytest.fixture
def public_project(make_project):
    """The project in a directory ``nobody`` can reach (pytest's own is root's alone)."""
    if shutil.which("setpriv") is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv to run clusterstack as another user")
    root = Path(tempfile.mkdtemp(prefix="clusterstack-public-"))
    os.chmod(root, 0o755)
    project = root / "project"
    shutil.copytree(make_project({"dev": DEV}), project)
    yield project
    shutil.rmtree(root)


def test_a_state_file_this_user_may_not_read_is_a_permission_error_not_damage(public_project):
    project = public_project
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    state = project / ".clusterstack" / "dev.json"
    os.chmod(state.parent, 0o755)
    os.chmod(state, 0o600)
    result = _clusterstack(project, "preview", "-s", "dev", user=NOBODY, env={"CLUSTERSTACK_CACHE_DIR": str(project / "no-cache")})
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {state}: cannot read the state: Permission denied (this user may not; fix the permissions or run as the user that owns it)"]
    assert "damaged" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_state_directory_this_user_may_not_write_is_one_line_and_writes_nothing(public_project):
    project = public_project
    (project / ".clusterstack").mkdir(mode=0o755)
    result = _clusterstack(project, "up", "-s", "dev", "--yes", user=NOBODY, env={"CLUSTERSTACK_CACHE_DIR": str(project / "no-cache")})
    assert result.returncode == 1
    lock = project / ".clusterstack" / "dev.lock"
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        f"error: {lock}: cannot take the lock: Permission denied (this user may not; fix the permissions or run as the user that owns it)"
    ]
    assert _files(project / ".clusterstack") == []
    assert not (project / "deploy").exists()


def test_a_target_this_user_may_not_write_is_one_line_and_the_next_run_converges(public_project):
    project = public_project
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    for path in (project / ".clusterstack", *(project / ".clusterstack").iterdir(), project / "stacks", *(project / "stacks").iterdir()):
        os.chown(path, NOBODY, NOBODY)
    edit(project, 'pods: "10"', 'pods: "11"')
    result = _clusterstack(project, "up", "-s", "dev", "--yes", user=NOBODY, env={"CLUSTERSTACK_CACHE_DIR": str(project / "no-cache")})
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].endswith(": cannot write the target: Permission denied (this user may not; fix the permissions or run as the user that owns it)"), errors
    assert _leftovers(project / ".clusterstack", project / "deploy") == []
    assert StateStore(project / ".clusterstack", "dev").load() is not None
    for path in (project / "deploy", *(project / "deploy").rglob("*")):
        os.chown(path, NOBODY, NOBODY)
    converged = _clusterstack(project, "up", "-s", "dev", "--yes", user=NOBODY, env={"CLUSTERSTACK_CACHE_DIR": str(project / "no-cache")})
    assert converged.returncode == 0, converged.stderr
    assert "pods: \"10\" → \"11\"" in converged.stdout


def test_a_full_target_disk_is_one_line_and_the_next_run_converges(make_project, tmpfs):
    project = make_project({"dev": DEV})
    deploy = tmpfs(project / "deploy", "128k")
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    edit(project, '    checkout:\n', '    orders:\n      quota: {pods: "3"}\n    checkout:\n')
    edit(project, 'pods: "10"', 'pods: "11"')
    fill(deploy)
    full = _clusterstack(project, "up", "-s", "dev", "--yes")
    assert full.returncode == 1
    [line] = [line for line in full.stderr.splitlines() if line.startswith("error:")]
    assert line.startswith(f"error: {deploy}/dev"), line
    assert line.endswith(": cannot write the target: No space left on device (the file system is full; free space and run again)"), line
    assert "Traceback" not in full.stderr
    assert _leftovers(project / ".clusterstack") == []
    assert StateStore(project / ".clusterstack", "dev").load() is not None
    (deploy / "filler").unlink()
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    assert cs(project, "preview", "-s", "dev", "--detailed-exitcode").exit_code == 0
    assert _leftovers(deploy) == []


def test_a_full_target_disk_leaves_no_target_file_cut_short(make_project, tmpfs):
    project = make_project({"dev": DEV})
    deploy = tmpfs(project / "deploy", "128k")
    assert cs(project, "up", "-s", "dev", "--yes").exit_code == 0
    edit(project, '    checkout:\n', '    orders:\n      quota: {pods: "3"}\n    checkout:\n')
    fill(deploy)
    assert _clusterstack(project, "up", "-s", "dev", "--yes").returncode == 1
    state = StateStore(project / ".clusterstack", "dev").load()
    recorded = {entry.manifest["metadata"]["name"] for entry in state.entries.values() if entry.key.kind == "Namespace"}
    assert not (deploy / "dev" / "namespace--orders.yaml").exists() or "orders" in recorded
    assert _leftovers(deploy) == []


def test_a_symlink_planted_as_the_lock_is_never_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    store = StateStore(tmp_path / "state", "dev")
    store.directory.mkdir()
    store.lock_path.symlink_to(victim)
    with pytest.raises(ClusterstackError, match=r"dev\.lock: cannot take the lock: Too many levels of symbolic links"), store.lock("up"):
        pass
    assert victim.read_text() == "keep me"
    assert store.lock_path.is_symlink()


def test_a_disk_full_mid_apply_keeps_what_landed_and_the_next_run_converges(make_project, tmp_path, tmpfs):
    """The journal, not the lock, meets the full disk: three pages free, so the state, the lock and
    the journal's first page fit, and the disk fills while changes are being recorded."""
    namespaces = {f"team-{i:02d}": {"quota": {"pods": "10"}} for i in range(40)}
    project = make_project({"dev": {"config": {"clusterstack:namespaces": namespaces}}})
    state_dir = tmpfs(tmp_path / "state", "512k")
    fill(state_dir)
    filler = state_dir / "filler"
    os.truncate(filler, filler.stat().st_size // 4096 * 4096 - 3 * 4096)
    full = _clusterstack(project, "--state-dir", str(state_dir), "up", "-s", "dev", "--yes")
    assert full.returncode == 1
    assert full.stderr.splitlines()[-1] == (
        f"error: {state_dir}/dev.journal: cannot record a change in the journal: No space left on device (the file system is full; free space and run again)"
    ), full.stderr
    assert "Traceback" not in full.stderr
    assert _leftovers(state_dir) == []
    state = StateStore(state_dir, "dev").load()
    landed = len(state.entries) if state is not None else 0
    assert 0 < landed < 80, "the disk did not fill mid-apply"
    filler.unlink()
    again = _clusterstack(project, "--state-dir", str(state_dir), "up", "-s", "dev", "--yes")
    assert again.returncode == 0, again.stderr
    assert len(StateStore(state_dir, "dev").load().entries) == 80
    assert _clusterstack(project, "--state-dir", str(state_dir), "preview", "-s", "dev", "--detailed-exitcode").returncode == 0
