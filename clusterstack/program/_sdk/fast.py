"""The fast path: resources registered the moment they are constructed, without the SDK's round trip.

Under the SDK's mock runtime every resource costs an asyncio task, futures for each of its
properties, its inputs serialized to protobuf and back, a thread-pool hop to the mock monitor, and a
debug log request; at a few thousand resources that is seconds, most of it the garbage collector
walking the objects all of it leaves behind. For the resources clusterstack programs are made of,
none of that changes the outcome: their inputs are plain values, so what the monitor receives is
known the moment the resource is constructed, and a mock's answer is known as soon as it is asked.

So while a program runs here, ``Resource.__init__`` first asks ``FastPath.register`` whether it can
take the resource. It can when everything about the resource is plain and already known:

- a pulumi-kubernetes resource or provider, or a component (not the stack, not a remote component);
- inputs of plain values (str, bool, numbers, lists, dicts, the SDK's input types, and Outputs that
  have already resolved to such values, known and not secret) whose keys need no translation;
- options limited to a parent, providers, aliases, dependencies, ``replaceOnChanges`` and the
  ``protect``, ``retainOnDelete`` and ``deleteBeforeReplace`` flags, where every resource named
  (parent, provider, alias parent) was itself registered here (``ignoreChanges`` and
  ``customTimeouts``, which the recording shows, go the SDK's way: rare, and translated there);
- no transformations or transforms anywhere above it, nor a stack transform (goals.py runs those
  on the SDK's way as the engine does).

Then it does what ``Resource.__init__``, ``register_resource`` and the mock monitor would have done
(the SDK's own helpers where there are any: provider selection, key translation, output types), and
records the registration exactly as ``RecordingMonitor`` would have. The resource's properties are
Outputs that compute their value when first awaited. Anything else (Secrets, whose data
pulumi-kubernetes wraps in ``Output.secret``; inputs waiting on other Outputs; ``get``/``read``;
transformations; non-Kubernetes packages) goes the SDK's own way, unchanged.

What this relies on is pinned to the SDK version it was proven on (``PROVEN_ON``): tests run every
shipped stack, example and a set of generated programs both ways and compare the results byte for
byte, and tests/test_sdk.py checks each internal it uses. On any other SDK version the fast path is
off unless ``CLUSTERSTACK_EVAL=fast`` forces it (which is how the tests prove a new version).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
from pulumi import _types
from pulumi.resource import Resource, ResourceOptions
from pulumi.runtime import rpc
from pulumi.runtime import settings as _settings
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs
from pulumi.runtime.resource import _pkg_from_type

from ..evalpath import EVAL_ENV, PROVEN_ON, Mode, mode
from .alias import AliasSpec
from .goals import Goals

__all__ = ["EVAL_ENV", "PROVEN_ON", "Declined", "FastPath", "Mode", "mode"]

STACK_TYPE = "pulumi:pulumi:Stack"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"

# Every ResourceOptions field, by what the fast path does with it. tests/test_sdk.py checks this is
# all of them, so an option added by an SDK upgrade is classified before the fast path trusts it.
OPTIONS_TAKEN = frozenset(
    {"parent", "depends_on", "protect", "provider", "providers", "aliases", "retain_on_delete", "delete_before_replace", "replace_on_changes"}
)
"""Options the fast path applies as ``Resource.__init__`` does."""
OPTIONS_UNSEEN = frozenset({"version", "plugin_download_url", "additional_secret_outputs", "hide_diffs"})
"""Options that reach the engine but change nothing the mock monitor answers or records."""
OPTIONS_DECLINED = frozenset(
    {
        "id",
        "urn",
        "import_",
        "transformations",
        "transforms",
        "ignore_changes",
        "custom_timeouts",
        "hooks",
        "replacement_trigger",
        "deleted_with",
        "replace_with",
        "env_var_mappings",
        "state_migrations",
    }
)
"""Options that send a resource the SDK's way when set."""

