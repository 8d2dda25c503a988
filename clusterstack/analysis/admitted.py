"""What admission reads, as data: the stack's namespaces (their LimitRanges, their ResourceQuotas and
what those already count as used), the PriorityClasses and StorageClasses the stack declares, and what
each kind of object charges to quota (the quota evaluators' Usage: pkg/quota/v1/evaluator/core/*.go).
Pods are in ``pods.py``; the admission algorithm that runs an object through all of it is ``admission.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..kube.names import SYSTEM_PRIORITY_CLASSES
from .limitranger import LimitItem, limit_item
from .quantities import ZERO, Amount, BadObject, Resources, resources_of

WORKLOADS = {
    "Deployment": "deployments.apps",
    "StatefulSet": "statefulsets.apps",
    "ReplicaSet": "replicasets.apps",
    "DaemonSet": "daemonsets.apps",
    "Job": "jobs.batch",
    "CronJob": "cronjobs.batch",
}
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"
OBJECT_COUNTS = {"ConfigMap": ("configmaps", "count/configmaps"), "Secret": ("secrets", "count/secrets")}


@dataclass(frozen=True)
class QuotaRule:
    name: str
    hard: Resources
    scopes: tuple[str, ...]
    selector: tuple[tuple[str, str, tuple[str, ...]], ...]
    """(scopeName, operator, values) of spec.scopeSelector.matchExpressions."""


@dataclass(frozen=True)
class Classes:
    """The cluster's PriorityClasses and StorageClasses, as far as the stack knows them."""

    priority: frozenset[str] = frozenset(SYSTEM_PRIORITY_CLASSES)
    """Every class a pod may name: the stack's, the ones it lists as existing, the system's."""
    global_default: str | None = None
    default_storage: str | None = None
    """The StorageClass marked default by the stack (a class the cluster has is not known to be)."""


