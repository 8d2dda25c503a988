"""Network policies and load balancers: their shapes, every rejection, and what they let through.

Behaviour is checked with clusterstack.kube.flows, which evaluates NetworkPolicy semantics: a flow
passes when the source's egress policies and the destination's ingress policies both admit it.
"""

import pulumi
import pytest
import yaml

from clusterstack.components import (
    ClusterDns,
    LoadBalancer,
    LoadBalancerArgs,
    LoadBalancerObjects,
    NamespacePolicies,
    NetworkPolicyArgs,
    build_load_balancer,
    build_network_policies,
    build_platform,
)
from clusterstack.kube.flows import Host, NamedPort, Pod, allowed
from tests.helpers import STACK_FILE, load, problems, tenant_problems

NODE_LOCAL = ClusterDns.node_local("169.254.20.10")
KUBE_DNS_ONLY = ClusterDns.kube_dns()
KUBE_DNS = Pod("kube-system", {"k8s-app": "kube-dns"}, ip="10.244.0.5")
STANDARD = {"app.kubernetes.io/managed-by": "clusterstack", "clusterstack.io/environment": "prod"}


def policies(spec: dict, namespace: str = "payments", dns: ClusterDns = KUBE_DNS_ONLY) -> list[dict]:
    return build_network_policies(namespace, NetworkPolicyArgs.model_validate(spec), dns, "prod")


def by_name(objects: list[dict]) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects}


# --- Shapes ------------------------------------------------------------------------------------


def test_default_deny_is_one_policy_selecting_every_pod():
    assert policies({"defaultDeny": ["Ingress", "Egress"], "allowDNS": False}) == [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": "payments", "labels": STANDARD},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        }
    ]
    assert policies({"defaultDeny": ["Egress"], "allowDNS": False})[0]["spec"]["policyTypes"] == ["Egress"]


def test_dns_egress_without_and_with_node_local_dns():
    kube_dns_rule = {
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }
    plain = by_name(policies({"allowDNS": True}))["allow-dns"]["spec"]
    assert plain == {"podSelector": {}, "policyTypes": ["Egress"], "egress": [kube_dns_rule]}
    cached = by_name(policies({"allowDNS": True}, dns=NODE_LOCAL))["allow-dns"]["spec"]
    assert cached["egress"] == [
        kube_dns_rule,
        {
            "to": [{"ipBlock": {"cidr": "169.254.20.10/32"}}, {"ipBlock": {"cidr": "10.96.0.10/32"}}],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        },
    ]


def test_the_seed_nginx_example_is_one_line():
    # Declare Network Policy: only pods labelled access: "true" may reach app: nginx.
    [policy] = policies({"allowFrom": [{"name": "access-nginx", "podLabels": {"access": "true"}, "toPods": {"app": "nginx"}}]}, namespace="default")
    assert policy["metadata"]["name"] == "access-nginx"
    assert policy["spec"] == {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"access": "true"}}}]}],
    }
    nginx = Pod("default", {"app": "nginx"})
    assert allowed([policy], Pod("default", {"access": "true"}), nginx, 80)
    assert not allowed([policy], Pod("default", {"run": "busybox"}), nginx, 80)
    assert not allowed([policy], Pod("other", {"access": "true"}), nginx, 80)  # podSelector alone: same namespace


def test_rules_with_namespaces_pods_cidrs_and_ports():
    spec = {
        "allowFrom": [{"namespace": "ingress-nginx"}, {"namespaceLabels": {"team": "data"}, "podLabels": {"role": "reader"}, "ports": [{"port": "metrics"}]}],
        "allowTo": [
            {"cidr": "10.20.0.0/16", "except": ["10.20.5.0/24"], "ports": [{"port": 5432}]},
            {"fromPods": {"app": "batch"}, "ports": [{"port": 30000, "endPort": 32767, "protocol": "UDP"}]},
        ],
    }
    objects = by_name(policies(spec))
    assert objects["allow-from-0"]["spec"]["ingress"] == [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]}]
    assert objects["allow-from-1"]["spec"]["ingress"] == [
        {"from": [{"namespaceSelector": {"matchLabels": {"team": "data"}}, "podSelector": {"matchLabels": {"role": "reader"}}}], "ports": [{"protocol": "TCP", "port": "metrics"}]}
    ]
    assert objects["allow-to-0"]["spec"]["egress"] == [{"to": [{"ipBlock": {"cidr": "10.20.0.0/16", "except": ["10.20.5.0/24"]}}], "ports": [{"protocol": "TCP", "port": 5432}]}]
    assert objects["allow-to-1"]["spec"] == {
        "podSelector": {"matchLabels": {"app": "batch"}},
        "policyTypes": ["Egress"],
        "egress": [{"ports": [{"protocol": "UDP", "port": 30000, "endPort": 32767}]}],
    }


