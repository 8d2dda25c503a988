"""What the directory target knows of its files without reading them: for each file whose content it
wrote, or read back and found as state records it, the file's stat when its content was that (device,
inode, size, modification and change times in nanoseconds), kept beside the state as
``<stack>.index``. A refresh reads back only the files whose stat differs; 60,000 unchanged files cost
an lstat each instead of a read and a hash.

This is git's index, and it is trusted on git's terms (git/git ``read-cache.c``: ``ie_match_stat``,
``is_racy_timestamp``, which takes an entry whose mtime is not older than the index file's as racy, and
``ce_smudge_racily_clean_entry``; ``Documentation/technical/racy-git.txt``), the change time included:

- Any change to a file's content sets its change time to the current time, and a user cannot set the
  change time back (``utime`` sets the modification time, and itself changes the change time); a file
  replaced, by a rename or a delete and create, is another inode or has another change time. So a
  file whose stat is the one recorded was not written since, unless it was written within the same
  tick of the file system's clock as the recorded change time.
- That case is "racy": an entry whose modification or change time is not older than the index file's
  own modification time (the same clock, read after every recorded stat) may have been written again
  in the same tick; it is not trusted, and the file is read back (and, found unchanged, recorded again
  the next time the index is written, by then older than it).
- A file written by another process in the same tick right after clusterstack wrote or read it,
  while the run still holds the lock, keeps the recorded stat: git has the same window (a change in
  the tick after ``git add`` read the file). A clock set back defeats both.

The index is a cache: missing, unreadable, of another target, layout or naming, it is ignored and the
files are read. It is written only after the files it vouches for are durable (``finalize`` syncs
first), so after a power cut it never vouches for content that did not reach the disk; and it is
written (without a sync: a torn index does not parse and is ignored) only by a run that wrote the
target or found no usable index, so a no-change ``up`` writes nothing.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any

from ..files import replace

VERSION = 1


class StatIndex:
    """The stat of each file of one target, with the digest (``Entry.written``) of the content it had."""

    def __init__(self, path: Path | None, root: Path, layout: str, naming: int) -> None:
        self.path = path
        """The index file (None: keep none)."""
        self._header = {"version": VERSION, "root": str(root), "layout": layout, "naming": naming}
        self._loaded: dict[str, Any] | None = None
        """The entries of the index file, by file path (each checked when used: 60,000 at once cost more)."""
        self._cutoff = 0
        """The index file's modification time: entries not older are racy."""
        self._vouched: dict[str, list[Any]] = {}
        """Entries this run established: files it wrote, files it read and found as recorded."""
        self._changed = False
        """Whether the index file must be written: this run wrote the target, or found no usable index."""

    def unchanged(self, path: Path, digest: str) -> bool:
        """Whether ``path`` (never followed if a symlink) provably still holds the content of ``digest``."""
        status = self._vouches(str(path), digest)
        if status is None:
            return False
        self._vouched[str(path)] = [digest, *_stat(status)]
        return True

    def unvouched(self, files: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Of ``files`` (each a path as ``unchanged`` takes it, with a digest), those ``unchanged`` would
        not vouch for: to be read back. Over plain strings, for a no-op plan's 60,000 files (noop.py)."""
        return [(name, digest) for name, digest in files if self._vouches(name, digest) is None]

    def _vouches(self, name: str, digest: str) -> os.stat_result | None:
        """The file's stat when it is the one recorded with content of ``digest`` (not racy); else None."""
        known = self._load().get(name)
        try:
            if known is None or known[0] != digest or not (known[4] < self._cutoff and known[5] < self._cutoff):
                return None  # unknown, of other content, or racy: read it back
        except (TypeError, IndexError, KeyError):
            return None  # a damaged entry
        try:
            status = os.lstat(name)
        except OSError:
            return None
        if not stat.S_ISREG(status.st_mode) or known[1:] != _stat(status):
            return None
        return status

    def vouch(self, path: Path, digest: str, status: os.stat_result, *, wrote: bool) -> None:
        """``path`` had content of ``digest`` when its stat was ``status`` (taken after writing it, or
        before reading it)."""
        self._vouched[str(path)] = [digest, *_stat(status)]
        self._changed = self._changed or wrote

    def forget(self, path: Path) -> None:
        """``path`` was removed or rewritten without a record."""
        self._vouched.pop(str(path), None)
        self._changed = True

    @property
    def stale(self) -> bool:
        """Whether ``save`` would write the index file (this run wrote the target, or found no usable index)."""
        self._load()
        return self._changed

    def save(self, files: Iterable[tuple[Path, str]]) -> None:
        """Write the index for ``files`` (each path with the digest state records for it), when this run
        wrote the target or found no usable index: the entries this run established (a file not
        refreshed in this run is read back by the next refresh). Call only once what it vouches for
        is durable."""
        if self.path is None:
            return
        self._load()
        if not self._changed:
            return
        kept: dict[str, list[Any]] = {}
        for path, digest in files:
            name = str(path)
            found = self._vouched.get(name)
            if found is not None and found[0] == digest:
                kept[name] = found
        data = json.dumps({**self._header, "files": kept}, separators=(",", ":")).encode()
        with suppress(OSError):  # a cache: a state directory that is full or read-only only costs reads
            replace(self.path, data, 0o600)
        self._changed = False

    def _load(self) -> dict[str, list[Any]]:
        if self._loaded is not None:
            return self._loaded
        self._loaded = {}
        if self.path is None:
            return self._loaded
        try:
            descriptor = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(descriptor, "rb") as handle:
                self._cutoff = os.fstat(handle.fileno()).st_mtime_ns
                data = json.loads(handle.read())
        except (OSError, ValueError):
            self._changed = True
            return self._loaded
        files = data.get("files") if isinstance(data, dict) else None
        if not isinstance(files, dict) or {key: data.get(key) for key in self._header} != self._header:
            self._changed = True
            return self._loaded
        self._loaded = files
        return self._loaded


def _stat(status: os.stat_result) -> list[int]:
    return [status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns]
