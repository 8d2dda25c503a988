"""LimitRanger (plugin/pkg/admission/limitranger/admission.go): each LimitRange of a namespace in turn,
its defaults for a pod's containers, then its min, max and maxLimitRequestRatio per container, per pod
and per claim; and a LimitRange's entries as the API server stores them (pkg/apis/core/v1/defaults.go)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .pods import PodShape, pod_total
from .quantities import Amount, Resources, resources_of


@dataclass(frozen=True)
class LimitItem:
    type: str
    min: Resources
    max: Resources
    default: Resources
    default_request: Resources
    ratio: Resources


def limit_item(item: Mapping[str, Any]) -> LimitItem:
    """A LimitRange entry as the API server stores it (SetDefaults_LimitRangeItem: for Containers,
    default from max, defaultRequest from default, then from min)."""
    minimum, maximum = resources_of(item.get("min")), resources_of(item.get("max"))
    default, default_request = resources_of(item.get("default")), resources_of(item.get("defaultRequest"))
    if item.get("type") == "Container":
        for key, value in maximum.items():
            default.setdefault(key, value)
        for key, value in default.items():
            default_request.setdefault(key, value)
        for key, value in minimum.items():
            default_request.setdefault(key, value)
    return LimitItem(str(item.get("type")), minimum, maximum, default, default_request, resources_of(item.get("maxLimitRequestRatio")))


def apply_defaults(shape: PodShape, limit_ranges: Sequence[Sequence[LimitItem]]) -> dict[str, dict[str, dict[str, str]]]:
    """LimitRanger's defaults (PodMutateLimitFunc), one LimitRange after another: each fills what is
    still missing from its own Container entries (within one LimitRange, a later entry wins);
    each container's requests and limits afterwards."""
    for limit_range in limit_ranges:
        defaults_request: Resources = {}
        defaults_limit: Resources = {}
        for item in limit_range:
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


def limit_range_problems(shape: PodShape, limit_ranges: Sequence[Sequence[LimitItem]]) -> list[str]:
    """PodValidateLimitFunc over each LimitRange in turn: the first LimitRange with problems refuses
    the pod with all of its own (LimitRanger.Validate returns at the first error)."""
    for limit_range in limit_ranges:
        problems: list[str] = []
        for item in limit_range:
            if item.type == "Container":
                for container in shape.containers:
                    problems += _checks(item, "Container", container.requests, container.limits)
            elif item.type == "Pod":
                problems += _checks(item, "Pod", pod_total(shape, "requests"), pod_total(shape, "limits"))
        if problems:
            return problems
    return []


def claim_problems(requests: Resources, limit_ranges: Sequence[Sequence[LimitItem]]) -> list[str]:
    """PersistentVolumeClaimValidateLimitFunc over each LimitRange in turn: min and max of the claim's
    requests only; the first LimitRange with problems decides."""
    for limit_range in limit_ranges:
        problems: list[str] = []
        for item in limit_range:
            if item.type != "PersistentVolumeClaim":
                continue
            for resource in sorted(item.min):
                problems += _minimum(resource, "PersistentVolumeClaim", item.min[resource], requests, {})
            for resource in sorted(item.max):
                problems += _maximum_request(resource, "PersistentVolumeClaim", item.max[resource], requests)
        if problems:
            return problems
    return []


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
