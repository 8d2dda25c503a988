"""Register plain Kubernetes objects (dicts) as pulumi-kubernetes resources.

The builders speak the Kubernetes API; this is the one place that speaks pulumi-kubernetes. Each
object becomes the typed resource for its apiVersion and kind (``kubernetes:core/v1:Namespace``).
Kinds of API groups that pulumi-kubernetes does not ship (custom resources) become ``CustomResource``.

Every child's logical name is given by its component and starts with the component's own name
(``payments``, ``payments/tenant-quota``), so any number of components of one type can live in one
program, and an alias on a component carries over to its children: the Pulumi engine renames a
child's old URN by the same prefix.

clusterstack 0.1 named children like pulumi-kubernetes' ConfigGroup, ``<namespace>/<name>``.
Inside ``legacy_urns()``, each child also answers to that name (a Pulumi alias), so a stack
deployed with 0.1 updates in place instead of replacing (and, for a Namespace, deleting) anything.
"""

from __future__ import annotations

import contextvars
import copy
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pulumi
import pulumi_kubernetes as k8s
from pydantic.alias_generators import to_snake

from ..kube.lifecycle import Deletion, OnExisting

_python_name = functools.cache(to_snake)
"""A Kubernetes field's name as pulumi-kubernetes' keyword argument (``stringData`` -> ``string_data``)."""

R = TypeVar("R", bound=pulumi.CustomResource)
P = TypeVar("P", bound=pulumi.CustomResource)

def deletion_options(deletion: Deletion) -> pulumi.ResourceOptions:
    """The Pulumi resource options that give an object its deletion behaviour, on top of what the
    component was given: a setting it does not ask for stays unset (None), never False, so the child
    still inherits the component's ``protect`` (the SDK, resource.py ``Resource.__init__``) and
    ``retainOnDelete`` (the engine, pkg/resource/deploy/source_eval.go ``inheritFromParent``). The
    object is protected when either the component's options or ``deletion`` ask; retained likewise."""
    return pulumi.ResourceOptions(protect=True if deletion == "protect" else None, retain_on_delete=True if deletion == "retain" else None)


_LEGACY_NAMES: contextvars.ContextVar[bool] = contextvars.ContextVar("clusterstack_legacy_names", default=False)
_ADOPTING: contextvars.ContextVar[bool] = contextvars.ContextVar("clusterstack_adopting", default=False)


@contextmanager
def adopting(on: bool = True) -> Iterator[None]:
    """While it is open (and ``on``), every object registered takes over the cluster's own object of
    its identity with pulumi-kubernetes' ``import`` resource option, instead of creating it (which
    fails with AlreadyExists where it exists: pulumi-kubernetes >= 4.29, provider/pkg/await/await.go
    Creation). For objects the stack owns from then on (a tenant's): the first ``pulumi up`` reads the
    object (provider.go Read, which fills the inputs from the live object when importing) and records
    it in Pulumi's state, then updates whatever the program declares differently; later runs with the
    option still set are ordinary updates (pulumi/pulumi pkg/engine/lifecycletest/import_test.go,
    TestImportOption: import, then same, then update; a replacement is refused while the option stays:
    "previously-imported resources that still specify an ID may not be replaced")."""
    token = _ADOPTING.set(on)
    try:
        yield
    finally:
        _ADOPTING.reset(token)


def import_id(obj: dict[str, Any]) -> str:
    """The ID pulumi-kubernetes imports an object by: ``<namespace>/<name>``, or ``<name>`` when
    cluster-scoped (provider/pkg/provider/util.go, parseFqName). Pulumi takes the ID as a plain
    string when the resource is registered, so a name or namespace given as an Output cannot be one."""
    meta = obj["metadata"]
    name, namespace = meta["name"], meta.get("namespace")
    if not isinstance(name, str) or (namespace is not None and not isinstance(namespace, str)):
        raise TypeError(
            f"{obj['kind']} cannot be adopted (onExisting: adopt) while its name or namespace is an Output: Pulumi's import option "
            "takes the object's ID as a plain string when it is registered; give the name as a string, or create the object instead"
        )
    return f"{namespace}/{name}" if namespace else name


