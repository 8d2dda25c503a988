"""Register plain Kubernetes objects (dicts) as pulumi-kubernetes resources.

The builders speak the Kubernetes API; this is the one place that speaks pulumi-kubernetes. Each
object becomes the typed resource for its apiVersion and kind (``kubernetes:core/v1:Namespace``),
with the logical name ``<namespace>/<name>`` (``<name>`` when cluster-scoped), the same naming
pulumi-kubernetes' own ConfigGroup uses, so two tenants' ``tenant-quota`` never collide. Kinds of
API groups that pulumi-kubernetes does not ship (custom resources) become ``CustomResource``.
"""

from __future__ import annotations

from typing import Any, TypeVar

import pulumi
import pulumi_kubernetes as k8s
from pydantic.alias_generators import to_snake

R = TypeVar("R", bound=pulumi.CustomResource)


def logical_name(obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    namespace = meta.get("namespace")
    return f"{namespace}/{meta['name']}" if namespace else str(meta["name"])


def is_builtin_group(group: str) -> bool:
    """Kubernetes' own API groups: the core group (""), dotless groups (apps, batch, policy) and
    ``*.k8s.io``. A CustomResourceDefinition's group must contain a dot, and ``*.k8s.io`` is reserved
    for the Kubernetes project, so every other group is a custom one (``apps.example.com``)."""
    return "." not in group or group.endswith(".k8s.io")


def resource_class(api_version: str, kind: str) -> type[pulumi.CustomResource] | None:
    """The pulumi-kubernetes class for a built-in kind, or None.

    pulumi-kubernetes names its modules after the first segment of the group:
    ``rbac.authorization.k8s.io/v1`` -> ``pulumi_kubernetes.rbac.v1``, ``v1`` -> ``core.v1``.
    """
    group, _, version = api_version.rpartition("/")
    if not is_builtin_group(group):
        return None
    package = group.split(".")[0] if group else "core"
    module = getattr(getattr(k8s, package, None), version, None)
    found = getattr(module, kind, None)
    return found if isinstance(found, type) and issubclass(found, pulumi.CustomResource) else None


def register_object(obj: dict[str, Any], opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    cls = resource_class(obj["apiVersion"], obj["kind"])
    if cls is None:
        return k8s.apiextensions.CustomResource(
            logical_name(obj),
            api_version=obj["apiVersion"],
            kind=obj["kind"],
            metadata=obj["metadata"],
            spec=obj.get("spec"),
            opts=opts,
        )
    fields = {to_snake(key): value for key, value in obj.items() if key not in ("apiVersion", "kind")}
    return cls(logical_name(obj), opts=opts, **fields)


def register(obj: dict[str, Any], opts: pulumi.ResourceOptions, kind: type[R]) -> R:
    """Register ``obj`` as the pulumi-kubernetes class ``kind`` (a typed handle for the component)."""
    resource = register_object(obj, opts)
    if not isinstance(resource, kind):
        raise TypeError(f"{obj['apiVersion']} {obj['kind']} registers as {type(resource).__name__}, not {kind.__name__}")
    return resource

