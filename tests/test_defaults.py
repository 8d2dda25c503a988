"""The API server's defaulting as clusterstack models it (clusterstack/kube/defaults.py; pods and
workloads are tests/test_pod_defaults.py's): the rules
upstream's defaults_test.go files do not cover (their cases are tests/conformance/defaults.yaml), each
with the upstream function it follows; and undefaulting, which leaves out exactly what defaulting
would fill in again, so an object written with a default and one written without compare equal."""

from __future__ import annotations

import pytest

from clusterstack.kube.defaults import defaulted, undefaulted


def test_a_load_balancer_service() -> None:
    """SetDefaults_Service: TCP, targetPort from port, sessionAffinity None, externalTrafficPolicy
    Cluster (externally accessible), internalTrafficPolicy Cluster, allocateLoadBalancerNodePorts."""
    written = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "n"},
               "spec": {"type": "LoadBalancer", "selector": {"app": "s"}, "ports": [{"port": 443, "targetPort": 8443}, {"port": 80}]}}  # fmt: skip
    stored = defaulted(written)
    assert stored["spec"] == {
        "type": "LoadBalancer",
        "selector": {"app": "s"},
        "ports": [{"port": 443, "targetPort": 8443, "protocol": "TCP"}, {"port": 80, "protocol": "TCP", "targetPort": 80}],
        "sessionAffinity": "None",
        "externalTrafficPolicy": "Cluster",
        "internalTrafficPolicy": "Cluster",
        "allocateLoadBalancerNodePorts": True,
    }
    assert undefaulted(stored) == written


def test_client_ip_affinity_gets_its_timeout() -> None:
    """SetDefaults_Service: ClientIP affinity without a timeout gets DefaultClientIPServiceAffinitySeconds."""
    written = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"sessionAffinity": "ClientIP"}}
    assert defaulted(written)["spec"]["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}
    assert undefaulted(defaulted(written)) == written


def test_priority_and_storage_classes() -> None:
    """SetDefaults_PriorityClass (pkg/apis/scheduling/v1/defaults.go), SetDefaults_StorageClass
    (pkg/apis/storage/v1/defaults.go)."""
    priority = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "p"}, "value": 10}
    storage = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "s"}, "provisioner": "x"}
    assert defaulted(priority)["preemptionPolicy"] == "PreemptLowerPriority"
    assert (defaulted(storage)["reclaimPolicy"], defaulted(storage)["volumeBindingMode"]) == ("Delete", "Immediate")
    assert undefaulted(defaulted(priority)) == priority
    assert undefaulted(defaulted(storage)) == storage
    assert undefaulted({**storage, "reclaimPolicy": "Retain"})["reclaimPolicy"] == "Retain"


def test_a_secret_is_opaque_and_a_config_map_has_data() -> None:
    """SetDefaults_Secret, SetDefaults_ConfigMap."""
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    assert (defaulted(secret)["type"], defaulted(config_map)["data"]) == ("Opaque", {})
    assert (undefaulted(defaulted(secret)), undefaulted(defaulted(config_map))) == (secret, config_map)


@pytest.mark.parametrize(
    ("item", "left"),
    [
        # default == max: defaulting would fill it from max
        ({"type": "Container", "max": {"cpu": "2"}, "default": {"cpu": "2"}}, {"type": "Container", "max": {"cpu": "2"}}),
        # defaultRequest == default: filled from default
        ({"type": "Container", "default": {"cpu": "500m"}, "defaultRequest": {"cpu": "0.5"}}, {"type": "Container", "default": {"cpu": "500m"}}),
        # defaultRequest == min where no default: filled from min
        ({"type": "Container", "min": {"cpu": "100m"}, "defaultRequest": {"cpu": "100m"}}, {"type": "Container", "min": {"cpu": "100m"}}),
        # defaultRequest == min but a default exists: it came from the author, not from min
        (
            {"type": "Container", "min": {"cpu": "100m"}, "default": {"cpu": "1"}, "defaultRequest": {"cpu": "100m"}},
            {"type": "Container", "min": {"cpu": "100m"}, "default": {"cpu": "1"}, "defaultRequest": {"cpu": "100m"}},
        ),
        # a Pod entry is not defaulted
        ({"type": "Pod", "max": {"cpu": "2"}, "default": {"cpu": "2"}}, {"type": "Pod", "max": {"cpu": "2"}, "default": {"cpu": "2"}}),
    ],
)
def test_limit_range_defaults_interplay(item: dict, left: dict) -> None:
    """SetDefaults_LimitRangeItem: default from max, then defaultRequest from default, then from min."""
    body = {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "l"}, "spec": {"limits": [item]}}
    assert undefaulted(defaulted(body))["spec"]["limits"] == [left]
    assert defaulted(undefaulted(defaulted(body))) == defaulted(body)


def test_quantities_are_stored_as_the_api_server_writes_them() -> None:
    """SetDefaults_ResourceList rounds up to a thousandth; Quantity.String() writes one spelling."""
    quota = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"}, "spec": {"hard": {"requests.cpu": "1000m", "requests.memory": "1024Mi", "pods": 10, "x": "0.0001"}}}
    assert defaulted(quota)["spec"]["hard"] == {"requests.cpu": "1", "requests.memory": "1Gi", "pods": "10", "x": "1m"}


def test_a_kind_without_rules_and_malformed_parts_pass_through() -> None:
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"x": 1}}
    assert (defaulted(unknown), undefaulted(unknown)) == (unknown, unknown)
    odd = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": None}
    assert undefaulted(odd) == odd
    bad_quantity = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"}, "spec": {"hard": {"pods": "2 cores"}}}
    assert defaulted(bad_quantity)["spec"]["hard"] == {"pods": "2 cores"}  # left for validation to report
