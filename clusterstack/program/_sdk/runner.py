"""Runs a program (a function, or a Pulumi program file) under the SDK's mock runtime, to completion,
each run in a fresh context and on an event loop of its own; what it registered and exported.

The public mock API (``pulumi.runtime.set_mocks``, ``Mocks``, ``set_all_config``) is Pulumi's
official unit-test runtime. What a whole run needs besides (waiting for the program, a fresh set of
Outputs to wait for, switching off the stack-trace walk, the fast path's hooks) is in
``pulumi_internals``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import logging
import runpy
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pulumi

from ..evalpath import Mode, mode
from ..failure import ProgramExit
from . import pulumi_internals as internals
from .exports import resolve
from .fast import FastPath
from .merging import merge
from .monitor import EchoMocks, RecordingMonitor
from .records import ProgramRun

# The program's own log lines (pulumi.log): the engine reports the spec's warnings itself.
_QUIET = logging.getLogger("clusterstack.program")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False

Inherited = Sequence[tuple["contextvars.ContextVar[Any]", Any]]
"""Context variables to set in the program's fresh context, e.g. a spec handed to the program."""


def run(
    program: Callable[[], object],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    inherit: Inherited = (),
    mocks: pulumi.runtime.Mocks | None = None,
    path: Mode | None = None,
    secret_keys: Sequence[str] = (),
    release: bool = False,
) -> ProgramRun:
    """Run ``program`` (a function that declares resources) under the mock runtime, to completion;
    what it registered and exported. Each run gets a fresh context, so runs in one process do not
    share the SDK's global state; the ``inherit`` variables are set in it first. ``path`` chooses the
    fast path or the SDK's own (default: ``evalpath.mode()``). ``secret_keys``: the config keys whose
    values are secret (``Config.get_secret`` and ``require_secret`` give secret Outputs; ``get`` warns).
    ``release``: the caller is done with the program's resource objects once the run returns (the
    CLI: it uses only the registrations): the fast path's are emptied (``FastPath.release``)."""
    answers = mocks if mocks is not None else EchoMocks()
    return contextvars.Context().run(_run, program, project, stack, dict(config), inherit, answers, path or mode(), list(secret_keys), release=release)


def run_program(
    main: Path,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    inherit: Inherited = (),
    mocks: pulumi.runtime.Mocks | None = None,
    path: Mode | None = None,
    secret_keys: Sequence[str] = (),
    release: bool = False,
) -> ProgramRun:
    """Run a Pulumi program file in-process under the mock runtime; what it registered and exported
    (``run`` says what ``release`` does)."""
    program_dir = str(main.parent)

    def program() -> None:
        sys.path.insert(0, program_dir)
        try:
            runpy.run_path(str(main), run_name="__main__")
        except SystemExit as exited:
            raise ProgramExit(exited.code) from None
        finally:
            sys.path.remove(program_dir)

    # What the program prints is not the command's output (render's YAML, preview --json): it goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        return run(program, project=project, stack=stack, config=config, inherit=inherit, mocks=mocks, path=path, secret_keys=secret_keys, release=release)


def _run(
    program: Callable[[], object],
    project: str,
    stack: str,
    config: dict[str, str],
    inherit: Inherited,
    mocks: pulumi.runtime.Mocks,
    path: Mode,
    secret_keys: list[str],
    *,
    release: bool,
) -> ProgramRun:
    # A loop of the run's own: a program that fails leaves tasks behind, and they must not surface in
    # the next run (nor as asyncio's "Exception ignored" noise when the interpreter exits). It is set
    # before the SDK makes its first future.
    loop = asyncio.new_event_loop()
    executor = _ClosingExecutor()
    loop.set_default_executor(executor)
    previous = _current_loop()
    asyncio.set_event_loop(loop)
    try:
        for variable, value in inherit:
            variable.set(value)
        monitor = RecordingMonitor(mocks, project, stack)
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor, logger=_QUIET)
        internals.forget_pending_outputs()
        pulumi.runtime.set_all_config(config, secret_keys)
        fast_path = FastPath(monitor, mocks, monitor.keep, monitor.make_urn, monitor.goals) if path == "fast" else None

        def body() -> None:
            program()

        with _evaluating(fast_path):
            internals.run_to_completion(body)
            outputs = {name: resolve(value) for name, value in sorted(internals.stack_exports().items())}
    finally:
        _close(loop, executor)
        asyncio.set_event_loop(previous)
    if release and fast_path is not None:
        fast_path.release()  # (after the loop is closed: nothing of the program runs again)

    return ProgramRun(
        registrations=list(monitor.registrations),
        outputs=outputs,
        duplicates=list(monitor.duplicates),
        path=path,
        declined=dict(fast_path.declined) if fast_path is not None else {},
    )


@contextlib.contextmanager
def _evaluating(fast_path: FastPath | None) -> Iterator[None]:
    """What is switched while a program runs here, and restored after (``pulumi_internals.patched``),
    and, on the fast path, the garbage collector paused (the fast path leaves little cyclic garbage,
    and a collection would only walk what is still in use). The SDK's own path leaves a great deal,
    so it runs with the collector on, even in a process that turned it off."""
    collecting = gc.isenabled()
    hooks = (fast_path.register, fast_path.register_outputs, merge) if fast_path is not None else (None, None, None)
    with internals.patched(*hooks):
        if fast_path is not None:
            gc.disable()
        else:
            gc.enable()
        try:
            yield
        finally:
            if collecting:
                gc.enable()
            else:
                gc.disable()


def _current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return None


class _ClosingExecutor(ThreadPoolExecutor):
    """The run's thread pool (the SDK hands the mock monitor its calls through it). The SDK gives each
    worker thread an event loop of its own and never closes it; left to the interpreter's exit, such a
    loop prints "Exception ignored in BaseEventLoop.__del__". This pool notes each one, to close them."""

    def __init__(self) -> None:
        super().__init__(thread_name_prefix="clusterstack-monitor")
        self.loops: set[asyncio.AbstractEventLoop] = set()
        self._seen = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        def call() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                try:
                    thread_loop = asyncio.get_event_loop_policy().get_event_loop()
                except RuntimeError:  # the call made none
                    thread_loop = None
                if thread_loop is not None:
                    with self._seen:
                        self.loops.add(thread_loop)

        return super().submit(call)


def _close(loop: asyncio.AbstractEventLoop, executor: _ClosingExecutor) -> None:
    """Cancel what a failed program left running, let it unwind, and close the loop, the thread pool
    and the loops the SDK made in its threads."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    executor.shutdown(wait=True)
    for thread_loop in executor.loops:
        if thread_loop is not loop and not thread_loop.is_closed() and not thread_loop.is_running():
            thread_loop.close()
    loop.close()
