"""Would the API server admit this workload in that namespace? LimitRanger and ResourceQuota, offline.

For each object, in order, as if applied one after another to the stack's namespaces, the API server's
own pipeline (v1.34), from its source (k8s.io/kubernetes: pkg/apis/core/v1/defaults.go,
pkg/apis/core/validation, plugin/pkg/admission/limitranger/admission.go, pkg/quota/v1/evaluator/core/*.go;
k8s.io/component-helpers/resource; k8s.io/apiserver: pkg/admission/plugin/resourcequota/controller.go;
k8s.io/apimachinery: pkg/api/resource for how quantities print):

1. decoding defaults: every quantity rounded up to a thousandth; a container's missing request
   for a resource it limits becomes the limit (containers and init containers);
2. the mutating admission plugins: LimitRanger's defaults (``limitranger.py``: each LimitRange of the
   namespace in turn, in name order, fills what is still missing from its ``Container`` entries'
   ``default`` and ``defaultRequest``, the LimitRange defaulted as the API server stores it);
   Priority (plugin/pkg/admission/priority/admission.go), which gives a pod naming no class the
   stack's globalDefault class and refuses one naming a class the cluster does not have ("no
   PriorityClass with name x was found"); DefaultStorageClass
   (plugin/pkg/admission/storage/storageclass/setdefault), which gives a claim with no
   storageClassName the default StorageClass, so per-class quotas count it;
3. validation (422): a negative quantity, a request above its limit, a claim without a positive storage
   request;
4. LimitRanger's checks: ``min``, ``max`` and ``maxLimitRequestRatio`` per container, per pod (``pods.py``:
   init containers at their peak, sidecars summed, pod-level resources replacing the containers' sum)
   and per claim, one LimitRange after another, the first with problems refusing;
5. ResourceQuota: every quota of the namespace whose scopes match the object, in name order: the
   compute resources a quota tracks must be set on every container unless the pod sets pod-level
   resources ("must specify"), the object's usage may not be negative, and what it adds to what earlier
   objects (and ``--usage``) use may not exceed ``hard``.

The first failing step wins, and its message is the API server's. Workloads (Deployments and the
rest) are admitted as the Pods their controller would create, one per replica; the workload object
itself counts against ``count/<resource>.<group>`` quotas. Creates only: an object the cluster already
has (metadata.resourceVersion) is refused as input; usage that depends on status and the
limitedResources admission configuration are not modelled. tests/conformance holds upstream's own
cases for all of it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..kube.names import SYSTEM_PRIORITY_CLASSES
from .limitranger import LimitItem, apply_defaults, claim_problems, limit_item, limit_range_problems
from .pods import (
    COMPUTE,
    Container,
    PodShape,
    invalid_requests,
    must_specify,
    pod_compute_usage,
    pod_constraints,
    pod_matches,
    pod_requests_and_limits,
    pod_shape,
)
from .quantities import ZERO, Amount, BadObject, Resources, resources_of

__all__ = [  # what the conformance suite and the CLI read, wherever it lives
    "ZERO",
    "Admission",
    "Amount",
    "BadObject",
    "Classes",
    "Container",
    "LimitItem",
    "Namespace",
    "PodShape",
    "QuotaRule",
    "Resources",
    "Verdict",
    "apply_defaults",
    "claim_usage",
    "classes_of",
    "must_specify",
    "namespaces_of",
    "pod_constraints",
    "pod_matches",
    "pod_requests_and_limits",
    "pod_shape",
    "pod_usage",
    "service_usage",
]

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


@dataclass
class Verdict:
    kind: str
    namespace: str
    name: str
    admitted: bool
    reasons: list[str] = field(default_factory=list)
    defaulted: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    """Container -> {"requests": {...}, "limits": {...}}, after defaulting (for admitted pods)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "admitted": self.admitted,
            "reasons": self.reasons,
            "defaulted": self.defaulted,
        }


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


# --- Admission ---------------------------------------------------------------------------------------