class Declined(Exception):
    """The resource is not one the fast path takes; the reason says why."""


Record = Callable[..., None]
"""How a registration is recorded: ``RecordingMonitor.record``'s signature."""


class FastPath:
    """Registers the resources it can take for one program run; see the module's docstring."""

    def __init__(
        self, monitor: MockMonitor, mocks: pulumi.runtime.Mocks, record: Record, make_urn: Callable[[str, str, str], str], goals: Goals
    ) -> None:
        self.monitor = monitor
        self.goals = goals
        """Where the engine's inheritance from a parent's goal is done, for both paths alike."""
        self.mocks = mocks
        self.record = record
        self.make_urn = make_urn
        self.urns: dict[Resource, str] = {}
        """Each resource registered here (and the root stack), by identity: its URN."""
        self.ids: dict[Resource, str] = {}
        self.declined: Counter[str] = Counter()
        """Why resources went the SDK's way, and how many."""

    def register(
        self,
        res: Resource,
        t: str,
        name: str,
        custom: bool,
        props: Any,
        opts: ResourceOptions | None,
        remote: bool,
        dependency: bool,
        package_ref: Any,
    ) -> bool:
        """Register ``res`` as ``Resource.__init__`` would, if it can be taken; False (having changed
        nothing) if it must go the SDK's way."""
        if dependency or remote or package_ref is not None or not isinstance(t, str) or not isinstance(name, str) or not name:
            return False
        try:
            taken = self._take(res, t, name, custom, props, opts)
        except Declined as reason:
            self.declined[str(reason)] += 1
            return False
        taken()
        return True

    def _take(self, res: Resource, t: str, name: str, custom: bool, props: Any, opts: ResourceOptions | None) -> Callable[[], None]:
        """Check everything and prepare the registration; the returned function commits it."""
        if custom:
            if not (t.startswith("kubernetes:") or t == KUBERNETES_PROVIDER):
                raise Declined("a custom resource of another package")
        elif t == STACK_TYPE or t.startswith(("kubernetes:", "pulumi:")):
            raise Declined("a component of a provider package")
        if opts is None:
            opts = ResourceOptions()
        elif type(opts) is not ResourceOptions:
            raise Declined("resource options of another class")
        for option in OPTIONS_DECLINED:
            if _set(getattr(opts, option, None)):
                raise Declined(f"the {option} option")

        root = _settings.get_root_resource()
        if root is None or root._transformations or getattr(self.monitor, "_stack_transforms", None):
            raise Declined("stack transformations")
        if root not in self.urns:
            self.urns[root] = self.make_urn("", STACK_TYPE, root._name)
        parent = opts.parent if opts.parent is not None else root
        parent_urn = self.urns.get(parent)
        if parent_urn is None:
            raise Declined("a parent registered the SDK's way")
        if parent._transformations:
            raise Declined("transformations")
        if opts.depends_on:
            dependencies = opts._depends_on_list()
            if not isinstance(dependencies, list) or not all(isinstance(dependency, Resource) for dependency in dependencies):
                raise Declined("dependencies given as Outputs")

        typ: type | None = type(props)
        if props is None:
            props, typ = {}, None
        elif typ is not None and _types.is_input_type(typ):
            props = _types.input_type_to_untranslated_dict(props)
        elif isinstance(props, Mapping):
            typ = None
            if type(res).translate_input_property is not Resource.translate_input_property:
                raise Declined("a resource that translates its own property names")
        else:
            return _declined("properties that are not a mapping")
        to_pulumi = _py_to_pulumi_names(typ) if typ is not None else {}
        inputs: dict[str, Any] = {}
        for key in props:
            wired = _wire(props[key], translated=typ is not None)
            if wired is not None:
                inputs[to_pulumi.get(key) or key] = wired

        # Resource.__init__'s option inheritance, with the SDK's own provider selection (which reads
        # the providers the resource inherits from its parent).
        protect = opts.protect if opts.protect is not None or opts.parent is None else opts.parent._protect
        # Then the engine's (goals.py): what is still unset comes from the parent's goal.
        held_protect, held_retain = self.goals.inherited(parent_urn, protect, opts.retain_on_delete)
        res._providers = opts.parent._providers if opts.parent is not None else {}
        provider, providers = res._get_providers(t, _pkg_from_type(t), opts)
        provider_ref = ""
        if custom and provider is not None:
            if provider.package != _pkg_from_type(t) or provider not in self.urns:
                raise Declined("a provider registered the SDK's way")
            provider_ref = f"{self.urns[provider]}::{self.ids[provider] or rpc.UNKNOWN}"
        if opts.provider is not None and opts.providers:
            raise Declined("both the provider and providers options")  # the SDK warns about the pair
        aliases = tuple(self._alias(alias) for alias in opts.aliases or ())
        replace_on_changes = _replace_on_changes(res, typ, opts.replace_on_changes)
        urn = self.make_urn(parent_urn, t, name)

        def commit() -> None:
            res._transformations = []
            res._name = name
            res._type = t
            res._aliases = []  # only read when the monitor lacks alias specs; the mock monitor has them
            res._childResources = set()
            if opts.parent is not None:
                opts.parent._childResources.add(res)
            res._protect = protect
            res._provider = provider if custom else None
            res._providers = providers
            res._version = opts.version
            res._plugin_download_url = opts.plugin_download_url

            id_, state = self.mocks.new_resource(
                MockResourceArgs(typ=t, name=name, inputs=inputs, provider=provider_ref, resource_id="", custom=custom, transforms=[])
            )
            self.monitor.resources[urn] = MockMonitor.ResourceRegistration(urn, id_ or "", state)
            try:
                answered: dict[str, Any] | None = _wire_state(state, inputs)
            except Declined:
                answered = None
            self.record(
                urn=urn,
                type=t,
                name=name,
                parent=parent_urn,
                custom=custom,
                inputs=state,
                plain=answered is not None,
                provider=provider_ref,
                aliases=aliases,
                protect=bool(held_protect),
                retain_on_delete=bool(held_retain),
                delete_before_replace=None if opts.delete_before_replace is None else bool(opts.delete_before_replace),
                replace_on_changes=replace_on_changes,
            )
            self.goals.hold(urn, parent_urn, held_protect, held_retain)
            self.urns[res] = urn
            res.__dict__["urn"] = Resolved(res, lambda: urn)
            if custom:
                self.ids[res] = id_ or ""
                res.__dict__["id"] = Resolved(res, lambda: id_, known=bool(id_))
            if answered is None:
                _resolve_the_sdk_way(res, props, custom, typ, state)
            else:
                _set_outputs(res, props, custom, typ, name, answered, inputs)

        return commit

    def register_outputs(self, res: Resource, outputs: Any) -> bool:
        """A component's ``register_outputs``, if the component was registered here; False if it must
        go the SDK's way. The mock monitor does nothing with a component's outputs: all that can
        come of them is an Output among them failing, which fails the run; so plain outputs are done
        with, and others are awaited, as the SDK awaits them, without the round trip."""
        if res not in self.urns or type(self.monitor).RegisterResourceOutputs is not MockMonitor.RegisterResourceOutputs:
            return False
        try:
            _wire(outputs or {}, translated=False)
        except Declined:

            async def serialize() -> None:
                await rpc.serialize_properties(outputs or {}, {})

            # The RPC manager keeps the task and waits for it before the run ends.
            asyncio.ensure_future(_settings._get_rpc_manager().do_rpc("register resource outputs", serialize)())  # noqa: RUF006
        return True

    def _alias(self, alias: Any) -> Any:
        """An alias as the mock monitor receives it (``prepare_aliases``/``create_alias_spec``)."""
        if isinstance(alias, str):
            return AliasSpec(urn=alias)
        if not isinstance(alias, pulumi.Alias):
            raise Declined("an alias given as an Output")
        fields: dict[str, Any] = {}
        for field, attribute in (("name", "name"), ("type", "type_"), ("stack", "stack"), ("project", "project")):
            value = getattr(alias, attribute)
            if value is ... or value is None:
                continue
            if not isinstance(value, str):
                raise Declined("an alias with Output fields")
            fields[field] = value
        parent: Any = alias.parent
        if parent is None:
            fields["no_parent"] = True
        elif isinstance(parent, Resource):
            if parent not in self.urns:
                raise Declined("an alias parent registered the SDK's way")
            fields["parent"] = self.urns[parent]
        elif isinstance(parent, str):
            fields["parent"] = parent
        elif parent is not ...:
            raise Declined("an alias parent given as an Output")
        return AliasSpec(**fields)


