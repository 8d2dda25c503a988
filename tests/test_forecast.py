"""The replica forecast as ``clusterstack dns forecast`` prints it (clusterstack/analysis/forecast.py):
one row per cluster size with what the autoscaler counts (all or schedulable nodes and cores), its two
candidates and the replicas it picks; the default table runs from one node to a thousand at the given
cores per node; the parameters as the autoscaler's ConfigMap holds them. The arithmetic is
components/cpa.py's (tests/test_cpa.py); the command, tests/test_cli.py's."""

from __future__ import annotations

from clusterstack.analysis.forecast import COLUMNS, TABLE_NODES, replica_forecast, table_sizes
from clusterstack.components.cpa import ClusterSize
from clusterstack.components.dns_autoscaler import DnsAutoscalerArgs


def test_the_default_table_runs_from_one_node_to_a_thousand_at_the_cores_given():
    sizes = table_sizes(4)
    assert [s.nodes for s in sizes] == list(TABLE_NODES)
    assert TABLE_NODES[0] == 1
    assert TABLE_NODES[-1] == 1000
    assert all(s.cores == 4 * s.nodes and s.schedulable_nodes == s.nodes and s.schedulable_cores == s.cores for s in sizes)


def test_each_row_has_every_column_and_the_replicas_the_autoscaler_picks():
    args = DnsAutoscalerArgs(linear={"coresPerReplica": 256, "nodesPerReplica": 16, "preventSinglePointFailure": True})
    result = replica_forecast(args, [ClusterSize.of(1, 4), ClusterSize.of(100, 400), ClusterSize.of(100, 400, schedulable_nodes=20, schedulable_cores=80)])
    assert result.mode == "linear"
    assert result.params == {"coresPerReplica": 256, "nodesPerReplica": 16, "min": 0, "max": 0, "preventSinglePointFailure": True, "includeUnschedulableNodes": False}
    assert all(list(row) == list(COLUMNS) for row in result.rows)
    # ceil(4/256)=1, ceil(1/16)=1 -> 1 (one node: no second replica to spread to)
    assert result.rows[0]["replicas"] == 1
    # ceil(400/256)=2, ceil(100/16)=7 -> 7
    assert (result.rows[1]["fromCores"], result.rows[1]["fromNodes"], result.rows[1]["replicas"]) == (2, 7, 7)
    # unschedulable nodes are not counted unless includeUnschedulableNodes: ceil(80/256)=1, ceil(20/16)=2
    assert (result.rows[2]["fromCores"], result.rows[2]["fromNodes"], result.rows[2]["replicas"]) == (1, 2, 2)
