"""The embedded engine's state: what it has applied to a stack's target, kept so nothing is lost.

``<dir>/<stack>.json`` holds a format version, a lineage (a UUID fixed when the state is created), a
serial (incremented by every recorded change) and the applied objects with their components. It is
written atomically (temporary file, fsync, rename) with the previous version kept as
``<stack>.json.backup``. While ``up`` applies, each change is appended to ``<stack>.journal`` as it
lands, so a process killed at any moment leaves state that loads and matches what was applied; the
journal is folded into the state file when the run ends (or by the next run). A lock file,
``<stack>.lock``, names its holder (pid, host, time, operation).
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, get_args

from ..components.kube.kinds import ObjectKey
from ..components.lifecycle import Deletion
from ..errors import ClusterstackError, Problem
from ..stack.project import Project
from ..stack.target import Layout
from .secrets import private_directory

FORMAT_VERSION = 1

STATE_DIR_ENV = "CLUSTERSTACK_STATE_DIR"


def state_directory(project: Project, given: Path | None = None) -> Path:
    """Where a project's state is kept: ``given`` (--state-dir), else $CLUSTERSTACK_STATE_DIR, else
    <project>/.clusterstack."""
    if given is not None:
        return given
    return Path(os.environ.get(STATE_DIR_ENV, project.root / ".clusterstack"))


@dataclass(frozen=True)
class Entry:
    """One object: its identity, the component that declared it, its manifest, and how it is held."""

    key: ObjectKey
    component: str
    manifest: dict[str, Any]
    patch: bool = False
    """A server-side-apply patch of an object the cluster already has (onExisting: adopt), not the object."""
    deletion: Deletion = "delete"
    """What removing it does: delete it, refuse (protect), or forget it and leave it (retain)."""
    written: str = field(default="", compare=False)
    """The SHA-256 of the file the target wrote it in, when it did: a refresh that finds the same bytes
    there need not read the object back ("" to always read it)."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key.to_json(), "component": self.component, "manifest": self.manifest}
        if self.patch:
            data["patch"] = True
        if self.deletion != "delete":
            data["deletion"] = self.deletion
        if self.written:
            data["written"] = self.written
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        written = data.get("written", "")
        return cls(
            ObjectKey.from_json(data["key"]),
            data["component"],
            data["manifest"],
            bool(data.get("patch", False)),
            data.get("deletion", "delete"),
            written if isinstance(written, str) else "",
        )


@dataclass
class State:
    lineage: str
    serial: int
    entries: dict[ObjectKey, Entry] = field(default_factory=dict)
    layout: Layout = "object"
    """The target layout the objects were written in (a stack that changes it is rewritten)."""
    naming: int = 1
    """The file naming they were written with (render.NAMING; 1, the first, when the file says none)."""

    @classmethod
    def new(cls, layout: Layout = "object", naming: int = 1) -> State:
        return cls(lineage=str(uuid.uuid4()), serial=0, layout=layout, naming=naming)

    def to_json(self, stack: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": FORMAT_VERSION,
            "stack": stack,
            "lineage": self.lineage,
            "serial": self.serial,
            "objects": [self.entries[key].to_json() for key in sorted(self.entries, key=ObjectKey.sort_key)],
        }
        if self.layout != "object":
            data["layout"] = self.layout
        if self.naming != 1:
            data["naming"] = self.naming
        return data


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    time: str
    operation: str

    def is_stale(self) -> bool:
        """True when the holder ran on this host and its process is gone."""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def is_running_here(self) -> bool:
        """True when the holder is a live process on this host."""
        return self.host == socket.gethostname() and self.pid > 0 and not self.is_stale()

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} ({self.operation}, since {self.time})"


