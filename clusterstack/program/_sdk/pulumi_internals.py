"""The one module that touches the Pulumi SDK's internals: every name below that Pulumi does not
publish (``pulumi.__all__``, ``pulumi.runtime.__all__``) is reached here and nowhere else.

The rest of clusterstack speaks to the SDK through its public API and these functions. ``INTERNALS``
lists every internal with what it is for and the pulumi versions it is proven on (``PROVEN_ON``, from
``evalpath``: the one source of that truth). tests/test_sdk.py pins their behaviour,
tests/test_fast_path.py proves the fast path equivalent to the SDK's own, and
tests/test_pulumi_internals.py fails when any other module touches a Pulumi internal, or this one
touches one it does not list. An SDK upgrade that breaks an internal breaks it here, and only here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, TypeVar

import pulumi
from pulumi import _types
from pulumi import resource as _pulumi_resource
from pulumi.output import _OutputData
from pulumi.resource import Resource, ResourceOptions
from pulumi.runtime import config as _config
from pulumi.runtime import mocks as _mocks
from pulumi.runtime import resource as _runtime_resource
from pulumi.runtime import rpc, settings
from pulumi.runtime._callbacks import _CallbackServicer
from pulumi.runtime.proto import resource_pb2, source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from .. import typeloading
from ..evalpath import PROVEN_ON

__all__ = ["INTERNALS", "PROVEN_ON", "MockMonitor", "Resolved", "resource_pb2"]

T = TypeVar("T")


@dataclass(frozen=True)
class Internal:
    """One internal of the Pulumi SDK that clusterstack relies on: where it lives in the SDK
    (``module.name``, ``Class.attribute``), what clusterstack needs it for, and how it touches it:
    ``read``, ``called``, ``subclassed``, ``written`` (set as ``Resource.__init__`` sets it) or
    ``patched`` (replaced while a program runs, then put back)."""

    name: str
    use: str
    kind: str = "read"

    @property
    def proven_on(self) -> frozenset[str]:
        """The pulumi versions it is proven on: every one the fast path is (``evalpath.PROVEN_ON``)."""
        return PROVEN_ON


INTERNALS: tuple[Internal, ...] = (
    # Running a whole program under the mock runtime, to completion (what @pulumi.runtime.test does).
    Internal("pulumi.runtime.stack.run_pulumi_func", "run a program as the Pulumi CLI's language host would, then wait for its resources", "called"),
    Internal("pulumi.runtime.sync_await._sync_await", "wait on the run's event loop from synchronous code", "called"),
    Internal("pulumi.runtime.settings.SETTINGS.outputs", "each run waits only on its own Outputs, not an earlier failed run's", "written"),
    Internal("pulumi.runtime.stack.Stack.outputs", "the stack's exports, once the program has run"),
    Internal("pulumi.runtime.config.CONFIG", "the config the mock runtime gave the program (no public call lists every key)"),
    Internal("pulumi.runtime.config._SECRET_KEYS", "which of those keys are secret"),
    Internal("pulumi.runtime.rpc.is_rpc_secret", "find the secrets in what the mock monitor received", "called"),
    Internal("pulumi.runtime.rpc.unwrap_rpc_secret", "record a secret's value, with its key named secret", "called"),
    Internal("pulumi.runtime.mocks.MockMonitor", "the recording monitor: its RegisterResource, RegisterStackTransform, resources", "subclassed"),
    Internal("pulumi.runtime.mocks.MockMonitor.ResourceRegistration", "store a fast-path registration where the mock monitor keeps its own"),
    Internal("pulumi.runtime.mocks.MockMonitor._stack_transforms", "a stack transform sends every later resource the SDK's way"),
    Internal("pulumi.runtime._callbacks._CallbackServicer._servicers, _callbacks, _loop", "call a transform through the SDK's own callback"),
    Internal("pulumi.runtime.proto.resource_pb2", "the engine's gRPC messages a transform is given and answers"),
    # Switched while a program runs here, and put back after.
    Internal("pulumi.runtime.resource._get_stack_trace", "off: the Python stack walk per resource only the Pulumi CLI shows", "patched"),
    Internal("pulumi.runtime.proto.source_pb2.StackTrace", "what _get_stack_trace gives meanwhile: an empty stack trace", "called"),
    Internal("pulumi.log.debug", "off: the mock engine would only drop it, after a round trip per resource", "patched"),
    Internal("pulumi.resource.Resource.__init__", "asks the fast path first; its 9-parameter signature is copied", "patched"),
    Internal("pulumi.resource.register_resource_outputs", "asks the fast path first (ComponentResource.register_outputs calls it)", "patched"),
    Internal("pulumi.ResourceOptions.merge", "merges plain options without its copies first (pulumi-kubernetes merges twice per resource)", "patched"),
    Internal("pulumi._types._globals_for_cls", "first loads the pulumi-kubernetes type modules a class's annotations name (typeloading.py)", "patched"),
    # What the fast path does in Resource.__init__'s and register_resource's place.
    Internal("pulumi._types.is_input_type", "tell an input type (an Args class) from plain values", "called"),
    Internal("pulumi._types.input_type_to_untranslated_dict", "an Args object's properties, by Python name", "called"),
    Internal("pulumi._types.input_type_to_dict", "a nested input type's properties, by Pulumi name", "called"),
    Internal("pulumi._types.input_type_py_to_pulumi_names", "translate property names as register_resource does", "called"),
    Internal("pulumi._types.resource_pulumi_to_py_names", "translate output names as resolve_outputs does", "called"),
    Internal("pulumi._types.resource_types", "the output types a resource's properties are translated to", "called"),
    Internal("pulumi.runtime.rpc.UNKNOWN", "an unknown value declines the fast path"),
    Internal("pulumi.runtime.rpc._special_sig_key", "a secret, asset or resource reference declines the fast path"),
    Internal("pulumi.runtime.rpc.translate_output_properties", "a property's value as its Output holds it", "called"),
    Internal("pulumi.runtime.rpc._Path", "the property path translate_output_properties reports errors with", "called"),
    Internal("pulumi.runtime.rpc.serialize_properties", "await a component's outputs, or a mock's rich answer, as the SDK does", "called"),
    Internal("pulumi.runtime.rpc.transfer_properties", "a resource's Outputs with their resolvers (a mock's rich answer)", "called"),
    Internal("pulumi.runtime.rpc.resolve_outputs", "resolve those Outputs from the answer", "called"),
    Internal("pulumi.runtime.settings._get_rpc_manager", "tasks the run must wait for before it ends", "called"),
    Internal("pulumi.runtime.resource._pkg_from_type", "the package a type token belongs to, for provider selection", "called"),
    Internal("pulumi.resource.Resource._get_providers", "the SDK's own provider selection", "called"),
    Internal("pulumi.resource.ResourceOptions._depends_on_list", "dependencies, to decline those given as Outputs", "called"),
    Internal("pulumi.resource.Resource._transformations", "transformations on the stack or a parent decline the fast path"),
    Internal(
        "pulumi.resource.Resource._name, _type, _protect, _provider, _providers, _aliases, _childResources, _version, _plugin_download_url",
        "what Resource.__init__ sets on every resource before it registers",
        "written",
    ),
    Internal("pulumi.resource.Resource.__dict__", "a resource's urn, id and properties, as Outputs it already holds", "written"),
    Internal("pulumi.output.Output._data", "an Output's state (one future of _OutputData): read when settled, computed on demand", "subclassed"),
    Internal("pulumi.output._OutputData", "what an Output's future holds", "called"),
)
"""Every internal this module reaches, in the order the modules above it need them."""


# --- running a program -------------------------------------------------------------------------

def run_to_completion(program: Callable[[], None]) -> None:
    """Run ``program`` as the language host would, and wait for everything it registered."""
    _sync_await(run_pulumi_func(program))


def await_now(awaitable: Awaitable[T]) -> T:
    """The value of ``awaitable``, waited for on the run's event loop."""
    return _sync_await(awaitable)


