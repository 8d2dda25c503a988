"""clusterstack/adopt/policies.py: a NetworkPolicy is read back as the shorthand only when the component
renders that very policy (compared with the API server's defaults taken alike: pkg/apis/networking/v1/
defaults.go, SetDefaults_NetworkPolicy and a port's protocol TCP); anything else is the raw form,
and a policy named like a generated one that is not what it generates is refused with the reason."""

from __future__ import annotations

from typing import Any

import pytest

from clusterstack.adopt.policies import Matched, match
from clusterstack.components.cluster import ClusterDns
from clusterstack.components.network_policy import NetworkPolicyArgs, build_network_policies

KUBE_DNS = ClusterDns.kube_dns()
NODE_LOCAL = ClusterDns.node_local("169.254.20.10")


def _rendered(settings: dict[str, Any], dns: ClusterDns = KUBE_DNS) -> dict[str, dict[str, Any]]:
    args = NetworkPolicyArgs.model_validate(settings)
    return {p["metadata"]["name"]: p["spec"] for p in build_network_policies("shop", args, dns)}


@pytest.mark.parametrize(
    ("settings", "name", "setting"),
    [
        ({"defaultDeny": ["Ingress", "Egress"], "allowDNS": True}, "default-deny", ("defaultDeny", ["Ingress", "Egress"])),
        ({"defaultDeny": ["Ingress"]}, "default-deny", ("defaultDeny", ["Ingress"])),
        ({"allowDNS": True}, "allow-dns", ("allowDNS", True)),
        ({"allowSameNamespace": True}, "allow-same-namespace", ("allowSameNamespace", True)),
        ({"allowFrom": [{"name": "from-ingress", "namespace": "ingress-nginx", "toPods": {"app": "web"}, "ports": [{"port": 8080}]}]}, "from-ingress",
         ("allowFrom", {"name": "from-ingress", "namespace": "ingress-nginx", "toPods": {"app": "web"}, "ports": [{"port": 8080, "protocol": "TCP"}]})),
        ({"allowTo": [{"name": "to-db", "cidr": "10.20.0.0/16", "except": ["10.20.5.0/24"], "ports": [{"port": 5432}]}]}, "to-db",
         ("allowTo", {"name": "to-db", "cidr": "10.20.0.0/16", "except": ["10.20.5.0/24"], "ports": [{"port": 5432, "protocol": "TCP"}]})),
        ({"allowFrom": [{"name": "from-monitoring", "namespaceLabels": {"team": "sre"}, "podLabels": {"app": "prometheus"}}]}, "from-monitoring",
         ("allowFrom", {"name": "from-monitoring", "namespaceLabels": {"team": "sre"}, "podLabels": {"app": "prometheus"}})),
    ],
)
def test_each_shape_the_component_generates_reads_back_as_its_setting(settings, name, setting):
    spec = _rendered(settings)[name]
    assert match("shop", name, spec, KUBE_DNS) == Matched(setting)


def test_the_api_servers_defaults_left_out_still_match():
    """What a GitOps manifest writes: no policyTypes (Ingress, as defaulted) and no port protocol (TCP)."""
    spec = {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "edge"}}}],
                                                                         "ports": [{"port": 80}]}]}
    assert match("shop", "from-edge", spec, KUBE_DNS).setting == ("allowFrom", {"name": "from-edge", "toPods": {"app": "web"}, "namespace": "edge", "ports": [{"port": 80}]})


def test_allow_dns_matches_where_the_stacks_dns_is():
    node_local = _rendered({"allowDNS": True}, NODE_LOCAL)["allow-dns"]
    assert match("shop", "allow-dns", node_local, NODE_LOCAL) == Matched(("allowDNS", True))
    elsewhere = match("shop", "allow-dns", node_local, KUBE_DNS)
    assert elsewhere.setting == ("allowDNS", True)
    assert "set dns.nodeLocal" in elsewhere.differs


@pytest.mark.parametrize(
    "spec",
    [
        {"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}, "ingress": [{}]},
        {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}]}]},  # every namespace: not a shorthand
        {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}]}, {"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]},
    ],
)
def test_anything_else_is_kept_in_the_raw_form(spec):
    matched = match("shop", "custom", spec, KUBE_DNS)
    assert matched.setting == ("policies", {"name": "custom", "spec": spec})
    assert matched.raw_reason.startswith("kept in the raw form (policies)")


def test_a_generated_name_on_another_policy_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="is named like the policy defaultDeny generates but is not what it generates"):
        match("shop", "default-deny", {"podSelector": {"matchLabels": {"app": "web"}}}, KUBE_DNS)


def test_a_raw_policy_the_api_would_refuse_is_refused():
    with pytest.raises(ValueError, match="policyTypes"):
        match("shop", "custom", {"podSelector": {}, "policyTypes": ["Sideways"]}, KUBE_DNS)
