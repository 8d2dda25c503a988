"""The replica forecast follows cluster-proportional-autoscaler's arithmetic exactly.

Cases come from the autoscaler's documentation and its controllers' own test tables
(pkg/autoscaler/controller/{linear,ladder}controller), plus the edges its source defines:
a ratio of 0 contributes 1, min 0 counts as 1, preventSinglePointFailure applies after the max clamp.
"""

import pytest

from clusterstack.components.cpa import ClusterSize, LadderParams, LinearParams, forecast


def replicas(params, nodes, cores, schedulable_nodes=None, schedulable_cores=None) -> int:
    return forecast(params, ClusterSize.of(nodes, cores, schedulable_nodes, schedulable_cores)).replicas


@pytest.mark.parametrize(
    ("cores", "expected"),
    [(0, 2), (1, 2), (2, 2), (3, 2), (4, 2), (6, 3), (10, 5), (11, 6), (19, 10), (20, 10), (21, 11), (30, 15), (40, 20)],
)
def test_linear_with_one_ratio(cores, expected):
    params = LinearParams(cores_per_replica=2, min=2, max=100)
    assert replicas(params, nodes=1, cores=cores) == expected


@pytest.mark.parametrize(
    ("cores", "nodes", "expected"),
    [
        (0, 0, 1),
        (1, 2, 2),
        (2, 3, 2),
        (3, 4, 2),
        (4, 4, 2),
        (6, 4, 3),
        (6, 5, 3),
        (8, 5, 4),
        (8, 15, 6),
        (8, 16, 7),
        (19, 21, 10),
        (23, 20, 12),
        (26, 38, 16),
        (30, 49, 20),
        (40, 20, 20),
    ],
)
def test_linear_with_both_ratios_takes_the_larger(cores, nodes, expected):
    params = LinearParams(cores_per_replica=2, nodes_per_replica=2.5, min=1, max=100, prevent_single_point_failure=True)
    assert replicas(params, nodes, cores) == expected


def test_the_seed_pages_parameters():
    # The page's ConfigMap: {"coresPerReplica":256,"min":1,"nodesPerReplica":16}.
    params = LinearParams(cores_per_replica=256, min=1, nodes_per_replica=16)
    assert replicas(params, nodes=4, cores=256) == 1  # few large nodes: cores dominate
    assert replicas(params, nodes=4, cores=257) == 2
    assert replicas(params, nodes=17, cores=68) == 2  # many small nodes: nodes dominate
    assert replicas(params, nodes=160, cores=640) == 10
    safe = params.model_copy(update={"prevent_single_point_failure": True})
    assert replicas(safe, nodes=4, cores=256) == 2  # more than one node: never a single replica
    assert replicas(safe, nodes=1, cores=256) == 1


def test_prevent_single_point_failure_applies_after_the_max_clamp():
    params = LinearParams(nodes_per_replica=16, max=1, prevent_single_point_failure=True)
    assert replicas(params, nodes=3, cores=12) == 2  # above max 1
    assert replicas(params.model_copy(update={"prevent_single_point_failure": False}), nodes=3, cores=12) == 1


def test_max_clamps_and_zero_means_no_max():
    assert replicas(LinearParams(nodes_per_replica=1, max=5), nodes=40, cores=0) == 5
    assert replicas(LinearParams(nodes_per_replica=1, max=0), nodes=40, cores=0) == 40


def test_min_zero_counts_as_one_and_an_unset_ratio_contributes_one():
    assert replicas(LinearParams(cores_per_replica=100, min=0), nodes=0, cores=0) == 1
    # min raises the node-derived value only; the missing ratio contributes 1 unclamped.
    forecast_ = forecast(LinearParams(nodes_per_replica=10, min=3), ClusterSize.of(5, 1000))
    assert (forecast_.from_cores, forecast_.from_nodes, forecast_.replicas) == (1, 3, 3)


def test_unschedulable_nodes_count_only_when_included():
    params = LinearParams(nodes_per_replica=1)
    assert replicas(params, nodes=10, cores=40, schedulable_nodes=6, schedulable_cores=24) == 6
    included = params.model_copy(update={"include_unschedulable_nodes": True})
    assert replicas(included, nodes=10, cores=40, schedulable_nodes=6, schedulable_cores=24) == 10


STEPS = ((1, 1), (2, 2), (3, 3), (4, 4), (10, 10), (20, 20))


@pytest.mark.parametrize(
    ("cores", "expected"),
    [(0, 1), (1, 1), (2, 2), (3, 3), (4, 4), (6, 4), (10, 10), (11, 10), (19, 10), (20, 20), (21, 20), (40, 20)],
)
def test_ladder_steps(cores, expected):
    assert replicas(LadderParams(cores_to_replicas=STEPS), nodes=0, cores=cores) == expected


@pytest.mark.parametrize(("count", "expected"), [(0, 0), (1, 0), (2, 0), (3, 3), (4, 3)])
def test_ladder_can_start_from_zero(count, expected):
    assert replicas(LadderParams(nodes_to_replicas=((0, 0), (3, 3))), nodes=count, cores=0) == expected
    assert replicas(LadderParams(nodes_to_replicas=((1, 0), (3, 3))), nodes=count, cores=0) == expected


def test_ladder_takes_the_larger_table_and_an_empty_table_gives_zero():
    params = LadderParams(cores_to_replicas=((1, 1), (64, 3), (512, 5)), nodes_to_replicas=((1, 1), (2, 2)))
    assert replicas(params, nodes=1, cores=600) == 5
    assert replicas(params, nodes=5, cores=8) == 2
    only_nodes = forecast(LadderParams(nodes_to_replicas=((1, 1),)), ClusterSize.of(3, 12))
    assert (only_nodes.from_cores, only_nodes.from_nodes) == (0, 1)


def test_ladder_with_unschedulable_nodes():
    params = LadderParams(nodes_to_replicas=((0, 0), (1, 1), (2, 2), (3, 3)), cores_to_replicas=((0, 0), (4, 1), (8, 2), (12, 3)))
    assert replicas(params, nodes=3, cores=12, schedulable_nodes=1, schedulable_cores=4) == 1
    included = params.model_copy(update={"include_unschedulable_nodes": True})
    assert replicas(included, nodes=3, cores=12, schedulable_nodes=2, schedulable_cores=8) == 3