def forget_pending_outputs() -> None:
    """A fresh set of the Outputs the SDK waits for before a run ends: ``set_mocks`` renews the RPC
    manager but not this set, so a run would otherwise wait on what an earlier, failed program in
    this process left behind (on another event loop: forever)."""
    settings.SETTINGS.outputs = set()


def stack_exports() -> dict[str, Any]:
    """What the program exported (``pulumi.export``), on the root stack resource."""
    return getattr(settings.get_root_resource(), "outputs", {})


def program_config() -> tuple[dict[str, str], set[str]]:
    """All config the running program was given (``namespace:key`` -> raw string), and the secret keys.

    Pulumi has no public "list every key" call: the CLI passes config in ``PULUMI_CONFIG``; the mock
    runtime (and Automation API inline programs) set ``CONFIG``.
    """
    values = {**_config.get_config_env(), **_config.CONFIG.get()}
    secrets = set(_config.get_config_secret_keys_env()) | set(_config._SECRET_KEYS.get())
    return values, secrets


is_secret_marker = rpc.is_rpc_secret
"""Whether a value is the SDK's wire form of a secret (a map with its signature key)."""
secret_value = rpc.unwrap_rpc_secret


# --- the mock monitor ----------------------------------------------------------------------------

MockMonitor = _mocks.MockMonitor
"""The SDK's mock monitor, which ``set_mocks(monitor=...)`` accepts; ``RecordingMonitor`` extends it."""


