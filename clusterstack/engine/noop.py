"""A plan known to be "No changes", checked against the target without decoding the state.

When the evaluation cache's verdict (program/cache.py, ``<stack>.unchanged``) says that a plan of
this evaluation against a state file of these very bytes found no changes, the plan is "No changes"
again (run.py). What is left, the refresh before it and the settling after a no-change ``up``,
depends on the state only through

- its lineage, serial, layout, naming and number of objects;
- the file each object was written in and the digest state records for it (``Entry.written``):
  ``DirectoryTarget.read`` returns the recorded object, without parsing, for a file the stat index
  vouches for or whose bytes have that digest, below no symlinked directory;
- the kustomizations and the claim ``DirectoryTarget.finalize`` leaves for those objects: when each
  holds those very bytes, ``finalize`` and ``prepare`` write, remove and refuse nothing.

``<stack>.noop``, beside the cached evaluation and its verdict (with the guards of the cache's files:
this user's, readable by no one else), keeps exactly these for one state file, named by its SHA-256,
as the full path derived them from that file's objects (``remember``, when it keeps or finds the
verdict): a pure function of the state's bytes and the target's settings, so any run may write it,
with or without the lock, and a no-change ``up`` still writes nothing beside the state or in the
target. A run that finds the same state file, no journal, and a target of the same directory,
layout, naming and kustomization setting checks the record's files (``target_holds``) and, for
``up``, its kustomizations and claim (``settled``) instead of decoding 60,000 objects and naming
their files. Anything else (no record, a damaged one, one of another state or target, a file that
is not exactly as recorded) takes the full path, which finds and reports what differs: the fast
answer is only ever the one the full path gives.

A record is made only for a state whose every object is in a file the target wrote (``written``, a
plain SHA-256), holds no sealed secret value (so nothing is withheld, or written in plain text,
whatever the stack's setting), and is laid out as the target is.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..program.cache import EvaluationCache
from ..stack.target import Layout
from .secrets import is_sealed
from .state import State
from .target import CLAIM, KUSTOMIZATION, PATCHES, DirectoryTarget, Target, kustomization_text

VERSION = 1
_PLAIN_DIGEST = re.compile(r"[0-9a-f]{64}")
"""A SHA-256 as ``Entry.written`` holds it for a file without secret values (not a keyed digest)."""


@dataclass(frozen=True)
class Known:
    """A record that holds for the state file a run read (``recall``)."""

    lineage: str
    serial: int
    layout: Layout
    naming: int
    count: int
    """The number of objects in the state."""
    files: list[tuple[str, str]]
    """Each file holding objects, relative to the target's root, with the digest state records for it."""
    kustomizations: list[tuple[str, str]]
    """Each kustomization ``finalize`` keeps, relative to the root, with the SHA-256 of its text."""


NOTE = "noop"
"""The record's name beside the cached evaluation: ``<stack>.noop`` (``EvaluationCache.note``)."""


def remember(cache: EvaluationCache, target: Target, state: State, digest: str) -> None:
    """Keep the record of ``state``, whose file has the SHA-256 ``digest``, when it may have one."""
    record = _record(target, state, digest)
    if record is not None:
        cache.write_note(NOTE, json.dumps(record, separators=(",", ":")).encode())


def _record(target: Target, state: State, digest: str) -> dict[str, Any] | None:
    if not isinstance(target, DirectoryTarget) or (state.layout, state.naming) != (target.layout, target.naming) or not state.entries:
        return None
    root = str(target.root)
    files: dict[tuple[str, str], None] = {}
    for entry in state.entries.values():
        if not _PLAIN_DIGEST.fullmatch(entry.written) or any(is_sealed(value) for value in entry.manifest.values()):
            return None
        path = str(target.path(entry.key, entry.patch))
        if not path.startswith(root + os.sep):
            return None
        files[(path[len(root) + 1 :], entry.written)] = None
    kustomizations = []
    if target.kustomization:
        for directory, names in target.listed(state.entries.values()).items():
            if directory.name != PATCHES:
                text = kustomization_text(list(names)).encode()
                kustomizations.append([str((directory / KUSTOMIZATION).relative_to(target.root)), _sha256(text)])
    return {
        **_settings(target, digest),
        "lineage": state.lineage,
        "serial": state.serial,
        "count": len(state.entries),
        "files": [list(pair) for pair in files],
        "kustomizations": sorted(kustomizations),
    }


