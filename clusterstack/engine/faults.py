"""Faults of the machine, said in one line: a full disk, a permission, a read-only file system, a
signal. Each becomes an error naming the path and what was being done to it, never a traceback;
the code that meets it first leaves nothing half-written behind."""

from __future__ import annotations

import errno
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from ..errors import ClusterstackError, Problem

_HINTS = {
    errno.ENOSPC: "the file system is full; free space and run again",
    errno.EDQUOT: "the disk quota is used up; free space and run again",
    errno.EACCES: "this user may not; fix the permissions or run as the user that owns it",
    errno.EPERM: "this user may not; fix the permissions or run as the user that owns it",
    errno.EROFS: "the file system is mounted read-only",
}


def fault(error: OSError, operation: str, path: Path | str | None = None) -> ClusterstackError:
    """``error`` met while doing ``operation`` ("write the state") to ``path`` (default: the one the
    error names), as the one-line error the user sees."""
    where = error.filename if error.filename is not None else path
    reason = error.strerror if error.strerror else type(error).__name__
    hint = _HINTS.get(error.errno) if error.errno is not None else None
    return ClusterstackError([Problem(str(where) if where is not None else "", "", f"cannot {operation}: {reason}" + (f" ({hint})" if hint else ""))])


class Interrupted(SystemExit):
    """A signal asked the run to stop (SIGTERM, SIGHUP): raised where the run is, so it unwinds like
    Ctrl-C, through every ``finally`` (the lock released, temporary files removed)."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def _unwind(signum: int, _frame: FrameType | None) -> None:
    for other in UNWOUND:  # a second signal must not cut short the clean-up the first one started
        signal.signal(other, signal.SIG_IGN)
    raise Interrupted(signum)


UNWOUND = (signal.SIGTERM, signal.SIGHUP)
"""SIGINT already unwinds (Python raises KeyboardInterrupt); these would end the process where it stands."""


@contextmanager
def signals_unwind() -> Iterator[None]:
    """While the body runs, SIGTERM and SIGHUP raise Interrupted; the previous handlers are restored
    afterwards. Only the main thread may set handlers: elsewhere this does nothing. A signal the
    process was told to ignore (nohup) stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for signum in UNWOUND:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, _unwind)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
