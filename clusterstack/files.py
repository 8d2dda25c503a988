"""The ways clusterstack writes a file it keeps: whole or not at all, and never through anything
planted where it writes.

- ``write_atomic`` (state, its backup, saved plans): a temporary file, synced, renamed over the path;
  durable the moment it returns.
- ``create`` and ``replace`` (the target's files): the same care against what is planted, without a
  sync per file. An fsync is a journal commit (0.05-0.7 ms each on the disk measured, 70% of an ``up``
  writing 60,000 files); a ``Batch`` of files is made durable at once by ``Batch.sync`` (one
  ``syncfs`` per file system on Linux, else an fsync of each file and directory). The engine calls
  it before anything it trusts later vouches for the files: see ``engine/target.py``.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import sys
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def write_atomic(path: Path, data: bytes, mode: int = 0o644, *, sync_directory: bool = False) -> None:
    """Write ``data`` to ``path``: to a temporary file of an unpredictable name in the same directory
    (created exclusively, never through a symlink), given ``mode``, synced, then renamed over ``path``
    (a symlink there is replaced, not followed). On any failure, a full disk or a signal included, the
    temporary file is removed and ``path`` is as it was. ``sync_directory`` also syncs the rename
    itself (state and plans: they must survive a power cut once the command said done)."""
    descriptor, temporary = _temporary(path, mode)
    try:
        try:
            _fill(descriptor, data, mode)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    if sync_directory:
        sync_directory_of(path)


def create(path: Path, data: bytes, mode: int = 0o644) -> os.stat_result | None:
    """Create ``path`` holding ``data``, in place, when nothing is there; None (and nothing written)
    when something is: a file, a directory, a symlink (O_EXCL | O_NOFOLLOW: never followed). The file
    is this process's own from its creation, so on any failure it is removed again (a full disk, a
    signal Python sees): what stays is ``data`` whole. Only a SIGKILL or a power cut mid-write can
    leave a prefix of ``data`` (the caller's to recognise: target.py). Not synced (``Batch``). The
    file's stat once written."""
    try:
        descriptor = os.open(path, _CREATE, mode)
    except FileExistsError:
        return None
    try:
        try:
            return _fill(descriptor, data, mode)
        finally:
            os.close(descriptor)
    except BaseException:
        with suppress(OSError):
            os.unlink(path)
        raise


def replace(path: Path, data: bytes, mode: int = 0o644) -> os.stat_result:
    """Put ``data`` at ``path`` through a temporary file renamed over it (a reader sees the old content
    or the new; a symlink at ``path`` is replaced, not followed). Not synced (``Batch``). The file's
    stat once renamed (a rename changes its ctime)."""
    descriptor, temporary = _temporary(path, mode)
    try:
        try:
            _fill(descriptor, data, mode)
            os.replace(temporary, path)
            return os.fstat(descriptor)
        finally:
            os.close(descriptor)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


def _temporary(path: Path, mode: int) -> tuple[int, str]:
    """A new file beside ``path`` of an unpredictable name (as ``mkstemp`` makes one: O_EXCL, never
    through a symlink), created with ``mode`` so that no fchmod is needed when the umask allows it."""
    for _ in range(100):
        temporary = str(path.parent / f".{path.name[:64]}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temporary, _CREATE, mode), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"no unused temporary name beside {path}")


def _fill(descriptor: int, data: bytes, mode: int) -> os.stat_result:
    """Write all of ``data``; give the file ``mode`` where the umask took bits of it. Its stat."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]
    status = os.fstat(descriptor)
    if stat.S_IMODE(status.st_mode) != mode:
        os.fchmod(descriptor, mode)
        status = os.fstat(descriptor)
    return status


def sync_directory_of(path: Path) -> None:
    """Make the entries of ``path``'s directory (a create, rename or removal in it) durable."""
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class Batch:
    """Files written, renamed or removed without a sync (``create``, ``replace``, an unlink), made
    durable together by ``sync``.

    On Linux that is one ``syncfs`` per file system the files are on, through a directory opened
    before the first of them was written there: since Linux 5.8 syncfs reports a write-back error (an
    I/O error, a full disk on a file system that reserves no space at write) that happened after that
    directory was opened, as fsync would. Elsewhere, and where syncfs is missing, each file and each
    directory is fsynced, a file replaced since by something else (a symlink, a directory) skipped:
    what is there is not what was written, which a refresh finds."""

    def __init__(self) -> None:
        self._files: dict[str, int] = {}
        """Each file written, with its device."""
        self._directories: dict[str, int | None] = {}
        """Each directory an entry changed in, with its device where known."""
        self._anchors: dict[int, int] = {}
        """A descriptor of a directory on each file system written to, by device (with syncfs)."""

    def wrote(self, path: Path, status: os.stat_result) -> None:
        """``path`` (its stat once written) is new or renamed over: its data and its directory entry."""
        if status.st_dev not in self._anchors and syncfs() is not None:
            self._anchors[status.st_dev] = os.open(path.parent, os.O_RDONLY)
        self._files[str(path)] = status.st_dev
        self._directories[str(path.parent)] = status.st_dev

    def changed(self, path: Path) -> None:
        """``path`` was made (a directory), unlinked or removed: its entry in its directory."""
        self._directories.setdefault(str(path.parent), None)

    def __len__(self) -> int:
        return len(self._files) + len(self._directories)

    def sync(self) -> None:
        """Everything noted made durable; an OSError if that failed. The batch is empty afterwards,
        also when it failed (the caller gives the run up)."""
        try:
            function = syncfs()
            if function is not None:
                for anchor in self._anchors.values():
                    function(anchor)
            for name, device in self._files.items():
                if device not in self._anchors:
                    _fsync_path(name, os.O_RDONLY | os.O_NOFOLLOW)
            for name, known in self._directories.items():
                if (known if known is not None else _device(name)) not in self._anchors:
                    _fsync_path(name, os.O_RDONLY)
        finally:
            self.close()

    def close(self) -> None:
        for anchor in self._anchors.values():
            with suppress(OSError):
                os.close(anchor)
        self._anchors.clear()
        self._files.clear()
        self._directories.clear()


def _device(name: str) -> int | None:
    try:
        return os.stat(name).st_dev
    except OSError:
        return None  # gone: fsync finds nothing to do


def _fsync_path(name: str, flags: int) -> None:
    try:
        descriptor = os.open(name, flags)
    except (FileNotFoundError, NotADirectoryError):
        return  # removed since: nothing of this run's there
    except OSError as error:
        if error.errno == errno.ELOOP:  # a symlink planted where the file was: never followed, nothing of ours
            return
        raise
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


_SYNCFS: list[Callable[[int], None] | None] = []
"""libc's syncfs, once looked up (ctypes is imported only by a run that writes a target)."""


def syncfs() -> Callable[[int], None] | None:
    """libc's ``syncfs(fd)`` (Linux), raising OSError on failure; None where there is none."""
    if not _SYNCFS:
        _SYNCFS.append(_load_syncfs())
    return _SYNCFS[0]


def _load_syncfs() -> Callable[[int], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]

    def call(descriptor: int) -> None:
        if function(descriptor) != 0:
            number = ctypes.get_errno()
            raise OSError(number, os.strerror(number))

    return call


def private_directory(directory: Path) -> None:
    """Make ``directory`` exist, created so that only its owner may enter it. One that exists is left
    as it is: it may be the user's (``--state-dir /tmp``), and the files clusterstack keeps in it are
    0600 regardless."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