class StateStore:
    """One stack's state files in a directory."""

    def __init__(self, directory: Path, stack: str) -> None:
        self.directory = directory
        self.stack = stack
        self.path = directory / f"{stack}.json"
        self.backup_path = directory / f"{stack}.json.backup"
        self.journal_path = directory / f"{stack}.journal"
        self.lock_path = directory / f"{stack}.lock"
        self._journal: TextIO | None = None

    def load(self) -> State | None:
        """The state with its journal replayed, or None when the stack has never been applied. Any
        damage is a ClusterstackError naming the file and the way out, never a traceback."""
        if not self.path.exists():
            return None
        state = self._read_state_file(self.path)
        self._replay(state, repair=False)
        return state

    def _read_state_file(self, path: Path) -> State:
        way_out = (
            f"{self.backup_path.name} holds the previous version (copy it over {path.name}, then clusterstack refresh -s {self.stack} "
            "to see what the target holds)"
        )
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError) as error:
            raise ClusterstackError([Problem(str(path), "", f"the state file is damaged ({_short(error)}); {way_out}")]) from None
        if not isinstance(data, dict):
            raise ClusterstackError([Problem(str(path), "", f"the state file is damaged (not a JSON object); {way_out}")])
        if data.get("version") != FORMAT_VERSION:
            message = f"state format {data.get('version')!r} is not {FORMAT_VERSION}, the one this clusterstack reads"
            raise ClusterstackError([Problem(str(path), "version", message)])
        if data.get("stack") != self.stack:
            message = f"holds the state of stack {data.get('stack')!r}, not {self.stack!r}: it was copied from another stack; {way_out}"
            raise ClusterstackError([Problem(str(path), "stack", message)])
        try:
            return _state_from_json(data)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ClusterstackError([Problem(str(path), "", f"the state file is damaged ({_short(error)}); {way_out}")]) from None

    def _replay(self, state: State, repair: bool) -> int:
        """Apply the journal's records past the state's serial; with ``repair``, stop at the first
        damaged record instead of refusing. The number of records kept."""
        if not self.journal_path.exists():
            return 0
        lines = self.journal_path.read_bytes().split(b"\n")
        torn_tail = lines and lines[-1] != b""
        kept = 0
        for number, line in enumerate(lines[:-1] if not torn_tail else lines):
            last = number == len(lines) - 1
            try:
                serial, key, entry = _journal_record(line, state.lineage)
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                if (last and torn_tail) or repair:
                    break  # torn by a kill mid-write (that change was not recorded, and will be applied again), or repairing
                message = f"is damaged ({_short(error)}); clusterstack state repair -s {self.stack} keeps every change before it and sets the journal aside"
                raise ClusterstackError([Problem(str(self.journal_path), f"line {number + 1}", message)]) from None
            if serial <= state.serial:
                continue  # already folded into the state file
            if entry is None:
                state.entries.pop(key, None)
            else:
                state.entries[key] = entry
            state.serial = serial
            kept += 1
        return kept

    def repair(self) -> tuple[State, int, Path | None]:
        """Recover a stack whose journal is damaged: the state file with every journal record before
        the first damaged one, written as the state; the journal moved aside (its new name returned).
        The state, the records kept, and where the journal went."""
        if not self.path.exists():
            raise ClusterstackError([f"stack {self.stack} has no state in {self.directory}; there is nothing to repair"])
        state = self._read_state_file(self.path)
        kept = self._replay(state, repair=True)
        aside = None
        if self.journal_path.exists():
            aside = self.journal_path.with_name(f"{self.journal_path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
            os.replace(self.journal_path, aside)
        self.write(state)
        return state, kept, aside

    def fold(self, state: State) -> None:
        """Fold a journal left by an interrupted run into the state file."""
        if self.journal_path.exists():
            self.write(state)

    def create(self, layout: Layout = "object", naming: int = 1) -> State:
        state = State.new(layout, naming)
        self.write(state)
        return state

    def record_put(self, state: State, entry: Entry) -> None:
        state.entries[entry.key] = entry
        self._append(state, {"op": "put", "key": entry.key.to_json(), "entry": entry.to_json()})

    def record_delete(self, state: State, key: ObjectKey) -> None:
        state.entries.pop(key, None)
        self._append(state, {"op": "delete", "key": key.to_json()})

    def _mend_tail(self) -> None:
        """A journal whose last line was torn by a kill (no newline) loses that line before anything is
        appended, so the torn record never ends up in the middle."""
        try:
            with self.journal_path.open("rb+") as handle:
                data = handle.read()
                if data and not data.endswith(b"\n"):
                    handle.truncate(data.rfind(b"\n") + 1)
        except FileNotFoundError:
            return

    @contextmanager
    def journal(self) -> Iterator[None]:
        """Keep the journal open while recording many changes (an apply), rather than opening it for each."""
        private_directory(self.directory)
        self._mend_tail()
        with _private_append(self.journal_path) as handle:
            self._journal = handle
            try:
                yield
            finally:
                self._journal = None

    def _append(self, state: State, record: dict[str, Any]) -> None:
        state.serial += 1
        line = json.dumps({"lineage": state.lineage, "serial": state.serial, **record}, sort_keys=True) + "\n"
        if self._journal is not None:
            self._journal.write(line)
            self._journal.flush()  # each change reaches the file before the next is applied
            return
        self._mend_tail()
        with _private_append(self.journal_path) as journal:
            journal.write(line)

    def write(self, state: State) -> None:
        """The whole state, atomically, keeping the previous file as the backup; the journal is then folded in."""
        private_directory(self.directory)
        if self.path.exists():
            _atomic_write(self.backup_path, self.path.read_bytes())
        _atomic_write(self.path, state_text(state.to_json(self.stack)).encode())
        self.journal_path.unlink(missing_ok=True)

    @contextmanager
    def lock(self, operation: str, on_takeover: Callable[[LockHolder], None] = lambda holder: None) -> Iterator[None]:
        """Hold the stack's lock while the body runs. The lock file appears whole or not at all (written
        aside, then linked into place, which fails if it exists). A lock whose holder is provably gone
        (this host, no such process) is taken over, and ``on_takeover`` told whose it was."""
        private_directory(self.directory)
        holder = LockHolder(os.getpid(), socket.gethostname(), time.strftime("%Y-%m-%dT%H:%M:%S%z"), operation)
        pending = self.lock_path.with_name(f".{self.lock_path.name}.{os.getpid()}")
        pending.write_text(json.dumps(holder.__dict__))
        try:
            for _ in range(2):
                try:
                    os.link(pending, self.lock_path)
                    break
                except FileExistsError:
                    previous = self.holder()
                    if previous is None or not previous.is_stale():
                        raise ClusterstackError([self.locked_message()]) from None
                    self.lock_path.unlink(missing_ok=True)  # its holder is gone: take it over
                    on_takeover(previous)
            else:
                raise ClusterstackError([self.locked_message()])
        finally:
            pending.unlink(missing_ok=True)
        try:
            yield
        finally:
            self.lock_path.unlink(missing_ok=True)

    def holder(self) -> LockHolder | None:
        try:
            return LockHolder(**json.loads(self.lock_path.read_text()))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError, OSError):
            return LockHolder(pid=-1, host="?", time="?", operation="unreadable lock file")

    def releasable_holder(self) -> LockHolder | None:
        """The lock's holder, when the lock may be removed; None when there is no lock. A holder still
        running on this host keeps its lock: that is a ClusterstackError."""
        holder = self.holder()
        if holder is not None and holder.is_running_here():
            raise ClusterstackError([f"the lock is held by {holder.describe()}, which is still running; let it finish"])
        return holder

    def unlock(self) -> LockHolder | None:
        """Remove a lock whose holder is gone; the holder it named, or None when there was no lock."""
        holder = self.releasable_holder()
        if holder is not None:
            self.lock_path.unlink(missing_ok=True)
        return holder

    def locked_message(self) -> str:
        holder = self.holder()
        if holder is None:
            return f"the state of stack {self.stack} is locked by another process"
        if holder.pid == -1:
            return (
                f"the state of stack {self.stack} is locked, and its lock file {self.lock_path} cannot be read; "
                f"if no clusterstack is running on this stack, remove the lock with clusterstack state unlock -s {self.stack} --yes"
            )
        message = f"the state of stack {self.stack} is locked by {holder.describe()}"
        if holder.host != socket.gethostname():
            message += f"; if that run is over, remove the lock with clusterstack state unlock -s {self.stack} --yes"
        return message