class Admission:
    """Objects admitted one after another into the stack's namespaces, each charging its quotas."""

    def __init__(self, namespaces: dict[str, Namespace], classes: Classes | None = None) -> None:
        self.namespaces = namespaces
        self.classes = classes if classes is not None else Classes()

    def admit(self, manifest: Mapping[str, Any]) -> Verdict:
        kind = str(manifest.get("kind", ""))
        meta = manifest.get("metadata") or {}
        name = str(meta.get("name") or meta.get("generateName") or "")
        namespace = meta.get("namespace")
        if not name:
            raise BadObject(f"a {kind or 'object'} without metadata.name")
        if not namespace:
            raise BadObject(f"{kind} {name} has no metadata.namespace; give it one of the stack's namespaces")
        if namespace not in self.namespaces:
            known = ", ".join(sorted(self.namespaces)) or "none"
            raise BadObject(f"{kind} {namespace}/{name}: namespace {namespace} is not one the stack declares (it declares {known})")
        for field_name in ("resourceVersion", "deletionTimestamp"):
            if meta.get(field_name):
                raise BadObject(
                    f"{kind} {namespace}/{name}: metadata.{field_name} marks an object the cluster already has; "
                    "admit answers for creates only, not updates or deletes: remove the field to ask whether it could be created"
                )
        space = self.namespaces[namespace]
        verdict = Verdict(kind, namespace, name, True)
        spec = manifest.get("spec") or {}
        if kind not in ("Pod", "PersistentVolumeClaim", "Service", *WORKLOADS, *OBJECT_COUNTS):
            raise BadObject(f"{kind} {namespace}/{name}: admit reads Pods, workloads, PersistentVolumeClaims, Services, ConfigMaps and Secrets")
        if not isinstance(spec, Mapping):
            raise BadObject(f"{kind} {namespace}/{name}: spec is {type(spec).__name__}, not a map")
        try:
            if kind == "Pod":
                self._pod(space, verdict, name, spec, manifest)
            elif kind in WORKLOADS:
                self._workload(space, verdict, kind, name, spec)
            elif kind == "PersistentVolumeClaim":
                self._claim(space, verdict, name, spec, meta)
            elif kind == "Service":
                self._counted(space, verdict, "services", _service_usage(spec))
            else:
                legacy, counted = OBJECT_COUNTS[kind]
                self._counted(space, verdict, legacy, {legacy: Amount(Fraction(1)), counted: Amount(Fraction(1))})
        except BadObject as error:  # name the object; the key path is in the message
            raise BadObject(f"{kind} {namespace}/{name}: {error}") from None
        return verdict

    # Pods --------------------------------------------------------------------------------------

    def _pod(self, space: Namespace, verdict: Verdict, name: str, spec: Mapping[str, Any], manifest: Mapping[str, Any] | None = None) -> None:
        shape = pod_shape(spec)
        defaulted = apply_defaults(shape, space.limit_ranges)
        if not shape.priority_class and self.classes.global_default is not None:
            shape.priority_class = self.classes.global_default
        elif shape.priority_class and shape.priority_class not in self.classes.priority:
            verdict.admitted = False
            verdict.reasons.append(f'pods "{name}" is forbidden: no PriorityClass with name {shape.priority_class} was found')
            return
        invalid = invalid_requests(shape)
        if invalid:
            verdict.admitted = False
            verdict.reasons.append(f'Pod "{name}" is invalid: {_aggregate(invalid)}')
            return
        refused = limit_range_problems(shape, space.limit_ranges)
        if refused:
            verdict.admitted = False
            verdict.reasons.append(f'pods "{name}" is forbidden: {_aggregate(refused)}')
            return
        if spec.get("overhead") is not None and not spec.get("runtimeClassName"):
            # RuntimeClass admission (plugin/pkg/admission/runtimeclass/admission.go validateOverhead): only a
            # RuntimeClass may set overhead. With a class named, admit charges the overhead the pod states
            # (the stack does not know the cluster's RuntimeClasses).
            verdict.admitted = False
            verdict.reasons.append(f'pods "{name}" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead')
            return
        problem = self._charge(space, pod_compute_usage(shape), lambda quota: pod_matches(quota.scopes, quota.selector, shape), pod_constraints(shape))
        if problem:
            verdict.admitted = False
            verdict.reasons.append(f'pods "{name}" is forbidden: {problem}')
            return
        verdict.defaulted = defaulted

    def quota(self, namespace: str, usage: Resources) -> str | None:
        """ResourceQuota admission alone for an object that quota scopes never select (a claim, a
        Service): None, with the namespace's quotas charged, or the refusal."""
        return self._charge(self.namespaces[namespace], usage, _no_scopes, None)

    def _workload(self, space: Namespace, verdict: Verdict, kind: str, name: str, spec: Mapping[str, Any]) -> None:
        resource = WORKLOADS[kind]
        problem = self._charge(space, {f"count/{resource}": Amount(Fraction(1))}, _no_scopes, None)
        if problem:
            verdict.admitted = False
            verdict.reasons.append(f'{resource} "{name}" is forbidden: {problem}')
            return
        template, replicas = _template(kind, spec)
        where = "spec.jobTemplate.spec.template." if kind == "CronJob" else "spec.template."
        for index in range(replicas):
            pod = Verdict("Pod", verdict.namespace, f"{name}-{index + 1}", True)
            try:
                self._pod(space, pod, f"{name}-…", template.get("spec") or {})
            except BadObject as error:  # the key path from the workload's own spec
                raise BadObject(f"{where}{error}" if str(error).startswith("spec") else str(error)) from None
            if not pod.admitted:
                verdict.admitted = False
                verdict.reasons += [f"pod {index + 1} of {replicas}: {reason}" for reason in pod.reasons]
                return
            verdict.defaulted = pod.defaulted

    # Claims, Services and other counted objects --------------------------------------------------

    def _claim(self, space: Namespace, verdict: Verdict, name: str, spec: Mapping[str, Any], meta: Mapping[str, Any]) -> None:
        requests = _claim_requests(spec)
        # ValidatePersistentVolumeClaimSpec (pkg/apis/core/validation): storage is required and positive.
        storage_asked = requests.get("storage")
        if storage_asked is None or storage_asked.value <= 0:
            detail = "Required value" if storage_asked is None else f'Invalid value: "{storage_asked}": must be greater than zero'
            verdict.admitted = False
            verdict.reasons.append(f'PersistentVolumeClaim "{name}" is invalid: spec.resources[storage]: {detail}')
            return
        refused = claim_problems(requests, space.limit_ranges)
        if refused:
            verdict.admitted = False
            verdict.reasons.append(f'persistentvolumeclaims "{name}" is forbidden: {_aggregate(refused)}')
            return
        self._counted(space, verdict, "persistentvolumeclaims", claim_usage(spec, meta, self.classes.default_storage))

    def _counted(self, space: Namespace, verdict: Verdict, resource: str, usage: Resources) -> None:
        problem = self._charge(space, usage, _no_scopes, None)
        if problem:
            verdict.admitted = False
            verdict.reasons.append(f'{resource} "{verdict.name}" is forbidden: {problem}')

    # Quota ---------------------------------------------------------------------------------------

    def _charge(self, space: Namespace, usage: Resources, matches: Any, missing: Mapping[str, list[str]] | None) -> str | None:
        """ResourceQuota admission: None, with every matching quota charged, or the API server's refusal.
        A quota matches when it tracks something this kind of object uses and its scopes select it;
        ``missing`` (pods only) names the containers that leave each compute resource unset."""
        # A zero in the usage still counts (checkRequest masks the usage by the quota's names, zeros
        # included): a Service without load balancers is refused by a quota whose load balancers are
        # already over its hard limit, as the API server refuses it.
        handled = _pod_handles if missing is not None else (lambda name: name in usage)
        matching = [q for q in space.quotas if any(handled(name) for name in q.hard) and matches(q)]
        for quota in matching:
            if missing is not None:
                message = must_specify(missing, quota.hard)
                if message is not None:
                    return f"failed quota: {quota.name}: {message}"
        if not usage or not matching:
            return None
        negative = sorted(key for key, value in usage.items() if value.value < 0)
        if negative:  # checkRequest (k8s.io/apiserver resourcequota/controller.go) guards every quota's sum
            return f"quota usage is negative for resource(s): {','.join(negative)}"
        for quota in matching:
            used = space.used.get(quota.name, {})
            requested = {key: value for key, value in usage.items() if key in quota.hard}
            exceeded = sorted(key for key, value in requested.items() if (used.get(key, ZERO) + value).value > quota.hard[key].value)
            if exceeded:
                return (
                    f"exceeded quota: {quota.name}, requested: {_pretty(requested, exceeded)}, "
                    f"used: {_pretty({key: used.get(key, ZERO) for key in exceeded}, exceeded)}, limited: {_pretty(quota.hard, exceeded)}"
                )
        for quota in matching:
            used = space.used.setdefault(quota.name, {})
            for key, value in usage.items():
                if key in quota.hard:
                    used[key] = used.get(key, ZERO) + value
        return None


