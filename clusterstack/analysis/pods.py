"""A pod as admission reads it: its containers' and the pod's own requests and limits after the decoding
defaults, what the scheduler and quota count as its total, what it charges to quota, what quota wants
specified, and which quota scopes select it (k8s.io/component-helpers/resource/helpers.go,
pkg/quota/v1/evaluator/core/pods.go, pkg/apis/core/validation)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .quantities import ZERO, Amount, BadObject, Resources, resources_of

COMPUTE = ("cpu", "memory", "ephemeral-storage")
MUST_SPECIFY = {"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"}
"""The quota resources a pod must set on every container (pods.go validationSet)."""


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
    pod_requests: Resources = field(default_factory=dict)
    pod_limits: Resources = field(default_factory=dict)
    """spec.resources (PodLevelResources, beta and on by default since 1.34)."""
    overhead: Resources = field(default_factory=dict)
    """spec.overhead, which the RuntimeClass admission plugin sets from the pod's RuntimeClass."""

    @property
    def pod_level(self) -> bool:
        """IsPodLevelResourcesSet (k8s.io/component-helpers/resource/helpers.go): a supported resource
        (cpu, memory, hugepages-*) in spec.resources.requests or .limits."""
        return any(pod_level_supported(name) for name in (*self.pod_requests, *self.pod_limits))


def pod_shape(spec: Mapping[str, Any], api_defaults: bool = True) -> PodShape:
    """The pod as admission sees it; with ``api_defaults`` (as every pod the API server receives) after
    SetDefaults_Pod, without them as upstream's helper tests build their pods."""
    containers = []
    for key, init in (("containers", False), ("initContainers", True)):
        entries = spec.get(key) or []
        if not isinstance(entries, list):
            raise BadObject(f"spec.{key} is {type(entries).__name__}, not a list of containers")
        for index, raw in enumerate(entries):
            entry = _map(raw, f"spec.{key}[{index}]")
            resources = _map(entry.get("resources"), f"spec.{key}[{index}].resources")
            limits = resources_of(resources.get("limits"), f"spec.{key}[{index}].resources.limits")
            requests = resources_of(resources.get("requests"), f"spec.{key}[{index}].resources.requests")
            for resource, limit in limits.items() if api_defaults else ():  # SetDefaults_Pod: a limit without a request is the request too
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
    pod_resources = _map(spec.get("resources"), "spec.resources")
    return PodShape(
        containers,
        str(spec.get("priorityClassName") or ""),
        isinstance(deadline, int) and deadline >= 0,
        cross,
        resources_of(pod_resources.get("requests"), "spec.resources.requests"),
        resources_of(pod_resources.get("limits"), "spec.resources.limits"),
        resources_of(spec.get("overhead"), "spec.overhead"),
    )


def _map(value: Any, where: str) -> Mapping[str, Any]:
    """A map the pod spec must have there (absent or null: empty), or the user's error naming the key."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BadObject(f"{where} is {type(value).__name__}, not a map")
    return value


def pod_level_supported(name: str) -> bool:
    """IsSupportedPodLevelResource (k8s.io/component-helpers/resource/helpers.go)."""
    return name in ("cpu", "memory") or name.startswith("hugepages-")


def invalid_requests(shape: PodShape) -> list[str]:
    """ValidateResourceRequirements (pkg/apis/core/validation): per container, a negative limit, then a
    negative request ("must be greater than or equal to 0") or one above its limit; the pod-level
    resources alike; then a negative overhead."""
    problems = []
    indexes = {"containers": 0, "initContainers": 0}
    places = []
    for container in shape.containers:
        key = "initContainers" if container.init else "containers"
        places.append((f"spec.{key}[{indexes[key]}].resources", container.requests, container.limits))
        indexes[key] += 1
    places.append(("spec.resources", shape.pod_requests, shape.pod_limits))
    for path, requests, limits in places:
        for resource, cap in sorted(limits.items()):
            if cap.value < 0:
                problems.append(f'{path}.limits[{resource}]: Invalid value: "{cap}": must be greater than or equal to 0')
        for resource, request in sorted(requests.items()):
            limit = limits.get(resource)
            if request.value < 0:
                problems.append(f'{path}.requests[{resource}]: Invalid value: "{request}": must be greater than or equal to 0')
            elif limit is not None and request.value > limit.value:
                problems.append(f'{path}.requests: Invalid value: "{request}": must be less than or equal to {resource} limit of {limit}')
    problems += [  # validateOverhead, after the containers (ValidatePodSpec's order)
        f'spec.overhead[{resource}]: Invalid value: "{value}": must be greater than or equal to 0'
        for resource, value in sorted(shape.overhead.items())
        if value.value < 0
    ]
    return problems


def pod_total(shape: PodShape, which: str) -> Resources:
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
    # PodLevelResources: the pod's own cpu, memory and hugepages replace what its containers add up to.
    for key, value in (shape.pod_requests if which == "requests" else shape.pod_limits).items():
        if pod_level_supported(key):
            total[key] = value
    return total


def pod_requests_and_limits(shape: PodShape, overhead: bool = True) -> tuple[Resources, Resources]:
    """PodRequests and PodLimits (k8s.io/component-helpers/resource/helpers.go), as quota counts a pod:
    the totals, and the overhead added to every request and to a limit only where the pod has a
    non-zero one (LimitRanger counts without overhead)."""
    requests, limits = pod_total(shape, "requests"), pod_total(shape, "limits")
    for key, value in shape.overhead.items() if overhead else ():
        requests[key] = requests.get(key, ZERO) + value
        if key in limits and limits[key].value != 0:
            limits[key] = limits[key] + value
    return requests, limits


def pod_compute_usage(shape: PodShape) -> Resources:
    """podComputeUsageHelper: what a pod adds to its namespace's quotas."""
    one = Amount(Fraction(1))
    usage: Resources = {"pods": one, "count/pods": one}
    requests, limits = pod_requests_and_limits(shape)
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