def _replace_on_changes(res: Resource, typ: type | None, paths: Any) -> tuple[str, ...]:
    """The ``replaceOnChanges`` paths as ``register_resource`` sends them
    (``_translate_replace_on_changes``): a whole path that is a Python name of the input type becomes
    its Pulumi name; without an input type, the resource translates each itself."""
    if not paths:
        return ()
    if not isinstance(paths, (list, tuple)) or not all(type(path) is str for path in paths):
        raise Declined("replace_on_changes that are not strings")
    if typ is not None:
        names = _py_to_pulumi_names(typ)
        return tuple(names.get(path) or path for path in paths)
    return tuple(res.translate_input_property(path) for path in paths)


def _set(value: Any) -> bool:
    """An option is set when it holds anything; ResourceOptions.merge leaves an empty hook binding
    (every hook None) on every resource."""
    if isinstance(value, pulumi.ResourceHookBinding):
        return any(vars(value).values())
    return bool(value)


def _declined(reason: str) -> Callable[[], None]:
    raise Declined(reason)


_ABSENT = object()
_PY_TO_PULUMI: dict[type, dict[str, str]] = {}


def _py_to_pulumi_names(typ: type) -> dict[str, str]:
    names = _PY_TO_PULUMI.get(typ)
    if names is None:
        names = _PY_TO_PULUMI[typ] = _types.input_type_py_to_pulumi_names(typ)
    return names


