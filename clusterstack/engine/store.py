"""Where a stack's state (state.py) is kept, so nothing is lost: its files in the state directory.

``<dir>/<stack>.json`` holds a format version, a lineage (a UUID fixed when the state is created), a
serial (incremented by every recorded change) and the applied objects with their components. It is
written atomically (temporary file, fsync, rename) with the previous version kept as
``<stack>.json.backup``. While ``up`` applies, each change is appended to ``<stack>.journal`` as it
lands, so a process killed at any moment leaves state that loads and matches what was applied; the
journal is folded into the state file when the run ends (or by the next run). ``<stack>.lock`` is
held for the whole run (lock.py). A file system fault (full, read-only, not permitted) is a one-line
error naming the file and what was being done, and leaves no temporary file behind.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TextIO, get_args

from ..errors import ClusterstackError, Problem
from ..files import private_directory, write_atomic
from ..kube.kinds import ObjectKey
from ..stack.project import Project
from ..stack.target import Layout
from .faults import fault
from .lock import LockHolder, StackLock
from .state import FORMAT_VERSION, DeferredState, Entry, State

STATE_DIR_ENV = "CLUSTERSTACK_STATE_DIR"


def state_directory(project: Project, given: Path | None = None) -> Path:
    """Where a project's state is kept: ``given`` (--state-dir), else $CLUSTERSTACK_STATE_DIR, else
    <project>/.clusterstack."""
    if given is not None:
        return given
    return Path(os.environ.get(STATE_DIR_ENV, project.root / ".clusterstack"))


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
        self._encoded: dict[ObjectKey, tuple[Entry, str]] = {}
        """Each entry this store recorded in the journal, with its JSON: the state file's line for it,
        reused by ``write`` while state holds that very entry (each object is encoded once per run)."""
        self._lock = StackLock(self.lock_path, stack)

    def load(self) -> State | None:
        """The state with its journal replayed, or None when the stack has never been applied. Any
        damage is a ClusterstackError naming the file and the way out, never a traceback."""
        if not self._exists(self.path):
            return None
        state = self._read_state_file(self.path)
        self._replay(state, repair=False)
        return state

    @staticmethod
    def _exists(path: Path) -> bool:
        try:
            return path.exists()
        except OSError as error:  # a directory this user may not search: a permission error, not "no state"
            raise fault(error, "read the state", path) from None

    def deferred(self, raw: bytes, lineage: str, serial: int, layout: Layout, naming: int) -> State:
        """The state the state file's bytes ``raw`` hold, its lineage, serial, layout and naming known
        already (engine/noop.py: a record made from these very bytes), its objects decoded from
        ``raw`` only when asked for. Only for a state file with no journal beside it."""
        return DeferredState(lineage, serial, lambda: self._state_of(raw, self.path).entries, layout, naming)

    def _read_state_file(self, path: Path) -> State:
        try:
            raw = path.read_bytes()
        except OSError as error:  # not damage: the file may be fine, this run may not read it
            raise fault(error, "read the state", path) from None
        return self._state_of(raw, path)

    def _state_of(self, raw: bytes, path: Path) -> State:
        """The state in ``raw``, the bytes of the state file ``path``."""
        way_out = (
            f"{self.backup_path.name} holds the previous version (copy it over {path.name}, then clusterstack refresh -s {self.stack} "
            "to see what the target holds)"
        )
        try:
            data = json.loads(raw)
        except ValueError as error:
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
        if not self._exists(self.journal_path):
            return 0
        try:
            lines = self.journal_path.read_bytes().split(b"\n")
        except OSError as error:
            raise fault(error, "read the journal", self.journal_path) from None
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
        if not self._exists(self.path):
            raise ClusterstackError([f"stack {self.stack} has no state in {self.directory}; there is nothing to repair"])
        state = self._read_state_file(self.path)
        kept = self._replay(state, repair=True)
        aside = None
        if self.journal_path.exists():
            aside = self.journal_path.with_name(f"{self.journal_path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
            try:
                os.replace(self.journal_path, aside)
            except OSError as error:
                raise fault(error, "set the damaged journal aside", self.journal_path) from None
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
        encoded = _encode(entry.to_json())
        self._encoded[entry.key] = (entry, encoded)
        # The record as json.dumps(..., sort_keys=True) orders its keys (entry, key, lineage, op, serial),
        # the entry's JSON, already encoded, spliced in.
        state.serial += 1
        self._write_line(f'{{"entry":{encoded},"key":{_encode(entry.key.to_json())},"lineage":{json.dumps(state.lineage)},"op":"put","serial":{state.serial}}}\n')

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
        self._make_directory()
        try:
            self._mend_tail()
            handle = _private_append(self.journal_path)
        except OSError as error:
            raise fault(error, "open the journal", self.journal_path) from None
        self._journal = handle
        try:
            yield
        except BaseException:
            self._journal = None
            with suppress(OSError):  # a line the full disk kept in the buffer: the first error is the one to tell
                handle.close()
            raise
        self._journal = None
        try:
            handle.close()
        except OSError as error:
            raise fault(error, "record a change in the journal", self.journal_path) from None

    def _append(self, state: State, record: dict[str, Any]) -> None:
        state.serial += 1
        self._write_line(json.dumps({"lineage": state.lineage, "serial": state.serial, **record}, sort_keys=True) + "\n")

    def _write_line(self, line: str) -> None:
        try:
            if self._journal is not None:
                self._journal.write(line)
                self._journal.flush()  # each change reaches the file before the next is applied
                return
            self._mend_tail()
            with _private_append(self.journal_path) as journal:
                journal.write(line)
        except OSError as error:
            # The change is applied but not recorded; a torn line is cut by the next run (_mend_tail),
            # and the next plan makes the change again.
            raise fault(error, "record a change in the journal", self.journal_path) from None

    def write(self, state: State) -> None:
        """The whole state, atomically, keeping the previous file as the backup; the journal is then folded in."""
        self._make_directory()
        try:
            if self.path.exists():
                _atomic_write(self.backup_path, self.path.read_bytes())
            _atomic_write(self.path, self._state_text(state).encode())
            self.journal_path.unlink(missing_ok=True)
        except OSError as error:
            # Each file is whole, old or new: the journal still holds what the state file lacks.
            raise fault(error, "write the state", self.path) from None

    def _state_text(self, state: State) -> str:
        """``state_text`` of the state, each object's line the JSON ``record_put`` encoded of it when
        state holds that very entry (an Entry is frozen)."""
        lines = []
        for key in sorted(state.entries, key=ObjectKey.sort_key):
            entry = state.entries[key]
            known = self._encoded.get(key)
            lines.append(known[1] if known is not None and known[0] is entry else _encode(entry.to_json()))
        head = State(state.lineage, state.serial, {}, state.layout, state.naming).to_json(self.stack)
        return state_text(head, lines)

    def _make_directory(self) -> None:
        try:
            private_directory(self.directory)
        except OSError as error:
            raise fault(error, "create the state directory", self.directory) from None

    @contextmanager
    def lock(self, operation: str, on_takeover: Callable[[LockHolder], None] = lambda holder: None) -> Iterator[None]:
        """Hold the stack's lock while the body runs (lock.py): released however the run ends."""
        self._make_directory()
        with self._lock.held(operation, on_takeover):
            yield

    def releasable_holder(self) -> LockHolder | None:
        return self._lock.releasable_holder()

    def unlock(self) -> LockHolder | None:
        return self._lock.unlock()


