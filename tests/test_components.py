"""The components under Pulumi's mock runtime: what they register, how it is parented and named, and their outputs."""

import pulumi
import pytest
from pydantic import ValidationError

from clusterstack.components import ClusterPlatform, ClusterPlatformArgs, TenantNamespace, TenantNamespaceArgs, build_tenant


def _args() -> TenantNamespaceArgs:
    return TenantNamespaceArgs(
        labels={"team": "payments"},
        pod_security="restricted",
        quota={"pods": "10", "limits.cpu": "4"},
        limits={"container": {"max": {"cpu": "2"}}},
    )


@pulumi.runtime.test
def test_tenant_namespace_registers_its_objects_with_explicit_names(pulumi_mocks):
    tenant = TenantNamespace("payments", _args(), environment="dev")

    def check(done):
        namespace = done[0]
        assert namespace == "payments"
        registered = {(r.type, r.name) for r in pulumi_mocks.recording().resources}
        assert registered == {
            ("clusterstack:tenant:TenantNamespace", "payments"),
            ("kubernetes:core/v1:Namespace", "payments"),
            ("kubernetes:core/v1:ResourceQuota", "payments/tenant-quota"),
            ("kubernetes:core/v1:LimitRange", "payments/tenant-limits"),
        }
        inputs = {r.type: r.inputs for r in pulumi_mocks.recording().resources}
        expected = build_tenant("payments", _args(), "dev")
        assert inputs["kubernetes:core/v1:Namespace"] == expected.namespace
        assert [inputs["kubernetes:core/v1:ResourceQuota"]] == list(expected.quotas)
        assert inputs["kubernetes:core/v1:LimitRange"] == expected.limit_range

    assert set(tenant.quotas) == {"tenant-quota"}
    assert tenant.limit_range is not None
    assert tenant.policies == {}
    children = [tenant.namespace_resource, *tenant.quotas.values(), tenant.limit_range]
    return pulumi.Output.all(tenant.namespace, *(r.urn for r in children)).apply(check)


@pulumi.runtime.test
def test_platform_composes_one_tenant_per_namespace(pulumi_mocks):
    args = ClusterPlatformArgs(namespaces={"b": TenantNamespaceArgs(), "a": TenantNamespaceArgs(quota={"pods": "1"})})
    platform = ClusterPlatform("platform", args, environment="dev")

    def check(done):
        namespaces = done[0]
        assert namespaces == ["a", "b"]
        # Children are named after the platform, so two platforms (two clusters) never share a URN.
        assert sorted(r.name for r in pulumi_mocks.recording().of_type("clusterstack:tenant:TenantNamespace")) == ["platform/a", "platform/b"]
        assert sorted(r.name for r in pulumi_mocks.recording().of_type("kubernetes:core/v1:ResourceQuota")) == ["platform/a/tenant-quota"]

    children = [r.urn for tenant in platform.tenants.values() for r in (tenant.namespace_resource, *tenant.quotas.values())]
    return pulumi.Output.all(platform.namespaces, *children).apply(check)


def test_python_callers_get_the_same_validation():
    with pytest.raises(ValidationError, match=r"container\.default\.cpu: 2 is above max 1"):
        TenantNamespaceArgs(limits={"container": {"default": {"cpu": "2"}, "max": {"cpu": "1"}}})
    with pytest.raises(ValidationError, match="not a Kubernetes quantity"):
        TenantNamespaceArgs(quota={"requests.cpu": "2 cores"})


def test_args_are_frozen():
    args = _args()
    with pytest.raises(ValidationError):
        args.labels = {}  # type: ignore[misc]  # what the test checks: assigning is refused


def test_an_invalid_namespace_name_is_refused_before_anything_registers(pulumi_mocks):
    with pytest.raises(ValueError, match="DNS-1123 label"):
        TenantNamespace("Payments", TenantNamespaceArgs())
