"""A helper process that creates the target's new files while the engine goes on (``DirectoryTarget.apply``).

Creating a file is the kernel's work (an inode, a directory entry, a page of cache: 50-150 µs each
on the machine measured), and an ``up`` into an empty target creates one per object: 60,000 at
10,000 namespaces, a third of the command. A thread would not take it off the engine's hands: a
thread returning from a system call gets the interpreter back only after the switch interval (5
ms) while the engine computes, and creating a file is four system calls. A process does: the engine
hands each file over a pipe and goes on, and the helper creates it as ``files.create`` does
(exclusively, never through a symlink, removed again if anything fails) and reports, in order, its
stat, or that something is there, or the error, after which it stops. A file counts as written only
once its report is read, so the engine records nothing the helper has not reported created (and,
as before, nothing before it is durable: target.py).

When the helper ends, whatever ends it, the files it created are whole, or one is cut short (a
SIGKILL mid-write), exactly what a killed in-process write leaves (target.py ``_left_by_a_run``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import signal
import struct
import subprocess
import sys
from collections import deque
from pathlib import Path
from typing import BinaryIO

from ..files import create

REQUEST = struct.Struct("<IIH")
"""A request's head: the path's length (bytes), the data's length, the file's mode; the path and the data follow."""
REPORT = struct.Struct("<BiQQQqqI")
"""A report: its kind, an errno, then the created file's stat: device, inode, size, mtime and ctime (ns), mode."""
CREATED, THERE, FAILED = 0, 1, 2
READY = b"\x01"
"""What the helper writes once it has started, before any report."""
START_TIMEOUT = 10.0
"""Seconds the engine waits for the helper to start (about 0.03 here) before it creates the files itself."""
_CHUNK = 1 << 16
BACKLOG = 1 << 20
"""Bytes handed over and not yet taken by the helper beyond which ``create`` waits for it."""


