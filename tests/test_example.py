"""The composing example (examples/team-app): another Pulumi program that imports the components and
adds its own resources. It is unit-tested the way a team would test it, with clusterstack.testing
over Pulumi's mocks, and it previews with the embedded engine."""

import json

import yaml
from click.testing import CliRunner

from clusterstack.cli import cli
from clusterstack.kube.flows import Host, Pod, allowed
from clusterstack.testing import run_program
from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "team-app"
CONFIG = {"team-app:namespace": "shop", "team-app:replicas": 3, "team-app:image": "nginx:1.27", "team-app:sourceRanges": ["10.1.0.0/16"]}


def test_the_example_program_under_pulumi_mocks():
    recording = run_program(EXAMPLE, stack="dev", config=CONFIG)
    [deployment] = recording.of_type("kubernetes:apps/v1:Deployment")
    assert deployment.inputs["spec"]["replicas"] == 3
    assert deployment.inputs["metadata"]["namespace"] == "shop"  # the tenant's namespace, an Output
    assert deployment.inputs["spec"]["template"]["spec"]["serviceAccountName"] == "web"  # the tenant's ServiceAccount, an Output
    assert [r.name for r in recording.of_type("clusterstack:tenant:TenantNamespace")] == ["shop"]
    [service] = recording.of_type("kubernetes:core/v1:Service")
    assert service.inputs["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
    assert service.inputs["spec"]["selector"] == {"app": "web"}  # the Deployment's selector, an Output
    policies = {r.inputs["metadata"]["name"]: r for r in recording.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    assert set(policies) == {"default-deny", "allow-dns", "allow-same-namespace", "allow-lb-web"}
    assert policies["allow-lb-web"].inputs["spec"]["ingress"] == [{"ports": [{"protocol": "TCP", "port": "http"}], "from": [{"ipBlock": {"cidr": "10.1.0.0/16"}}]}]
    assert recording.outputs == {"namespace": "shop", "service": "web", "ingress": None}


def _dns_reachable(stack: str) -> dict[str, bool]:
    config = dict(yaml.safe_load((EXAMPLE / f"Pulumi.{stack}.yaml").read_text())["config"].items())
    policies = [o for o in run_program(EXAMPLE, stack=stack, config=config).kubernetes_objects() if o["kind"] == "NetworkPolicy"]
    pod = Pod("web-shop", {"app": "web"})
    return {
        "kube-dns pods": allowed(policies, pod, Pod("kube-system", {"k8s-app": "kube-dns"}, ip="10.244.0.5"), 53, "UDP"),
        "node-local cache": allowed(policies, pod, Host("169.254.20.10"), 53, "UDP"),
    }


def test_dns_works_where_the_cluster_runs_node_local_dns_cache():
    """staging and prod run NodeLocal DNSCache on the host network: the example's allow-dns must reach it,
    which it does only because the program tells the tenant where the cluster's DNS runs."""
    assert _dns_reachable("staging") == {"kube-dns pods": True, "node-local cache": True}
    assert _dns_reachable("prod") == {"kube-dns pods": True, "node-local cache": True}
    assert _dns_reachable("dev") == {"kube-dns pods": True, "node-local cache": False}


def test_a_stack_deployed_with_clusterstack_0_1_keeps_every_resource():
    """Every URN the dev stack's state holds from 0.1 is taken over by exactly one resource (aliases)."""
    old = json.loads((REPO / "tests" / "data" / "urns-0.1.json").read_text())["team-app"]["dev"]
    config = yaml.safe_load((EXAMPLE / "Pulumi.dev.yaml").read_text())["config"]
    moved = run_program(EXAMPLE, stack="dev", config=config).moved_from(old)
    assert sorted(urn for urn in moved.values() if urn is not None) == sorted(old)


def test_the_example_previews_with_the_embedded_engine():
    result = CliRunner().invoke(cli, ["--project-dir", str(EXAMPLE), "preview", "-s", "dev"])
    assert result.exit_code == 0, result.output
    assert "+ Deployment.apps web-shop/web" in result.output
    assert "(program)" in result.output
    assert "+ NetworkPolicy.networking.k8s.io web-shop/allow-lb-web" in result.output
    assert "+ RoleBinding.rbac.authorization.k8s.io web-shop/tenant-editors" in result.output
    assert "+ ServiceAccount web-shop/web" in result.output
    assert result.output.rstrip().endswith("Plan: 12 to add, 0 to change, 0 to destroy.")
