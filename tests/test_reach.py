"""clusterstack reach: who can talk to whom under a stack's NetworkPolicies (clusterstack/kube/flows.py,
now the product's), one question at a time, between two stacks, and in the plan."""

from __future__ import annotations

import json

from clusterstack.kube.flows import NamedPort
from tests.conftest import REPO
from tests.test_engine import cs, edit


def reach(*args, project=REPO):
    return cs(project, "reach", *args)


def test_prod_reaches_what_its_policies_say_and_no_more():
    """checkout reaches payments-api on 8080 only; every tenant reaches DNS on UDP and TCP 53, at
    kube-dns and at the NodeLocal DNSCache address; no tenant reaches the metadata address."""
    result = reach("-s", "prod", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    flows = report["flows"]
    from_checkout = [f for f in flows if f.startswith("checkout") and "payments" in f.split(" → ")[1]]
    assert sorted({f.split(": ")[1] for f in from_checkout}) == ["TCP 8080"]
    assert all(f.split(" → ")[1].startswith("payments/app=payments-api") for f in from_checkout)
    tenants = ["analytics", "checkout", "payments"]
    for tenant in tenants:
        # kube-dns pods are CoreDNS's, whose container ports name 53 (dns, dns-tcp); the cache is an address.
        assert f"{tenant} → kube-dns (kube-system/k8s-app=kube-dns): TCP 53 (dns-tcp)" in flows
        assert f"{tenant} → kube-dns (kube-system/k8s-app=kube-dns): UDP 53 (dns)" in flows
        assert f"{tenant} → node-local-dns 169.254.20.10: TCP 53" in flows
        assert f"{tenant} → node-local-dns 169.254.20.10: UDP 53" in flows
    # default and kube-system are in the matrix too (prod labels them: existingNamespaces), and no policy
    # of this stack keeps their pods from the metadata address; the tenants' policies do.
    assert not [f for f in flows if "metadata" in f and f.split(" → ")[0].split("/")[0] in tenants]
    assert "default → cloud metadata 169.254.169.254: any port" in flows
    for tenant in tenants:
        assert f"{tenant} → cloud metadata 169.254.169.254: denied" in report["denied"]


def test_one_question_names_the_policies_that_decide():
    allowed = reach("-s", "prod", "--from", "checkout/app=checkout", "--to", "payments/app=payments-api", "--port", "8080", "--json")
    assert allowed.exit_code == 0
    assert json.loads(allowed.stdout) == {"allowed": True, "because": ["checkout/allow-to-payments", "payments/allow-from-checkout"]}
    denied = reach("-s", "prod", "--from", "checkout", "--to", "payments/app=payments-api", "--port", "9090", "--json")
    assert denied.exit_code == 1
    assert json.loads(denied.stdout)["allowed"] is False
    dns = reach("-s", "prod", "--from", "payments", "--to", "169.254.20.10", "--port", "53", "--protocol", "UDP")
    assert dns.exit_code == 0
    assert "allowed (payments/allow-dns)" in dns.output
    unknown = reach("-s", "prod", "--from", "nowhere", "--to", "payments", "--port", "80")
    assert unknown.exit_code == 1
    assert "nowhere is not one of the stack's namespaces" in unknown.output


def test_dev_allows_everything_it_has_no_policy_for():
    flows = json.loads(reach("-s", "dev", "--json").stdout)["flows"]
    assert "payments → the internet (198.51.100.10): any port" in flows


def test_the_flows_another_stack_opens_and_closes():
    result = reach("-s", "dev", "--diff", "prod", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert "payments → the internet (198.51.100.10): any port" in report["closes"]


def test_the_plan_shows_the_reachability_it_changes(make_project):
    stack = """\
config:
  clusterstack:namespaces:
    web:
      networkPolicy: {defaultDeny: [Ingress, Egress], allowDNS: true, allowTo: [{namespace: api, podLabels: {app: api}, ports: [{port: 8080}]}]}
    api:
      networkPolicy: {defaultDeny: [Ingress], allowFrom: [{namespace: web, toPods: {app: api}, ports: [{port: 8080}]}]}
"""
    root = make_project({"dev": stack})
    assert cs(root, "up", "-s", "dev", "--yes").exit_code == 0
    edit(root, "ports: [{port: 8080}]}]}\n    api:", "ports: [{port: 8080}, {port: 9090}]}]}\n    api:")
    edit(root, "toPods: {app: api}, ports: [{port: 8080}]}", "toPods: {app: api}, ports: [{port: 8080}, {port: 9090}]}")
    preview = cs(root, "preview", "-s", "dev")
    assert preview.exit_code == 0, preview.output
    assert "Reachability changes:\n  + web → api/app=api: TCP 9090" in preview.stdout


# --- Named ports: representative pods serve what the stack's workloads name, or a stand-in ---------------


def _named_port_objects():
    """web runs a Deployment whose pods name http (8080/TCP) and dns-cache (5353/UDP); web admits api on
    the port named http, on the UDP port named dns-cache by a TCP rule (which opens nothing: the name is
    UDP's), and on admin, a name no workload declares."""
    namespaces = [{"kind": "Namespace", "metadata": {"name": name}} for name in ("web", "api")]
    deployment = {
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web", "tier": "front"}},
                "spec": {"containers": [{"name": "web", "ports": [{"name": "http", "containerPort": 8080}, {"name": "dns-cache", "containerPort": 5353, "protocol": "UDP"}]}]},
            },
        },
    }
    rule = {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "api"}}}], "ports": [{"port": "http"}, {"protocol": "TCP", "port": "dns-cache"}, {"port": "admin"}]}
    policy = {
        "kind": "NetworkPolicy",
        "metadata": {"name": "web-from-api", "namespace": "web"},
        "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"], "ingress": [rule]},
    }
    return [*namespaces, deployment, policy]