def monitor_state(monitor: MockMonitor, urn: str) -> dict[str, Any]:
    """What the mock answered for the resource registered as ``urn``."""
    return monitor.resources[urn].state


def monitor_store(monitor: MockMonitor, urn: str, id_: str, state: Any) -> None:
    """Keep a registration as the mock monitor keeps its own (``read``/``get`` look it up there)."""
    monitor.resources[urn] = MockMonitor.ResourceRegistration(urn, id_, state)


def monitor_ignores_outputs(monitor: MockMonitor) -> bool:
    """The monitor does what the SDK's does with a component's outputs: nothing."""
    return type(monitor).RegisterResourceOutputs is MockMonitor.RegisterResourceOutputs


def stack_transforms_registered(monitor: MockMonitor) -> bool:
    return bool(getattr(monitor, "_stack_transforms", None))


def transform_callback(token: str) -> tuple[Callable[[bytes], Awaitable[Any]], asyncio.AbstractEventLoop] | None:
    """The SDK's own callback for a registered transform, and the event loop it runs on; None when
    no callback server of this process holds ``token``."""
    for servicer in _CallbackServicer._servicers:
        if token in servicer._callbacks:
            return servicer._callbacks[token], servicer._loop
    return None


# --- what is switched while a program runs here --------------------------------------------------

# The fast path's hooks: ``Resource.__init__``'s and ``register_resource_outputs``' arguments; True when it took them.
Register = Callable[[Resource, str, str, bool, Any, "ResourceOptions | None", bool, bool, Any], bool]
RegisterOutputs = Callable[[Resource, Any], bool]


def _no_debug_log(*args: Any, **kwargs: Any) -> None:
    """``pulumi.log.debug`` while a program runs here (the mock engine would drop it, after a round trip)."""


@contextlib.contextmanager
def patched(register: Register | None, register_outputs: RegisterOutputs | None, merge: Callable[[Any, Any], ResourceOptions] | None = None) -> Iterator[None]:
    """While a program runs here: no stack-trace walk (``_get_stack_trace``: source lines read per
    resource for the Pulumi CLI to show; a fifth of an evaluation), no debug log, annotations resolved
    once the names typeloading.py owes are in, and, given the fast path's hooks, a ``Resource.__init__``,
    a ``register_resource_outputs`` that ask them first, and their ``ResourceOptions.merge``. All put back after."""
    stack_trace, debug, init, outputs = _runtime_resource._get_stack_trace, pulumi.log.debug, Resource.__init__, _pulumi_resource.register_resource_outputs  # type: ignore[attr-defined]  # the name ComponentResource.register_outputs calls
    original_merge, globals_for_cls = ResourceOptions.__dict__["merge"], _types._globals_for_cls  # merge: a plain function on the class, as merging.merge is
    _runtime_resource._get_stack_trace = source_pb2.StackTrace
    pulumi.log.debug = _no_debug_log
    if register is not None:
        Resource.__init__ = _asking(register, init)  # type: ignore[method-assign]  # restored below
    if register_outputs is not None:
        _pulumi_resource.register_resource_outputs = _asking_outputs(register_outputs, outputs)  # type: ignore[attr-defined,assignment]  # restored below
    if merge is not None:
        ResourceOptions.merge = merge  # type: ignore[assignment]  # restored below
    _types._globals_for_cls = typeloading.completing(globals_for_cls)  # type: ignore[assignment]  # restored below
    try:
        yield
    finally:
        _types._globals_for_cls = globals_for_cls
        ResourceOptions.merge = original_merge  # type: ignore[method-assign]  # put back
        Resource.__init__ = init  # type: ignore[method-assign]  # put back
        _pulumi_resource.register_resource_outputs = outputs  # type: ignore[attr-defined]  # put back
        pulumi.log.debug = debug
        _runtime_resource._get_stack_trace = stack_trace


