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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, get_args

from ..components.kube.kinds import ObjectKey
from ..components.lifecycle import Deletion
from ..errors import ClusterstackError
from ..stack.project import Project
from ..stack.target import Layout

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

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key.to_json(), "component": self.component, "manifest": self.manifest}
        if self.patch:
            data["patch"] = True
        if self.deletion != "delete":
            data["deletion"] = self.deletion
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        return cls(ObjectKey.from_json(data["key"]), data["component"], data["manifest"], bool(data.get("patch", False)), data.get("deletion", "delete"))


@dataclass
class State:
    lineage: str
    serial: int
    entries: dict[ObjectKey, Entry] = field(default_factory=dict)
    layout: Layout = "object"
    """The target layout the objects were written in (a stack that changes it is rewritten)."""

    @classmethod
    def new(cls, layout: Layout = "object") -> State:
        return cls(lineage=str(uuid.uuid4()), serial=0, layout=layout)

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
        """The state with its journal replayed, or None when the stack has never been applied."""
        if not self.path.exists():
            return None
        try:
            data = json.loads(self.path.read_text())
            if data.get("version") != FORMAT_VERSION:
                raise ClusterstackError([f"{self.path}: state format {data.get('version')} is not {FORMAT_VERSION}, the one this clusterstack reads"])
            state = State(data["lineage"], data["serial"], {}, _layout(data.get("layout", "object")))
            for item in data["objects"]:
                entry = Entry.from_json(item)
                state.entries[entry.key] = entry
        except (ValueError, KeyError, TypeError) as error:
            raise ClusterstackError([f"{self.path}: the state file is damaged ({error}); {self.backup_path.name} holds the previous version"]) from None
        self._replay(state)
        return state

    def _replay(self, state: State) -> None:
        if not self.journal_path.exists():
            return
        lines = self.journal_path.read_text().splitlines()
        for number, line in enumerate(lines):
            try:
                record = json.loads(line)
            except ValueError:
                if number == len(lines) - 1:
                    return  # torn by a kill mid-write: that change was not recorded, and will be applied again
                raise ClusterstackError([f"{self.journal_path}: line {number + 1} is damaged"]) from None
            if record["lineage"] != state.lineage or record["serial"] <= state.serial:
                continue  # already folded into the state file
            key = ObjectKey.from_json(record["key"])
            if record["op"] == "put":
                state.entries[key] = Entry.from_json(record["entry"])
            else:
                state.entries.pop(key, None)
            state.serial = record["serial"]

    def fold(self, state: State) -> None:
        """Fold a journal left by an interrupted run into the state file."""
        if self.journal_path.exists():
            self.write(state)

    def create(self, layout: Layout = "object") -> State:
        state = State.new(layout)
        self.write(state)
        return state

    def record_put(self, state: State, entry: Entry) -> None:
        state.entries[entry.key] = entry
        self._append(state, {"op": "put", "key": entry.key.to_json(), "entry": entry.to_json()})

    def record_delete(self, state: State, key: ObjectKey) -> None:
        state.entries.pop(key, None)
        self._append(state, {"op": "delete", "key": key.to_json()})

    @contextmanager
    def journal(self) -> Iterator[None]:
        """Keep the journal open while recording many changes (an apply), rather than opening it for each."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.journal_path.open("a") as handle:
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
        with self.journal_path.open("a") as journal:
            journal.write(line)

    def write(self, state: State) -> None:
        """The whole state, atomically, keeping the previous file as the backup; the journal is then folded in."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            _atomic_write(self.backup_path, self.path.read_bytes())
        _atomic_write(self.path, state_text(state.to_json(self.stack)).encode())
        self.journal_path.unlink(missing_ok=True)

    @contextmanager
    def lock(self, operation: str) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        holder = LockHolder(os.getpid(), socket.gethostname(), time.strftime("%Y-%m-%dT%H:%M:%S%z"), operation)
        try:
            descriptor = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            raise ClusterstackError([self.locked_message()]) from None
        with os.fdopen(descriptor, "w") as lock_file:
            json.dump(holder.__dict__, lock_file)
        try:
            yield
        finally:
            self.lock_path.unlink(missing_ok=True)

    def holder(self) -> LockHolder | None:
        try:
            return LockHolder(**json.loads(self.lock_path.read_text()))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError):
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
        who = holder.describe() if holder is not None else "another process"
        message = f"the state of stack {self.stack} is locked by {who}"
        if holder is not None and holder.is_stale():
            message += f"; the lock is stale (that process no longer exists): run clusterstack state unlock -s {self.stack}"
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


def _layout(value: Any) -> Layout:
    if value not in get_args(Layout):
        raise ValueError(f"unknown target layout {value!r}")
    return value  # type: ignore[no-any-return]  # one of Layout's values, checked above


def _atomic_write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