@contextmanager
def legacy_urns() -> Iterator[None]:
    """While it is open, every child registered also answers to its clusterstack 0.1 name."""
    token = _LEGACY_NAMES.set(True)
    try:
        yield
    finally:
        _LEGACY_NAMES.reset(token)


def legacy_name(obj: dict[str, Any]) -> str | None:
    """The name clusterstack 0.1 gave an object's resource: ``<namespace>/<name>`` (``<name>`` when
    cluster-scoped); None when either is an Output (0.1 took no Outputs, so nothing to answer to)."""
    meta = obj["metadata"]
    namespace, name = meta.get("namespace"), meta["name"]
    if not isinstance(name, str) or (namespace is not None and not isinstance(namespace, str)):
        return None
    return f"{namespace}/{name}" if namespace else name


def is_builtin_group(group: str) -> bool:
    """Kubernetes' own API groups: the core group (""), dotless groups (apps, batch, policy) and
    ``*.k8s.io``. A CustomResourceDefinition's group must contain a dot, and ``*.k8s.io`` is reserved
    for the Kubernetes project, so every other group is a custom one (``apps.example.com``)."""
    return "." not in group or group.endswith(".k8s.io")


def _pulumi_class(api_version: str, name: str) -> type[pulumi.CustomResource] | None:
    """A class of pulumi-kubernetes' module for a built-in API version, or None.

    pulumi-kubernetes names its modules after the first segment of the group:
    ``rbac.authorization.k8s.io/v1`` -> ``pulumi_kubernetes.rbac.v1``, ``v1`` -> ``core.v1``.
    """
    group, _, version = api_version.rpartition("/")
    if not is_builtin_group(group):
        return None
    package = group.split(".")[0] if group else "core"
    module = getattr(getattr(k8s, package, None), version, None)
    found = getattr(module, name, None)
    return found if isinstance(found, type) and issubclass(found, pulumi.CustomResource) else None


@functools.cache
def resource_class(api_version: str, kind: str) -> type[pulumi.CustomResource] | None:
    """The pulumi-kubernetes class for a built-in kind, or None (a custom resource). Asked for every
    object, of a handful of kinds: each looked up once."""
    return _pulumi_class(api_version, kind)


def patch_class(api_version: str, kind: str) -> type[pulumi.CustomResource] | None:
    """pulumi-kubernetes' ``<Kind>Patch`` class for a built-in kind (``ConfigMapPatch``), or None."""
    return _pulumi_class(api_version, f"{kind}Patch")


def _answering_to_legacy_name(obj: dict[str, Any], opts: pulumi.ResourceOptions, name: str) -> pulumi.ResourceOptions:
    legacy = legacy_name(obj) if _LEGACY_NAMES.get() else None
    if legacy is None or legacy == name:
        return opts
    # What ResourceOptions.merge(opts, ResourceOptions(aliases=[...])) gives, without copying every
    # other option twice (it is on every child of a 0.1 stack); the options' fields copied as
    # copy.copy copies them, without its generic machinery, when they are the SDK's own class.
    if type(opts) is pulumi.ResourceOptions:
        with_alias = pulumi.ResourceOptions.__new__(pulumi.ResourceOptions)
        vars(with_alias).update(vars(opts))
    else:
        with_alias = copy.copy(opts)
    with_alias.aliases = [*(opts.aliases or ()), pulumi.Alias(name=legacy)]
    return with_alias