def _pod_handles(name: str) -> bool:
    """The quota resources the pod evaluator tracks (MatchingResources)."""
    return (
        name in ("pods", "count/pods", *COMPUTE)
        or name.startswith(("requests.", "limits.", "hugepages-"))
    )


def _no_scopes(quota: QuotaRule) -> bool:
    """Services, claims and object counts: a quota with any scope never tracks them."""
    return not quota.scopes and not quota.selector


def _pretty(values: Mapping[str, Amount], keys: Sequence[str]) -> str:
    return ",".join(f"{key}={values[key]}" for key in sorted(keys))


def _aggregate(messages: list[str]) -> str:
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


# --- Workloads, claims and Services ---------------------------------------------------------------------


def _template(kind: str, spec: Mapping[str, Any]) -> tuple[Mapping[str, Any], int]:
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
    storage = _claim_requests(spec).get("storage")
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


def _claim_requests(spec: Mapping[str, Any]) -> Resources:
    resources = spec.get("resources")
    if resources is not None and not isinstance(resources, Mapping):
        raise BadObject(f"spec.resources is {type(resources).__name__}, not a map")
    return resources_of((resources or {}).get("requests"), "spec.resources.requests")


def pod_usage(spec: Mapping[str, Any]) -> Resources:
    """The pod evaluator's Usage for a pod as created (no status): decoding defaults, then what it charges."""
    return pod_compute_usage(pod_shape(spec))


def service_usage(spec: Mapping[str, Any]) -> Resources:
    """The Service evaluator's Usage (pkg/quota/v1/evaluator/core/services.go)."""
    return _service_usage(spec)


def _service_usage(spec: Mapping[str, Any]) -> Resources:
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