def _wire(value: Any, translated: bool) -> Any:
    """``value`` as the mock monitor receives it: what ``serialize_property`` sends and
    ``deserialize_properties`` reads back (numbers as doubles, tuples as lists, None dropped from
    maps). ``translated``: the value sits under a typed property, where the SDK renames keys by the
    type's metadata, so a key that could be renamed (every such Python name has an underscore)
    declines the resource rather than guess."""
    kind = type(value)
    if kind is str:
        if value == rpc.UNKNOWN:
            raise Declined("an unknown value")
        return value
    if kind is bool or value is None:
        return value
    if kind is int or kind is float:
        return float(value)
    if kind is dict:
        if rpc._special_sig_key in value:
            raise Declined("a special value (secret, asset, resource reference)")
        wired = {}
        for key, item in value.items():
            if type(key) is not str or (translated and "_" in key):
                raise Declined("a key the SDK may rename")
            element = _wire(item, translated)
            if element is not None:
                wired[key] = element
        return wired
    if kind is list or kind is tuple:
        return [_wire(item, translated) for item in value]
    if _types.is_input_type(kind):
        return _wire(_types.input_type_to_dict(value), translated)
    if isinstance(value, pulumi.Output):
        data = value._data
        if not data.done() or data.cancelled() or data.exception() is not None:
            raise Declined("an Output that has not resolved")
        resolved = data.result()
        if not resolved.is_known or resolved.is_secret:
            raise Declined("an unknown or secret Output")
        return _wire(resolved.value, translated)
    raise Declined(f"a {kind.__name__} value")


