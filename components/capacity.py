"""Node pools (``clusterstack:cluster.nodePools``) and what each of their nodes offers pods: its
Node Allocatable.

Page: Reserve Compute Resources for System Daemons. Where the page is loose, the kubelet's own rules
decide (k8s.io/kubernetes pkg/kubelet/cm: GetNodeAllocatableReservation, hardEvictionReservation,
validateNodeAllocatable; pkg/kubelet/eviction: parseThresholdStatement, DefaultEvictionHard):

    allocatable = capacity - kubeReserved - systemReserved - hard eviction threshold

per resource the node has (cpu, memory, ephemeral-storage, and pods, which nothing reserves). Only
two eviction signals take anything away: ``memory.available`` from memory and ``nodefs.available``
from ephemeral storage; a percentage is of the node's capacity, computed as the kubelet computes it
(the percentage held as a float32, the product truncated to whole bytes). A node whose reservations
exceed its capacity does not start its kubelet ("invalid Node Allocatable configuration"), so here
it is an error.
"""

from __future__ import annotations

import difflib
import math
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Annotated, Any, TypedDict

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema
from typing_extensions import Required

from ..kube.findings import Finding, Findings
from ..kube.paths import KeyPath
from ..kube.quantity import Quantity, QuantityError, api_string
from .model import DnsLabel, Model, QuantityText, QuantityValue

if TYPE_CHECKING:
    from .limits import Limits

DEFAULT_MAX_PODS = 110
"""The kubelet's ``maxPods`` default."""
RESERVABLE = ("cpu", "memory", "ephemeral-storage", "pid")
"""What ``kubeReserved`` and ``systemReserved`` may name (the kubelet refuses anything else: "cannot reserve")."""
EVICTION_SIGNALS = (
    "memory.available",
    "nodefs.available",
    "nodefs.inodesFree",
    "imagefs.available",
    "imagefs.inodesFree",
    "containerfs.available",
    "containerfs.inodesFree",
    "pid.available",
)
"""The signals a hard eviction threshold may name (Node-pressure Eviction)."""
DEFAULT_EVICTION_HARD = {"memory.available": "100Mi", "nodefs.available": "10%", "nodefs.inodesFree": "5%", "imagefs.available": "15%"}
"""The kubelet's ``evictionHard`` when the setting is absent (pkg/kubelet/eviction/defaults_linux.go).
Kubelets from v1.33 also default ``imagefs.inodesFree`` to 5%, which reserves nothing from allocatable."""
EVICTION_RESERVES = {"memory.available": "memory", "nodefs.available": "ephemeral-storage"}
"""The signals whose hard threshold is taken from allocatable, and the resource it is taken from."""
NODE_RESOURCES = ("cpu", "memory", "ephemeral-storage", "pods")
BINARY_RESOURCES = ("memory", "ephemeral-storage")
"""Resources counted in bytes, written with binary suffixes (Ki, Mi, Gi)."""

_PERCENT = re.compile(r"(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)%")


# --- Hard eviction thresholds ---------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    """One ``evictionHard`` value: an amount (``100Mi``) or a percentage of capacity (``10%``)."""

    text: str
    quantity: Quantity | None = None
    fraction: float | None = None
    """A percentage as the kubelet holds it: a float32 fraction of capacity."""

    @classmethod
    def parse(cls, raw: Any) -> Threshold:
        if isinstance(raw, Threshold):
            return raw
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise ValueError(f"{raw!r} is not a threshold: write an amount such as 100Mi or a percentage such as 10%")
        text = raw.strip() if isinstance(raw, str) else Quantity.parse(raw).text
        if text.startswith("<"):
            raise ValueError(
                f'{text!r}: write {text[1:].strip()!r} without "<"; in a KubeletConfiguration the operator is implied '
                "(memory.available<100Mi is the --eviction-hard flag's spelling)"
            )
        percent = _PERCENT.fullmatch(text)
        if percent is not None:
            number = float(percent["number"])
            if number > 100:
                raise ValueError(f"{text} is above 100%; a threshold is a share of the node's capacity")
            # parsePercentage: ParseFloat(s, 32), then float32(value) / 100, in float32.
            return cls(text, fraction=_float32(_float32(number) / 100))
        try:
            quantity = Quantity.parse(text)
        except QuantityError:
            raise ValueError(f"{text!r} is not a threshold: write an amount such as 100Mi or a percentage such as 10%") from None
        if quantity.value <= 0:
            raise ValueError(f"{text} is not positive; a threshold is an amount above 0 (or 0% to turn the signal off)")
        return cls(text, quantity=quantity)

    @property
    def disabled(self) -> bool:
        """The kubelet ignores exactly "0%" and "100%" (the signal is off)."""
        return self.text in ("0%", "100%")

    def amount(self, capacity: Fraction) -> Fraction:
        """What the threshold keeps free on a node with ``capacity`` of its resource."""
        if self.disabled:
            return Fraction(0)
        if self.quantity is not None:
            return self.quantity.value
        assert self.fraction is not None
        # GetThresholdQuantity: int64(float64(capacity.Value()) * float64(percentage)), truncated.
        return Fraction(int(float(math.ceil(capacity)) * self.fraction))

    def __str__(self) -> str:
        return self.text


