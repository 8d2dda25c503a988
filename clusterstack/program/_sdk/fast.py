"""The fast path: resources registered the moment they are constructed, without the SDK's round trip.

Under the SDK's mock runtime every resource costs an asyncio task, futures for each of its
properties, its inputs serialized to protobuf and back, a thread-pool hop to the mock monitor, and a
debug log request; at a few thousand resources that is seconds, most of it the garbage collector
walking the objects all of it leaves behind. For the resources clusterstack programs are made of,
none of that changes the outcome: their inputs are plain values, so what the monitor receives is
known the moment the resource is constructed, and a mock's answer is known as soon as it is asked.

So while a program runs here, ``Resource.__init__`` first asks ``FastPath.register`` whether it can
take the resource (``check``, which changes nothing and says why not), and if so registers it
(``commit``). It can when everything about the resource is plain and already known:

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
Outputs that compute their value when first awaited (wire.py). Anything else (Secrets, whose data
pulumi-kubernetes wraps in ``Output.secret``; inputs waiting on other Outputs; ``get``/``read``;
transformations; non-Kubernetes packages) goes the SDK's own way, unchanged.

Every SDK internal this relies on is reached through ``pulumi_internals``, pinned to the SDK
versions it was proven on (``PROVEN_ON``): tests run every shipped stack, example and a set of
generated programs both ways and compare the results byte for byte, and tests/test_sdk.py checks
each internal it uses. On any other SDK version the fast path is off unless ``CLUSTERSTACK_EVAL=fast``
forces it (which is how the tests prove a new version).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.resource import Resource, ResourceOptions

from ..evalpath import EVAL_ENV, PROVEN_ON, Mode, mode
from . import pulumi_internals as internals
from .goals import Goals
from .records import NO_SECRETS, STACK_TYPE, AliasSpec, Registration, parent_of, unwrap_secrets
from .taking import (
    ALIAS_FIELD,
    KUBERNETES_PROVIDER,
    NO_FIELDS,
    OPTIONS_DECLINED,
    OPTIONS_TAKEN,
    OPTIONS_UNSEEN,
    alias_names,
    check_kind,
    checked_options,
    properties,
    replace_on_changes,
)
from .wire import Declined, known_value, set_outputs, wire, wire_inputs, wire_state

__all__ = ["EVAL_ENV", "KUBERNETES_PROVIDER", "OPTIONS_DECLINED", "OPTIONS_TAKEN", "OPTIONS_UNSEEN", "PROVEN_ON", "Declined", "FastPath", "Mode", "mode"]


@dataclass(slots=True)
class Taken:
    """A registration the fast path can take, prepared by ``FastPath.check`` for ``FastPath.commit``."""

    res: Resource
    t: str
    name: str
    custom: bool
    opts: ResourceOptions
    props: Mapping[str, Any]
    typ: type | None
    """The resource's input type, when its properties came as one (an Args object)."""
    inputs: dict[str, Any]
    """The properties as the monitor receives them."""
    numbers: frozenset[str]
    """The properties whose value holds a number (``wire_inputs``)."""
    urn: str
    parent_urn: str
    protect: bool | None
    """``protect`` as ``Resource.__init__`` sets it (the SDK inherits it from the parent)."""
    held: tuple[bool | None, bool | None]
    """``protect`` and ``retainOnDelete`` as the engine holds them (goals.py)."""
    provider: pulumi.ProviderResource | None
    providers: Mapping[str, pulumi.ProviderResource]
    provider_ref: str
    aliases: tuple[AliasSpec, ...]
    replace_on_changes: tuple[str, ...]


