"""A stack's lock: ``<stack>.lock``, held with the kernel's ``flock`` for the whole run, naming its
holder (pid, host, time, operation).

A holder that dies, however it dies (SIGKILL included), lets go of the flock with its process, so a
stale lock is taken over atomically: of two runs that find it, exactly one gets it and the other is
told who holds it. (Checking whether the named process still lives, then removing the file, let two
runs both take it over.) While held, SIGTERM and SIGHUP unwind the run like Ctrl-C, so the lock is
released and no lock file stays.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import ClusterstackError
from .faults import fault, signals_unwind


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    time: str
    operation: str

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} ({self.operation}, since {self.time})"


class StackLock:
    """The lock file of one stack."""

    def __init__(self, path: Path, stack: str) -> None:
        self.path = path
        self.stack = stack

    @contextmanager
    def held(self, operation: str, on_takeover: Callable[[LockHolder], None] = lambda holder: None) -> Iterator[None]:
        """Hold the stack's lock while the body runs; SIGTERM and SIGHUP meanwhile unwind the run like
        Ctrl-C, so the lock is released and state recorded. A lock whose holder is gone (the kernel
        released its flock when it died) is taken over, and ``on_takeover`` told whose it was."""
        with signals_unwind():
            descriptor = self._acquire(operation, on_takeover)
            try:
                yield
            finally:
                self._release(descriptor)

    def _acquire(self, operation: str, on_takeover: Callable[[LockHolder], None]) -> int:
        holder = LockHolder(os.getpid(), socket.gethostname(), time.strftime("%Y-%m-%dT%H:%M:%S%z"), operation)
        for _ in range(1000):
            descriptor = self._open_locked()
            if descriptor is not None:
                break
        else:  # the lock file replaced under us a thousand times: someone else is taking it in a loop
            raise ClusterstackError([self.locked_message()])
        try:
            previous = _read_holder(descriptor)
        except OSError as error:
            os.close(descriptor)
            raise fault(error, "take the lock", self.path) from None
        if previous is not None and (previous.pid == -1 or previous.host != holder.host):
            # Unreadable, or written on another host whose runs this host's kernel may not see: only the user can tell.
            message = self.locked_message()
            os.close(descriptor)  # leaves the file as it is: it is not ours to remove
            raise ClusterstackError([message])
        try:
            if previous is not None:
                on_takeover(previous)
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, json.dumps(holder.__dict__).encode(), 0)  # one write: a reader sees nothing or all of it
        except BaseException as error:
            self._release(descriptor)  # ours now: no lock file stays behind
            if isinstance(error, OSError):
                raise fault(error, "take the lock", self.path) from None
            raise
        return descriptor

    def _open_locked(self) -> int | None:
        """The lock file, open and flocked by this process; None when the file was removed or replaced
        between the open and the flock (its holder released it): then the caller tries again."""
        try:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as error:
            raise fault(error, "take the lock", self.path) from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(descriptor)
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise ClusterstackError([self.locked_message()]) from None
            raise fault(error, "take the lock", self.path) from None
        if _same_file(descriptor, self.path):
            return descriptor
        os.close(descriptor)
        return None

    def _release(self, descriptor: int) -> None:
        """Remove the lock file while still holding it (a run that opened it meanwhile sees it gone
        and starts again), then let go."""
        try:
            if _same_file(descriptor, self.path):
                self.path.unlink(missing_ok=True)
        except OSError:
            pass  # a lock file that cannot be removed is free anyway once closed: the next run takes it over
        finally:
            os.close(descriptor)

    def holder(self) -> LockHolder | None:
        try:
            with self.path.open("rb") as handle:
                return _read_holder(handle.fileno())
        except FileNotFoundError:
            return None
        except OSError:
            return LockHolder(pid=-1, host="?", time="?", operation="unreadable lock file")

    def _held(self) -> bool:
        """Whether a running process holds the lock (on this host, or one whose kernel shares its flocks)."""
        try:
            descriptor = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        except OSError as error:
            raise fault(error, "read the lock", self.path) from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return True
            raise fault(error, "read the lock", self.path) from None
        finally:
            os.close(descriptor)
        return False

    def releasable_holder(self) -> LockHolder | None:
        """The lock's holder, when the lock may be removed; None when there is no lock. A run that
        still holds it keeps its lock: that is a ClusterstackError."""
        holder = self.holder()
        if holder is not None and self._held():
            raise ClusterstackError([f"the lock is held by {holder.describe()}, which is still running; let it finish"])
        return holder

    def unlock(self) -> LockHolder | None:
        """Remove a lock whose holder is gone; the holder it named, or None when there was no lock."""
        holder = self.releasable_holder()
        if holder is not None:
            try:
                self.path.unlink(missing_ok=True)
            except OSError as error:
                raise fault(error, "remove the lock", self.path) from None
        return holder

    def locked_message(self) -> str:
        holder = self.holder()
        named = False
        for _ in range(50):  # a run taking the lock over writes its name a moment after it has it
            if holder is not None and holder.pid != -1 and (holder.host != socket.gethostname() or _alive(holder.pid)):
                break
            named = named or holder is not None
            if holder is None and named:
                break  # it was named, and the lock is gone: that run ended meanwhile
            time.sleep(0.01)
            holder = self.holder()
        if holder is None:
            return f"the state of stack {self.stack} was locked by another run, which has ended since; run again"
        if holder.pid == -1:
            return (
                f"the state of stack {self.stack} is locked, and its lock file {self.path} cannot be read; "
                f"if no clusterstack is running on this stack, remove the lock with clusterstack state unlock -s {self.stack} --yes"
            )
        message = f"the state of stack {self.stack} is locked by {holder.describe()}"
        if holder.host != socket.gethostname():
            message += f"; if that run is over, remove the lock with clusterstack state unlock -s {self.stack} --yes"
        return message



def _read_holder(descriptor: int) -> LockHolder | None:
    """The holder a lock file names; None when it names none (new, or emptied); pid -1 when it cannot be read."""
    data = os.pread(descriptor, 4096, 0)
    if not data:
        return None
    try:
        return LockHolder(**json.loads(data))
    except (ValueError, TypeError):
        return LockHolder(pid=-1, host="?", time="?", operation="unreadable lock file")


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(descriptor), os.stat(path, follow_symlinks=False))
    except FileNotFoundError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