def _asking(register: Register, init: Callable[..., None]) -> Callable[..., None]:
    # Resource.__init__'s own parameters, so a subclass's super().__init__ call binds as it does there.
    def resource_init(
        res: Resource, t: str, name: str, custom: bool, props: Any = None, opts: ResourceOptions | None = None,
        remote: bool = False, dependency: bool = False, package_ref: Any = None,
    ) -> None:
        if not register(res, t, name, custom, props, opts, remote, dependency, package_ref):
            init(res, t, name, custom, props, opts, remote, dependency, package_ref)

    return resource_init


def _asking_outputs(register: RegisterOutputs, original: Callable[[Resource, Any], None]) -> Callable[[Resource, Any], None]:
    def register_resource_outputs(res: Resource, outputs: Any) -> None:
        if not register(res, outputs):
            original(res, outputs)

    return register_resource_outputs


# --- what the fast path does in Resource.__init__'s place ----------------------------------------

UNKNOWN: str = rpc.UNKNOWN
"""The wire form of an unknown value."""
SPECIAL_SIGNATURE: str = rpc._special_sig_key
"""The key marking a secret, asset, archive or resource reference in wire form."""


# register_resource's and resolve_outputs' own translations, from pulumi._types.
is_input_type = _types.is_input_type
"""Whether a type is an input type (an Args class), not a plain value."""
input_type_properties = _types.input_type_to_untranslated_dict
"""An input type's (an Args object's) properties, by Python name."""
input_type_wire = _types.input_type_to_dict
"""A nested input type's properties, by Pulumi name, as ``serialize_property`` reads them."""
py_to_pulumi_names = _types.input_type_py_to_pulumi_names
pulumi_to_py_names = _types.resource_pulumi_to_py_names
output_types = _types.resource_types
"""The types a resource's output properties are translated to."""
package_of = _runtime_resource._pkg_from_type
"""The package a type token belongs to (``kubernetes`` of ``kubernetes:core/v1:Namespace``)."""


def has_transformations(res: Resource) -> bool:
    return bool(res._transformations)


def resource_name(res: Resource) -> str:
    return res._name


def protect_of(res: Resource) -> bool | None:
    return res._protect


def dependencies(opts: ResourceOptions) -> Any:
    """``depends_on`` as a list, or an Output of one when it was given as an Output."""
    return opts._depends_on_list()


def inherited_providers(opts: ResourceOptions) -> Any:
    """The providers a resource inherits from its parent (``Resource.__init__``: the parent's own map)."""
    return opts.parent._providers if opts.parent is not None else {}


def providers_for(t: str, opts: ResourceOptions) -> tuple[pulumi.ProviderResource | None, Mapping[str, pulumi.ProviderResource]]:
    """The provider and providers map ``Resource.__init__`` gives a resource of type ``t``: the SDK's
    own selection, with the providers it inherits from its parent. Changes nothing. Call it only
    without both ``provider`` and ``providers`` set, where the SDK would warn on the resource. All
    ``_get_providers`` reads of the resource it selects for is its ``_providers`` (which
    ``Resource.__init__`` sets from the parent first), and it does not mutate it."""
    selecting_for = SimpleNamespace(_providers=inherited_providers(opts))
    return Resource._get_providers(selecting_for, t, package_of(t), opts)  # type: ignore[arg-type]  # only _providers is read


