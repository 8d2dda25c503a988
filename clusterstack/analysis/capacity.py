"""Do the tenants' quotas fit the cluster? The node pools' allocatable against what the tenants'
ResourceQuotas let them ask for.

Each node pool offers ``count`` × its nodes' Node Allocatable (components/capacity.py). Each tenant
may ask, per quota resource, up to the tightest of its unscoped quotas (a quota with scopes bounds
only the pods it selects, so it bounds nothing for the namespace as a whole); for a quota,
``cpu`` is ``requests.cpu`` and ``memory`` is ``requests.memory``. The overcommit of a resource is
the sum of the tenants' bounds over what the tenants can have: the cluster's allocatable less what
the stack's own DaemonSets (node-local-dns, ip-masq-agent) request on every node, a pod each. Above
1, the quotas promise more than the nodes hold. A tenant with no bound on a resource is unbounded:
it may take all of it, and the overcommit counts only the bounded tenants.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..components.capacity import BINARY_RESOURCES, NODE_RESOURCES, quantity_of
from ..kube.quantity import Quantity
from .table import table

if TYPE_CHECKING:
    from ..components.capacity import NodePool
    from ..components.platform import ClusterPlatformArgs
    from ..kube.manifest import Manifest

QUOTA_RESOURCES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("requests.cpu", ("requests.cpu", "cpu"), "cpu"),
    ("requests.memory", ("requests.memory", "memory"), "memory"),
    ("limits.cpu", ("limits.cpu",), "cpu"),
    ("limits.memory", ("limits.memory",), "memory"),
    ("pods", ("pods",), "pods"),
)
"""(the row, the quota keys that bound it, the node resource it is set against)."""
STORAGE_QUOTA_RESOURCES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("requests.ephemeral-storage", ("requests.ephemeral-storage", "ephemeral-storage"), "ephemeral-storage"),
    ("limits.ephemeral-storage", ("limits.ephemeral-storage",), "ephemeral-storage"),
)
"""Rows added when every pool states its disk (otherwise the cluster's storage is unknown)."""
COMPUTE = ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory")


@dataclass(frozen=True)
class PoolCapacity:
    name: str
    count: int
    capacity: dict[str, Quantity]
    """Each node's."""
    allocatable: dict[str, Quantity]
    """Each node's Node Allocatable."""
    total: dict[str, Quantity]
    """``count`` × ``allocatable``."""

    @classmethod
    def of(cls, pool: NodePool) -> PoolCapacity:
        per_node = pool.allocatable()
        total = {resource: quantity_of(pool.count * q.value, resource) for resource, q in per_node.items()}
        return cls(pool.name, pool.count, pool.capacity(), per_node, total)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "count": self.count,
            "capacity": _texts(self.capacity),
            "allocatable": _texts(self.allocatable),
            "total": _texts(self.total),
        }


@dataclass(frozen=True)
class QuotaLoad:
    """One quota resource: what each tenant may ask for, against what the cluster offers."""

    resource: str
    node_resource: str
    bounds: dict[str, Quantity | None]
    """Tenant -> its tightest bound (None: unbounded), by tenant name."""
    available: Quantity
    """What the tenants can have of the node resource (allocatable less the stack's DaemonSets)."""

    @property
    def total(self) -> Quantity:
        """The bounded tenants' bounds together."""
        return quantity_of(sum((q.value for q in self.bounds.values() if q is not None), Fraction(0)), self.node_resource)

    @property
    def unbounded(self) -> list[str]:
        return [tenant for tenant, bound in self.bounds.items() if bound is None]

    @property
    def overcommit(self) -> Fraction | None:
        """Sum of the bounds over available; None when the cluster offers none of it."""
        return self.total.value / self.available.value if self.available.value > 0 else None

    def to_json(self) -> dict[str, Any]:
        ratio = self.overcommit
        return {
            "sum": self.total.text,
            "available": self.available.text,
            "overcommit": round(float(ratio), 4) if ratio is not None else None,
            "unbounded": self.unbounded,
            "tenants": {tenant: bound.text if bound is not None else None for tenant, bound in self.bounds.items()},
        }


