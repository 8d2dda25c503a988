"""Faults of the machine in one line (clusterstack/engine/faults.py): an OSError becomes a
ClusterstackError naming the path, what was being done and, for a full disk, a quota, a permission or
a read-only file system, what to do; SIGTERM and SIGHUP unwind the run like Ctrl-C while
``signals_unwind`` holds, with the previous handlers back afterwards and an ignored signal left ignored."""

from __future__ import annotations

import errno
import os
import signal
import threading

import pytest

from clusterstack.engine.faults import Interrupted, fault, signals_unwind


def test_a_full_disk_names_the_path_the_operation_and_the_way_out():
    error = fault(OSError(errno.ENOSPC, "No space left on device", "/var/state/prod.json"), "write the state")
    assert str(error) == "/var/state/prod.json: cannot write the state: No space left on device (the file system is full; free space and run again)"


def test_the_path_given_stands_in_when_the_error_names_none():
    assert str(fault(OSError(errno.EROFS, "Read-only file system"), "write the plan", "plan.json")) == (
        "plan.json: cannot write the plan: Read-only file system (the file system is mounted read-only)"
    )
    assert str(fault(OSError(errno.EACCES, "Permission denied"), "take the lock")) == (
        "cannot take the lock: Permission denied (this user may not; fix the permissions or run as the user that owns it)"
    )


def test_an_error_without_a_hint_or_a_reason_still_says_what_failed():
    assert str(fault(OSError(errno.EIO, "Input/output error", "/dev/sdz"), "read the state")) == "/dev/sdz: cannot read the state: Input/output error"
    assert str(fault(OSError(), "read the state", "s.json")) == "s.json: cannot read the state: OSError"


def test_sigterm_unwinds_the_body_and_the_handler_is_restored():
    before = signal.getsignal(signal.SIGTERM)
    cleaned = []

    def run() -> None:
        with signals_unwind():
            try:
                os.kill(os.getpid(), signal.SIGTERM)  # Python runs the handler before the next line
                cleaned.append("not reached")
            finally:
                cleaned.append("lock released")

    with pytest.raises(Interrupted) as raised:
        run()
    assert cleaned == ["lock released"]
    assert raised.value.code == 128 + signal.SIGTERM
    assert raised.value.name == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) is before


def test_an_ignored_signal_stays_ignored():
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with signals_unwind():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_outside_the_main_thread_nothing_is_set():
    seen = []

    def body() -> None:
        with signals_unwind():
            seen.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    worker = threading.Thread(target=body)
    worker.start()
    worker.join()
    assert seen == [before]