def test_reach_probes_and_shows_the_named_ports_of_the_stacks_workloads():
    from clusterstack.analysis import reach as reachability

    facts = reachability.Facts.of(_named_port_objects(), "10.96.0.10", None)
    web = facts.pod("web", {"app": "web"})
    assert web.ports["http"] == NamedPort(8080, "TCP")
    assert web.ports["dns-cache"] == NamedPort(5353, "UDP")
    assert web.ports["admin"] == NamedPort(reachability.STAND_IN_FIRST, "TCP")  # the only name no workload declares
    flows = [str(f) for f in reachability.matrix(facts) if f.source == "api" and f.destination == "web/app=web"]
    assert flows == ["api → web/app=web: TCP 8080 (http)", f"api → web/app=web: TCP {reachability.STAND_IN_FIRST} (admin, stand-in)"]
    # One question resolves the name on the pod too; the UDP name opened by a TCP rule stays shut both ways.
    api, target = reachability.endpoint("api", facts), reachability.endpoint("web/app=web", facts)
    assert facts.decide(api, target, 8080, "TCP").allowed
    assert not facts.decide(api, target, 5353, "UDP").allowed
    assert not facts.decide(api, target, 5353, "TCP").allowed


def test_host_network_workloads_name_no_pod_ports():
    """A host-network pod (node-local-dns) is its node's address: pod selectors never match it, so its
    ports are no representative pod's."""
    from clusterstack.analysis import reach as reachability

    objects = _named_port_objects()
    objects[2]["spec"]["template"]["spec"]["hostNetwork"] = True
    facts = reachability.Facts.of(objects, "10.96.0.10", None)
    # stand-ins are numbered in name order: admin, dns-cache, http
    assert facts.pod("web", {"app": "web"}).ports["http"] == NamedPort(reachability.STAND_IN_FIRST + 2, "TCP")


def test_a_stack_whose_rules_name_ports_shows_them_opened(make_project):
    """Before, a named-port rule opened nothing in `reach` (representative pods had no ports): the load
    balancer's named targetPort and the tenant's named allowFrom port now show, on stand-ins."""
    stack = """\
config:
  clusterstack:namespaces:
    web:
      networkPolicy: {defaultDeny: [Ingress], allowFrom: [{namespace: api, toPods: {app: web}, ports: [{port: http}]}]}
    api: {}
  clusterstack:loadBalancers:
    web:
      namespace: web
      selector: {app: web}
      ports: [{name: https, port: 443, targetPort: https}]
"""
    root = make_project({"dev": stack})
    result = cs(root, "reach", "-s", "dev", "--json")
    assert result.exit_code == 0, result.output
    flows = json.loads(result.stdout)["flows"]
    assert "api → web/app=web: TCP 62001 (http, stand-in)" in flows
    # The load balancer's policy (externalTrafficPolicy Cluster: any source) admits everyone on its target port.
    assert "api → web/app=web: TCP 62002 (https, stand-in)" in flows
    assert not [f for f in flows if f.startswith("api → web/app=web:") and f.split(": ")[1] not in ("TCP 62001 (http, stand-in)", "TCP 62002 (https, stand-in)")]
    one = cs(root, "reach", "-s", "dev", "--from", "api", "--to", "web/app=web", "--port", "62001", "--json")
    assert json.loads(one.stdout) == {"allowed": True, "because": ["web/allow-from-0"]}