@dataclass(frozen=True)
class DaemonSetLoad:
    """What the stack's own DaemonSets take on every node, before any tenant: their containers'
    requests (a limit where a request is unset, as the API server defaults it) and a pod each.
    Counted on every node, though a nodeSelector may keep one off some (the pools carry no labels)."""

    names: list[str]
    per_node: dict[str, Quantity]

    @classmethod
    def of(cls, objects: list[Manifest]) -> DaemonSetLoad:
        sets = sorted((o for o in objects if o.get("kind") == "DaemonSet"), key=lambda o: o["metadata"]["name"])
        per_node = {"cpu": Fraction(0), "memory": Fraction(0), "pods": Fraction(len(sets))}
        for daemon_set in sets:
            for container in daemon_set["spec"]["template"]["spec"].get("containers", []):
                resources = container.get("resources") or {}
                for resource in ("cpu", "memory"):
                    asked = (resources.get("requests") or {}).get(resource, (resources.get("limits") or {}).get(resource))
                    if asked is not None:
                        per_node[resource] += Quantity.parse(asked).value
        return cls([o["metadata"]["name"] for o in sets], {r: quantity_of(v, r) for r, v in per_node.items()})

    def to_json(self) -> dict[str, Any]:
        return {"names": self.names, "perNode": _texts(self.per_node)}


@dataclass(frozen=True)
class CapacityReport:
    pools: list[PoolCapacity]
    allocatable: dict[str, Quantity]
    """The whole cluster's: the pools' totals together."""
    daemon_sets: DaemonSetLoad
    available: dict[str, Quantity]
    """What the tenants can have: ``allocatable`` less the stack's DaemonSets on every node."""
    loads: list[QuotaLoad]
    without_compute_quota: list[str]
    """Tenants no quota bounds in cpu or memory, requests or limits: they may use everything."""

    def to_json(self, stack: str) -> dict[str, Any]:
        return {
            "stack": stack,
            "nodePools": [pool.to_json() for pool in self.pools],
            "allocatable": _texts(self.allocatable),
            "daemonSets": self.daemon_sets.to_json(),
            "available": _texts(self.available),
            "quotas": {load.resource: load.to_json() for load in self.loads},
            "withoutComputeQuota": self.without_compute_quota,
        }

    def as_text(self, stack: str) -> str:
        resources = [r for r in NODE_RESOURCES if r in self.allocatable]
        nodes = sum(pool.count for pool in self.pools)
        headers = ["pool", "nodes", *(f"{_short(r)}/node" for r in resources), *(_short(r) for r in resources)]
        rows = [
            [pool.name, pool.count, *(_human(pool.allocatable.get(r), r) for r in resources), *(_human(pool.total.get(r), r) for r in resources)]
            for pool in self.pools
        ]
        rows.append(["total", nodes, *("" for _ in resources), *(_human(self.allocatable[r], r) for r in resources)])
        quota_rows = [
            [
                load.resource,
                _human(load.total, load.node_resource),
                _human(load.available, load.node_resource),
                _ratio(load.overcommit),
                ", ".join(load.unbounded) or "-",
            ]
            for load in self.loads
        ]
        heading = f"{stack}: {_count(len(self.pools), 'node pool')}, {_count(nodes, 'node')}"
        lines = [
            f"{heading} (allocatable = capacity - kubeReserved - systemReserved - hard eviction threshold)",
            "",
            table(headers, rows),
            "",
            table(["resource", "quotas", "available", "overcommit", "unbounded"], quota_rows),
            "",
        ]
        if self.daemon_sets.names:
            taken = ", ".join(f"{_short(r)} {_human(q, r)}" for r, q in self.daemon_sets.per_node.items())
            lines.append(f"available: allocatable less the stack's DaemonSets ({', '.join(self.daemon_sets.names)}) on every node: {taken} per node.")
        lines += [
            "overcommit: the tenants' quotas together over available; above 1 the quotas promise more than the nodes hold.",
            "unbounded: tenants that no quota bounds in that resource; each may take all of it (the overcommit counts the others).",
        ]
        if self.without_compute_quota:
            lines.append(f"Without a compute quota (may use everything): {', '.join(self.without_compute_quota)}")
        return "\n".join(lines)


