"""A stack's last evaluation, kept with everything it was made from, and used only while all of it
is unchanged: then a preview or up skips importing Pulumi and running the program.

The key is honest, not guessed: it is what the evaluation actually read, recorded while it ran.

- The stack's files: Pulumi.yaml, common.yaml and the stack file, by content.
- Every module loaded in the process once the program has run (the program's own, clusterstack,
  the Pulumi SDK, pulumi-kubernetes, the standard library) and every file the program opened for
  reading (the audit hook's ``open`` events): by content for files in the project, by size and
  modification time (what Python's own bytecode cache trusts) for the rest.
- Every directory the program listed (``os.listdir``/``os.scandir``), by the names in it.
- Every environment variable read (``os.environ`` is watched while the program runs; a program that
  iterates over the whole environment makes all of it part of the key), by the SHA-256 of its value:
  a token the program read is not written down.
- The Python, clusterstack, Pulumi SDK and pulumi-kubernetes versions, and the evaluation path.

An evaluation holding a value the program marked secret is not cached at all (evaluate.py): the
cache would be one more file holding it in plain text, and encrypting it would need a key kept beside
it, which protects nothing from whoever can read the cache. The cache file is 0600 in a 0700 directory.

What it cannot see: a program whose objects depend on the clock, the network, randomness or another
process's output. Such a program must run with ``--no-cache``.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, BinaryIO

from ..files import private_directory
from ..stack.files import StackSource
from ..stack.project import Project

FORMAT = 4
CACHE_DIR_ENV = "CLUSTERSTACK_CACHE_DIR"
"""Where evaluations are cached (default: ``cache/`` in the state directory)."""
EVERYTHING = "*"
"""Recorded as a variable's name when the program read the whole environment."""


@dataclass
class Reads:
    """What one evaluation read, besides the modules it loaded."""

    files: set[str] = field(default_factory=set)
    directories: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)


class _Recorder:
    """The evaluation being recorded: audit hooks are for the life of the process, this says whose."""

    reads: Reads | None = None
    hooked = False


_RECORDER = _Recorder()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    reads = _RECORDER.reads
    if reads is None:
        return
    if event == "open":
        path, mode, flags = args
        writing = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & (os.O_WRONLY | os.O_RDWR))
        if isinstance(path, (str, bytes, os.PathLike)) and not writing:
            reads.files.add(os.path.abspath(os.fsdecode(path)))
    elif event in ("os.listdir", "os.scandir"):
        path = args[0] if args and args[0] is not None else "."
        if isinstance(path, (str, bytes, os.PathLike)):
            reads.directories.add(os.path.abspath(os.fsdecode(path)))