class Resolved(pulumi.Output[Any]):
    """An Output whose value is already determined, computed the first time anything awaits it."""

    def __init__(self, resource: Resource, compute: Callable[[], Any], known: bool = True) -> None:
        # Output.__init__ would schedule a task; nothing here needs the event loop until awaited.
        self._resource = resource
        self._compute: Callable[[], Any] | None = compute
        self._known = known
        self._memo: asyncio.Future[Any] | None = None

    @property  # a computed attribute in place of Output's stored future
    def _data(self) -> asyncio.Future[Any]:
        if self._memo is None:
            future: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
            compute, self._compute = self._compute, None
            try:
                assert compute is not None
                future.set_result(pulumi.output._OutputData(resources={self._resource}, value=compute(), is_known=self._known, is_secret=False))
            except Exception as error:  # noqa: BLE001 - delivered to whoever awaits it, as a failed registration's Outputs are
                future.set_exception(error)
            self._memo = future
        return self._memo

    @_data.setter
    def _data(self, future: asyncio.Future[Any]) -> None:
        self._memo = future


def _set_outputs(res: Resource, props: Mapping[str, Any], custom: bool, typ: type | None, name: str, answered: dict[str, Any], inputs: dict[str, Any]) -> None:
    """Each of ``res``'s properties as ``register_resource`` leaves it once the monitor has answered
    (``transfer_properties`` then ``resolve_outputs``): the mock's answer, then the inputs it did not
    answer for, translated to the resource's output types."""
    cls = type(res)

    def value_of(key: str) -> Any:
        if typ is not None:
            to_py = _types.resource_pulumi_to_py_names(cls)
            rename: Callable[[str], str] = lambda prop: to_py.get(prop) or prop  # noqa: E731
            passed: Callable[[str], str] = lambda prop: prop  # noqa: E731
        else:
            rename = passed = res.translate_output_property
        types = _types.resource_types(cls)
        for source, fallback in ((answered, False), (inputs, True)):
            for prop, raw in source.items():
                if rename(prop) == key:
                    return rpc.translate_output_properties(
                        raw,
                        passed,
                        types.get(prop),
                        typ is not None,
                        path=rpc._Path(key, resource=name),
                        return_none_on_dict_type_mismatch=fallback,
                    )
        return None

    for key in props:
        if key == "urn" or (key == "id" and custom):
            continue
        res.__dict__[key] = Resolved(res, lambda key=key: value_of(key))  # type: ignore[misc]  # bound per key


def _resolve_the_sdk_way(res: Resource, props: Mapping[str, Any], custom: bool, typ: type | None, state: Any) -> None:
    """A mock answered with more than plain values (secrets, assets, Outputs): resolve the
    resource's properties from that answer exactly as ``register_resource`` does, as a task."""
    resolvers = rpc.transfer_properties(res, props, custom)

    async def resolve() -> None:
        translate = None if typ is not None else res.translate_input_property
        sent = await rpc.serialize_properties(props, {}, res, translate, typ)
        answer = await rpc.serialize_properties(state, {})
        rpc.resolve_outputs(res, sent, answer, {}, resolvers, custom, typ is not None, True)

    # The RPC manager keeps the task and waits for it before the run ends, as for register_resource's.
    asyncio.ensure_future(_settings._get_rpc_manager().do_rpc("register resource", resolve)())  # noqa: RUF006  # noqa: RUF006 - the RPC manager awaits it, as register_resource does


def _wire_state(state: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """The mock's answer as ``resolve_outputs`` reads it back from the monitor's response. A mock
    that echoes an input answers with the very object it was given, already in wire form."""
    if type(state) is not dict:
        raise Declined("a mock's answer that is not a dict")
    wired = {}
    for key, value in state.items():
        element = value if value is inputs.get(key, _ABSENT) else _wire(value, translated=False)
        if element is not None:
            wired[key] = element
    return wired
