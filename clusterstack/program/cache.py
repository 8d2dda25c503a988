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
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ..files import private_directory
from ..stack.files import StackConfig
from ..stack.project import Project

FORMAT = 3
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


def stack_files(project: Project, config: StackConfig) -> dict[str, str]:
    """Pulumi.yaml and the stack's layers (common.yaml, the stack file), by the digests taken as they
    were read: the command reads each once."""
    return {"Pulumi.yaml": project.digest, **{layer.file: layer.digest for layer in config.layers}}


def key(project: Project, config: StackConfig, reads: Reads, modules: list[str], path: str) -> dict[str, Any]:
    """The key of an evaluation that read ``reads`` and ran with ``modules`` loaded."""
    root = str(project.root.resolve())
    files = sorted({*reads.files, *modules} - _stack_paths(project, config))
    return {
        "stackFiles": stack_files(project, config),
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


def _stack_paths(project: Project, config: StackConfig) -> set[str]:
    return {str(project.root / "Pulumi.yaml"), str(project.common_file), str(project.stack_file(config.stack))}


def _still(recorded: dict[str, Any], project: Project, config: StackConfig) -> bool:
    """Whether everything ``recorded`` (a key) is as it was."""
    root = str(project.root.resolve())
    try:
        return (
            recorded["stackFiles"] == stack_files(project, config)
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


class EvaluationCache:
    """One stack's cached evaluation, in ``<cache directory>/<stack>.json``."""

    def __init__(self, directory: Path, stack: str) -> None:
        self.path = directory / f"{stack}.json"

    def lookup(self, project: Project, config: StackConfig, path: str) -> dict[str, Any] | None:
        """The cached evaluation (as saved), when everything it was made from is unchanged."""
        try:
            saved = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(saved, dict) or saved.get("format") != FORMAT or saved.get("key", {}).get("versions", {}).get("path") != path:
            return None
        if not _still(saved["key"], project, config):
            return None
        evaluation = saved.get("evaluation")
        return evaluation if isinstance(evaluation, dict) else None

    def save(self, key: dict[str, Any], evaluation: dict[str, Any]) -> None:
        """Keep an evaluation; a cache that cannot be written is no cache, never an error."""
        try:
            text = json.dumps({"format": FORMAT, "key": key, "evaluation": evaluation}, sort_keys=True)
        except (TypeError, ValueError):  # outputs that are not JSON: not cached
            return
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            private_directory(self.path.parent)
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(text)
            os.replace(temporary, self.path)
        except OSError as error:
            # Never a partial file left to fill the disk run after run: the cache only saves time.
            with suppress(OSError):
                temporary.unlink(missing_ok=True)
            sys.stderr.write(f"warning: {self.path}: cannot save the evaluation cache ({error.strerror}); going on without it\n")
        except BaseException:
            with suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise
