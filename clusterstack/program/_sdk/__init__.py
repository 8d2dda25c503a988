"""Every use of the Pulumi SDK's internal entry points, in one place, so an SDK upgrade breaks only here.

This module runs programs; ``fast`` registers the resources it can without the SDK's round trip.

The public mock API (``pulumi.runtime.set_mocks``, ``Mocks``, ``MockMonitor``,
``set_all_config``) is Pulumi's official unit-test runtime. Running a whole program under it and
waiting for it to finish needs three internals besides: ``run_pulumi_func`` and ``_sync_await``
(what ``@pulumi.runtime.test`` uses), and the config map a program sees (``CONFIG`` and the
``PULUMI_CONFIG`` environment variable the Pulumi CLI sets). One more is switched off while a
program runs here: ``_get_stack_trace``, which walks the Python stack and reads source lines for
every resource so the Pulumi CLI can show where it was declared; the mock runtime never uses it and
it costs about a fifth of an evaluation. And each run starts the SDK's set of Outputs to wait for
afresh (``settings.SETTINGS.outputs``): ``set_mocks`` renews the RPC manager but not that set, so a
run would otherwise wait on what an earlier failed program left behind. tests/test_sdk.py pins each.

The SDK's mock monitor names resources unlike the Pulumi engine (only the immediate parent's type in
a URN, a ``pulumi:pulumi:Stack$`` prefix on top-level ones) and lets a second resource with the same
URN overwrite the first. ``RecordingMonitor`` names them as the engine does
(sdk/go/common/resource/urn.go: the full chain of ancestor types, the root stack left out) and keeps
every registration, so a duplicate URN, which the engine refuses (error 2001), is seen here too.
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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi import resource as _pulumi_resource
from pulumi.resource import Resource
from pulumi.runtime import config as _config
from pulumi.runtime import resource as _runtime_resource
from pulumi.runtime import rpc
from pulumi.runtime import settings as _settings
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from ..failure import ProgramExit
from . import fast
from .alias import AliasSpec
from .goals import Goals

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Registration:
    """One resource the program registered, named as the Pulumi engine names it."""

    urn: str
    type: str
    name: str
    parent: str
    """The parent's URN ("" for none, i.e. the stack)."""
    custom: bool
    inputs: dict[str, Any]
    """What the resource was created with, secrets unwrapped (see ``secrets``)."""
    provider: str = ""
    """The provider reference (``<provider URN>::<id>``); "" for the default provider."""
    aliases: tuple[AliasSpec, ...] = ()
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool | None = None
    """``deleteBeforeReplace`` as the program set it: None when it did not (the provider decides), an
    explicit False when it did (the engine then creates the new object first, whatever the provider says)."""
    replace_on_changes: tuple[str, ...] = ()
    """The ``replaceOnChanges`` property paths, as the engine receives them (a Python name the
    resource's input type knows, ``preemption_policy``, translated to ``preemptionPolicy``)."""
    ignore_changes: tuple[str, ...] = ()
    """The ``ignoreChanges`` property paths, as the engine receives them (translated like ``replace_on_changes``).
    Never inherited from a parent: neither the SDK nor the engine passes it down."""
    custom_timeouts: tuple[str, str, str] = ("", "", "")
    """``customTimeouts`` (create, update, delete; "" for unset). Never inherited from a parent."""
    secrets: frozenset[str] = frozenset()
    """The inputs that were secret (``pulumi.Output.secret``; pulumi-kubernetes makes a Secret's
    ``data`` and ``stringData`` secret), by top-level property name."""

    @property
    def qualified_type(self) -> str:
        """The type with its ancestors' types, as the URN holds it (``Parent$Child``)."""
        return self.urn.split("::")[2]


@dataclass(frozen=True)
class Duplicate:
    """Two registrations with one URN: the Pulumi engine refuses the second (error 2001)."""

    urn: str
    first: Registration
    second: Registration


@dataclass(frozen=True)
class ProgramRun:
    registrations: list[Registration]
    """Every resource but the stack itself, in the order the engine received them (not always the
    order the program declared them: registrations run concurrently)."""
    outputs: dict[str, Any]
    """The stack's exports, resolved."""
    duplicates: list[Duplicate]
    path: fast.Mode = "sdk"
    """The path the program ran on."""
    declined: dict[str, int] = field(default_factory=dict)
    """On the fast path: why resources went the SDK's way instead, and how many."""


class EchoMocks(pulumi.runtime.Mocks):
    """A resource's outputs are its inputs and its ID is its name: what a successful create returns."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return args.name, dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def urn_of(stack: str, project: str, qualified_type: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{qualified_type}::{name}"


def qualify(parent_urn: str, type_: str) -> str:
    """A child's qualified type: its parent's qualified type, ``$``, its own; the root stack is left out."""
    if not parent_urn:
        return type_
    parent_type = parent_urn.split("::")[2]
    return type_ if parent_type == STACK_TYPE else f"{parent_type}${type_}"


class RecordingMonitor(pulumi.runtime.mocks.MockMonitor):
    """The SDK's mock monitor, naming resources as the engine does and recording each registration."""

    def __init__(self, mocks: pulumi.runtime.Mocks, project: str, stack: str) -> None:
        super().__init__(mocks)
        self.project = project
        self.stack = stack
        self.registrations: list[Registration] = []
        self.duplicates: list[Duplicate] = []
        self._by_urn: dict[str, Registration] = {}
        self._lock = threading.Lock()
        self.goals = Goals()
        """What the engine, not the SDK, does to each registration: inheritance and transforms."""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if type_ == STACK_TYPE:
            return urn_of(self.stack, self.project, type_, name)
        return urn_of(self.stack, self.project, qualify(parent, type_), name)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method's name)
        if request.type == STACK_TYPE:
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]  # the SDK leaves it unannotated
        request = self.goals.prepare(request, self.make_urn(request.parent, request.type, request.name))
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]  # the SDK leaves it unannotated
        self.record(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent,
            custom=bool(request.custom),
            inputs=self.resources[response.urn].state,
            provider=request.provider,
            aliases=tuple(_alias(alias) for alias in request.aliases),
            protect=bool(request.protect),
            retain_on_delete=bool(getattr(request, "retainOnDelete", False)),
            delete_before_replace=bool(request.deleteBeforeReplace) if request.deleteBeforeReplaceDefined else None,
            replace_on_changes=tuple(request.replaceOnChanges),
            ignore_changes=tuple(request.ignoreChanges),
            custom_timeouts=(request.customTimeouts.create, request.customTimeouts.update, request.customTimeouts.delete),
        )
        return response

    def RegisterStackTransform(self, request: Any) -> Any:  # noqa: N802 (the gRPC method's name)
        self.goals.add_stack_transform(request)
        return super().RegisterStackTransform(request)  # type: ignore[no-untyped-call]  # the SDK leaves it unannotated

    def record(self, *, parent: str, inputs: dict[str, Any], plain: bool = False, **fields: Any) -> None:
        """Keep one registration (``parent`` is the parent's URN as the request carries it; ``inputs``
        what the mock answered, in which the SDK marks a secret with its signature map, unless the
        caller knows them to be ``plain``)."""
        inputs, secrets = (inputs, frozenset[str]()) if plain else _unwrap_secrets(inputs)
        registration = Registration(parent=_parent(parent), inputs=inputs, secrets=secrets, **fields)
        with self._lock:
            earlier = self._by_urn.get(registration.urn)
            if earlier is not None:
                self.duplicates.append(Duplicate(registration.urn, earlier, registration))
            else:
                self._by_urn[registration.urn] = registration
            self.registrations.append(registration)


def _unwrap_secrets(inputs: dict[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """``inputs`` with each secret's value in place of the SDK's secret marker, and which top-level
    properties held one. Inputs without secrets are returned as they are."""
    secrets = frozenset(key for key, value in inputs.items() if _holds_secret(value))
    if not secrets:
        return inputs, secrets
    return {key: _unwrapped(value) if key in secrets else value for key, value in inputs.items()}, secrets


def _holds_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return rpc.is_rpc_secret(value) or any(_holds_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_secret(item) for item in value)
    return False


def _unwrapped(value: Any) -> Any:
    if isinstance(value, dict):
        if rpc.is_rpc_secret(value):
            return _unwrapped(rpc.unwrap_rpc_secret(value))
        return {key: _unwrapped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrapped(item) for item in value]
    return value


def _parent(parent_urn: str) -> str:
    """The parent's URN, or "" when it is the root stack (which URNs leave out)."""
    return parent_urn if parent_urn and parent_urn.split("::")[2] != STACK_TYPE else ""


def _alias(alias: Any) -> AliasSpec:
    if alias.HasField("spec"):
        spec = alias.spec
        return AliasSpec(
            name=spec.name,
            type=spec.type,
            stack=spec.stack,
            project=spec.project,
            parent=spec.parentUrn,
            no_parent=bool(spec.noParent),
        )
    return AliasSpec(urn=alias.urn)


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
    path: fast.Mode | None = None,
    secret_keys: Sequence[str] = (),
) -> ProgramRun:
    """Run ``program`` (a function that declares resources) under the mock runtime, to completion;
    what it registered and exported. Each run gets a fresh context, so runs in one process do not
    share the SDK's global state; the ``inherit`` variables are set in it first. ``path`` chooses the
    fast path or the SDK's own (default: ``fast.mode()``). ``secret_keys``: the config keys whose
    values are secret (``Config.get_secret`` and ``require_secret`` give secret Outputs; ``get`` warns)."""
    answers = mocks if mocks is not None else EchoMocks()
    return contextvars.Context().run(_run, program, project, stack, dict(config), inherit, answers, path or fast.mode(), list(secret_keys))


def run_program(
    main: Path,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    inherit: Inherited = (),
    mocks: pulumi.runtime.Mocks | None = None,
    path: fast.Mode | None = None,
    secret_keys: Sequence[str] = (),
) -> ProgramRun:
    """Run a Pulumi program file in-process under the mock runtime; what it registered and exported."""
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
        return run(program, project=project, stack=stack, config=config, inherit=inherit, mocks=mocks, path=path, secret_keys=secret_keys)


def _run(
    program: Callable[[], object],
    project: str,
    stack: str,
    config: dict[str, str],
    inherit: Inherited,
    mocks: pulumi.runtime.Mocks,
    path: fast.Mode,
    secret_keys: list[str],
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
        # set_mocks gives the run a fresh RPC manager but not a fresh set of the Outputs the SDK waits
        # for before it finishes; without one, a run would wait on what an earlier, failed program in
        # this process left behind (on another event loop: forever).
        _settings.SETTINGS.outputs = set()
        pulumi.runtime.set_all_config(config, secret_keys)
        fast_path = fast.FastPath(monitor, mocks, monitor.record, monitor.make_urn, monitor.goals) if path == "fast" else None

        def body() -> None:
            program()

        with _evaluating(fast_path):
            _sync_await(run_pulumi_func(body))
            root = _settings.get_root_resource()
            exports = getattr(root, "outputs", {})
            outputs = {name: resolve(value) for name, value in sorted(exports.items())}
    finally:
        _close(loop, executor)
        asyncio.set_event_loop(previous)

    return ProgramRun(
        registrations=list(monitor.registrations),
        outputs=outputs,
        duplicates=list(monitor.duplicates),
        path=path,
        declined=dict(fast_path.declined) if fast_path is not None else {},
    )


def _no_debug_log(*args: Any, **kwargs: Any) -> None:
    """``pulumi.log.debug`` while a program runs here: the mock engine would only drop it, after a
    round trip per resource."""


@contextmanager
def _evaluating(fast_path: fast.FastPath | None) -> Iterator[None]:
    """What is switched while a program runs here, and restored after: the stack-trace walk and the
    debug log (which only the Pulumi CLI would show), and, on the fast path, the ``Resource.__init__``
    that asks the fast path first, with the garbage collector paused (the fast path leaves little
    cyclic garbage, and a collection would only walk what is still in use). The SDK's own path
    leaves a great deal, so it runs with the collector on, even in a process that turned it off."""
    stack_trace, debug, init, outputs = _runtime_resource._get_stack_trace, pulumi.log.debug, Resource.__init__, _pulumi_resource.register_resource_outputs  # type: ignore[attr-defined]  # the name ComponentResource.register_outputs calls
    collecting = gc.isenabled()
    _runtime_resource._get_stack_trace = source_pb2.StackTrace
    pulumi.log.debug = _no_debug_log
    if fast_path is not None:
        Resource.__init__ = _asking(fast_path, init)  # type: ignore[method-assign]  # restored below
        _pulumi_resource.register_resource_outputs = _asking_outputs(fast_path, outputs)  # type: ignore[attr-defined,assignment]  # restored below
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
        Resource.__init__ = init  # type: ignore[method-assign]  # put back
        _pulumi_resource.register_resource_outputs = outputs  # type: ignore[attr-defined]  # put back
        pulumi.log.debug = debug
        _runtime_resource._get_stack_trace = stack_trace


def _asking(fast_path: fast.FastPath, init: Callable[..., None]) -> Callable[..., None]:
    def resource_init(
        res: Resource,
        t: str,
        name: str,
        custom: bool,
        props: Any = None,
        opts: pulumi.ResourceOptions | None = None,
        remote: bool = False,
        dependency: bool = False,
        package_ref: Any = None,
    ) -> None:
        if not fast_path.register(res, t, name, custom, props, opts, remote, dependency, package_ref):
            init(res, t, name, custom, props, opts, remote, dependency, package_ref)

    return resource_init


def _asking_outputs(fast_path: fast.FastPath, register: Callable[[Resource, Any], None]) -> Callable[[Resource, Any], None]:
    def register_resource_outputs(res: Resource, outputs: Any) -> None:
        if not fast_path.register_outputs(res, outputs):
            register(res, outputs)

    return register_resource_outputs


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


def declaration(registration: Registration, by_urn: Mapping[str, Registration]) -> str:
    """A resource and the components it sits in, outermost first: ``ClusterPlatform eu › DnsAutoscaler dns``."""
    chain = [f"{registration.type.rpartition(':')[2]} {registration.name}"]
    parent = by_urn.get(registration.parent)
    while parent is not None:
        chain.append(f"{parent.type.rpartition(':')[2]} {parent.name}")
        parent = by_urn.get(parent.parent)
    return " › ".join(reversed(chain))


def duplicate_message(duplicate: Duplicate, by_urn: Mapping[str, Registration]) -> str:
    """The engine's error 2001 (sdk/go/common/diag/errors.go), naming both declarations."""
    return (
        f"Duplicate resource URN '{duplicate.urn}'; try giving it a unique name: declared by {declaration(duplicate.first, by_urn)} "
        f"and by {declaration(duplicate.second, by_urn)}"
    )


SECRET_EXPORT = "[secret]"
"""What an exported secret is, wherever the engine shows or keeps it."""


@dataclass(frozen=True)
class SecretExport:
    """An exported value the program marked secret: ``ProgramRun.outputs`` holds it wrapped, so the
    engine keeps and shows only ``[secret]`` (``masked``) while the testing helpers, whose user is the
    program's own author, see the value (``revealed``)."""

    value: Any


def resolve(value: Any) -> Any:
    """An exported value with every Output in it resolved, however deep (maps and lists of Outputs);
    a secret one as a ``SecretExport``."""
    if isinstance(value, pulumi.Output):
        resolved = resolve(_sync_await(value.future()))
        return SecretExport(resolved) if _sync_await(value.is_secret()) else resolved
    if isinstance(value, Mapping):
        return {key: resolve(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [resolve(item) for item in value]
    return value


def masked(value: Any) -> Any:
    """Resolved exports as the engine keeps them: every secret one ``[secret]`` (as Pulumi prints it)."""
    return _each_secret(value, lambda secret: SECRET_EXPORT)


def revealed(value: Any) -> Any:
    """Resolved exports with the secret ones' values, for the program's own tests."""
    return _each_secret(value, lambda secret: revealed(secret.value))


def _each_secret(value: Any, replace: Callable[[SecretExport], Any]) -> Any:
    if isinstance(value, SecretExport):
        return replace(value)
    if isinstance(value, dict):
        return {key: _each_secret(item, replace) for key, item in value.items()}
    if isinstance(value, list):
        return [_each_secret(item, replace) for item in value]
    return value


def program_config() -> tuple[dict[str, str], set[str]]:
    """All config the running program was given (``namespace:key`` -> raw string), and the secret keys.

    Pulumi has no public "list every key" call: the CLI passes config in ``PULUMI_CONFIG``; the mock
    runtime (and Automation API inline programs) set ``CONFIG``.
    """
    values = {**_config.get_config_env(), **_config.CONFIG.get()}
    secrets = set(_config.get_config_secret_keys_env()) | set(_config._SECRET_KEYS.get())
    return values, secrets