def _float32(number: float) -> float:
    return float(struct.unpack("f", struct.pack("f", number))[0])


ThresholdValue = Annotated[
    Threshold,
    BeforeValidator(Threshold.parse),
    PlainSerializer(lambda t: t.text, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)%$"},
                {"type": "string", "pattern": r"^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$"},
                {"type": "number", "exclusiveMinimum": 0},
            ],
            "description": "An amount (100Mi) or a percentage of the node's capacity (10%)",
        }
    ),
]


# --- Node pools -----------------------------------------------------------------------------------


# <generated from the fields of NodePool by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class NodePoolArgsDict(TypedDict, total=False):
    """``NodePool`` as a dict, in the stack files' spelling."""

    name: Required[DnsLabel]
    count: Required[int]
    cpu: Required[QuantityText | Quantity]
    memory: Required[QuantityText | Quantity]
    ephemeralStorage: QuantityText | Quantity
    pods: int
    kubeReserved: Mapping[str, QuantityText | Quantity]
    systemReserved: Mapping[str, QuantityText | Quantity]
    evictionHard: Mapping[str, QuantityText]
    mergeDefaultEvictionSettings: bool
# </generated>


Reserved = Annotated[dict[str, QuantityValue], Field(json_schema_extra={"propertyNames": {"enum": list(RESERVABLE)}})]