def classes_of(objects: Iterable[Mapping[str, Any]], existing_priority: Iterable[str] = ()) -> Classes:
    """The classes the stack's objects declare (and ``existing_priority``, classes it says the cluster has)."""
    priority, global_default, default_storage = set(SYSTEM_PRIORITY_CLASSES) | set(existing_priority), None, None
    for manifest in objects:
        name = str((manifest.get("metadata") or {}).get("name"))
        if manifest.get("kind") == "PriorityClass":
            priority.add(name)
            if manifest.get("globalDefault"):
                global_default = name
        elif manifest.get("kind") == "StorageClass" and ((manifest.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true":
            default_storage = name
    return Classes(frozenset(priority), global_default, default_storage)


@dataclass
class Namespace:
    limit_ranges: list[tuple[LimitItem, ...]] = field(default_factory=list)
    """Each LimitRange's entries, LimitRanges in name order: LimitRanger applies them one object at a
    time (the API server lists them from a cache in no promised order; name order is ours)."""
    quotas: list[QuotaRule] = field(default_factory=list)
    used: dict[str, Resources] = field(default_factory=dict)
    """By quota name: what the namespace already uses."""


# --- The stack's namespaces ------------------------------------------------------------------------


def namespaces_of(objects: Iterable[Mapping[str, Any]], usage: Iterable[Mapping[str, Any]] = ()) -> dict[str, Namespace]:
    """The namespaces a stack declares, with their LimitRanges and ResourceQuotas, and what
    ``usage`` (ResourceQuota objects with status.used) says they already use."""
    found: dict[str, Namespace] = {}
    ranges: dict[str, dict[str, tuple[LimitItem, ...]]] = {}
    for manifest in objects:
        kind, meta = manifest.get("kind"), manifest.get("metadata") or {}
        if kind == "Namespace":
            found.setdefault(meta["name"], Namespace())
    for manifest in objects:
        kind, meta, spec = manifest.get("kind"), manifest.get("metadata") or {}, manifest.get("spec") or {}
        namespace = found.setdefault(meta.get("namespace", ""), Namespace()) if meta.get("namespace") else None
        if namespace is None:
            continue
        if kind == "LimitRange":
            ranges.setdefault(meta["namespace"], {})[str(meta.get("name", ""))] = tuple(limit_item(item) for item in spec.get("limits") or [])
        elif kind == "ResourceQuota":
            expressions = tuple(
                (e["scopeName"], e["operator"], tuple(e.get("values") or ())) for e in (spec.get("scopeSelector") or {}).get("matchExpressions") or []
            )
            namespace.quotas.append(QuotaRule(meta["name"], resources_of(spec.get("hard")), tuple(spec.get("scopes") or ()), expressions))
    for name, namespace in found.items():
        namespace.quotas.sort(key=lambda q: q.name)
        namespace.limit_ranges = [items for _, items in sorted(ranges.get(name, {}).items())]
    for manifest in usage:
        meta = manifest.get("metadata") or {}
        target = found.get(meta.get("namespace", ""))
        if manifest.get("kind") == "ResourceQuota" and target is not None:
            target.used[meta.get("name", "")] = resources_of((manifest.get("status") or {}).get("used"))
    return found



# --- Workloads, claims and Services ---------------------------------------------------------------------


def pod_template(kind: str, spec: Mapping[str, Any]) -> tuple[Mapping[str, Any], int]:
    """A workload's pod template, and how many pods its controller creates (a DaemonSet: one, as for a
    single node: admission cannot know the nodes)."""
    if kind == "CronJob":
        job = (spec.get("jobTemplate") or {}).get("spec") or {}
        return job.get("template") or {}, int(job.get("parallelism", 1) or 1)
    if kind == "Job":
        return spec.get("template") or {}, int(spec.get("parallelism", 1) or 1)
    if kind == "DaemonSet":
        return spec.get("template") or {}, 1
    replicas = spec.get("replicas", 1)
    return spec.get("template") or {}, int(replicas if replicas is not None else 1)


def claim_usage(spec: Mapping[str, Any], meta: Mapping[str, Any], default_storage: str | None = None) -> Resources:
    """The PersistentVolumeClaim evaluator's Usage (pkg/quota/v1/evaluator/core/persistent_volume_claims.go):
    the claim counted, its storage request rounded up to a whole byte, per class as well."""
    one = Amount(Fraction(1))
    usage: Resources = {"persistentvolumeclaims": one, "count/persistentvolumeclaims": one}
    storage = claim_requests(spec).get("storage")
    # GetPersistentVolumeClaimClass: the beta annotation, when present (even ""), wins over the field;
    # DefaultStorageClass gives a class only to a claim that has neither (PersistentVolumeClaimHasClass).
    annotations = meta.get("annotations") or {}
    if BETA_STORAGE_CLASS in annotations:
        storage_class = str(annotations[BETA_STORAGE_CLASS] or "")
    elif "storageClassName" in spec and spec["storageClassName"] is not None:
        storage_class = str(spec["storageClassName"])
    else:
        storage_class = default_storage or ""
    if storage is not None:
        usage["requests.storage"] = Amount(Fraction(math.ceil(storage.value)), storage.fmt)
    if storage_class:
        usage[f"{storage_class}.storageclass.storage.k8s.io/persistentvolumeclaims"] = one
        if storage is not None:
            usage[f"{storage_class}.storageclass.storage.k8s.io/requests.storage"] = usage["requests.storage"]
    return usage


def claim_requests(spec: Mapping[str, Any]) -> Resources:
    """A claim's spec.resources.requests (BadObject, with the key path, where they are not a map)."""
    resources = spec.get("resources")
    if resources is not None and not isinstance(resources, Mapping):
        raise BadObject(f"spec.resources is {type(resources).__name__}, not a map")
    return resources_of((resources or {}).get("requests"), "spec.resources.requests")




def service_usage(spec: Mapping[str, Any]) -> Resources:
    """The Service evaluator's Usage (pkg/quota/v1/evaluator/core/services.go)."""
    one, zero = Amount(Fraction(1)), ZERO
    kind = spec.get("type") or "ClusterIP"
    ports = spec.get("ports") or []
    usage: Resources = {"services": one, "count/services": one, "services.loadbalancers": zero, "services.nodeports": zero}
    if kind == "NodePort":
        usage["services.nodeports"] = Amount(Fraction(len(ports)))
    elif kind == "LoadBalancer":
        usage["services.loadbalancers"] = one
        allocate = spec.get("allocateLoadBalancerNodePorts", True)
        counted = len(ports) if allocate is not False else sum(1 for p in ports if p.get("nodePort"))
        usage["services.nodeports"] = Amount(Fraction(counted))
    return usage
