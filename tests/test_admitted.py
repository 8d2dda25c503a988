"""What admission reads (clusterstack/analysis/admitted.py): the stack's namespaces with their
LimitRanges and ResourceQuotas in name order and what ``--usage`` says they use already, the classes
the stack declares, and how many pods each kind of workload stands for. What each object charges to
quota is upstream's own cases, in tests/conformance/admission.yaml."""

from __future__ import annotations

from typing import Any

import pytest

from clusterstack.analysis.admitted import Classes, classes_of, namespaces_of, pod_template
from clusterstack.analysis.quantities import Amount

OBJECTS: list[dict[str, Any]] = [
    {"kind": "Namespace", "metadata": {"name": "team"}},
    {"kind": "LimitRange", "metadata": {"name": "b", "namespace": "team"}, "spec": {"limits": [{"type": "Container", "max": {"cpu": "2"}}]}},
    {"kind": "LimitRange", "metadata": {"name": "a", "namespace": "team"}, "spec": {"limits": [{"type": "Container", "max": {"cpu": "1"}}]}},
    {"kind": "ResourceQuota", "metadata": {"name": "z", "namespace": "team"}, "spec": {"hard": {"pods": "2"}}},
    {
        "kind": "ResourceQuota",
        "metadata": {"name": "y", "namespace": "team"},
        "spec": {"hard": {"pods": "5"}, "scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}},
    },
    {"kind": "PriorityClass", "metadata": {"name": "high"}, "globalDefault": True},
    {"kind": "PriorityClass", "metadata": {"name": "low"}},
    {"kind": "StorageClass", "metadata": {"name": "fast", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}},
    {"kind": "StorageClass", "metadata": {"name": "slow"}},
]


def test_limit_ranges_and_quotas_are_read_in_name_order_with_their_scope_selectors():
    [(name, space)] = namespaces_of(OBJECTS).items()
    assert name == "team"
    assert [items[0].max["cpu"] for items in space.limit_ranges] == [Amount.parse("1"), Amount.parse("2")]  # a, then b
    assert [(q.name, q.hard, q.selector) for q in space.quotas] == [
        ("y", {"pods": Amount.parse("5")}, (("PriorityClass", "In", ("high",)),)),
        ("z", {"pods": Amount.parse("2")}, ()),
    ]
    assert space.used == {}


def test_what_a_namespace_uses_already_comes_from_its_quotas_status_and_only_for_the_stacks_namespaces():
    usage = [
        {"kind": "ResourceQuota", "metadata": {"name": "z", "namespace": "team"}, "status": {"used": {"pods": "1"}}},
        {"kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "elsewhere"}, "status": {"used": {"pods": "1"}}},
    ]
    spaces = namespaces_of(OBJECTS, usage)
    assert list(spaces) == ["team"]
    assert spaces["team"].used == {"z": {"pods": Amount.parse("1")}}


def test_the_classes_are_the_stacks_the_clusters_it_names_and_the_systems():
    classes = classes_of(OBJECTS, ["from-cluster"])
    assert classes == Classes(
        frozenset({"high", "low", "from-cluster", "system-cluster-critical", "system-node-critical"}), global_default="high", default_storage="fast"
    )
    assert classes_of([]) == Classes()


@pytest.mark.parametrize(
    ("kind", "spec", "pods"),
    [
        ("Deployment", {"replicas": 3, "template": {"t": 1}}, ({"t": 1}, 3)),
        ("Deployment", {"replicas": None}, ({}, 1)),
        ("StatefulSet", {}, ({}, 1)),
        ("DaemonSet", {"template": {"t": 1}}, ({"t": 1}, 1)),
        ("Job", {"parallelism": 4, "template": {"t": 1}}, ({"t": 1}, 4)),
        ("CronJob", {"jobTemplate": {"spec": {"parallelism": 2, "template": {"t": 2}}}}, ({"t": 2}, 2)),
    ],
)
def test_a_workload_stands_for_its_pod_template_once_per_pod_its_controller_creates(kind, spec, pods):
    assert pod_template(kind, spec) == pods