class NodePool(Model):
    """Nodes of one shape, and their kubelets' reservations (the KubeletConfiguration fields of the same names)."""

    name: DnsLabel
    count: int = Field(ge=0)
    """How many nodes; 0 for a pool a cluster autoscaler may scale up (its nodes still count as a
    size a pod may need)."""
    cpu: QuantityValue
    """Each node's CPUs (its capacity, as ``kubectl describe node`` shows it)."""
    memory: QuantityValue
    """Each node's memory capacity."""
    ephemeral_storage: QuantityValue | None = None
    """Each node's root filesystem (nodefs), its ``ephemeral-storage`` capacity; None: not planned."""
    pods: int = Field(DEFAULT_MAX_PODS, ge=0)
    """The kubelet's ``maxPods``; default 110, the kubelet's."""
    kube_reserved: Reserved = Field(default_factory=dict)
    """For Kubernetes' own daemons (kubelet, container runtime): cpu, memory, ephemeral-storage, pid."""
    system_reserved: Reserved = Field(default_factory=dict)
    """For the operating system's daemons and the kernel: cpu, memory, ephemeral-storage, pid."""
    eviction_hard: Annotated[dict[str, ThresholdValue], Field(json_schema_extra={"propertyNames": {"enum": list(EVICTION_SIGNALS)}})] | None = None
    """Hard eviction thresholds, signal -> amount or percentage (``memory.available: 500Mi``,
    ``nodefs.available: 10%``). None: the kubelet's defaults (memory.available 100Mi,
    nodefs.available 10%, nodefs.inodesFree 5%, imagefs.available 15%). When set, the signals it
    leaves out are off, as in the kubelet, unless ``mergeDefaultEvictionSettings`` is true."""
    merge_default_eviction_settings: bool = False
    """The kubelet's setting (v1.33 and later): signals ``evictionHard`` leaves out keep their defaults."""

    # <generated from the fields of NodePool by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, name: DnsLabel, count: int, cpu: QuantityText | Quantity, memory: QuantityText | Quantity,
            ephemeral_storage: QuantityText | Quantity | None = None, pods: int = 110, kube_reserved: Mapping[str, QuantityText | Quantity] = ...,
            system_reserved: Mapping[str, QuantityText | Quantity] = ..., eviction_hard: Mapping[str, QuantityText] | None = None,
            merge_default_eviction_settings: bool = False,
        ) -> None: ...
    # </generated>

    def _problems(self) -> Findings:
        for field, reserved in (("kubeReserved", self.kube_reserved), ("systemReserved", self.system_reserved)):
            for resource, quantity in reserved.items():
                if resource not in RESERVABLE:
                    yield Finding((field, resource), f"the kubelet cannot reserve {resource!r}{_closest(resource, RESERVABLE)}")
                elif resource == "pid" and not quantity.is_whole:
                    yield Finding((field, resource), f"{quantity} is not a whole number of process IDs")
        for signal in self.eviction_hard or {}:
            if signal not in EVICTION_SIGNALS:
                yield Finding(("evictionHard", signal), f"is not an eviction signal{_closest(signal, EVICTION_SIGNALS)}")
        for field, quantity in (("cpu", self.cpu), ("memory", self.memory)):
            if quantity.value <= 0:
                yield Finding((field,), "must be more than 0: a node without it runs nothing")
        yield from self._reservations_fit()

    def _reservations_fit(self) -> Findings:
        """validateNodeAllocatable: the kubelet refuses to start when it reserves more than the node has."""
        capacity = self.capacity()
        for resource, parts in self.reservations().items():
            total = sum((amount for _, _, amount in parts), Fraction(0))
            if total <= capacity[resource].value or capacity[resource].value <= 0:
                continue
            written = [path for path, _, _ in parts if path is not None]
            at: KeyPath = written[0] if written else (_FIELD[resource],)
            spelled = " + ".join(label for _, label, _ in parts) + (f" = {_text(total, resource)}" if len(parts) > 1 else "")
            yield Finding(
                at,
                (
                    f"{spelled} is more than the node's {resource} ({_FIELD[resource]}: {capacity[resource]}): "
                    "the kubelet refuses to start (invalid Node Allocatable configuration); lower the reservations or raise "
                    f"{_FIELD[resource]}"
                ),
            )

    def thresholds(self) -> dict[str, Threshold]:
        """The hard eviction thresholds the kubelet runs with."""
        defaults = {signal: Threshold.parse(text) for signal, text in DEFAULT_EVICTION_HARD.items()}
        if self.eviction_hard is None:
            return defaults
        if self.merge_default_eviction_settings:
            return {**defaults, **self.eviction_hard}
        return dict(self.eviction_hard)

    def capacity(self) -> dict[str, Quantity]:
        """Each node's capacity: cpu, memory, ephemeral-storage (when stated), pods."""
        found = {"cpu": self.cpu, "memory": self.memory}
        if self.ephemeral_storage is not None:
            found["ephemeral-storage"] = self.ephemeral_storage
        found["pods"] = Quantity.parse(self.pods)
        return found

    def reservations(self) -> dict[str, list[tuple[KeyPath | None, str, Fraction]]]:
        """Per resource, what is taken from each node's capacity: (key path as written, or None for
        a kubelet default; how to name it; amount). The pods resource has none."""
        capacity = self.capacity()
        thresholds = self.thresholds()
        found: dict[str, list[tuple[KeyPath | None, str, Fraction]]] = {}
        for resource in capacity:
            if resource == "pods":
                continue
            parts: list[tuple[KeyPath | None, str, Fraction]] = []
            for field, reserved in (("kubeReserved", self.kube_reserved), ("systemReserved", self.system_reserved)):
                if resource in reserved and reserved[resource].value > 0:
                    parts.append(((field, resource), f"{field}.{resource} {reserved[resource]}", reserved[resource].value))
            for signal, threshold in sorted(thresholds.items()):
                amount = threshold.amount(capacity[resource].value) if EVICTION_RESERVES.get(signal) == resource else Fraction(0)
                if amount > 0:
                    written = self.eviction_hard is not None and signal in self.eviction_hard
                    label = f"evictionHard.{signal} {threshold}" if written else f"the kubelet's default evictionHard.{signal} {threshold}"
                    if threshold.fraction is not None:
                        label += f" ({_text(amount, resource)})"
                    parts.append((("evictionHard", signal) if written else None, label, amount))
            found[resource] = parts
        return found

    def allocatable(self) -> dict[str, Quantity]:
        """Each node's Node Allocatable: capacity less its reservations (what the scheduler places pods in)."""
        reserved = {resource: sum((amount for _, _, amount in parts), Fraction(0)) for resource, parts in self.reservations().items()}
        return {resource: quantity_of(max(q.value - reserved.get(resource, Fraction(0)), Fraction(0)), resource) for resource, q in self.capacity().items()}