class FastPath:
    """Registers the resources it can take for one program run; see the module's docstring."""

    def __init__(
        self,
        monitor: internals.MockMonitor,
        mocks: pulumi.runtime.Mocks,
        keep: Callable[[Registration], None],
        make_urn: Callable[[str, str, str], str],
        goals: Goals,
    ) -> None:
        self.monitor = monitor
        self.goals = goals
        """Where the engine's inheritance from a parent's goal is done, for both paths alike."""
        self.mocks = mocks
        self.keep = keep
        """How a registration is kept (``RecordingMonitor.keep``)."""
        self.make_urn = make_urn
        self.urns: dict[Resource, str] = {}
        """Each resource registered here (and the root stack), by identity: its URN."""
        self.ids: dict[Resource, str] = {}
        self.declined: Counter[str] = Counter()
        """Why resources went the SDK's way, and how many."""
        self.alias_specs: dict[AliasSpec, AliasSpec] = {}
        self.unparented_aliases: dict[tuple[str, str, str, str], AliasSpec] = {}
        """The specs of aliases that leave the parent as it is, by their name, type, stack and project."""
        self.selections: dict[tuple[Any, ...], tuple[pulumi.ProviderResource | None, Mapping[str, pulumi.ProviderResource]]] = {}
        """The SDK's provider selection for resources whose options name no provider, by type and the providers their parent holds."""

    def release(self) -> None:
        """Empty every resource registered here (its attributes go) and forget them, for a caller done
        with the run's resource objects. A resource and its Outputs refer to each other (an Output
        holds its resource, the resource its Outputs), and such cycles are freed only by the cyclic
        collector, which the CLI turns off: emptied, they are freed as the last reference goes, and
        the memory they took (about 80 MiB at 10,000 namespaces) serves what the command does next
        rather than new pages. The registrations hold no resource, so what the run gives is unchanged."""
        for res in self.urns:
            vars(res).clear()
        self.urns.clear()
        self.ids.clear()
        self.selections.clear()

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
        if dependency or remote or package_ref is not None or not _named(t, name):
            return False
        self._know_root()
        checked = self.check(res, t, name, custom, props, opts)
        if isinstance(checked, str):
            self.declined[checked] += 1
            return False
        self.commit(checked)
        return True

    def check(self, res: Resource, t: str, name: str, custom: bool, props: Any, opts: ResourceOptions | None) -> Taken | str:
        """The registration prepared, if the fast path can take it; else the reason it cannot. Changes nothing."""
        try:
            return self._prepare(res, t, name, custom, props, opts)
        except Declined as reason:
            return str(reason)

    def _prepare(self, res: Resource, t: str, name: str, custom: bool, given: Any, options: ResourceOptions | None) -> Taken:
        check_kind(t, custom)
        opts = checked_options(options)
        parent_urn = self._parent_urn(opts, pulumi.runtime.get_root_resource())
        props, typ = properties(res, given)
        inputs, numbers = wire_inputs(props, typ)
        protect = opts.protect if opts.protect is not None or opts.parent is None else internals.protect_of(opts.parent)
        held = self.goals.inherited(parent_urn, protect, opts.retain_on_delete)
        provider, providers, provider_ref = self._providers(t, custom, opts)
        return Taken(
            res=res,
            t=t,
            name=name,
            custom=custom,
            opts=opts,
            props=props,
            typ=typ,
            inputs=inputs,
            numbers=numbers,
            urn=self.make_urn(parent_urn, t, name),
            parent_urn=parent_urn,
            protect=protect,
            held=held,
            provider=provider,
            providers=providers,
            provider_ref=provider_ref,
            aliases=tuple(self._alias(alias) for alias in opts.aliases or ()),
            replace_on_changes=replace_on_changes(res, typ, opts.replace_on_changes),
        )

    def _know_root(self) -> None:
        """The root stack's URN, as the parent of every resource declared without one."""
        root = pulumi.runtime.get_root_resource()
        if root is not None and root not in self.urns:
            self.urns[root] = self.make_urn("", STACK_TYPE, internals.resource_name(root))

    def _parent_urn(self, opts: ResourceOptions, root: Resource | None) -> str:
        """The parent's URN, if nothing above the resource asks for the SDK's way."""
        if root is None or internals.has_transformations(root) or internals.stack_transforms_registered(self.monitor):
            raise Declined("stack transformations")
        parent = opts.parent if opts.parent is not None else root
        parent_urn = self.urns.get(parent)
        if parent_urn is None:
            raise Declined("a parent registered the SDK's way")
        if internals.has_transformations(parent):
            raise Declined("transformations")
        if opts.depends_on:
            dependencies = internals.dependencies(opts)
            if not isinstance(dependencies, list) or not all(isinstance(dependency, Resource) for dependency in dependencies):
                raise Declined("dependencies given as Outputs")
        return parent_urn

    def _providers(self, t: str, custom: bool, opts: ResourceOptions) -> tuple[pulumi.ProviderResource | None, Mapping[str, pulumi.ProviderResource], str]:
        """``Resource.__init__``'s provider selection (the SDK's own, reading the providers the
        resource inherits from its parent), and the provider reference the monitor receives."""
        if opts.provider is not None and opts.providers:
            raise Declined("both the provider and providers options")  # the SDK warns about the pair
        inherited = internals.inherited_providers(opts)
        providers: Mapping[str, pulumi.ProviderResource]
        if opts.provider is None and not opts.providers and type(inherited) is dict:
            # Then the selection depends only on the type and the providers the parent holds (which
            # it was given when it registered, and keeps): made once for all resources of a type
            # under parents holding the same ones. Each resource still gets a map of its own, as
            # the SDK gives it.
            key = (t, *inherited.items())
            selection = self.selections.get(key)
            if selection is None:
                selection = self.selections[key] = internals.providers_for(t, opts)
            provider, providers = selection[0], dict(selection[1])
        else:
            provider, providers = internals.providers_for(t, opts)
        if not custom or provider is None:
            return provider, providers, ""
        if provider.package != internals.package_of(t) or provider not in self.urns:
            raise Declined("a provider registered the SDK's way")
        return provider, providers, f"{self.urns[provider]}::{self.ids[provider] or internals.UNKNOWN}"

    def _alias(self, alias: Any) -> AliasSpec:
        """An alias as the mock monitor receives it (``prepare_aliases``/``create_alias_spec``); one
        object for equal ones (pulumi-kubernetes gives every resource of a kind the same alias)."""
        if type(alias) is pulumi.Alias:
            name, type_, stack, project = alias.name, alias.type_, alias.stack, alias.project
            if type(name) in ALIAS_FIELD and type(type_) in ALIAS_FIELD and type(stack) in ALIAS_FIELD and type(project) in ALIAS_FIELD:
                # The fields spelled out: unset ones (None, ...) are "", as the monitor receives them.
                fields = (
                    name if type(name) is str else "",
                    type_ if type(type_) is str else "",
                    stack if type(stack) is str else "",
                    project if type(project) is str else "",
                )
                parent: Any = alias.parent  # the SDK types it without its default, ... (unset)
                if parent is ...:
                    # The parent left as it is: the spec follows from the fields alone, and is looked
                    # up by them (every resource of a pulumi-kubernetes kind has this alias).
                    known = self.unparented_aliases.get(fields)
                    if known is None:
                        spec = AliasSpec(name=fields[0], type=fields[1], stack=fields[2], project=fields[3])
                        known = self.unparented_aliases[fields] = self.alias_specs.setdefault(spec, spec)
                    return known
                spec = AliasSpec(name=fields[0], type=fields[1], stack=fields[2], project=fields[3], **self._alias_parent(parent))
                return self.alias_specs.setdefault(spec, spec)
        if isinstance(alias, str):
            spec = AliasSpec(urn=alias)
        elif not isinstance(alias, pulumi.Alias):
            raise Declined("an alias given as an Output")
        else:
            spec = AliasSpec(**alias_names(alias), **self._alias_parent(alias.parent))
        return self.alias_specs.setdefault(spec, spec)

    def _alias_parent(self, parent: Any) -> dict[str, Any]:
        if parent is ...:
            return NO_FIELDS
        if parent is None:
            return {"no_parent": True}
        if isinstance(parent, Resource):
            if parent not in self.urns:
                raise Declined("an alias parent registered the SDK's way")
            return {"parent": self.urns[parent]}
        if isinstance(parent, str):
            return {"parent": parent}
        raise Declined("an alias parent given as an Output")

    def commit(self, taken: Taken) -> None:
        """Register what ``check`` prepared: the resource set up as ``Resource.__init__`` sets it, the
        mock asked, the registration stored and recorded, and the resource's Outputs in place."""
        res, opts = taken.res, taken.opts
        internals.set_resource_fields(
            res,
            t=taken.t,
            name=taken.name,
            opts=opts,
            protect=taken.protect,
            provider=taken.provider if taken.custom else None,
            providers=taken.providers,
        )
        args = pulumi.runtime.MockResourceArgs(
            typ=taken.t, name=taken.name, inputs=taken.inputs, provider=taken.provider_ref, resource_id="", custom=taken.custom, transforms=[]
        )
        id_, state = self.mocks.new_resource(args)
        internals.monitor_store(self.monitor, taken.urn, id_ or "", state)
        answered = _answered(state, taken.inputs)
        self._record(taken, state, plain=answered is not None)
        urn = self.urns[res] = taken.urn
        internals.set_output(res, "urn", internals.Resolved(res, known_value, urn))
        if taken.custom:
            self.ids[res] = id_ or ""
            internals.set_output(res, "id", internals.Resolved(res, known_value, id_, known=bool(id_)))
        if answered is None:
            internals.resolve_from_answer(res, taken.props, taken.custom, taken.typ, state)
        else:
            set_outputs(res, taken.props, taken.custom, taken.typ, taken.name, answered, taken.inputs)

    def _record(self, taken: Taken, state: Any, plain: bool) -> None:
        """Keep the registration as ``RecordingMonitor.record`` would, made here at once: it is for
        every resource, and keyword arguments passed on twice were half its cost."""
        held_protect, held_retain = taken.held
        delete_before_replace = taken.opts.delete_before_replace
        inputs, secrets = (state, NO_SECRETS) if plain else unwrap_secrets(state)
        self.keep(
            Registration(
                urn=taken.urn,
                type=taken.t,
                name=taken.name,
                parent=parent_of(taken.parent_urn),
                custom=taken.custom,
                inputs=inputs,
                provider=taken.provider_ref,
                aliases=taken.aliases,
                protect=bool(held_protect),
                retain_on_delete=bool(held_retain),
                delete_before_replace=None if delete_before_replace is None else bool(delete_before_replace),
                replace_on_changes=taken.replace_on_changes,
                secrets=secrets,
                # Known of the inputs, so of the answer when the mock echoes them.
                numbers=taken.numbers if plain and state is taken.inputs else None,
            )
        )
        self.goals.hold(taken.urn, taken.parent_urn, held_protect, held_retain)

    def register_outputs(self, res: Resource, outputs: Any) -> bool:
        """A component's ``register_outputs``, if the component was registered here; False if it must
        go the SDK's way. The mock monitor does nothing with a component's outputs: all that can
        come of them is an Output among them failing, which fails the run; so plain outputs are done
        with, and others are awaited, as the SDK awaits them, without the round trip."""
        if res not in self.urns or not internals.monitor_ignores_outputs(self.monitor):
            return False
        try:
            wire(outputs or {}, translated=False)
        except Declined:
            internals.await_outputs(outputs or {})
        return True


def _named(t: Any, name: Any) -> bool:
    return isinstance(t, str) and isinstance(name, str) and bool(name)


def _answered(state: Any, inputs: dict[str, Any]) -> dict[str, Any] | None:
    """The mock's answer in wire form, or None when it holds more than plain values."""
    try:
        return wire_state(state, inputs)
    except Declined:
        return None