def state_text(data: dict[str, Any]) -> str:
    """The state file: JSON with one object a line, so a diff of two states reads object by object
    (and each line goes through the json module's C encoder, which an indented dump does not)."""
    head = {key: value for key, value in data.items() if key != "objects"}
    lines = [json.dumps(item, sort_keys=True, separators=(",", ":")) for item in data["objects"]]
    header = json.dumps(head, sort_keys=True)[:-1]
    if not lines:
        return f'{header}, "objects": []}}\n'
    return f'{header}, "objects": [\n' + ",\n".join(lines) + "\n]}\n"


def _state_from_json(data: dict[str, Any]) -> State:
    """A state file's content; ValueError (or KeyError, TypeError) where it is not one."""
    lineage, serial = data["lineage"], data["serial"]
    if not isinstance(lineage, str) or not lineage or isinstance(serial, bool) or not isinstance(serial, int) or serial < 0:
        raise ValueError("lineage must be a string and serial a whole number")
    naming = data.get("naming", 1)
    if naming not in (1, 2):
        raise ValueError(f"unknown file naming {naming!r}")
    state = State(lineage, serial, {}, _layout(data.get("layout", "object")), naming)
    objects = data["objects"]
    if not isinstance(objects, list):
        raise ValueError("objects must be a list")
    for index, item in enumerate(objects):
        try:
            entry = Entry.from_json(item)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"objects[{index}]: {_short(error)}") from None
        state.entries[entry.key] = entry
    return state


def _journal_record(line: bytes, lineage: str) -> tuple[int, ObjectKey, Entry | None]:
    """One journal line: (serial, key, the entry put or None for a delete); ValueError (or KeyError,
    TypeError) where it is damaged or belongs to another state."""
    record = json.loads(line)
    if record["lineage"] != lineage:
        raise ValueError(f"its lineage {record['lineage']!r} is not the state's {lineage!r}: it belongs to another state")
    serial = record["serial"]
    if isinstance(serial, bool) or not isinstance(serial, int):
        raise ValueError("serial is not a whole number")
    if record["op"] not in ("put", "delete"):
        raise ValueError(f"unknown op {record['op']!r}")
    key = ObjectKey.from_json(record["key"])
    return serial, key, Entry.from_json(record["entry"]) if record["op"] == "put" else None


def _short(error: BaseException, limit: int = 200) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _layout(value: Any) -> Layout:
    if value not in get_args(Layout):
        raise ValueError(f"unknown target layout {value!r}")
    return value  # type: ignore[no-any-return]  # one of Layout's values, checked above


def _private_append(path: Path) -> TextIO:
    """``path`` opened for appending; created readable by its owner only (it holds what state holds)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "a")


def _atomic_write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
