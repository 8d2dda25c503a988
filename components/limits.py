"""LimitRange specs, checked as the API server checks them (ValidateLimitRange).

Pages: Configure Default Memory/CPU Requests and Limits for a Namespace; Configure Minimum and
Maximum Memory/CPU Constraints for a Namespace; Limit Storage Consumption.

The API server defaults a Container entry before it validates it (SetDefaults_LimitRangeItem): a
missing ``default`` becomes ``max``, then a missing ``defaultRequest`` becomes ``default``, else
``min``. clusterstack validates those defaulted values, as the API server would, but renders only
what the user wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from pydantic import Field

from ..kube import resources
from ..kube.findings import Finding, Findings
from ..kube.manifest import Manifest
from ..kube.quantity import Quantity
from .labels import Name, object_meta
from .model import Model, QuantityText, QuantityValue

ResourceList = dict[str, QuantityValue]
LIMIT_RANGE_NAME = "tenant-limits"
_ORDER = "the API server requires min ≤ defaultRequest ≤ default ≤ max"


# <generated from the fields of LimitEntry by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class LimitEntryArgsDict(TypedDict, total=False):
    """``LimitEntry`` as a dict, in the stack files' spelling."""

    min: Mapping[str, QuantityText | Quantity]
    max: Mapping[str, QuantityText | Quantity]
    default: Mapping[str, QuantityText | Quantity]
    defaultRequest: Mapping[str, QuantityText | Quantity]
    maxLimitRequestRatio: Mapping[str, QuantityText | Quantity]
# </generated>


# <generated from the fields of Limits by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class LimitsArgsDict(TypedDict, total=False):
    """``Limits`` as a dict, in the stack files' spelling."""

    container: LimitEntry | LimitEntryArgsDict
    pod: LimitEntry | LimitEntryArgsDict
    persistentVolumeClaim: LimitEntry | LimitEntryArgsDict
# </generated>


class LimitEntry(Model):
    """One LimitRange item. Every map is resource name -> quantity; each is optional."""

    min: ResourceList = Field(default_factory=dict)
    max: ResourceList = Field(default_factory=dict)
    default: ResourceList = Field(default_factory=dict)
    """Container limit applied when a container sets none (Container entries only)."""
    default_request: ResourceList = Field(default_factory=dict)
    """Container request applied when a container sets none (Container entries only)."""
    max_limit_request_ratio: ResourceList = Field(default_factory=dict)
    """Largest allowed limit/request ratio, at least 1."""

    # <generated from the fields of LimitEntry by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, min: Mapping[str, QuantityText | Quantity] = ..., max: Mapping[str, QuantityText | Quantity] = ...,
            default: Mapping[str, QuantityText | Quantity] = ..., default_request: Mapping[str, QuantityText | Quantity] = ...,
            max_limit_request_ratio: Mapping[str, QuantityText | Quantity] = ...,
        ) -> None: ...
    # </generated>

    def written(self) -> dict[str, dict[str, Quantity]]:
        """Each field by its Kubernetes name, in the API's order."""
        return {
            "min": self.min,
            "max": self.max,
            "default": self.default,
            "defaultRequest": self.default_request,
            "maxLimitRequestRatio": self.max_limit_request_ratio,
        }


class Limits(Model):
    """The namespace's LimitRange: one entry per type, each optional (at least one)."""

    container: LimitEntry | None = None
    pod: LimitEntry | None = None
    persistent_volume_claim: LimitEntry | None = None

    # <generated from the fields of Limits by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, container: LimitEntry | LimitEntryArgsDict | None = None, pod: LimitEntry | LimitEntryArgsDict | None = None,
            persistent_volume_claim: LimitEntry | LimitEntryArgsDict | None = None,
        ) -> None: ...
    # </generated>

    def _problems(self) -> Findings:
        yield from limit_range_problems(self)

    def entries(self) -> list[tuple[str, str, LimitEntry]]:
        """(key in the stack, Kubernetes type, entry) for each entry that is set."""
        candidates = [
            ("container", "Container", self.container),
            ("pod", "Pod", self.pod),
            ("persistentVolumeClaim", "PersistentVolumeClaim", self.persistent_volume_claim),
        ]
        return [(key, kind, entry) for key, kind, entry in candidates if entry is not None]


@dataclass(frozen=True)
class _Value:
    quantity: Quantity
    field: str
    """The field the value was written in; differs from the field it fills when it was defaulted."""


def _as_written(entry: LimitEntry) -> dict[str, dict[str, _Value]]:
    return {
        name: {resource: _Value(q, name) for resource, q in values.items()}
        for name, values in entry.written().items()
        if name != "maxLimitRequestRatio"
    }