def pod_constraints(shape: PodShape) -> dict[str, list[str]]:
    """The pod evaluator's Constraints: per compute quota resource, the containers that leave it unset
    (after defaulting). None are missing when the pod sets pod-level resources (pods.go: the check is
    skipped once PodLevelResources is on and IsPodLevelResourcesSet)."""
    missing: dict[str, list[str]] = {}
    if shape.pod_level:
        return missing
    for container in shape.containers:
        for resource in ("cpu", "memory"):
            if resource not in container.requests:
                missing.setdefault(resource, []).append(container.name)
                missing.setdefault(f"requests.{resource}", []).append(container.name)
            if resource not in container.limits:
                missing.setdefault(f"limits.{resource}", []).append(container.name)
    return missing


def must_specify(missing: Mapping[str, Sequence[str]], required: Iterable[str]) -> str | None:
    """The pod evaluator's Constraints message for the ``required`` quota resources, or None."""
    wanted = set(required) & MUST_SPECIFY
    found = {resource: names for resource, names in missing.items() if resource in wanted and names}
    if not found:
        return None
    return "must specify " + "; ".join(f"{resource} for: {','.join(sorted(set(names)))}" for resource, names in sorted(found.items()))


def pod_matches(scopes: Sequence[str], selector: Sequence[tuple[str, str, Sequence[str]]], shape: PodShape) -> bool:
    """Whether every scope (spec.scopes) and scope selector ((scopeName, operator, values) of
    spec.scopeSelector.matchExpressions) of a quota selects the pod (podMatchesScopeFunc; a pod is
    BestEffort when nothing, pod-level resources included, sets a non-zero cpu or memory)."""
    everything = [values for c in shape.containers for values in (c.requests, c.limits)] + [shape.pod_requests, shape.pod_limits]
    best_effort = not any(value.value != 0 for values in everything for key, value in values.items() if key in ("cpu", "memory"))
    checks = {
        "Terminating": shape.terminating,
        "NotTerminating": not shape.terminating,
        "BestEffort": best_effort,
        "NotBestEffort": not best_effort,
        "CrossNamespacePodAffinity": shape.cross_namespace_affinity,
    }
    for scope in scopes:
        if scope == "PriorityClass":
            if not shape.priority_class:
                return False
        elif not checks.get(scope, False):
            return False
    for scope, operator, values in selector:
        if scope == "PriorityClass":
            present = bool(shape.priority_class)
            outcome = {
                "In": present and shape.priority_class in values,
                "NotIn": not (present and shape.priority_class in values),
                "Exists": present,
                "DoesNotExist": not present,
            }.get(operator, False)
        else:
            # podMatchesScopeFunc reads only the scope's name here: the API server admits no operator
            # but Exists for these scopes (ValidateResourceQuota), and the evaluator ignores it.
            outcome = checks.get(scope, False)
        if not outcome:
            return False
    return True


def pod_usage(spec: Mapping[str, Any]) -> Resources:
    """The pod evaluator's Usage for a pod as created (no status): decoding defaults, then what it charges."""
    return pod_compute_usage(pod_shape(spec))
