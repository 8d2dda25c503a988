"""Would the API server admit this workload in that namespace? LimitRanger and ResourceQuota, offline.

For each object, in order, as if applied one after another to the stack's namespaces, the API server's
own pipeline (v1.34), from its source (k8s.io/kubernetes: pkg/apis/core/v1/defaults.go,
plugin/pkg/admission/limitranger/admission.go, pkg/quota/v1/evaluator/core/*.go;
k8s.io/apiserver: pkg/admission/plugin/resourcequota/controller.go; k8s.io/apimachinery:
pkg/api/resource for how quantities print):

1. decoding defaults: every quantity rounded up to a thousandth; a container's missing request
   for a resource it limits becomes the limit (containers and init containers);
2. the mutating admission plugins: LimitRanger's defaults (below); Priority
   (plugin/pkg/admission/priority/admission.go), which gives a pod naming no class the stack's
   globalDefault class and refuses one naming a class the cluster does not have ("no PriorityClass
   with name x was found"); DefaultStorageClass (plugin/pkg/admission/storage/storageclass/setdefault),
   which gives a claim with no storageClassName the default StorageClass, so per-class quotas count
   it. LimitRanger's defaults: the namespace's LimitRange ``Container`` entry fills a missing limit from
   ``default`` and a missing request from ``defaultRequest`` (the LimitRange itself defaulted as the
   API server stores it: ``default`` from ``max``, ``defaultRequest`` from ``default``, then ``min``);
3. validation: a request above its limit is refused as invalid (422);
4. LimitRanger's checks: ``min``, ``max`` and ``maxLimitRequestRatio`` per container, per pod (the
   containers' sum, init containers as the scheduler counts them) and per claim;
5. ResourceQuota: every quota of the namespace whose scopes match the object, in name order: the
   compute resources a quota tracks must be set on every container ("must specify"), and what the
   object adds to what earlier objects (and ``--usage``) use may not exceed ``hard``.

The first failing step wins, and its message is the API server's. Workloads (Deployments and the
rest) are admitted as the Pods their controller would create, one per replica; the workload object
itself counts against ``count/<resource>.<group>`` quotas.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..components.kube.names import SYSTEM_PRIORITY_CLASSES
from ..components.kube.quantity import Quantity, QuantityError, api_string, format_of, round_up_milli

COMPUTE = ("cpu", "memory", "ephemeral-storage")
MUST_SPECIFY = {"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"}
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
class Amount:
    """A quantity as the API server computes with it: its exact value and the format it prints in."""

    value: Fraction
    fmt: str = "DecimalSI"

    @classmethod
    def parse(cls, raw: Any) -> Amount:
        text = str(raw).strip() if not isinstance(raw, bool) else ""
        quantity = Quantity.parse(text)
        return cls(round_up_milli(quantity.value), format_of(text))

    def __str__(self) -> str:
        return api_string(self.value, self.fmt)

    def __add__(self, other: Amount) -> Amount:
        return Amount(self.value + other.value, self.fmt if self.value != 0 else other.fmt)


ZERO = Amount(Fraction(0))
Resources = dict[str, Amount]


class BadObject(ValueError):
    """An input object that is not one admission can read; a user error, not a refusal."""


@dataclass
class Container:
    name: str
    requests: Resources
    limits: Resources
    init: bool = False
    sidecar: bool = False
    """An init container with restartPolicy: Always (it runs beside the app containers)."""


@dataclass
class PodShape:
    containers: list[Container]
    priority_class: str = ""
    terminating: bool = False
    cross_namespace_affinity: bool = False


@dataclass(frozen=True)
class LimitItem:
    type: str
    min: Resources
    max: Resources
    default: Resources
    default_request: Resources
    ratio: Resources


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
    limits: list[LimitItem] = field(default_factory=list)
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
            namespace.limits += [_limit_item(item) for item in spec.get("limits") or []]
        elif kind == "ResourceQuota":
            expressions = tuple(
                (e["scopeName"], e["operator"], tuple(e.get("values") or ())) for e in (spec.get("scopeSelector") or {}).get("matchExpressions") or []
            )
            namespace.quotas.append(QuotaRule(meta["name"], _resources(spec.get("hard")), tuple(spec.get("scopes") or ()), expressions))
    for namespace in found.values():
        namespace.quotas.sort(key=lambda q: q.name)
    for manifest in usage:
        meta = manifest.get("metadata") or {}
        target = found.get(meta.get("namespace", ""))
        if manifest.get("kind") == "ResourceQuota" and target is not None:
            target.used[meta.get("name", "")] = _resources((manifest.get("status") or {}).get("used"))
    return found


def _limit_item(item: Mapping[str, Any]) -> LimitItem:
    """A LimitRange entry as the API server stores it (SetDefaults_LimitRangeItem: for Containers,
    default from max, defaultRequest from default, then from min)."""
    minimum, maximum = _resources(item.get("min")), _resources(item.get("max"))
    default, default_request = _resources(item.get("default")), _resources(item.get("defaultRequest"))
    if item.get("type") == "Container":
        for key, value in maximum.items():
            default.setdefault(key, value)
        for key, value in default.items():
            default_request.setdefault(key, value)
        for key, value in minimum.items():
            default_request.setdefault(key, value)
    return LimitItem(str(item.get("type")), minimum, maximum, default, default_request, _resources(item.get("maxLimitRequestRatio")))


def _resources(values: Any) -> Resources:
    if not isinstance(values, Mapping):
        return {}
    try:
        return {str(key): Amount.parse(value) for key, value in values.items()}
    except QuantityError as error:
        raise BadObject(str(error)) from None


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
        space = self.namespaces[namespace]
        verdict = Verdict(kind, namespace, name, True)
        spec = manifest.get("spec") or {}
        if kind == "Pod":
            self._pod(space, verdict, name, spec, manifest)
        elif kind in WORKLOADS:
            self._workload(space, verdict, kind, name, spec)
        elif kind == "PersistentVolumeClaim":
            self._claim(space, verdict, name, spec, meta)
        elif kind == "Service":
            self._counted(space, verdict, "services", _service_usage(spec))
        elif kind in OBJECT_COUNTS:
            legacy, counted = OBJECT_COUNTS[kind]
            self._counted(space, verdict, legacy, {legacy: Amount(Fraction(1)), counted: Amount(Fraction(1))})
        else:
            raise BadObject(f"{kind} {namespace}/{name}: admit reads Pods, workloads, PersistentVolumeClaims, Services, ConfigMaps and Secrets")
        return verdict

    # Pods --------------------------------------------------------------------------------------

    def _pod(self, space: Namespace, verdict: Verdict, name: str, spec: Mapping[str, Any], manifest: Mapping[str, Any] | None = None) -> None:
        shape = _pod_shape(spec)
        defaulted = _default(shape, space.limits)
        if not shape.priority_class and self.classes.global_default is not None:
            shape.priority_class = self.classes.global_default
        elif shape.priority_class and shape.priority_class not in self.classes.priority:
            verdict.admitted = False
            verdict.reasons.append(f'pods "{name}" is forbidden: no PriorityClass with name {shape.priority_class} was found')
            return
        invalid = _invalid_requests(shape)
        if invalid:
            verdict.admitted = False
            verdict.reasons.append(f'Pod "{name}" is invalid: ' + ", ".join(invalid))
            return
        refused = _limit_range_problems(shape, space.limits)
        if refused:
            verdict.admitted = False
            verdict.reasons.append(f'pods "{name}" is forbidden: {_aggregate(refused)}')
            return
        problem = self._charge(space, _pod_usage(shape), lambda quota: _pod_matches(quota, shape), _must_specify(shape))
        if problem:
            verdict.admitted = False
            verdict.reasons.append(f'pods "{name}" is forbidden: {problem}')
            return
        verdict.defaulted = defaulted

    def _workload(self, space: Namespace, verdict: Verdict, kind: str, name: str, spec: Mapping[str, Any]) -> None:
        resource = WORKLOADS[kind]
        problem = self._charge(space, {f"count/{resource}": Amount(Fraction(1))}, _no_scopes, None)
        if problem:
            verdict.admitted = False
            verdict.reasons.append(f'{resource} "{name}" is forbidden: {problem}')
            return
        template, replicas = _template(kind, spec)
        for index in range(replicas):
            pod = Verdict("Pod", verdict.namespace, f"{name}-{index + 1}", True)
            self._pod(space, pod, f"{name}-…", template.get("spec") or {})
            if not pod.admitted:
                verdict.admitted = False
                verdict.reasons += [f"pod {index + 1} of {replicas}: {reason}" for reason in pod.reasons]
                return
            verdict.defaulted = pod.defaulted

    # Claims, Services and other counted objects --------------------------------------------------

    def _claim(self, space: Namespace, verdict: Verdict, name: str, spec: Mapping[str, Any], meta: Mapping[str, Any]) -> None:
        requests = _resources((spec.get("resources") or {}).get("requests"))
        refused = []
        for item in space.limits:
            if item.type != "PersistentVolumeClaim":
                continue
            for resource in sorted(item.min):
                refused += _minimum(resource, "PersistentVolumeClaim", item.min[resource], requests, {})
            for resource in sorted(item.max):
                refused += _maximum_request(resource, "PersistentVolumeClaim", item.max[resource], requests)
            if refused:
                break
        if refused:
            verdict.admitted = False
            verdict.reasons.append(f'persistentvolumeclaims "{name}" is forbidden: {_aggregate(refused)}')
            return
        one = Amount(Fraction(1))
        usage: Resources = {"persistentvolumeclaims": one, "count/persistentvolumeclaims": one}
        storage = requests.get("storage")
        # GetPersistentVolumeClaimClass: the beta annotation, when present (even ""), wins over the field;
        # DefaultStorageClass gives a class only to a claim that has neither (PersistentVolumeClaimHasClass).
        annotations = meta.get("annotations") or {}
        if BETA_STORAGE_CLASS in annotations:
            storage_class = str(annotations[BETA_STORAGE_CLASS] or "")
        elif "storageClassName" in spec and spec["storageClassName"] is not None:
            storage_class = str(spec["storageClassName"])
        else:
            storage_class = self.classes.default_storage or ""
        if storage is not None:
            usage["requests.storage"] = Amount(Fraction(math.ceil(storage.value)), storage.fmt)
        if storage_class:
            usage[f"{storage_class}.storageclass.storage.k8s.io/persistentvolumeclaims"] = one
            if storage is not None:
                usage[f"{storage_class}.storageclass.storage.k8s.io/requests.storage"] = usage["requests.storage"]
        self._counted(space, verdict, "persistentvolumeclaims", usage)

    def _counted(self, space: Namespace, verdict: Verdict, resource: str, usage: Resources) -> None:
        problem = self._charge(space, usage, _no_scopes, None)
        if problem:
            verdict.admitted = False
            verdict.reasons.append(f'{resource} "{verdict.name}" is forbidden: {problem}')

    # Quota ---------------------------------------------------------------------------------------

    def _charge(self, space: Namespace, usage: Resources, matches: Any, must_specify: Mapping[str, list[str]] | None) -> str | None:
        """ResourceQuota admission: None, with every matching quota charged, or the API server's refusal.
        A quota matches when it tracks something this kind of object uses and its scopes select it;
        ``must_specify`` (pods only) names the containers that leave each compute resource unset."""
        handled = _pod_handles if must_specify is not None else (lambda name: name in usage)
        usage = {key: value for key, value in usage.items() if value.value != 0}
        matching = [q for q in space.quotas if any(handled(name) for name in q.hard) and matches(q)]
        for quota in matching:
            if must_specify is not None:
                missing = {resource: names for resource, names in must_specify.items() if resource in quota.hard and names}
                if missing:
                    detail = "; ".join(f"{resource} for: {','.join(sorted(names))}" for resource, names in sorted(missing.items()))
                    return f"failed quota: {quota.name}: must specify {detail}"
        if not usage:
            return None
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


# --- Pod helpers ---------------------------------------------------------------------------------------


def _pod_shape(spec: Mapping[str, Any]) -> PodShape:
    containers = []
    for key, init in (("containers", False), ("initContainers", True)):
        for entry in spec.get(key) or []:
            resources = entry.get("resources") or {}
            limits = _resources(resources.get("limits"))
            requests = _resources(resources.get("requests"))
            for resource, limit in limits.items():  # SetDefaults_Pod: a limit without a request is the request too
                requests.setdefault(resource, limit)
            containers.append(Container(str(entry.get("name", "")), requests, limits, init, init and entry.get("restartPolicy") == "Always"))
    affinity = spec.get("affinity") or {}
    cross = any(
        term.get("namespaces") or term.get("namespaceSelector") is not None
        for kind in ("podAffinity", "podAntiAffinity")
        for field_name in ("requiredDuringSchedulingIgnoredDuringExecution", "preferredDuringSchedulingIgnoredDuringExecution")
        for term in [(t.get("podAffinityTerm") or t) for t in (affinity.get(kind) or {}).get(field_name) or []]
    )
    deadline = spec.get("activeDeadlineSeconds")
    return PodShape(containers, str(spec.get("priorityClassName") or ""), isinstance(deadline, int) and deadline >= 0, cross)


def _default(shape: PodShape, limits: list[LimitItem]) -> dict[str, dict[str, dict[str, str]]]:
    """LimitRanger's defaults; each container's requests and limits afterwards."""
    defaults_request: Resources = {}
    defaults_limit: Resources = {}
    for item in limits:
        if item.type == "Container":
            defaults_request.update(item.default_request)
            defaults_limit.update(item.default)
    for container in shape.containers:
        for key, value in defaults_limit.items():
            container.limits.setdefault(key, value)
        for key, value in defaults_request.items():
            container.requests.setdefault(key, value)
    return {
        c.name: {"requests": {k: str(v) for k, v in sorted(c.requests.items())}, "limits": {k: str(v) for k, v in sorted(c.limits.items())}}
        for c in shape.containers
    }


def _invalid_requests(shape: PodShape) -> list[str]:
    """ValidateResourceRequirements: a request above its limit."""
    problems = []
    indexes = {"containers": 0, "initContainers": 0}
    for container in shape.containers:
        key = "initContainers" if container.init else "containers"
        index = indexes[key]
        indexes[key] += 1
        for resource, request in sorted(container.requests.items()):
            limit = container.limits.get(resource)
            if limit is not None and request.value > limit.value:
                problems.append(
                    f'spec.{key}[{index}].resources.requests: Invalid value: "{request}": must be less than or equal to {resource} limit of {limit}'
                )
    return problems


def _limit_range_problems(shape: PodShape, limits: list[LimitItem]) -> list[str]:
    """PodValidateLimitFunc, the first LimitRange entry with problems deciding."""
    problems: list[str] = []
    for item in limits:
        if item.type == "Container":
            for container in shape.containers:
                problems += _checks(item, "Container", container.requests, container.limits)
        elif item.type == "Pod":
            problems += _checks(item, "Pod", _pod_total(shape, "requests"), _pod_total(shape, "limits"))
    return problems


def _checks(item: LimitItem, limit_type: str, requests: Resources, limits: Resources) -> list[str]:
    found = []
    for resource in sorted(item.min):
        found += _minimum(resource, limit_type, item.min[resource], requests, limits)
    for resource in sorted(item.max):
        found += _maximum(resource, limit_type, item.max[resource], requests, limits)
    for resource in sorted(item.ratio):
        found += _ratio(resource, limit_type, item.ratio[resource], requests, limits)
    return found


def _minimum(resource: str, limit_type: str, enforced: Amount, requests: Resources, limits: Resources) -> list[str]:
    request, limit = requests.get(resource), limits.get(resource)
    if request is None:
        return [f"minimum {resource} usage per {limit_type} is {enforced}.  No request is specified"]
    if request.value < enforced.value:
        return [f"minimum {resource} usage per {limit_type} is {enforced}, but request is {request}"]
    if limit is not None and limit.value < enforced.value:
        return [f"minimum {resource} usage per {limit_type} is {enforced}, but limit is {limit}"]
    return []


def _maximum(resource: str, limit_type: str, enforced: Amount, requests: Resources, limits: Resources) -> list[str]:
    request, limit = requests.get(resource), limits.get(resource)
    if limit is None:
        return [f"maximum {resource} usage per {limit_type} is {enforced}.  No limit is specified"]
    if limit.value > enforced.value:
        return [f"maximum {resource} usage per {limit_type} is {enforced}, but limit is {limit}"]
    if request is not None and request.value > enforced.value:
        return [f"maximum {resource} usage per {limit_type} is {enforced}, but request is {request}"]
    return []


def _maximum_request(resource: str, limit_type: str, enforced: Amount, requests: Resources) -> list[str]:
    request = requests.get(resource)
    if request is None:
        return [f"maximum {resource} usage per {limit_type} is {enforced}.  No request is specified"]
    if request.value > enforced.value:
        return [f"maximum {resource} usage per {limit_type} is {enforced}, but request is {request}"]
    return []


def _ratio(resource: str, limit_type: str, enforced: Amount, requests: Resources, limits: Resources) -> list[str]:
    request, limit = requests.get(resource), limits.get(resource)
    if request is None or request.value == 0:
        return [f"{resource} max limit to request ratio per {limit_type} is {enforced}, but no request is specified or request is 0"]
    if limit is None or limit.value == 0:
        return [f"{resource} max limit to request ratio per {limit_type} is {enforced}, but no limit is specified or limit is 0"]
    observed = limit.value / request.value
    if observed > enforced.value:
        return [f"{resource} max limit to request ratio per {limit_type} is {enforced}, but provided ratio is {float(observed):f}"]
    return []


def _pod_total(shape: PodShape, which: str) -> Resources:
    """A pod's requests (or limits) as the scheduler and quota count them: the app containers and
    sidecars summed, or the largest init container with the sidecars started before it, whichever is more."""
    total: Resources = {}
    for container in shape.containers:
        if not container.init or container.sidecar:
            for key, value in getattr(container, which).items():
                total[key] = total.get(key, ZERO) + value
    init_peak: Resources = {}
    sidecars: Resources = {}
    for container in shape.containers:
        if not container.init:
            continue
        own = getattr(container, which)
        if container.sidecar:
            for key, value in own.items():
                sidecars[key] = sidecars.get(key, ZERO) + value
            continue
        for key in set(own) | set(sidecars):
            candidate = own.get(key, ZERO) + sidecars.get(key, ZERO)
            if candidate.value > init_peak.get(key, ZERO).value:
                init_peak[key] = candidate
    for key, value in init_peak.items():
        if value.value > total.get(key, ZERO).value:
            total[key] = value
    return total


def _pod_usage(shape: PodShape) -> Resources:
    """podComputeUsageHelper: what a pod adds to its namespace's quotas."""
    one = Amount(Fraction(1))
    usage: Resources = {"pods": one, "count/pods": one}
    requests, limits = _pod_total(shape, "requests"), _pod_total(shape, "limits")
    for resource in COMPUTE:
        if resource in requests:
            usage[resource] = requests[resource]
            usage[f"requests.{resource}"] = requests[resource]
        if resource in limits:
            usage[f"limits.{resource}"] = limits[resource]
    for resource, value in requests.items():
        if resource.startswith("hugepages-"):
            usage[resource] = value
            usage[f"requests.{resource}"] = value
        elif resource not in COMPUTE and "/" in resource:
            usage[f"requests.{resource}"] = value
    return usage