_FIELD = {"cpu": "cpu", "memory": "memory", "ephemeral-storage": "ephemeralStorage", "pods": "pods"}


def node_pool_problems(pools: Sequence[NodePool]) -> Findings:
    """Pool names are unique (the report and every message names pools by them)."""
    seen: dict[str, int] = {}
    for index, pool in enumerate(pools):
        if pool.name in seen:
            yield Finding(("nodePools", index, "name"), f"{pool.name} is already the name of nodePools[{seen[pool.name]}]; give each pool its own name")
        seen.setdefault(pool.name, index)


def quantity_of(value: Fraction, resource: str) -> Quantity:
    """A computed amount as a Quantity, spelled as the API server would print it."""
    return Quantity(api_string(value, "BinarySI" if resource in BINARY_RESOURCES else "DecimalSI"), value)


def _text(value: Fraction, resource: str) -> str:
    return quantity_of(value, resource).text


def _closest(word: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.75)
    return f"; did you mean {close[0]}?" if close else f" (valid: {', '.join(known)})"


# --- What no node can hold ------------------------------------------------------------------------


@dataclass(frozen=True)
class Largest:
    """The largest per-node allocatable of one resource over the pools, and the pool that has it."""

    allocatable: Quantity
    pool: str
    index: int
    """The pool's place in ``nodePools``."""


def largest_node(pools: Sequence[NodePool]) -> dict[str, Largest]:
    """Per resource, the most any one node offers pods. Each resource on its own: the check is of
    what one LimitRange value asks. ephemeral-storage only when every pool states its disk (a pool
    that does not might have any)."""
    found: dict[str, Largest] = {}
    for index, pool in enumerate(pools):
        for resource, amount in pool.allocatable().items():
            if resource != "pods" and (resource not in found or amount > found[resource].allocatable):
                found[resource] = Largest(amount, pool.name, index)
    if any(pool.ephemeral_storage is None for pool in pools):
        found.pop("ephemeral-storage", None)
    return found


_WHO = {"Container": "container", "Pod": "pod"}


def unschedulable_limits(limits: Limits, pools: Sequence[NodePool]) -> Findings:
    """LimitRange values (relative key paths under ``limits``) that commit the namespace to pods no
    node can run: a ``min`` above the largest node's allocatable (every container, or pod, asks at
    least that), a ``max`` above it (a request up to the max is admitted and then never scheduled),
    and a ``defaultRequest`` above it (what every container that asks nothing is given)."""
    largest = largest_node(pools)
    for key, kind, entry in limits.entries():
        if kind not in _WHO:
            continue
        who = _WHO[kind]
        for field, values in (("min", entry.min), ("max", entry.max), ("defaultRequest", entry.default_request)):
            for resource, value in values.items():
                biggest = largest.get(resource)
                if biggest is None or value <= biggest.allocatable:
                    continue
                where = f"the largest node's allocatable {resource} ({biggest.allocatable}, cluster.nodePools[{biggest.index}] {biggest.pool})"
                if field == "min":
                    reason = f"every {who} asks at least its minimum, so no {who} in the namespace could ever be scheduled"
                    fix = "lower the minimum or add a larger node pool"
                elif field == "max":
                    reason = f"a {who} may ask up to it and be admitted, but no node could ever run it (it would stay Pending)"
                    fix = f"lower the maximum to at most {biggest.allocatable} or add a larger node pool"
                else:
                    reason = f"every container that states no {resource} request is given it, and none of them could be scheduled"
                    fix = f"lower it to at most {biggest.allocatable} or add a larger node pool"
                yield Finding((key, field, resource), f"{value} is above {where}; {reason}; {fix}")