def state_text(data: dict[str, Any], lines: list[str] | None = None) -> str:
    """The state file: JSON with one object a line, so a diff of two states reads object by object
    (and each line goes through the json module's C encoder, which an indented dump does not).
    ``lines``: the objects' lines already encoded (``_encode``), in place of ``data["objects"]``."""
    head = {key: value for key, value in data.items() if key != "objects"}
    if lines is None:
        lines = [_encode(item) for item in data["objects"]]
    header = json.dumps(head, sort_keys=True)[:-1]
    if not lines:
        return f'{header}, "objects": []}}\n'
    return f'{header}, "objects": [\n' + ",\n".join(lines) + "\n]}\n"


def _encode(item: Any) -> str:
    """One object's line of the state file, and its part of a journal record: compact, keys sorted."""
    return json.dumps(item, sort_keys=True, separators=(",", ":"))


def _state_from_json(data: dict[str, Any]) -> State:
    """A state file's content; ValueError (or KeyError, TypeError) where it is not one."""
    lineage, serial = data["lineage"], data["serial"]
    if not isinstance(lineage, str) or not lineage or isinstance(serial, bool) or not isinstance(serial, int) or serial < 0:
        raise ValueError("lineage must be a string and serial a whole number")
    naming = data.get("naming", 1)
    if naming not in (1, 2, 3):
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
    """State, its backup: readable by their owner only, the rename synced (files.py)."""
    write_atomic(path, data, 0o600, sync_directory=True)