def set_resource_fields(
    res: Resource, *, t: str, name: str, opts: ResourceOptions, protect: bool | None,
    provider: pulumi.ProviderResource | None, providers: Mapping[str, pulumi.ProviderResource],
) -> None:
    """What ``Resource.__init__`` sets on a resource (and its parent) before it registers it."""
    res._transformations = []
    res._name = name
    res._type = t
    res._aliases = []  # only read when the monitor lacks alias specs; the mock monitor has them
    res._childResources = set()
    if opts.parent is not None:
        opts.parent._childResources.add(res)
    res._protect = protect
    res._provider = provider
    res._providers = providers
    res._version = opts.version
    res._plugin_download_url = opts.plugin_download_url


def set_output(res: Resource, key: str, output: pulumi.Output[Any]) -> None:
    """Give ``res`` the attribute ``key`` (``urn``, ``id`` or a property) as an Output it already holds,
    in place of the one ``register_resource`` would have made."""
    res.__dict__[key] = output


def settled(output: pulumi.Output[Any]) -> tuple[Any, bool, bool] | None:
    """An Output's value, whether it is known and whether it is secret, if it has already settled
    with a value; None while it is pending or when it failed."""
    data = output._data
    if not data.done() or data.cancelled() or data.exception() is not None:
        return None
    resolved = data.result()
    return resolved.value, resolved.is_known, resolved.is_secret


class Resolved(pulumi.Output[Any]):
    """An Output whose value is already determined: ``compute(argument)``, computed the first time
    anything awaits it. Slots: a resource has one per property."""

    __slots__ = ("_argument", "_compute", "_known", "_memo", "_resource")

    def __init__(self, resource: Resource, compute: Callable[[Any], Any], argument: Any, known: bool = True) -> None:
        # Output.__init__ would schedule a task; nothing here needs the event loop until awaited.
        self._resource = resource
        self._compute: Callable[[Any], Any] | None = compute
        self._argument = argument
        self._known = known
        self._memo: asyncio.Future[Any] | None = None

    @property  # a computed attribute in place of Output's stored future
    def _data(self) -> asyncio.Future[Any]:
        if self._memo is None:
            future: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
            compute, argument, self._compute, self._argument = self._compute, self._argument, None, None
            try:
                assert compute is not None
                future.set_result(_OutputData(resources={self._resource}, value=compute(argument), is_known=self._known, is_secret=False))
            except Exception as error:  # noqa: BLE001 - delivered to whoever awaits it, as a failed registration's Outputs are
                future.set_exception(error)
            self._memo = future
        return self._memo

    @_data.setter
    def _data(self, future: asyncio.Future[Any]) -> None:
        self._memo = future


def translate_output(raw: Any, transform: Callable[[str], str], typ: Any, by_metadata: bool, key: str, resource: str, fallback: bool) -> Any:
    """A property's wire value as its Output holds it (``translate_output_properties``)."""
    return rpc.translate_output_properties(raw, transform, typ, by_metadata, path=rpc._Path(key, resource=resource), return_none_on_dict_type_mismatch=fallback)


def in_rpc_manager(name: str, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``work`` as a task the run waits for before it ends, as the SDK's own RPCs are."""
    asyncio.ensure_future(settings._get_rpc_manager().do_rpc(name, work)())  # noqa: RUF006 - the RPC manager keeps and awaits it


def await_outputs(outputs: Any) -> None:
    """A component's outputs awaited as ``register_resource_outputs`` awaits them, without the round
    trip: an Output among them that fails fails the run."""

    async def serialize() -> None:
        await rpc.serialize_properties(outputs, {})

    in_rpc_manager("register resource outputs", serialize)


def resolve_from_answer(res: Resource, props: Mapping[str, Any], custom: bool, typ: type | None, state: Any) -> None:
    """A mock answered with more than plain values (secrets, assets, Outputs): resolve the
    resource's properties from that answer exactly as ``register_resource`` does, as a task."""
    resolvers = rpc.transfer_properties(res, props, custom)

    async def resolve() -> None:
        translate = None if typ is not None else res.translate_input_property
        sent = await rpc.serialize_properties(props, {}, res, translate, typ)
        answer = await rpc.serialize_properties(state, {})
        rpc.resolve_outputs(res, sent, answer, {}, resolvers, custom, typ is not None, True)

    in_rpc_manager("register resource", resolve)
