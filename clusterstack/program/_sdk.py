"""Every use of the Pulumi SDK's internal entry points, in one place, so an SDK upgrade breaks only here.

The public mock API (``pulumi.runtime.set_mocks``, ``Mocks``, ``MockMonitor``,
``set_all_config``) is Pulumi's official unit-test runtime. Running a whole program under it and
waiting for it to finish needs three internals besides: ``run_pulumi_func`` and ``_sync_await``
(what ``@pulumi.runtime.test`` uses), and the config map a program sees (``CONFIG`` and the
``PULUMI_CONFIG`` environment variable the Pulumi CLI sets). One more is switched off while a
program runs here: ``_get_stack_trace``, which walks the Python stack and reads source lines for
every resource so the Pulumi CLI can show where it was declared; the mock runtime never uses it and
it costs about a fifth of an evaluation. tests/test_sdk.py pins each of them.
"""

from __future__ import annotations

import contextvars
import logging
import runpy
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as _config
from pulumi.runtime import resource as _resource
from pulumi.runtime import settings as _settings
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await


@dataclass(frozen=True)
class Registration:
    """One resource the program registered, as the engine saw it."""

    urn: str
    type: str
    name: str
    parent: str
    """The parent's URN ("" for none)."""
    custom: bool
    inputs: dict[str, Any]


@dataclass(frozen=True)
class ProgramRun:
    registrations: list[Registration]
    outputs: dict[str, Any]
    """The stack's exports, resolved."""


class _EchoMocks(pulumi.runtime.Mocks):
    """A resource's outputs are its inputs and its ID is its name: what a successful create returns."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return args.name, dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class _RecordingMonitor(pulumi.runtime.mocks.MockMonitor):
    """The SDK's mock monitor, also recording each registration's parent (MockResourceArgs omits it)."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method's name)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]  # the SDK leaves it unannotated
        if request.type != "pulumi:pulumi:Stack":
            registration = Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=bool(request.custom),
                inputs=self.resources[response.urn].state,
            )
            with self._lock:
                self.registrations.append(registration)
        return response


# The program's own log lines (pulumi.log): the engine reports the spec's warnings itself.
_QUIET = logging.getLogger("clusterstack.program")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


Inherited = Sequence[tuple["contextvars.ContextVar[Any]", Any]]
"""Context variables to set in the program's fresh context, e.g. a spec handed to the program."""


def run_program(main: Path, *, project: str, stack: str, config: Mapping[str, str], inherit: Inherited = ()) -> ProgramRun:
    """Run a Pulumi program file in-process under the mock runtime; what it registered and exported.

    Each run gets a fresh context, so runs in one process do not share the SDK's global state; the
    ``inherit`` variables are set in it first.
    """
    return contextvars.Context().run(_run, main, project, stack, dict(config), inherit)


def _run(main: Path, project: str, stack: str, config: dict[str, str], inherit: Inherited) -> ProgramRun:
    for variable, value in inherit:
        variable.set(value)
    monitor = _RecordingMonitor(_EchoMocks())
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor, logger=_QUIET)
    pulumi.runtime.set_all_config(config)
    program_dir = str(main.parent)
    sys.path.insert(0, program_dir)
    stack_trace = _resource._get_stack_trace
    _resource._get_stack_trace = source_pb2.StackTrace

    def program() -> None:
        runpy.run_path(str(main), run_name="__main__")

    try:
        _sync_await(run_pulumi_func(program))
    finally:
        _resource._get_stack_trace = stack_trace
        sys.path.remove(program_dir)
    root = _settings.get_root_resource()
    exports = getattr(root, "outputs", {})
    outputs = {name: _resolve(value) for name, value in sorted(exports.items())}
    return ProgramRun(registrations=list(monitor.registrations), outputs=outputs)


def _resolve(value: Any) -> Any:
    if isinstance(value, pulumi.Output):
        return _sync_await(value.future())
    return value


def program_config() -> tuple[dict[str, str], set[str]]:
    """All config the running program was given (``namespace:key`` -> raw string), and the secret keys.

    Pulumi has no public "list every key" call: the CLI passes config in ``PULUMI_CONFIG``; the mock
    runtime (and Automation API inline programs) set ``CONFIG``.
    """
    values = {**_config.get_config_env(), **_config.CONFIG.get()}
    secrets = set(_config.get_config_secret_keys_env()) | set(_config._SECRET_KEYS.get())
    return values, secrets