def test_raw_policies_pass_through():
    spec = {"podSelector": {"matchLabels": {"app": "x"}}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}
    [policy] = policies({"policies": [{"name": "custom", "spec": spec}]})
    assert policy["spec"] == spec
    assert policy["metadata"]["name"] == "custom"


# --- Behaviour ---------------------------------------------------------------------------------

PROD_LIKE = {"defaultDeny": ["Ingress", "Egress"], "allowDNS": True, "allowSameNamespace": True}


@pytest.mark.parametrize("protocol", ["UDP", "TCP"])
def test_default_deny_with_dns_and_node_local_cache_allows_only_dns_out(protocol):
    rules = policies(PROD_LIKE, dns=NODE_LOCAL)
    app = Pod("payments", {"app": "api"})
    assert allowed(rules, app, Host("169.254.20.10"), 53, protocol)  # the cache, on the host network
    assert allowed(rules, app, Host("10.96.0.10"), 53, protocol)  # the kube-dns ClusterIP the cache answers on
    assert allowed(rules, app, KUBE_DNS, 53, protocol)
    assert not allowed(rules, app, Host("169.254.20.10"), 54, protocol)
    assert not allowed(rules, app, Host("8.8.8.8"), 53, protocol)
    assert not allowed(rules, app, Pod("kube-system", {"k8s-app": "other"}), 53, protocol)
    assert not allowed(rules, app, Pod("monitoring", {"app": "prometheus"}), 9090)
    assert not allowed(rules, app, Host("203.0.113.7"), 443)
    assert allowed(rules, app, Pod("payments", {"app": "db"}), 5432)  # same namespace


def test_without_the_node_local_addresses_a_default_deny_breaks_the_cache():
    rules = policies(PROD_LIKE)  # DNS allowed to the kube-dns pods only
    assert allowed(rules, Pod("payments", {}), KUBE_DNS, 53, "UDP")
    assert not allowed(rules, Pod("payments", {}), Host("169.254.20.10"), 53, "UDP")


def test_default_deny_ingress_blocks_other_namespaces_until_allowed():
    rules = policies({**PROD_LIKE, "allowFrom": [{"namespace": "ingress-nginx", "toPods": {"app": "web"}, "ports": [{"port": 8080}]}]})
    web = Pod("payments", {"app": "web"})
    assert allowed(rules, Pod("ingress-nginx", {"app": "controller"}), web, 8080)
    assert not allowed(rules, Pod("ingress-nginx", {"app": "controller"}), web, 9090)
    assert not allowed(rules, Pod("ingress-nginx", {}), Pod("payments", {"app": "db"}), 8080)
    assert not allowed(rules, Pod("elsewhere", {}), web, 8080)


def test_cidr_except_and_port_ranges():
    rules = policies({"defaultDeny": ["Egress"], "allowDNS": False, "allowTo": [{"cidr": "10.20.0.0/16", "except": ["10.20.5.0/24"], "ports": [{"port": 5000, "endPort": 5010}]}]})
    app = Pod("payments", {})
    assert allowed(rules, app, Host("10.20.1.1"), 5005)
    assert not allowed(rules, app, Host("10.20.5.1"), 5005)
    assert not allowed(rules, app, Host("10.20.1.1"), 5011)
    assert not allowed(rules, app, Host("10.21.0.1"), 5005)


