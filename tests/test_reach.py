"""clusterstack reach: who can talk to whom under a stack's NetworkPolicies (components/kube/flows.py,
now the product's), one question at a time, between two stacks, and in the plan."""

from __future__ import annotations

import json

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
        for destination in ("kube-dns (kube-system/k8s-app=kube-dns)", "node-local-dns 169.254.20.10"):
            assert f"{tenant} → {destination}: TCP 53" in flows
            assert f"{tenant} → {destination}: UDP 53" in flows
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
