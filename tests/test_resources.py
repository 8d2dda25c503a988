"""Resource names as the API server classifies them (clusterstack/kube/resources.py, after
pkg/apis/core/helper/helpers.go and pkg/apis/core/validation/validation.go): what a ResourceQuota may
name, what a LimitRange's container entry may name, which values count in whole units, and which
resources may be overcommitted. The messages a user meets are tested in tests/test_tenant_rules.py."""

from __future__ import annotations

import pytest

from clusterstack.kube.resources import (
    container_resource_problem,
    is_extended,
    is_hugepages,
    is_whole_number_quota_resource,
    overcommit_allowed,
    quota_resource_problem,
)


@pytest.mark.parametrize("name", ["cpu", "requests.memory", "limits.ephemeral-storage", "pods", "requests.storage", "hugepages-2Mi", "requests.hugepages-1Gi", "nvidia.com/gpu", "count/deployments.apps"])
def test_a_quota_may_name_standard_hugepages_and_qualified_resources(name):
    assert quota_resource_problem(name) is None


def test_anything_else_is_not_a_quota_resource():
    assert quota_resource_problem("gpus") == "is not a quota resource"
    assert (quota_resource_problem("example.com/-bad") or "").startswith("is not a qualified resource name: ")


@pytest.mark.parametrize(
    ("name", "whole"),
    [("pods", True), ("count/jobs.batch", True), ("gold.storageclass.storage.k8s.io/persistentvolumeclaims", True), ("requests.nvidia.com/gpu", True),
     ("cpu", False), ("requests.storage", False), ("gold.storageclass.storage.k8s.io/requests.storage", False), ("kubernetes.io/something", False)],
)
def test_object_counts_and_extended_resources_count_in_whole_units(name, whole):
    assert is_whole_number_quota_resource(name) is whole


def test_a_container_may_name_standard_hugepages_and_extended_resources_only():
    assert [container_resource_problem(n) for n in ("cpu", "memory", "ephemeral-storage", "hugepages-2Mi", "nvidia.com/gpu")] == [None] * 5
    assert container_resource_problem("pods") == "is not a container resource"
    assert container_resource_problem("kubernetes.io/gpu") == "is not a container resource"


def test_only_standard_container_resources_may_be_overcommitted():
    assert [overcommit_allowed(n) for n in ("cpu", "memory", "ephemeral-storage", "hugepages-2Mi", "nvidia.com/gpu")] == [True, True, True, False, False]
    assert is_hugepages("requests.hugepages-2Mi")
    assert not is_hugepages("memory")
    assert is_extended("nvidia.com/gpu")
    assert not is_extended("cpu")
    assert not is_extended("node.kubernetes.io/x")
