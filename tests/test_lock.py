"""A stack's lock (engine/lock.py), as the state store holds it: it names its holder, a dead holder's
lock is taken over, another host's or an unreadable one never is, and of two real processes racing for
it one holds it and the other is told who does."""

import json
import os
import subprocess
import sys

import pytest

from clusterstack.engine.store import StateStore
from clusterstack.errors import ClusterstackError


def test_the_lock_names_its_holder_and_a_dead_holders_lock_is_taken_over(tmp_path):
    store = StateStore(tmp_path, "dev")
    with store.lock("up"), pytest.raises(ClusterstackError, match=rf"the state of stack dev is locked by pid {os.getpid()} on .* \(up, since "), store.lock("destroy"):
        pass
    assert not store.lock_path.exists()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store.lock_path.write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename, "time": "then", "operation": "up"}))
    taken: list[str] = []
    with store.lock("up", lambda holder: taken.append(holder.describe())):
        assert json.loads(store.lock_path.read_text())["pid"] == os.getpid()
    assert taken == [f"pid {dead.pid} on {os.uname().nodename} (up, since then)"]


def test_a_lock_of_another_host_or_an_unreadable_one_is_never_taken_over(tmp_path):
    store = StateStore(tmp_path, "dev")
    store.lock_path.write_text(json.dumps({"pid": 1, "host": "elsewhere", "time": "then", "operation": "up"}))
    with pytest.raises(ClusterstackError, match=r"locked by pid 1 on elsewhere .*if that run is over, remove the lock with clusterstack state unlock"), store.lock("up"):
        pass
    store.lock_path.write_text('{"pid": 12')  # what a reader would once have seen of a lock being written
    with pytest.raises(ClusterstackError, match=r"cannot be read; if no clusterstack is running on this stack, remove the lock"), store.lock("up"):
        pass


def test_two_real_processes_racing_for_the_lock(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", ("import sys, time; from pathlib import Path; from clusterstack.engine.store import StateStore\n"
         "with StateStore(Path(sys.argv[1]), 'dev').lock('up'):\n    print('locked', flush=True); time.sleep(30)"), str(tmp_path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        contender = subprocess.run(
            [sys.executable, "-c", ("import sys; from pathlib import Path; from clusterstack.engine.store import StateStore\n"
             "with StateStore(Path(sys.argv[1]), 'dev').lock('up'):\n    pass"), str(tmp_path)],
            check=False, capture_output=True, text=True, timeout=60,
        )
        assert contender.returncode != 0
        assert f"locked by pid {holder.pid}" in contender.stderr
    finally:
        holder.kill()
        holder.wait()