# --- Rejections --------------------------------------------------------------------------------

POLICY_REJECTIONS = [
    ({"allowTo": [{"cidr": "10.0.0.1"}]}, "networkPolicy.allowTo[0].cidr: '10.0.0.1' is an address, not a CIDR; did you mean 10.0.0.1/32?"),
    ({"allowTo": [{"cidr": "fd00::1"}]}, "networkPolicy.allowTo[0].cidr: 'fd00::1' is an address, not a CIDR; did you mean fd00::1/128?"),
    ({"allowTo": [{"cidr": "10.0.0.0/33"}]}, "networkPolicy.allowTo[0].cidr: '10.0.0.0/33' is not a CIDR (e.g. 10.0.0.0/16)"),
    ({"allowTo": [{"cidr": "10.20.0.0/16", "except": ["10.30.0.0/24"]}]}, "networkPolicy.allowTo[0].except[0]: 10.30.0.0/24 is not inside 10.20.0.0/16; every except must be a strict subset of its cidr"),
    ({"allowTo": [{"cidr": "10.20.0.0/16", "except": ["10.20.0.0/16"]}]}, "networkPolicy.allowTo[0].except[0]: 10.20.0.0/16 is not inside 10.20.0.0/16; every except must be a strict subset of its cidr"),
    ({"allowTo": [{"namespace": "x", "except": ["10.0.0.0/8"]}]}, "networkPolicy.allowTo[0].except: needs a cidr to carve out of"),
    ({"allowTo": [{"cidr": "10.0.0.0/8", "namespace": "x"}]}, "networkPolicy.allowTo[0].cidr: cannot be combined with namespace, namespaceLabels or podLabels: write two rules"),
    ({"allowFrom": [{"namespace": "x", "namespaceLabels": {"a": "b"}}]}, "networkPolicy.allowFrom[0].namespaceLabels: cannot be combined with namespace (which selects the namespace by its name label)"),
    ({"allowFrom": [{"ports": [{"port": 0}]}]}, "networkPolicy.allowFrom[0].ports[0].port: 0 is not a port: use 1-65535"),
    ({"allowFrom": [{"ports": [{"port": 70000}]}]}, "networkPolicy.allowFrom[0].ports[0].port: 70000 is not a port: use 1-65535"),
    ({"allowFrom": [{"ports": [{"port": 8080, "endPort": 8000}]}]}, "networkPolicy.allowFrom[0].ports[0].endPort: 8000 is below port 8080; endPort must be ≥ port"),
    ({"allowFrom": [{"ports": [{"port": "http", "endPort": 8000}]}]}, "networkPolicy.allowFrom[0].ports[0].endPort: needs a numeric port; 'http' is a named port"),
    ({"allowFrom": [{"ports": [{"port": "Http_Port"}]}]}, "networkPolicy.allowFrom[0].ports[0].port: 'Http_Port' is not a port name: lower-case letters, digits and single '-' (e.g. http, metrics)"),
    ({"allowFrom": [{"ports": [{"port": 80, "protocol": "ICMP"}]}]}, "networkPolicy.allowFrom[0].ports[0].protocol: must be one of 'TCP', 'UDP' or 'SCTP', not 'ICMP'"),
    ({"allowFrom": [{"podLabels": {"access": True}}]}, 'networkPolicy.allowFrom[0].podLabels.access: true is not a string; quote it in YAML ("true")'),
    ({"allowFrom": [{"namespace": "Ingress_Nginx"}]}, "networkPolicy.allowFrom[0].namespace: 'Ingress_Nginx' is not a valid name: must be a DNS-1123 label: lower case letters, digits and '-', starting and ending with a letter or digit (e.g. 'payments', 'team-a')"),
    ({"defaultDeny": ["ingress"]}, "networkPolicy.defaultDeny[0]: must be one of 'Ingress' or 'Egress', not 'ingress'"),
    ({"allowFrom": [{"name": "x"}], "allowTo": [{"name": "x"}]}, "networkPolicy.allowTo[0].name: x is already the name of another policy in this namespace"),
    (
        {"policies": [{"name": "raw", "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "port": 80}]}}]},
        "networkPolicy.policies[0].spec.ingress[0]: Additional properties are not allowed ('port' was unexpected) (Kubernetes 1.34 schema)",
    ),
]


def _ingress_policy(spec_extra, namespace="x"):
    spec = {"podSelector": {"matchLabels": {"pod": "a"}}, **spec_extra}
    return {"kind": "NetworkPolicy", "metadata": {"namespace": namespace, "name": "p"}, "spec": spec}


SERVED = {f"serve-{port}-{proto.lower()}": NamedPort(port, proto) for port in (80, 81) for proto in ("TCP", "UDP", "SCTP")}


def test_a_named_port_opens_only_on_its_own_protocol():
    """A named port resolves to the container port of that name, and the rule's protocol must be that
    port's: {protocol: TCP, port: serve-81-udp} opens nothing (cyclonus pkg/generator/portprotocolcases.go
    "open a named port that doesn't match its protocol", matched by pkg/matcher/portmatcher.go
    PortProtocolMatcher.AllowsPortProtocol: name and protocol)."""
    server, client = Pod("x", {"pod": "a"}, ports=SERVED), Pod("y", {"pod": "b"})
    mismatched = _ingress_policy({"policyTypes": ["Ingress"], "ingress": [{"ports": [{"protocol": "TCP", "port": "serve-81-udp"}]}]})
    for protocol in ("TCP", "UDP", "SCTP"):
        for port in (80, 81):
            assert not allowed([mismatched], client, server, port, protocol), (protocol, port)
    matched = _ingress_policy({"policyTypes": ["Ingress"], "ingress": [{"ports": [{"protocol": "UDP", "port": "serve-81-udp"}]}]})
    assert allowed([matched], client, server, 81, "UDP")
    assert not allowed([matched], client, server, 81, "TCP")
    # protocol unset means TCP (pkg/apis/networking/v1/defaults.go SetDefaults_NetworkPolicyPort), null too
    defaulted = _ingress_policy({"policyTypes": ["Ingress"], "ingress": [{"ports": [{"protocol": None, "port": "serve-80-tcp"}]}]})
    assert allowed([defaulted], client, server, 80, "TCP")
    assert not allowed([defaulted], client, Pod("x", {"pod": "a"}), 80, "TCP")  # a pod without that port name


@pytest.mark.parametrize("policy_types", [[], None], ids=["policyTypes []", "policyTypes null"])
def test_an_empty_or_null_policy_types_is_defaulted_as_if_absent(policy_types):
    """pkg/apis/networking/v1/defaults.go SetDefaults_NetworkPolicy: len(PolicyTypes) == 0 becomes
    [Ingress], plus Egress when there are egress rules (defaults_test.go TestSetDefaultNetworkPolicy)."""
    pod, outside = Pod("x", {"pod": "a"}, ip="10.1.0.1"), Host("203.0.113.1")
    deny_in = _ingress_policy({"policyTypes": policy_types})
    assert not allowed([deny_in], outside, pod, 80)
    assert allowed([deny_in], pod, outside, 80)
    with_egress = _ingress_policy({"policyTypes": policy_types, "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]})
    assert not allowed([with_egress], pod, outside, 80)
    assert allowed([with_egress], pod, outside, 53, "UDP")
    assert not allowed([with_egress], outside, pod, 80)


def test_a_null_namespace_selector_is_an_absent_one():
    """`namespaceSelector: null` is the nil pointer: the peer stays in the policy's namespace (cyclonus
    pkg/matcher/builder.go BuildIPBlockNamespacePodMatcher, nsSel == nil -> ExactNamespaceMatcher;
    builder_tests.go "allow all pods in policy namespace"); `{}` is every namespace."""
    pod = Pod("x", {"pod": "a"})
    null = _ingress_policy({"policyTypes": ["Ingress"], "ingress": [{"from": [{"namespaceSelector": None, "podSelector": {}}]}]})
    assert allowed([null], Pod("x", {"pod": "b"}), pod, 80)
    assert not allowed([null], Pod("y", {"pod": "b"}), pod, 80)
    empty = _ingress_policy({"policyTypes": ["Ingress"], "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {}}]}]})
    assert allowed([empty], Pod("y", {"pod": "b"}), pod, 80)
    # a null ipBlock or podSelector is absent too, not a crash
    nulls = _ingress_policy({"policyTypes": ["Ingress"], "ingress": [{"from": [{"ipBlock": None, "podSelector": None, "namespaceSelector": {"matchLabels": {"team": "y"}}}]}]})
    assert allowed([nulls], Pod("y", {}), pod, 80, namespace_labels={"y": {"team": "y"}})
    assert not allowed([nulls], Pod("z", {}), pod, 80)


@pytest.mark.parametrize(("spec", "message"), POLICY_REJECTIONS)
def test_policy_rejections(spec, message):
    assert tenant_problems(networkPolicy=spec) == [message]


def test_a_plugin_that_enforces_nothing_draws_a_warning():
    tenant = {"networkPolicy": {"defaultDeny": ["Ingress"]}}
    [warning] = [str(w) for w in load({"team": tenant}, cluster={"networkPlugin": "flannel"}).warnings]
    assert warning == f"{STACK_FILE}: clusterstack:namespaces.team.networkPolicy: Flannel does not enforce NetworkPolicy: these policies are accepted and silently ignored"
    assert "no longer maintained" in str(load({"team": tenant}, cluster={"networkPlugin": "weave"}).warnings[0])
    assert load({"team": tenant}, cluster={"networkPlugin": "calico"}).warnings == []


# --- Load balancers ----------------------------------------------------------------------------

CHECKOUT = {
    "namespace": "payments",
    "selector": {"app": "checkout"},
    "ports": [{"name": "https", "port": 443, "targetPort": 8443}],
    "externalTrafficPolicy": "Local",
    "sourceRanges": ["203.0.113.0/24"],
    "internal": True,
    "cloud": "aws",
}


def balancer(spec: dict, denies_ingress: bool = False) -> LoadBalancerObjects:
    return build_load_balancer("checkout", LoadBalancerArgs.model_validate(spec), "prod", denies_ingress)


def test_the_issue_example_service():
    objects = balancer(CHECKOUT)
    assert objects.policy is None
    assert objects.service == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "checkout",
            "namespace": "payments",
            "labels": STANDARD,
            "annotations": {"service.beta.kubernetes.io/aws-load-balancer-internal": "true", "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"},
        },
        "spec": {
            "type": "LoadBalancer",
            "selector": {"app": "checkout"},
            "ports": [{"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"}],
            "externalTrafficPolicy": "Local",
            "loadBalancerSourceRanges": ["203.0.113.0/24"],
        },
    }


@pytest.mark.parametrize(
    ("cloud", "extra", "annotations"),
    [
        ("gcp", {}, {"networking.gke.io/load-balancer-type": "Internal"}),
        ("azure", {}, {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}),
        ("metallb", {"addressPool": "private"}, {"metallb.io/address-pool": "private", "metallb.universe.tf/address-pool": "private"}),
    ],
)
def test_internal_annotations_per_cloud(cloud, extra, annotations):
    service = balancer({**CHECKOUT, "cloud": cloud, **extra}).service
    assert service["metadata"]["annotations"] == annotations


def test_a_public_aws_load_balancer_says_so():
    # The AWS Load Balancer Controller makes internal NLBs unless told otherwise.
    service = balancer({**CHECKOUT, "internal": False}).service
    assert service["metadata"]["annotations"] == {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}


def test_every_service_option_and_skip_await():
    spec = {
        "namespace": "payments", "selector": {"app": "web"}, "skipAwait": True,
        "ports": [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080}, {"name": "dns", "port": 53, "protocol": "UDP"}],
        "externalTrafficPolicy": "Local", "healthCheckNodePort": 32000, "loadBalancerClass": "example.com/vip",
        "allocateLoadBalancerNodePorts": False, "ipFamilyPolicy": "PreferDualStack", "ipFamilies": ["IPv4", "IPv6"],
        "sessionAffinity": "ClientIP", "annotations": {"example.com/owner": "web"},
    }
    service = balancer(spec).service
    assert service["metadata"]["annotations"] == {"example.com/owner": "web", "pulumi.com/skipAwait": "true"}
    assert service["spec"] == {
        "type": "LoadBalancer",
        "selector": {"app": "web"},
        "ports": [
            {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP", "nodePort": 30080},
            {"name": "dns", "port": 53, "targetPort": 53, "protocol": "UDP"},
        ],
        "externalTrafficPolicy": "Local",
        "healthCheckNodePort": 32000,
        "loadBalancerClass": "example.com/vip",
        "allocateLoadBalancerNodePorts": False,
        "ipFamilyPolicy": "PreferDualStack",
        "ipFamilies": ["IPv4", "IPv6"],
        "sessionAffinity": "ClientIP",
    }


def test_in_a_default_deny_namespace_the_load_balancers_traffic_gets_in_on_its_target_ports_only():
    tenant_rules = policies({"defaultDeny": ["Ingress", "Egress"], "allowDNS": True})
    allow = balancer(CHECKOUT, denies_ingress=True).policy
    assert allow is not None
    assert allow["metadata"]["name"] == "allow-lb-checkout"
    assert allow["spec"] == {
        "podSelector": {"matchLabels": {"app": "checkout"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"ports": [{"protocol": "TCP", "port": 8443}], "from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]}],
    }
    rules = [*tenant_rules, allow]
    checkout = Pod("payments", {"app": "checkout"})
    assert allowed(rules, Host("203.0.113.9"), checkout, 8443)  # Local: the client's own address
    assert not allowed(rules, Host("198.51.100.1"), checkout, 8443)
    assert not allowed(rules, Host("203.0.113.9"), checkout, 9090)
    assert not allowed(rules, Host("203.0.113.9"), Pod("payments", {"app": "other"}), 8443)
    assert not allowed(tenant_rules, Host("203.0.113.9"), checkout, 8443)  # without it: silently nothing


def test_with_cluster_traffic_policy_the_source_is_a_node_so_any_source_is_admitted():
    allow = balancer({**CHECKOUT, "externalTrafficPolicy": "Cluster"}, denies_ingress=True).policy
    assert allow is not None
    assert allow["spec"]["ingress"] == [{"ports": [{"protocol": "TCP", "port": 8443}]}]
    assert allowed([allow], Host("10.0.0.7"), Pod("payments", {"app": "checkout"}), 8443)


def test_no_allow_policy_unless_the_namespace_denies_ingress_or_it_is_asked_for():
    assert balancer(CHECKOUT).policy is None
    assert balancer({**CHECKOUT, "allowTraffic": True}).policy is not None
    assert balancer({**CHECKOUT, "allowTraffic": False}, denies_ingress=True).policy is None


def lb_problems(spec: dict, namespaces: dict | None = None) -> list[str]:
    prefix = f"{STACK_FILE}: clusterstack:loadBalancers.checkout."
    found = problems({"payments": {}} if namespaces is None else namespaces, loadBalancers={"checkout": spec})
    return [p.removeprefix(prefix) for p in found]


LB_REJECTIONS = [
    ({"sourceRanges": ["203.0.113.7"]}, "sourceRanges[0]: '203.0.113.7' is an address, not a CIDR; did you mean 203.0.113.7/32?"),
    ({"externalTrafficPolicy": "Cluster", "healthCheckNodePort": 32000}, "healthCheckNodePort: is only allowed with externalTrafficPolicy: Local"),
    ({"healthCheckNodePort": 80}, "healthCheckNodePort: 80 is outside the node port range 30000-32767"),
    ({"ports": [{"name": "https", "port": 443, "nodePort": 8443}]}, "ports[0].nodePort: 8443 is outside the node port range 30000-32767"),
    ({"ports": [{"name": "a", "port": 443}, {"name": "a", "port": 80}]}, "ports[1].name: a is used by another port"),
    ({"ports": [{"name": "a", "port": 443}, {"name": "b", "port": 443}]}, "ports[1].port: 443/TCP is listed twice"),
    ({"ports": [{"name": "a", "port": 443}, {"port": 80}]}, "ports[1].name: is required when a Service has more than one port"),
    ({"ports": [{"port": 0}]}, "ports[0].port: 0 is not a port: use 1-65535"),
    ({"ports": [{"port": 443, "targetPort": "HTTPS"}]}, "ports[0].targetPort: 'HTTPS' is not a port name: lower-case letters, digits and single '-' (e.g. http, metrics)"),
    ({"loadBalancerClass": "internal"}, "loadBalancerClass: 'internal' is not a load balancer class: needs a domain prefix (e.g. example.com/internal-vip)"),
    ({"cloud": None}, "internal: needs cloud: aws, gcp, azure or metallb (each marks an internal load balancer its own way)"),
    ({"cloud": "metallb"}, "addressPool: is required for an internal MetalLB load balancer: the IPAddressPool of internal addresses"),
    ({"selector": {}}, "selector: needs at least one label: the load balancer sends traffic to the pods it selects"),
    ({"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4", "IPv6"]}, "ipFamilies: lists two families but ipFamilyPolicy is SingleStack"),
    ({"namespace": "shop"}, "namespace: shop is not one of clusterstack:namespaces; declare it there, or set existingNamespace: true if it is made outside this stack"),
]


@pytest.mark.parametrize(("change", "message"), LB_REJECTIONS)
def test_load_balancer_rejections(change, message):
    assert lb_problems({**CHECKOUT, **change}) == [message]


def test_an_existing_namespace_can_be_named_explicitly():
    assert lb_problems({**CHECKOUT, "namespace": "shop", "existingNamespace": True}) == []


def test_the_platform_renders_the_allow_policy_for_a_default_deny_namespace():
    args = load({"payments": {"networkPolicy": {"defaultDeny": ["Ingress"]}}}, loadBalancers={"checkout": CHECKOUT}).args
    names = {(o["kind"], o["metadata"]["name"]) for o in build_platform(args)}
    assert ("NetworkPolicy", "allow-lb-checkout") in names
    assert ("Service", "checkout") in names


# --- Under Pulumi mocks ------------------------------------------------------------------------


@pulumi.runtime.test
def test_network_components_under_mocks(pulumi_mocks):
    lb = LoadBalancer("checkout", LoadBalancerArgs.model_validate(CHECKOUT), namespace_denies_ingress=True)
    standalone = NamespacePolicies("legacy", NetworkPolicyArgs.model_validate({"defaultDeny": ["Ingress"]}), namespace="legacy-apps")

    def check(values):
        service_name, ingress, names = values[0], values[1], values[2]
        assert service_name == "checkout"
        assert ingress is None  # no load-balancer controller under mocks
        assert names == ["default-deny"]
        registered = {(r.type, r.name) for r in pulumi_mocks.recording().resources}
        assert ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "checkout/allow-lb") in registered
        assert ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "legacy/default-deny") in registered

    assert lb.policy is not None
    assert set(standalone.policies) == {"default-deny"}
    children = [r.urn for r in (lb.service, lb.policy, *standalone.policies.values())]
    return pulumi.Output.all(lb.service_name, lb.ingress, standalone.policy_names, *children).apply(check)


def test_prod_renders_policies_and_an_internal_load_balancer():
    from click.testing import CliRunner

    from clusterstack.cli import cli
    from tests.conftest import REPO

    output = CliRunner().invoke(cli, ["--project-dir", str(REPO), "render", "-s", "prod"]).stdout
    objects = {(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]): d for d in yaml.safe_load_all(output)}
    assert ("NetworkPolicy", "payments", "default-deny") in objects
    assert ("NetworkPolicy", "checkout", "allow-lb-checkout") in objects
    service = objects[("Service", "checkout", "checkout")]
    assert service["spec"]["type"] == "LoadBalancer"
    dns = objects[("NetworkPolicy", "payments", "allow-dns")]["spec"]["egress"][1]["to"]
    assert dns == [{"ipBlock": {"cidr": "169.254.20.10/32"}}, {"ipBlock": {"cidr": "10.96.0.10/32"}}]