class _WatchedEnviron(os._Environ[str]):
    """``os.environ`` while an evaluation is recorded: every read is noted."""

    def __getitem__(self, key: str) -> str:
        _note(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            _note(key)
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        _note(EVERYTHING)
        return super().__iter__()

    def copy(self) -> dict[str, str]:
        _note(EVERYTHING)
        return dict(super().copy())


def _note(variable: str) -> None:
    if _RECORDER.reads is not None:
        _RECORDER.reads.variables.add(variable)


@contextmanager
def recording(reads: Reads) -> Iterator[Reads]:
    """Record into ``reads`` what runs inside (one evaluation may be recorded in several parts)."""
    if not _RECORDER.hooked:
        sys.addaudithook(_audit)
        _RECORDER.hooked = True
    environ_class = type(os.environ)
    _RECORDER.reads = reads
    os.environ.__class__ = _WatchedEnviron
    try:
        yield reads
    finally:
        os.environ.__class__ = environ_class
        _RECORDER.reads = None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_state(path: str, project_root: str) -> str:
    """A file as the key holds it: its content's digest inside the project (not its virtualenv), its
    size and modification time outside it; "absent" when it does not exist (a program may read a file only if it exists)."""
    try:
        if path.startswith(project_root + os.sep) and "site-packages" not in path:
            with open(path, "rb") as handle:
                return _digest(handle.read())
        status = os.stat(path)
    except FileNotFoundError:
        return "absent"
    except (IsADirectoryError, PermissionError):
        return "unreadable"
    return f"{status.st_size}:{status.st_mtime_ns}"


def _listing(directory: str) -> str:
    try:
        return _digest("\0".join(sorted(os.listdir(directory))).encode())
    except OSError:
        return "absent"


def _variable(name: str) -> str | None:
    if name == EVERYTHING:
        return _digest(json.dumps(sorted(os.environ.items())).encode())
    value = os.environ.get(name)
    return _digest(value.encode(errors="surrogateescape")) if value is not None else None


def _versions(path: str) -> dict[str, str]:
    found = {"python": sys.version, "path": path}
    for package in ("clusterstack", "pulumi", "pulumi-kubernetes"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "absent"
    return found


def stack_files(project: Project, source: StackSource) -> dict[str, str]:
    """Pulumi.yaml and the stack's files (common.yaml, the stack file), by the digests of their bytes
    as read: the command reads each once, and needs not parse them to find its cached evaluation."""
    return {"Pulumi.yaml": project.digest, **source.digests}


def key(project: Project, source: StackSource, reads: Reads, modules: list[str], path: str) -> dict[str, Any]:
    """The key of an evaluation that read ``reads`` and ran with ``modules`` loaded."""
    root = str(project.root.resolve())
    files = sorted({*reads.files, *modules} - _stack_paths(project, source.stack))
    return {
        "stackFiles": stack_files(project, source),
        "files": {f: _file_state(f, root) for f in files},
        "directories": {d: _listing(d) for d in sorted(reads.directories)},
        "environment": {name: _variable(name) for name in sorted(reads.variables)},
        "versions": _versions(path),
    }


def loaded_modules() -> list[str]:
    """The files of every module loaded in this process."""
    found = set()
    for module in list(sys.modules.values()):
        location = getattr(module, "__file__", None)
        if isinstance(location, str) and location:
            found.add(os.path.abspath(location))
    return sorted(found)


def _stack_paths(project: Project, stack: str) -> set[str]:
    return {str(project.root / "Pulumi.yaml"), str(project.common_file), str(project.stack_file(stack))}


def _still(recorded: dict[str, Any], project: Project, source: StackSource) -> bool:
    """Whether everything ``recorded`` (a key) is as it was."""
    root = str(project.root.resolve())
    try:
        return (
            recorded["stackFiles"] == stack_files(project, source)
            and recorded["versions"] == _versions(recorded["versions"]["path"])
            and all(_variable(name) == value for name, value in recorded["environment"].items())
            and all(_listing(d) == value for d, value in recorded["directories"].items())
            and all(_file_state(f, root) == value for f, value in recorded["files"].items())
        )
    except (KeyError, TypeError, AttributeError):
        return False


def cache_directory(state_dir: Path) -> Path:
    """$CLUSTERSTACK_CACHE_DIR, else ``cache/`` in the state directory."""
    return Path(os.environ.get(CACHE_DIR_ENV, state_dir / "cache"))


class Hit:
    """A cached evaluation whose key still holds, as ``EvaluationCache.lookup`` found it: its summary
    (the evaluation but its objects) checked and decoded, its objects left on disk until asked for."""

    def __init__(self, summary: dict[str, Any], handle: BinaryIO, objects_digest: str, digest: str) -> None:
        self.summary = summary
        self.digest = digest
        """What the evaluation is known by: the digests of its summary and of its objects, as the file's first line names them."""
        self._handle = handle
        self._objects_digest = objects_digest

    def objects(self) -> Any:
        """The objects, decoded from JSON, if the bytes after the summary are those the first line names;
        else None. Read once (from the file ``lookup`` opened, so never another file put in its place)."""
        with self._handle:
            try:
                data = self._handle.read()
            except OSError:
                return None
        if _digest(data) != self._objects_digest:
            return None
        try:
            return json.loads(data)
        except ValueError:
            return None


class EvaluationCache:
    """One stack's cached evaluation, in ``<cache directory>/<stack>.json``: three lines, the format,
    the key and the SHA-256 of each of the other two (JSON); the evaluation but its objects (JSON);
    its objects (JSON). The key is checked before the evaluation is read any further, and each part
    is taken only when its bytes are the ones written after that key: a file edited or cut short is
    evaluated again, not trusted. The objects are read only when something needs them, which a
    no-op plan does not (below). A file that is not a regular file of this user's, readable by no
    one else, is not read at all: a cache directory shared with others (``$CLUSTERSTACK_CACHE_DIR``
    in /tmp) cannot plant an evaluation.

    Beside it, ``<stack>.unchanged`` names an evaluation (by its digests) and a state (by the digest
    of its file) that a plan found equal: the engine's plan of that evaluation against that state is
    "No changes", with no object compared (engine/run.py)."""

    def __init__(self, directory: Path, stack: str) -> None:
        self.path = directory / f"{stack}.json"
        self.unchanged_path = directory / f"{stack}.unchanged"

    def lookup(self, project: Project, source: StackSource, path: str) -> Hit | None:
        """The cached evaluation, when everything it was made from is unchanged."""
        handle = _open_private(self.path)
        if handle is None:
            return None
        try:
            hit = self._hit(handle, project, source, path)
        except (OSError, ValueError):
            hit = None
        if hit is None:
            handle.close()
        return hit

    def _hit(self, handle: BinaryIO, project: Project, source: StackSource, path: str) -> Hit | None:
        saved = json.loads(handle.readline())
        if not (isinstance(saved, dict) and saved.get("format") == FORMAT and isinstance(saved.get("key"), dict)):
            return None
        versions = saved["key"].get("versions")
        if not isinstance(versions, dict) or versions.get("path") != path or not _still(saved["key"], project, source):
            return None
        line = handle.readline()
        summary_digest, objects_digest = saved.get("summary"), saved.get("objects")
        if not (line.endswith(b"\n") and isinstance(objects_digest, str) and summary_digest == _digest(line)):
            return None
        summary = json.loads(line)
        return Hit(summary, handle, objects_digest, f"{summary_digest}:{objects_digest}") if isinstance(summary, dict) else None

    def save(self, key: dict[str, Any], evaluation: dict[str, Any]) -> str | None:
        """Keep an evaluation (``Evaluation.to_json``); the digest it is known by, or None when it was
        not kept: a cache that cannot be written is no cache, never an error."""
        try:
            summary = json.dumps({name: value for name, value in evaluation.items() if name != "objects"}, sort_keys=True).encode() + b"\n"
            objects = json.dumps(evaluation["objects"], sort_keys=True).encode()
        except (TypeError, ValueError):  # outputs that are not JSON: not cached
            return None
        digests = {"summary": _digest(summary), "objects": _digest(objects)}
        head = json.dumps({"format": FORMAT, "key": key, **digests}, sort_keys=True).encode()
        try:
            _write_private(self.path, head + b"\n" + summary + objects)
        except OSError as error:
            sys.stderr.write(f"warning: {self.path}: cannot save the evaluation cache ({error.strerror}); going on without it\n")
            return None
        return f"{digests['summary']}:{digests['objects']}"

    def unchanged(self, evaluation: str, state: str) -> bool:
        """Whether a plan found the evaluation of digest ``evaluation`` equal to the state of digest ``state``."""
        try:
            return _read_private(self.unchanged_path) == _pair(evaluation, state)
        except OSError:  # a module that went away under a running process: nothing to trust
            return False

    def remember_unchanged(self, evaluation: str, state: str) -> None:
        """Note that a plan found them equal; silently nothing when it cannot (it only saves time)."""
        with suppress(OSError):
            _write_private(self.unchanged_path, _pair(evaluation, state))

    def note(self, name: str) -> bytes | None:
        """What the engine keeps as ``<stack>.<name>`` beside the cached evaluation (engine/noop.py), if
        this user wrote it (the guards of the cache file itself); else None."""
        return _read_private(self.path.with_suffix(f".{name}"))

    def write_note(self, name: str, data: bytes) -> None:
        """Keep ``data`` as ``<stack>.<name>``; silently nothing when it cannot (it only saves time)."""
        with suppress(OSError):
            _write_private(self.path.with_suffix(f".{name}"), data)


def _pair(evaluation: str, state: str) -> bytes:
    """What ``<stack>.unchanged`` holds: the evaluation, the state, and the code that planned them."""
    return json.dumps({"format": FORMAT, "evaluation": evaluation, "state": state, "code": _code()}, sort_keys=True).encode()


def _code() -> str:
    """clusterstack's own modules, each by its size and modification time (as Python's bytecode cache
    knows them): a plan found no changes with the code that planned it, which another version, or an
    edit, may not. (The cache's key holds every module loaded when the program ran, but a program
    evaluated outside the CLI may not have loaded the engine's.)"""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found = []
    for directory, subdirectories, files in os.walk(package):
        subdirectories.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                status = os.stat(os.path.join(directory, name))
                found.append(f"{os.path.relpath(os.path.join(directory, name), package)}={status.st_size}:{status.st_mtime_ns}")
    return _digest("\n".join(found).encode())


def _write_private(path: Path, data: bytes) -> None:
    """``data`` in ``path`` (0600, its directory made 0700), whole or not at all: a temporary file renamed
    over it. Never a partial file left behind to fill the disk run after run."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        private_directory(path.parent)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise


def _open_private(path: Path) -> BinaryIO | None:
    """The file opened for reading, if it is a regular file (not followed through a symlink) owned by
    this user and readable or writable by no one else, as ``_write_private`` writes it; else None."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    handle = os.fdopen(descriptor, "rb")
    try:
        status = os.fstat(descriptor)
    except OSError:
        status = None
    if status is None or not stat.S_ISREG(status.st_mode) or status.st_uid != os.geteuid() or status.st_mode & 0o077:
        handle.close()
        return None
    return handle


def _read_private(path: Path) -> bytes | None:
    """The whole file, if ``_open_private`` opens it; else None."""
    handle = _open_private(path)
    if handle is None:
        return None
    with handle:
        try:
            return handle.read()
        except OSError:
            return None