def _must_specify(shape: PodShape) -> dict[str, list[str]]:
    """Per compute quota resource, the containers that leave it unset (after defaulting)."""
    missing: dict[str, list[str]] = {}
    for container in shape.containers:
        for resource in ("cpu", "memory"):
            if resource not in container.requests:
                missing.setdefault(resource, []).append(container.name)
                missing.setdefault(f"requests.{resource}", []).append(container.name)
            if resource not in container.limits:
                missing.setdefault(f"limits.{resource}", []).append(container.name)
    return missing


def _pod_matches(quota: QuotaRule, shape: PodShape) -> bool:
    best_effort = not any(
        value.value != 0 for c in shape.containers for values in (c.requests, c.limits) for key, value in values.items() if key in ("cpu", "memory")
    )
    checks = {
        "Terminating": shape.terminating,
        "NotTerminating": not shape.terminating,
        "BestEffort": best_effort,
        "NotBestEffort": not best_effort,
        "CrossNamespacePodAffinity": shape.cross_namespace_affinity,
    }
    for scope in quota.scopes:
        if scope == "PriorityClass":
            if not shape.priority_class:
                return False
        elif not checks.get(scope, False):
            return False
    for scope, operator, values in quota.selector:
        if scope == "PriorityClass":
            present = bool(shape.priority_class)
            outcome = {
                "In": present and shape.priority_class in values,
                "NotIn": not (present and shape.priority_class in values),
                "Exists": present,
                "DoesNotExist": not present,
            }.get(operator, False)
        else:
            outcome = checks.get(scope, False) if operator == "Exists" else not checks.get(scope, False)
        if not outcome:
            return False
    return True


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
