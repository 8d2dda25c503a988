"""The one way clusterstack writes a file it keeps (target files, state, saved plans): whole or not at
all, and never through anything planted where it writes."""

from __future__ import annotations

import os
import tempfile
from contextlib import suppress
from pathlib import Path


def write_atomic(path: Path, data: bytes, mode: int = 0o644, *, sync_directory: bool = False) -> None:
    """Write ``data`` to ``path``: to a temporary file of an unpredictable name in the same directory
    (``mkstemp``: created exclusively, never through a symlink), given ``mode``, synced, then renamed
    over ``path`` (a symlink there is replaced, not followed). On any failure, a full disk or a signal
    included, the temporary file is removed and ``path`` is as it was. ``sync_directory`` also syncs
    the rename itself (state and plans: they must survive a power cut once the command said done)."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:64]}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    if sync_directory:
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def private_directory(directory: Path) -> None:
    """Make ``directory`` exist, created so that only its owner may enter it. One that exists is left
    as it is: it may be the user's (``--state-dir /tmp``), and the files clusterstack keeps in it are
    0600 regardless."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