def capacity_report(args: ClusterPlatformArgs) -> CapacityReport:
    """The stack's node pools against its tenants' quotas (``args.cluster.node_pools`` must not be empty)."""
    from ..components.blocks import build_platform

    pools = [PoolCapacity.of(pool) for pool in args.cluster.node_pools]
    daemon_sets = DaemonSetLoad.of(build_platform(args))
    nodes = sum(pool.count for pool in pools)
    allocatable: dict[str, Quantity] = {}
    for resource in NODE_RESOURCES:
        if resource == "ephemeral-storage" and any(p.ephemeral_storage is None for p in args.cluster.node_pools):
            continue
        allocatable[resource] = quantity_of(sum((pool.total[resource].value for pool in pools), Fraction(0)), resource)
    available = {
        resource: quantity_of(max(Fraction(0), quantity.value - nodes * daemon_sets.per_node[resource].value), resource)
        if resource in daemon_sets.per_node
        else quantity
        for resource, quantity in allocatable.items()
    }
    rows = QUOTA_RESOURCES + (STORAGE_QUOTA_RESOURCES if "ephemeral-storage" in allocatable else ())
    bounds = {name: tenant_bounds(tenant.unscoped_quotas(), rows) for name, tenant in sorted(args.namespaces.items())}
    loads = [
        QuotaLoad(resource, node_resource, {tenant: found[resource] for tenant, found in bounds.items()}, available[node_resource])
        for resource, _, node_resource in rows
    ]
    without = [tenant for tenant, found in bounds.items() if all(found[resource] is None for resource in COMPUTE)]
    return CapacityReport(pools, allocatable, daemon_sets, available, loads, without)


def tenant_bounds(
    quotas: list[tuple[Any, Mapping[str, Any]]], rows: tuple[tuple[str, tuple[str, ...], str], ...] = QUOTA_RESOURCES
) -> dict[str, Quantity | None]:
    """Per row, the tightest bound of a tenant's unscoped quotas (each quota's ``hard``); None where
    none bounds it. A value that is a Pulumi Output is unknown here and bounds nothing."""
    found: dict[str, Quantity | None] = {}
    for resource, keys, _ in rows:
        candidates = [hard[key] for _, hard in quotas for key in keys if isinstance(hard.get(key), Quantity)]
        found[resource] = min(candidates) if candidates else None
    return found


def _texts(resources: Mapping[str, Quantity]) -> dict[str, str]:
    return {resource: quantity.text for resource, quantity in resources.items()}


def _short(resource: str) -> str:
    return "storage" if resource == "ephemeral-storage" else resource


_BINARY_UNITS = (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


def _human(quantity: Quantity | None, resource: str) -> str:
    """For reading, not for parsing (--json has the exact values): cores, Gi, pods."""
    if quantity is None:
        return "-"
    value = quantity.value
    if resource in BINARY_RESOURCES:
        for suffix, size in _BINARY_UNITS:
            if value >= size:
                return f"{_decimal(value / size, 2)}{suffix}"
        return _decimal(value, 0)
    return _decimal(value, 3)


def _decimal(value: Fraction, places: int) -> str:
    text = f"{float(value):.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _ratio(ratio: Fraction | None) -> str:
    return f"{float(ratio):.2f}" if ratio is not None else "n/a"