def defaulted(entry: LimitEntry) -> dict[str, dict[str, _Value]]:
    """The Container entry as the API server stores it, each value remembering where it came from."""
    fields = _as_written(entry)
    for resource, value in fields["max"].items():
        fields["default"].setdefault(resource, value)
    for resource, value in fields["default"].items():
        fields["defaultRequest"].setdefault(resource, value)
    for resource, value in fields["min"].items():
        fields["defaultRequest"].setdefault(resource, value)
    return fields


# (lower field, upper field): each pair the API server compares, in its order.
_ORDERED_PAIRS = (
    ("min", "max"),
    ("min", "defaultRequest"),
    ("defaultRequest", "max"),
    ("defaultRequest", "default"),
    ("min", "default"),
    ("default", "max"),
)


def limit_range_problems(limits: Limits) -> Findings:
    entries = limits.entries()
    if not entries:
        yield Finding((), "has no entries: set container, pod or persistentVolumeClaim (or remove limits)")
    for key, kind, entry in entries:
        yield from _entry_problems(key, kind, entry)


def _entry_problems(key: str, kind: str, entry: LimitEntry) -> Findings:
    written = entry.written()
    for field, values in written.items():
        for resource in values:
            reason = _resource_problem(kind, resource)
            if reason is not None:
                yield Finding((key, field, resource), reason)
    if kind == "Pod":
        for field in ("default", "defaultRequest"):
            if written[field]:
                yield Finding((key, field), f"is not allowed in a pod entry (defaults apply per container): move it to container.{field}")
    if kind == "PersistentVolumeClaim" and "storage" not in entry.min and "storage" not in entry.max:
        yield Finding((key,), "needs min.storage or max.storage (the API server requires one of them)")

    fields = defaulted(entry) if kind == "Container" else _as_written(entry)
    reported: set[tuple[str, str, str]] = set()
    for lower, upper in _ORDERED_PAIRS:
        for resource in sorted(set(fields[lower]) & set(fields[upper])):
            low, high = fields[lower][resource], fields[upper][resource]
            pair = (low.field, high.field, resource)
            if low.quantity <= high.quantity or low.field == high.field or pair in reported:
                continue
            reported.add(pair)
            # Name the fields as written: a defaulted value is the value of the field it came from.
            yield Finding((key, low.field, resource), f"{low.quantity} is above {high.field} {high.quantity} ({_ORDER})")
    yield from _ratio_problems(key, entry)
    if kind == "Container":
        for resource in sorted(set(fields["default"]) & set(fields["defaultRequest"])):
            default, request = fields["default"][resource], fields["defaultRequest"][resource]
            if not resources.overcommit_allowed(resource) and default.quantity != request.quantity:
                yield Finding((key, "defaultRequest", resource), (
                    f"{request.quantity} differs from {_name('default', default)}; "
                    f"{resource} cannot be overcommitted, so default and defaultRequest must be equal"
                ))


def _ratio_problems(key: str, entry: LimitEntry) -> Findings:
    for resource, ratio in entry.max_limit_request_ratio.items():
        at = (key, "maxLimitRequestRatio", resource)
        if ratio.value < 1:
            yield Finding(at, f"{ratio} is below 1; a limit is never below its request, so the ratio must be 1 or more")
            continue
        low, high = entry.min.get(resource), entry.max.get(resource)
        if low is not None and high is not None and low.value > 0 and ratio.value > high.value / low.value:
            bound = high.value / low.value
            yield Finding(at, f"{ratio} is above max/min = {float(bound):g} (max {high}, min {low}); no container could reach it")


def _name(field: str, value: _Value) -> str:
    if value.field == field:
        return f"{field} {value.quantity}"
    return f"{field} {value.quantity} (taken from {value.field}, as the API server defaults it)"


def _resource_problem(kind: str, resource: str) -> str | None:
    if kind == "PersistentVolumeClaim":
        return None if resource == "storage" else "is not a claim resource: a persistentVolumeClaim entry limits storage"
    reason = resources.container_resource_problem(resource)
    if reason is None:
        return None
    return f"{reason}: use cpu, memory, ephemeral-storage, hugepages-<size> or an extended resource such as nvidia.com/gpu"


def build_limit_range(limits: Limits, namespace: Name, environment: str | None) -> Manifest:
    items = []
    for _, kind, entry in limits.entries():
        item: dict[str, Any] = {"type": kind}
        for field, values in entry.written().items():
            if values:
                item[field] = {resource: q.text for resource, q in values.items()}
        items.append(item)
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": object_meta(LIMIT_RANGE_NAME, namespace, environment),
        "spec": {"limits": items},
    }


def container_defaults(limits: Limits | None) -> Mapping[str, Mapping[str, _Value]]:
    """The defaulted ``default`` and ``defaultRequest`` of the Container entry (empty when there is none)."""
    if limits is None or limits.container is None:
        return {"default": {}, "defaultRequest": {}}
    return defaulted(limits.container)
