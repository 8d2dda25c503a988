"""The components under Pulumi's mock runtime: what they register, how it is parented and named, and their outputs."""

import json

import pulumi
import pytest
from pydantic import ValidationError

from clusterstack.components import ClusterPlatform, ClusterPlatformArgs, TenantNamespace, TenantNamespaceArgs, build_tenant
from clusterstack.components.classes import ClusterClasses
from clusterstack.components.load_balancer import LoadBalancer
from clusterstack.components.network_policy import NetworkPolicyArgs
from clusterstack.components.tenant import namespace_names


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
def test_a_tenants_namespace_output_is_its_name_once_the_namespace_is_registered(pulumi_mocks):
    """``namespace`` is the name given (Kubernetes never renames an object), resolved only once the
    Namespace is registered and depending on it, so what is created with it waits for the Namespace;
    given as an Output, it is the Namespace's own ``metadata.name``."""
    tenant = TenantNamespace("payments", _args(), environment="dev")
    later = TenantNamespace("later", _args().model_copy(update={"name": pulumi.Output.from_input("late")}), environment="dev")

    async def depended_on() -> list[set[pulumi.Resource]]:
        return [await tenant.namespace.resources(), await later.namespace.resources()]

    dependencies: pulumi.Output[list[set[pulumi.Resource]]] = pulumi.Output.from_input(depended_on())

    def check(done):
        names, dependencies = done[:2], done[2]
        registered = {(r.type, r.name) for r in pulumi_mocks.recording().resources}
        assert names == ["payments", "late"]
        assert {("kubernetes:core/v1:Namespace", "payments"), ("kubernetes:core/v1:Namespace", "later")} <= registered
        assert dependencies == [{tenant.namespace_resource}, {later.namespace_resource}]

    return pulumi.Output.all(tenant.namespace, later.namespace, dependencies).apply(check)


@pulumi.runtime.test
def test_many_tenants_namespaces_join_as_one_output_all_would(pulumi_mocks):
    """``namespace_names`` joins more tenants than one group in groups (the SDK's ``Output.all`` is
    quadratic in its inputs' resources): the same names in order, the same dependencies."""
    tenants = [TenantNamespace(f"t{i:03d}", TenantNamespaceArgs(), environment="dev") for i in range(250)]
    joined, flat = namespace_names(tenants), pulumi.Output.all(*(t.namespace for t in tenants))

    async def depended_on() -> list[set[pulumi.Resource]]:
        return [await joined.resources(), await flat.resources()]

    dependencies: pulumi.Output[list[set[pulumi.Resource]]] = pulumi.Output.from_input(depended_on())

    def check(done):
        names, flat_names, (resources, flat_resources) = done
        assert names == flat_names == [f"t{i:03d}" for i in range(250)]
        assert resources == flat_resources == {t.namespace_resource for t in tenants}

    return pulumi.Output.all(joined, flat, dependencies).apply(check)


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


def _canonical(manifest: dict) -> str:
    return json.dumps(manifest, sort_keys=True)


@pulumi.runtime.test
def test_an_adopted_tenant_imports_each_of_its_objects(pulumi_mocks):
    """onExisting: adopt registers every object of the tenant with pulumi-kubernetes' import option,
    by the ID its provider reads an object by (provider/pkg/provider/util.go parseFqName:
    <namespace>/<name>, or <name> cluster-scoped); the objects themselves are unchanged."""
    args = _args().model_copy(update={"on_existing": "adopt", "network_policy": NetworkPolicyArgs(default_deny=["Ingress"])})
    tenant = TenantNamespace("payments", args, environment="dev")
    plain = build_tenant("payments", _args().model_copy(update={"network_policy": NetworkPolicyArgs(default_deny=["Ingress"])}), "dev")

    def check(_):
        children = [r for r in pulumi_mocks.recording().resources if r.type.startswith("kubernetes:")]
        assert sorted((r.type.rpartition(":")[2], r.import_id) for r in children) == [
            ("LimitRange", "payments/tenant-limits"),
            ("Namespace", "payments"),
            ("NetworkPolicy", "payments/default-deny"),
            ("ResourceQuota", "payments/tenant-quota"),
        ]
        assert sorted((r.inputs for r in children), key=_canonical) == sorted(plain.all(), key=_canonical)

    # Every child's URN awaited: on the SDK's own path each registers in its own time, and the
    # namespace's name resolves once the Namespace is created, not once the quota is.
    children = [*tenant.quotas.values(), *tenant.policies.values(), *([tenant.limit_range] if tenant.limit_range is not None else [])]
    return pulumi.Output.all(tenant.namespace, *(child.urn for child in children)).apply(check)


@pulumi.runtime.test
def test_a_tenant_imports_nothing_unless_it_adopts(pulumi_mocks):
    tenant = TenantNamespace("payments", _args(), environment="dev")

    def check(_):
        assert {r.import_id for r in pulumi_mocks.recording().resources} == {""}

    return tenant.namespace.apply(check)


@pulumi.runtime.test
def test_an_adopted_class_is_imported_by_its_name(pulumi_mocks):
    classes = ClusterClasses(
        "classes",
        priority_classes={"high": {"value": 1000, "onExisting": "adopt"}, "low": {"value": 1}},
        storage_classes={"gold": {"provisioner": "ebs.csi.aws.com", "onExisting": "adopt"}},
        environment="dev",
    )

    def check(_):
        imported = {r.name: r.import_id for r in pulumi_mocks.recording().resources if r.type.startswith("kubernetes:")}
        assert imported == {"classes/high": "high", "classes/low": "", "classes/gold": "gold"}

    return pulumi.Output.all(*(c.urn for c in [*classes.priority_classes.values(), *classes.storage_classes.values()])).apply(check)


@pulumi.runtime.test
def test_an_adopted_load_balancer_imports_its_service_and_policy(pulumi_mocks):
    balancer = LoadBalancer(
        "checkout",
        {"namespace": "payments", "selector": {"app": "checkout"}, "ports": [{"port": 443}], "onExisting": "adopt", "allowTraffic": True},
        environment="dev",
    )

    def check(_):
        imported = {r.type.rpartition(":")[2]: r.import_id for r in pulumi_mocks.recording().resources if r.type.startswith("kubernetes:")}
        assert imported == {"Service": "payments/checkout", "NetworkPolicy": "payments/allow-lb-checkout"}

    return pulumi.Output.all(balancer.service.urn, balancer.policy.urn).apply(check)


def test_an_object_named_by_an_output_cannot_be_adopted():
    from clusterstack.components.register import import_id

    with pytest.raises(TypeError, match="cannot be adopted"):
        import_id({"kind": "Namespace", "metadata": {"name": pulumi.Output.from_input("x")}})
    assert import_id({"kind": "Namespace", "metadata": {"name": "x"}}) == "x"
