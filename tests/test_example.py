"""The composing example (examples/team-app): another Pulumi program that imports the components and
adds its own resources. It is unit-tested the way a team would test it, with Pulumi's mocks, and it
previews with the embedded engine."""

import runpy

import pulumi
import pytest
from click.testing import CliRunner

from clusterstack.cli import cli
from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "team-app"


@pytest.mark.pulumi(project="team-app", stack="dev")
@pulumi.runtime.test
def test_the_example_program_under_pulumi_mocks(pulumi_mocks):
    pulumi.runtime.set_all_config(
        {"team-app:namespace": "shop", "team-app:replicas": "3", "team-app:image": "nginx:1.27", "team-app:sourceRanges": '["10.1.0.0/16"]'}
    )
    program = runpy.run_path(str(EXAMPLE / "__main__.py"))

    def check(_):
        by_type: dict[str, list] = {}
        for resource in pulumi_mocks.resources:
            by_type.setdefault(resource.typ, []).append(resource)
        [deployment] = by_type["kubernetes:apps/v1:Deployment"]
        assert deployment.inputs["spec"]["replicas"] == 3
        assert deployment.inputs["metadata"]["namespace"] == "shop"
        assert [r.name for r in by_type["clusterstack:tenant:TenantNamespace"]] == ["shop"]
        [service] = by_type["kubernetes:core/v1:Service"]
        assert service.inputs["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
        policies = {r.name for r in by_type["kubernetes:networking.k8s.io/v1:NetworkPolicy"]}
        assert policies == {"shop/default-deny", "shop/allow-dns", "shop/allow-same-namespace", "shop/allow-lb-web"}
        allow = next(r for r in by_type["kubernetes:networking.k8s.io/v1:NetworkPolicy"] if r.name == "shop/allow-lb-web")
        assert allow.inputs["spec"]["ingress"] == [{"ports": [{"protocol": "TCP", "port": "http"}], "from": [{"ipBlock": {"cidr": "10.1.0.0/16"}}]}]

    tenant, balancer = program["tenant"], program["balancer"]
    children = [tenant.namespace_resource, *tenant.quotas.values(), tenant.limit_range, *tenant.policies.values(), balancer.service, balancer.policy]
    resources = [program["deployment"].urn, *(r.urn for r in children)]
    return pulumi.Output.all(*resources).apply(check)


def test_the_example_previews_with_the_embedded_engine():
    result = CliRunner().invoke(cli, ["--project-dir", str(EXAMPLE), "preview", "-s", "dev"])
    assert result.exit_code == 0, result.output
    assert "+ Deployment.apps web-shop/web" in result.output
    assert "(program)" in result.output
    assert "+ NetworkPolicy.networking.k8s.io web-shop/allow-lb-web" in result.output
    assert result.output.rstrip().endswith("Plan: 9 to add, 0 to change, 0 to destroy.")