def _settings(target: DirectoryTarget, digest: str) -> dict[str, Any]:
    """What a record is valid for: the state file's digest and the target's arrangement."""
    return {
        "version": VERSION, "state": digest, "root": os.path.abspath(target.root), "layout": target.layout, "naming": target.naming,
        "kustomization": target.kustomization,
    }  # fmt: skip


def recall(cache: EvaluationCache, target: Target, digest: str) -> Known | None:
    """The record of the state file of SHA-256 ``digest`` for this target, or None (none, damaged, of
    another state or target, or not this user's own: ``EvaluationCache.note``)."""
    kept = cache.note(NOTE)
    if not isinstance(target, DirectoryTarget) or kept is None:
        return None
    try:
        data = json.loads(kept)
        if not isinstance(data, dict) or {key: data.get(key) for key in _settings(target, digest)} != _settings(target, digest):
            return None
        files = [_pair(item) for item in data["files"]]
        kustomizations = [_pair(item) for item in data["kustomizations"]]
        lineage, serial, count = data["lineage"], data["serial"], data["count"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (isinstance(lineage, str) and _whole(serial) and _whole(count)):
        return None
    return Known(lineage, serial, target.layout, target.naming, count, files, kustomizations)


def target_holds(target: Target, known: Known) -> bool:
    """Whether the target holds every file as recorded, as ``DirectoryTarget.read`` would find it
    for each object (the stat index vouching for it, or its bytes of the recorded digest; no
    directory on its way a symlink): then a refresh finds no drift."""
    if not isinstance(target, DirectoryTarget):
        return False
    root = str(target.root)
    directories = {relative.rpartition("/")[0] for relative, _ in known.files}
    if not all(_no_symlink_below(root, directory) for directory in directories):
        return False
    left = target.stats.unvouched((f"{root}/{relative}", digest) for relative, digest in known.files)
    for name, digest in left:  # (racy, or not in the index: read back, and vouched for, as a refresh does)
        try:
            data, status = _read_and_stat(Path(name))
        except OSError:
            return False
        if _sha256(data) != digest:
            return False
        target.stats.vouch(Path(name), digest, status, wrote=False)
    return True


def settled(target: Target, known: Known) -> bool:
    """Whether the target's kustomizations and claim hold the very bytes ``finalize`` writes for the
    recorded objects, and its stat index needs no writing (so ``prepare``, ``finalize`` and the rest
    of a no-change ``up`` change nothing)."""
    if not isinstance(target, DirectoryTarget) or target.stats.stale:  # (``finalize`` would write the index)
        return False
    try:
        for relative, digest in known.kustomizations:
            if _sha256(_read(target.root / relative)) != digest:
                return False
        claim = target.claim_text(sorted(relative for relative, _ in known.kustomizations))
        return _read(target.root / CLAIM) == claim.encode()
    except OSError:
        return False


def _no_symlink_below(root: str, relative: str) -> bool:
    """No level of ``relative`` (a directory below ``root``) is a symlink (``DirectoryTarget._inside``)."""
    level = root
    for part in relative.split("/") if relative else ():
        level = f"{level}/{part}"
        try:
            if stat.S_ISLNK(os.lstat(level).st_mode):
                return False
        except OSError:
            return False
    return True


def _read(path: Path) -> bytes:
    return _read_and_stat(path)[0]


def _read_and_stat(path: Path) -> tuple[bytes, os.stat_result]:
    """A regular file's bytes and its stat before they were read (as target.py reads), never through a
    symlink, never waiting on a pipe (OSError otherwise)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise OSError(f"{path} is not a regular file")
        return handle.read(), status


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()



def _pair(item: Any) -> tuple[str, str]:
    if not (isinstance(item, list) and len(item) == 2 and all(isinstance(part, str) for part in item)):
        raise ValueError("not a pair of strings")
    return item[0], item[1]


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
