"""How many CoreDNS replicas a stack's autoscaler would choose, for one cluster size or a table of sizes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..components.cpa import ClusterSize, forecast
from ..components.dns_autoscaler import DnsAutoscalerArgs

TABLE_NODES = (1, 2, 3, 5, 10, 16, 25, 50, 100, 250, 500, 1000)
"""Cluster sizes for the table when no size is given: from one node to a thousand."""

COLUMNS = {
    "nodes": "nodes",
    "cores": "cores",
    "schedulableNodes": "schedulable nodes",
    "schedulableCores": "schedulable cores",
    "fromCores": "from cores",
    "fromNodes": "from nodes",
    "replicas": "replicas",
}
"""Each row's keys (as JSON prints them) and their column headings."""


@dataclass(frozen=True)
class ReplicaForecast:
    mode: str
    params: dict[str, Any]
    rows: list[dict[str, int]]


def table_sizes(cores_per_node: int) -> list[ClusterSize]:
    return [ClusterSize.of(n, n * cores_per_node) for n in TABLE_NODES]


def replica_forecast(autoscaler: DnsAutoscalerArgs, sizes: list[ClusterSize]) -> ReplicaForecast:
    rows = []
    for size in sizes:
        answer = forecast(autoscaler.params, size)
        rows.append(
            {
                "nodes": size.nodes,
                "cores": size.cores,
                "schedulableNodes": size.schedulable_nodes,
                "schedulableCores": size.schedulable_cores,
                "fromCores": answer.from_cores,
                "fromNodes": answer.from_nodes,
                "replicas": answer.replicas,
            }
        )
    return ReplicaForecast(autoscaler.mode, json.loads(autoscaler.params.to_json()), rows)
