"""A failure of the user's own program, told the way a Pulumi user can act on it: the exception's type
and message, and the frames of the user's own files (file:line and the source line), innermost last
as Python prints them, without the SDK's, runpy's or clusterstack's frames. The whole traceback is
kept for ``--debug`` (or ``CLUSTERSTACK_DEBUG=1``)."""

from __future__ import annotations

import os
import sys
import traceback
from functools import cache
from pathlib import Path

from ..errors import ClusterstackError, Problem

DEBUG_ENV = "CLUSTERSTACK_DEBUG"


@cache
def _library() -> tuple[str, ...]:
    """Where frames are not the user's: the standard library, installed packages, clusterstack itself.
    Asked only when a program fails: sysconfig and the paths' resolution are no part of every command."""
    import sysconfig

    paths = sysconfig.get_paths()
    return tuple(str(Path(p).resolve()) for p in {paths["stdlib"], paths["purelib"], paths["platlib"], str(Path(__file__).resolve().parents[1])})


class ProgramExit(Exception):
    """The program called ``sys.exit`` (``SystemExit`` turned into an ordinary exception, so that it
    travels through the SDK's machinery to the engine instead of ending the command with its code)."""

    def __init__(self, code: object) -> None:
        super().__init__(f"the program called sys.exit({code!r})")
        self.code = code


class ProgramFailed(ClusterstackError):
    """The program raised: its problem names the user's file and line; ``details`` is the whole traceback."""

    def __init__(self, problems: list[Problem], details: str) -> None:
        super().__init__(problems)
        self.details = details


def debugging() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def program_failed(error: BaseException, main: Path, display: str) -> ProgramFailed:
    """``error``, raised while ``main`` ran, as one problem: ``<file>:<line>: <Type>: <message>`` and
    the user's frames below it (``display`` names the program when no frame of the user's is found)."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if _users(frame.filename, main)]
    kind = type(error).__qualname__ if type(error).__module__ in ("builtins", "__main__") else f"{type(error).__module__}.{type(error).__qualname__}"
    message = f"{kind}: {error}" if str(error) else kind
    if not frames:
        return ProgramFailed([Problem(display, "", f"the program failed: {message}")], _whole(error))
    innermost = frames[-1]
    where = f"{_shown(innermost.filename, main)}:{innermost.lineno}"
    lines = [f"the program failed: {message}"]
    for frame in frames:
        lines.append(f"  {_shown(frame.filename, main)}:{frame.lineno}, in {frame.name}")
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    if not debugging():
        lines.append(f"  (the whole traceback: --debug, or {DEBUG_ENV}=1)")
    return ProgramFailed([Problem(where, "", "\n".join(lines))], _whole(error))


def program_exited(code: object, display: str) -> ClusterstackError:
    """The program called ``sys.exit``: a Pulumi program that exits has not declared what it meant to,
    whatever the code (the exit code of a command is clusterstack's to give)."""
    said = f"the program called sys.exit({code!r}) before it finished; a Pulumi program declares its resources and returns (raise an exception to fail it)"
    return ClusterstackError([Problem(display, "", said)])


def _users(filename: str, main: Path) -> bool:
    if filename.startswith("<"):
        return False
    resolved = str(Path(filename).resolve())
    return not resolved.startswith(_library()) or resolved == str(main.resolve())


def _shown(filename: str, main: Path) -> str:
    try:
        return str(Path(filename).resolve().relative_to(main.resolve().parent))
    except ValueError:
        return filename


def _whole(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


def print_details(error: ClusterstackError) -> None:
    """The whole traceback of a program failure, under ``--debug``."""
    if debugging() and isinstance(error, ProgramFailed):
        sys.stderr.write(error.details)
