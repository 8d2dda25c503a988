"""clusterstack/adopt/balancers.py: a Service of type LoadBalancer read back into ``loadBalancers``
settings. What the API server allocates is left to it (pkg/registry/core/service/storage: the cluster
IP, node ports and health-check node port it assigns); the annotations a ``cloud`` setting writes read
back as that setting, and only then; every other field the stack has no setting for is a note."""

from __future__ import annotations

from typing import Any

import pytest

from clusterstack.adopt.balancers import cloud, is_load_balancer, read
from clusterstack.adopt.dump import LiveObject
from clusterstack.adopt.report import Note
from clusterstack.components.load_balancer import LoadBalancerArgs, build_load_balancer


def _service(spec: dict[str, Any], **meta: Any) -> LiveObject:
    return LiveObject("d.yaml#0", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop", **meta}, "spec": spec})


def test_what_the_api_server_allocates_is_left_to_it():
    live = _service({"type": "LoadBalancer", "clusterIP": "10.96.0.7", "clusterIPs": ["10.96.0.7"], "selector": {"app": "web"},
                     "ports": [{"name": "https", "port": 443, "targetPort": 8443, "nodePort": 31000}], "externalTrafficPolicy": "Local",
                     "healthCheckNodePort": 32100, "loadBalancerSourceRanges": ["203.0.113.0/24"], "externalIPs": ["192.0.2.1"]},
                    labels={"app.kubernetes.io/managed-by": "clusterstack", "tier": "edge"})
    assert is_load_balancer(live)
    args, notes = read(live, "shop")
    assert args == {"namespace": "shop", "selector": {"app": "web"}, "ports": [{"name": "https", "port": 443, "targetPort": 8443}],
                    "externalTrafficPolicy": "Local", "sourceRanges": ["203.0.113.0/24"], "labels": {"tier": "edge"}}
    assert notes == [Note("Service shop/web (d.yaml#0)", "spec.externalIPs", "unfit", "is not a setting of the stack's load balancers; not kept")]


@pytest.mark.parametrize(
    "setting",
    [{"cloud": "aws", "internal": True}, {"cloud": "aws"}, {"cloud": "gcp", "internal": True}, {"cloud": "azure", "internal": True},
     {"cloud": "metallb", "addressPool": "private"}],
)
def test_the_annotations_a_cloud_setting_writes_read_back_as_it(setting):
    args = LoadBalancerArgs.model_validate({"selector": {"app": "web"}, "ports": [{"port": 80}], "namespace": "shop", **setting})
    annotations = dict(build_load_balancer("web", args).service["metadata"]["annotations"])
    annotations["team"] = "shop"
    assert cloud(annotations) == setting
    assert annotations == {"team": "shop"}


def test_part_of_a_clouds_annotations_is_kept_as_annotations():
    annotations = {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"}
    assert cloud(annotations) == {}
    assert annotations == {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"}


def test_a_cluster_ip_service_is_not_a_load_balancer():
    assert not is_load_balancer(_service({"type": "ClusterIP", "ports": [{"port": 80}]}))
