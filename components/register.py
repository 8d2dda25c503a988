"""Register plain Kubernetes objects (dicts) as pulumi-kubernetes resources.

The builders speak the Kubernetes API; this is the one place that speaks pulumi-kubernetes. Each
object becomes the typed resource for its apiVersion and kind (``kubernetes:core/v1:Namespace``),
with the logical name ``<namespace>/<name>`` (``<name>`` when cluster-scoped), the same naming
pulumi-kubernetes' own ConfigGroup uses, so two tenants' ``tenant-quota`` never collide.
"""

from __future__ import annotations

from collections.abc import Iterable

import pulumi
import pulumi_kubernetes as k8s
from pydantic.alias_generators import to_snake


def logical_name(obj: dict) -> str:
    meta = obj["metadata"]
    namespace = meta.get("namespace")
    return f"{namespace}/{meta['name']}" if namespace else meta["name"]


def resource_class(api_version: str, kind: str):
    """The pulumi-kubernetes class for a built-in kind, or None (``rbac.authorization.k8s.io/v1`` -> ``k8s.rbac.v1``)."""
    group, _, version = api_version.rpartition("/")
    package = group.split(".")[0] if group else "core"
    module = getattr(getattr(k8s, package, None), version, None)
    return getattr(module, kind, None)


def register_object(obj: dict, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    cls = resource_class(obj["apiVersion"], obj["kind"])
    if cls is None:
        return k8s.apiextensions.CustomResource(
            logical_name(obj), api_version=obj["apiVersion"], kind=obj["kind"],
            metadata=obj["metadata"], spec=obj.get("spec"), opts=opts,
        )
    fields = {to_snake(key): value for key, value in obj.items() if key not in ("apiVersion", "kind")}
    return cls(logical_name(obj), opts=opts, **fields)


def register_objects(objects: Iterable[dict], opts: pulumi.ResourceOptions) -> list[pulumi.CustomResource]:
    return [register_object(obj, opts) for obj in objects]