class Creator:
    """The engine's side: ``create`` hands a file over, ``reports`` gives what the helper has done so far."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        assert process.stdin is not None
        assert process.stdout is not None
        self._requests = process.stdin.fileno()
        self._reports = process.stdout.fileno()
        os.set_blocking(self._requests, False)
        os.set_blocking(self._reports, False)
        self._unsent = bytearray()
        self._unread = b""
        self._asked: deque[Path] = deque()
        """The files handed over and not yet reported, in order."""
        self._failure: OSError | None = None
        self._ended = False

    @classmethod
    def start(cls) -> Creator | None:
        """A helper started, or None when none can be (the caller creates the files itself)."""
        package = Path(__file__).resolve().parent.parent
        source = f"import sys; sys.path.insert(0, {str(package.parent)!r}); from clusterstack.engine.creator import serve; serve()"
        try:
            process = subprocess.Popen(
                [sys.executable, "-I", "-c", source],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0, close_fds=True,
            )  # fmt: skip
        except (OSError, ValueError):
            return None
        assert process.stdout is not None
        try:
            started, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
            ready = process.stdout.read(1) if started else b""
        except OSError:
            ready = b""
        if ready != READY:  # it could not start (an interpreter without the package on its path), or not in time
            _end(process)
            return None
        try:
            return cls(process)
        except OSError:  # pipes that cannot be made non-blocking (Windows)
            _end(process)
            return None

    @property
    def busy(self) -> bool:
        """Whether a file handed over is not yet reported, or a failure not yet raised (``reports``)."""
        return bool(self._asked) or self._failure is not None

    def create(self, path: Path, data: bytes, mode: int) -> None:
        """Hand ``path`` over, to be created holding ``data`` with ``mode``. Blocks only while more
        than ``BACKLOG`` bytes wait for the helper."""
        name = os.fsencode(path)
        self._unsent += REQUEST.pack(len(name), len(data), mode)
        self._unsent += name
        self._unsent += data
        self._asked.append(path)
        if len(self._unsent) >= _CHUNK:
            self._exchange(wait=False)

    def reports(self, *, wait: bool = False) -> list[tuple[Path, os.stat_result | None]]:
        """Each file reported since the last call, in the order handed over, with its stat once
        created, or None when something was there (nothing written). With ``wait``, until every file
        handed over is reported. An OSError naming the file when the helper could not create one, or
        ended early: raised once the files reported before it have been given."""
        self._exchange(wait=False)
        done = self._take()
        while wait and self._asked and self._failure is None:
            self._exchange(wait=True)
            done += self._take()
        if self._failure is not None and not done:
            raise self._failure
        return done

    def _take(self) -> list[tuple[Path, os.stat_result | None]]:
        done: list[tuple[Path, os.stat_result | None]] = []
        whole = len(self._unread) - len(self._unread) % REPORT.size
        taken = 0
        while taken < whole and self._failure is None:
            kind, number, device, inode, size, mtime, ctime, mode = REPORT.unpack_from(self._unread, taken)
            taken += REPORT.size
            path = self._asked.popleft()
            if kind == FAILED:
                self._failure = OSError(number, os.strerror(number) if number else "the process creating the target's files failed", str(path))
            elif kind == THERE:
                done.append((path, None))
            else:
                # (the fields the engine reads of a written file's stat: files.Batch, stat_index)
                done.append((path, os.stat_result((mode, inode, device, 1, 0, 0, size, 0, 0, 0), {"st_mtime_ns": mtime, "st_ctime_ns": ctime})))
        self._unread = self._unread[taken:]
        if self._failure is None and self._ended and self._asked and len(self._unread) < REPORT.size:  # (a report cut short: never whole)
            code = self._process.poll()
            self._failure = OSError(errno.EIO, f"the process creating the target's files ended (exit code {code})", str(self._asked[0]))
        return done

    def _exchange(self, *, wait: bool) -> None:
        """Send what the pipe takes and read what the helper reported, without blocking; with ``wait``
        until something is read (the helper reports each file as it goes), and while more than
        ``BACKLOG`` bytes are unsent, until they are not."""
        while not self._ended:
            block = wait or len(self._unsent) > BACKLOG
            sending = [self._requests] if self._unsent else []
            readable, writable, _ = select.select([self._reports], sending, [], None if block else 0)
            if writable:
                try:
                    del self._unsent[: os.write(self._requests, self._unsent)]
                except BlockingIOError:
                    pass
                except BrokenPipeError:  # it stopped reading: what it reported says why
                    self._unsent.clear()
            if readable:
                try:
                    chunk = os.read(self._reports, _CHUNK)
                except BlockingIOError:
                    chunk = None
                if chunk == b"":
                    self._ended = True
                elif chunk:
                    self._unread += chunk
                    wait = False
            if not (wait or len(self._unsent) > BACKLOG):
                return

    def close(self) -> None:
        """End the helper at once: it finishes the file it is creating, if any, and stops. Idempotent."""
        _end(self._process)


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    process.wait()


def serve(requests: BinaryIO | None = None, reports: BinaryIO | None = None) -> None:
    """The helper: read requests, create each file, report it; stop at end of input, after the first
    failure, or on SIGTERM or SIGINT: at once while waiting for a request, else once the file being
    created is whole (or removed: ``files.create``), so a signal never leaves a file cut short."""
    creating = False
    stopping = False

    def stop(number: int, frame: object) -> None:
        nonlocal stopping
        if not creating:
            raise SystemExit(0)
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    source = requests if requests is not None else sys.stdin.buffer
    sink = reports if reports is not None else sys.stdout.buffer
    sink.write(READY)
    sink.flush()
    while not stopping and (head := source.read(REQUEST.size)):
        if len(head) < REQUEST.size:
            return
        path_length, data_length, mode = REQUEST.unpack(head)
        path = os.fsdecode(source.read(path_length))
        data = source.read(data_length)
        creating = True
        try:
            status = create(Path(path), data, mode)
        except OSError as error:
            sink.write(REPORT.pack(FAILED, error.errno or 0, 0, 0, 0, 0, 0, 0))
            sink.flush()
            return
        finally:
            creating = False
        if status is None:
            sink.write(REPORT.pack(THERE, 0, 0, 0, 0, 0, 0, 0))
        else:
            sink.write(REPORT.pack(CREATED, 0, status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_mode))
        sink.flush()