def register_object(obj: dict[str, Any], opts: pulumi.ResourceOptions, name: str) -> pulumi.CustomResource:
    """Register ``obj`` as the child ``name``, as its pulumi-kubernetes class (or a CustomResource);
    inside ``adopting()``, importing the cluster's object of that identity."""
    opts = _answering_to_legacy_name(obj, opts, name)
    if _ADOPTING.get():
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(import_=import_id(obj)))
    cls = resource_class(obj["apiVersion"], obj["kind"])
    if cls is None:
        return k8s.apiextensions.CustomResource(
            name,
            api_version=obj["apiVersion"],
            kind=obj["kind"],
            metadata=obj["metadata"],
            spec=obj.get("spec"),
            opts=opts,
        )
    fields = {_python_name(key): value for key, value in obj.items() if key not in ("apiVersion", "kind")}
    return cls(name, opts=opts, **fields)


def register(obj: dict[str, Any], opts: pulumi.ResourceOptions, kind: type[R], name: str) -> R:
    """Register ``obj`` as the child ``name`` of the pulumi-kubernetes class ``kind`` (a typed handle)."""
    resource = register_object(obj, opts, name)
    if not isinstance(resource, kind):
        raise TypeError(f"{obj['apiVersion']} {obj['kind']} registers as {type(resource).__name__}, not {kind.__name__}")
    return resource


PATCH_FORCE = "pulumi.com/patchForce"
PATCH_FIELD_MANAGER = "pulumi.com/patchFieldManager"
FIELD_MANAGER = "clusterstack"
"""The server-side-apply field manager of every object clusterstack adopts."""


def register_patch(obj: dict[str, Any], opts: pulumi.ResourceOptions, name: str) -> pulumi.CustomResource:
    """Register ``obj`` as a server-side-apply patch of an object the cluster already has: only the
    fields ``obj`` sets, applied by the field manager ``clusterstack``, taking them over from whoever
    set them (pulumi.com/patchForce); deleting the patch releases the fields, never the object."""
    cls = patch_class(obj["apiVersion"], obj["kind"])
    if cls is None:
        raise TypeError(f"pulumi-kubernetes has no patch resource for {obj['apiVersion']} {obj['kind']}")
    meta = dict(obj["metadata"])
    meta["annotations"] = {**meta.get("annotations", {}), PATCH_FORCE: "true", PATCH_FIELD_MANAGER: FIELD_MANAGER}
    opts = _answering_to_legacy_name(obj, opts, name)
    fields = {_python_name(key): value for key, value in obj.items() if key not in ("apiVersion", "kind", "metadata")}
    fields["metadata"] = meta
    return cls(name, opts=opts, **fields)


def register_or_adopt(
    obj: dict[str, Any], opts: pulumi.ResourceOptions, kind: type[R], patch: type[P], name: str, on_existing: OnExisting
) -> R | P:
    """``obj`` as the child ``name``: the object itself (``fail``), or a patch of it (``adopt``)."""
    if on_existing == "fail":
        return register(obj, opts, kind, name)
    resource = register_patch(obj, opts, name)
    if not isinstance(resource, patch):
        raise TypeError(f"{obj['apiVersion']} {obj['kind']} patches as {type(resource).__name__}, not {patch.__name__}")
    return resource


class AddOnChildren:
    """The children of an add-on component: each registered under ``<component>/<object name>``, as
    the object itself or, with ``on_existing="adopt"``, as a patch of the cluster's own."""

    def __init__(self, component: str, opts: pulumi.ResourceOptions, on_existing: OnExisting) -> None:
        self.component = component
        self.opts = opts
        self.on_existing = on_existing

    def add(self, obj: dict[str, Any], kind: type[R], patch: type[P]) -> R | P:
        return register_or_adopt(obj, self.opts, kind, patch, child_name(self.component, obj), self.on_existing)


def child_name(component: str, obj: dict[str, Any]) -> str:
    """``<component>/<object name>``: a child's name when the object's name is fixed by the component
    (never an Output)."""
    return f"{component}/{obj['metadata']['name']}"
