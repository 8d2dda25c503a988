"""The components as a Pulumi library, used as a user's program uses them: Outputs in (a namespace name
from another resource, a selector from a Deployment), a provider per cluster, any number of
instances with no duplicate URN, Output values validated when they resolve, DNS endpoints that must
be said, aliases that keep a stack deployed with clusterstack 0.1, and clusterstack.testing itself."""

from __future__ import annotations

import json
import shutil

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml
from click.testing import CliRunner

from clusterstack.cli import cli
from clusterstack.components import (
    ClusterClasses,
    ClusterDns,
    ClusterPlatform,
    ClusterPlatformArgs,
    ClusterSpec,
    CoreDns,
    DnsAutoscaler,
    ExistingNamespaces,
    IpMasqAgent,
    LoadBalancer,
    LoadBalancerArgs,
    NamespacePolicies,
    NodeLocalDns,
    Subjects,
    TenantAccess,
    TenantNamespace,
    TenantNamespaceArgs,
)
from clusterstack.kube.flows import Host, Pod, allowed
from clusterstack.testing import DuplicateUrnError, Recording, run, run_program
from tests.conftest import REPO

LEGACY = json.loads((REPO / "tests" / "data" / "urns-0.1.json").read_text())


def _two_clusters(autoscaler_name: str = "{cluster}-dns-autoscaler") -> None:
    """A user's program: for each of two clusters, the DNS add-ons, a tenant whose namespace name comes
    from another resource, a Deployment in it, and a load balancer named web selecting its pods."""
    for cluster in ("eu", "us"):
        on = pulumi.ResourceOptions(provider=k8s.Provider(cluster, context=cluster))
        cache = NodeLocalDns(f"{cluster}-node-local-dns", {}, on)
        DnsAutoscaler(autoscaler_name.format(cluster=cluster), {"linear": {"nodesPerReplica": 16}}, on)
        names = k8s.core.v1.ConfigMap(f"{cluster}-names", metadata={"name": "names", "namespace": "default"}, data={"team": "shop"}, opts=on)
        tenant = TenantNamespace(
            f"{cluster}-shop",
            TenantNamespaceArgs(name=names.data["team"], labels={"owner": names.metadata.name}, network_policy={"defaultDeny": ["Ingress", "Egress"], "allowDNS": True}),
            on,
            dns=cache.cluster_dns,
        )
        pods = k8s.core.v1.PodTemplateSpecArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(labels={"app": "web"}), spec=k8s.core.v1.PodSpecArgs(containers=[k8s.core.v1.ContainerArgs(name="web", image="nginx")])
        )
        app = k8s.apps.v1.Deployment(
            f"{cluster}-web",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="web", namespace=tenant.namespace),
            spec=k8s.apps.v1.DeploymentSpecArgs(selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": "web"}), template=pods),
            opts=on,
        )
        LoadBalancer(f"{cluster}-web", LoadBalancerArgs(name="web", selector=app.spec.selector.match_labels, ports=[{"port": 80}]), on, tenant=tenant)


def test_a_program_for_two_clusters_with_outputs_runs_with_unique_urns():
    recording = run(_two_clusters)  # a duplicate URN would raise DuplicateUrnError
    assert len({r.urn for r in recording.resources}) == len(recording.resources)
    assert "Calling __str__" not in json.dumps([(r.name, r.inputs) for r in recording.resources], default=str)
    services = [r for r in recording.of_type("kubernetes:core/v1:Service") if r.inputs["metadata"]["name"] == "web"]
    assert [(s.inputs["metadata"]["namespace"], s.inputs["spec"]["selector"]) for s in services] == [("shop", {"app": "web"})] * 2
    namespaces = recording.of_type("kubernetes:core/v1:Namespace")
    assert [n.inputs["metadata"] for n in namespaces] == [
        {"name": "shop", "labels": {"owner": "names", "app.kubernetes.io/managed-by": "clusterstack", "clusterstack.io/environment": "test"}}
    ] * 2  # the environment: the stack's name, as no environment= was given


def test_every_child_has_its_component_as_parent_and_its_clusters_provider():
    recording = run(_two_clusters)
    providers = {r.name: r.urn for r in recording.of_type("pulumi:providers:kubernetes")}
    components = [r for r in recording.resources if r.type.startswith("clusterstack:")]
    assert len(components) == 8
    for component in components:
        cluster = component.name.split("-")[0]
        children = recording.children_of(component)
        assert children, component.urn
        for child in children:
            assert child.name.startswith(f"{component.name}"), child.name  # named after its component
            assert child.provider.startswith(providers[cluster] + "::"), (child.urn, child.provider)


def _baseline_on_two_clusters() -> None:
    """A user's program for the rest of the baseline on two clusters, a provider each: the classes,
    CoreDNS, ip-masq-agent, labels on kube-system, and a tenant whose name and access come from another
    resource (a team registry's ConfigMap)."""
    for cluster, domain in (("eu", "eu.cluster.local"), ("us", "cluster.local")):
        on = pulumi.ResourceOptions(provider=k8s.Provider(cluster, context=cluster))
        ClusterClasses(f"{cluster}-classes", {"high": {"value": 1000}}, {"fast": {"provisioner": "pd.csi.storage.gke.io", "default": True}}, on)
        CoreDns(f"{cluster}-coredns", {"stubDomains": {"consul.local": ["10.150.0.1"]}, "pdb": {"maxUnavailable": 1}}, on, cluster=ClusterSpec(domain=domain))
        IpMasqAgent(f"{cluster}-ip-masq-agent", {"nonMasqueradeCIDRs": ["10.0.0.0/8"]}, on)
        ExistingNamespaces(f"{cluster}-existing", {"kube-system": {"podSecurity": "privileged"}}, on)
        registry = k8s.core.v1.ConfigMap(f"{cluster}-teams", metadata={"name": "teams", "namespace": "default"}, data={"shop": "shop-leads"}, opts=on)
        TenantNamespace(
            f"{cluster}-shop",
            TenantNamespaceArgs(
                name=registry.metadata.apply(lambda _: "shop"),
                access=TenantAccess(admins=Subjects(groups=["shop-leads"]), service_accounts=["deployer"]),
            ),
            on,
        )


def test_the_rest_of_the_baseline_on_two_clusters_runs_with_unique_urns_and_each_clusters_provider():
    recording = run(_baseline_on_two_clusters)
    assert len({r.urn for r in recording.resources}) == len(recording.resources)
    providers = {r.name: r.urn for r in recording.of_type("pulumi:providers:kubernetes")}
    components = [r for r in recording.resources if r.type.startswith("clusterstack:")]
    assert len(components) == 10
    for component in components:
        for child in recording.children_of(component):
            assert child.name.startswith(component.name), child.name
            assert child.provider.startswith(providers[component.name.split("-")[0]] + "::"), (child.urn, child.provider)
    corefiles = {r.name: r.inputs["data"]["Corefile"] for r in recording.of_type("kubernetes:core/v1:ConfigMapPatch")}
    assert "kubernetes eu.cluster.local in-addr.arpa ip6.arpa" in corefiles["eu-coredns/coredns"]
    assert "kubernetes cluster.local in-addr.arpa ip6.arpa" in corefiles["us-coredns/coredns"]
    bindings = recording.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
    assert sorted((b.name, b.inputs["metadata"]["namespace"]) for b in bindings) == [("eu-shop/tenant-admins", "shop"), ("us-shop/tenant-admins", "shop")]
    assert len(recording.of_type("kubernetes:core/v1:NamespacePatch")) == 2


def test_two_components_with_one_name_are_refused_as_pulumi_refuses_them():
    with pytest.raises(DuplicateUrnError, match=r"Duplicate resource URN 'urn:pulumi:test::test::clusterstack:dns:DnsAutoscaler::dns-autoscaler'; try giving it a unique name"):
        run(lambda: _two_clusters(autoscaler_name="dns-autoscaler"))


def test_the_embedded_engine_refuses_a_duplicate_urn_naming_both(tmp_path):
    project = tmp_path / "dup"
    shutil.copytree(REPO / "examples" / "two-clusters", project)
    main = project / "__main__.py"
    main.write_text(main.read_text().replace('f"{name}-dns-autoscaler"', '"dns-autoscaler"'))
    result = CliRunner().invoke(cli, ["--project-dir", str(project), "preview", "-s", "dev"])
    assert result.exit_code == 1
    assert (
        "error: __main__.py: Duplicate resource URN 'urn:pulumi:dev::two-clusters::clusterstack:dns:DnsAutoscaler::dns-autoscaler'; "
        "try giving it a unique name: declared by DnsAutoscaler dns-autoscaler and by DnsAutoscaler dns-autoscaler"
    ) in result.output
    assert "Traceback" not in result.output


def test_the_two_cluster_example_previews_each_cluster_apart():
    result = CliRunner().invoke(cli, ["--project-dir", str(REPO / "examples" / "two-clusters"), "preview", "-s", "dev"])
    assert result.exit_code == 0, result.output
    assert "+ eu: Namespace shop" in result.output
    assert "+ us: Namespace shop" in result.output
    assert "+ eu: DaemonSet.apps kube-system/node-local-dns" in result.output
    assert "us: DaemonSet.apps" not in result.output  # us runs no NodeLocal DNSCache


def test_the_two_cluster_example_allows_dns_where_each_cluster_runs_it():
    config = yaml.safe_load((REPO / "examples" / "two-clusters" / "Pulumi.dev.yaml").read_text())["config"]
    recording = run_program(REPO / "examples" / "two-clusters", stack="dev", config=config)
    dns = {r.name.split("-")[0]: r.inputs for r in recording.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy") if r.name.endswith("/allow-dns")}
    shop = Pod("shop", {"app": "web"})
    assert allowed([dns["eu"]], shop, Host("169.254.20.10"), 53, "UDP")
    assert not allowed([dns["us"]], shop, Host("169.254.20.10"), 53, "UDP")


# --- Inputs validated when they resolve ---------------------------------------------------------


def test_an_output_is_validated_when_it_resolves_with_the_message_a_plain_value_gets():
    with pytest.raises(ValueError, match=r"'Shop_1' is not a valid name: must be a DNS-1123 label"):
        TenantNamespaceArgs(name="Shop_1")

    def program() -> None:
        TenantNamespace("shop", TenantNamespaceArgs(name=pulumi.Output.from_input("Shop_1")))

    with pytest.raises(ValueError, match=r"TenantNamespaceArgs\.name: 'Shop_1' is not a valid name: must be a DNS-1123 label"):
        run(program)


def test_a_label_map_from_an_output_may_not_set_what_clusterstack_sets():
    def program() -> None:
        TenantNamespace("shop", TenantNamespaceArgs(labels=pulumi.Output.from_input({"app.kubernetes.io/managed-by": "me"})))

    with pytest.raises(ValueError, match=r"labels\.app\.kubernetes\.io/managed-by: is set by clusterstack; remove it from labels"):
        run(program)


def test_a_quota_value_from_an_output_is_checked_by_the_quota_rules():
    def program() -> None:
        TenantNamespace("shop", TenantNamespaceArgs(quota={"pods": pulumi.Output.from_input("2.5")}))

    with pytest.raises(ValueError, match=r"pods: 2\.5 is not a whole number; pods counts whole units"):
        run(program)
    quota = run(lambda: TenantNamespace("shop", TenantNamespaceArgs(quota={"pods": pulumi.Output.from_input("20")}))).of_type("kubernetes:core/v1:ResourceQuota")
    assert quota[0].inputs["spec"]["hard"] == {"pods": "20"}


def test_a_resource_name_that_is_an_output_says_where_the_output_belongs():
    with pytest.raises(TypeError, match=r"pass an Output as the Kubernetes name in TenantNamespaceArgs\(name=\.\.\.\)"):
        run(lambda: TenantNamespace(pulumi.Output.from_input("shop"), TenantNamespaceArgs()))  # type: ignore[arg-type]  # what the test checks


# --- What must be said --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "declare",
    [
        lambda: TenantNamespace("shop", {"networkPolicy": {"defaultDeny": ["Egress"], "allowDNS": True}}),
        lambda: NamespacePolicies("shop", {"allowDNS": True}),
    ],
)
def test_allowing_dns_needs_to_know_where_the_clusters_dns_runs(declare):
    with pytest.raises(ValueError, match=r"allowDNS needs to know where the cluster's DNS runs: pass dns=ClusterDns\.kube_dns\(\)"):
        run(declare)


def test_a_load_balancer_learns_its_namespace_and_policy_from_its_tenant():
    def program() -> None:
        tenant = TenantNamespace("shop", {"networkPolicy": {"defaultDeny": ["Ingress"]}})
        LoadBalancer("web", {"selector": {"app": "web"}, "ports": [{"port": 80}]}, tenant=tenant)
        LoadBalancer("api", {"selector": {"app": "api"}, "ports": [{"port": 80}], "namespace": "elsewhere"}, namespace_denies_ingress=False)

    recording = run(program)
    assert recording.named("web/allow-lb").inputs["metadata"] == {
        "name": "allow-lb-web",
        "namespace": "shop",
        "labels": {"app.kubernetes.io/managed-by": "clusterstack", "clusterstack.io/environment": "test"},
    }
    assert [r.name for r in recording.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")] == ["shop/default-deny", "web/allow-lb"]
    with pytest.raises(ValueError, match="say whether the LoadBalancer's namespace denies ingress"):
        run(lambda: LoadBalancer("web", {"selector": {"app": "web"}, "ports": [{"port": 80}], "namespace": "shop"}))


def test_a_load_balancer_exports_its_cluster_ip_and_ingress():
    class Answers(pulumi.runtime.Mocks):
        """What the API server and a load-balancer controller fill in."""

        def new_resource(self, args):
            state = dict(args.inputs)
            if args.typ == "kubernetes:core/v1:Service":
                state["spec"] = {**state["spec"], "clusterIP": "10.96.7.7"}
                state["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}}
            return args.name, state

        def call(self, args):
            return {}, None

    def program() -> None:
        web = LoadBalancer("web", {"selector": {"app": "web"}, "ports": [{"port": 80}], "namespace": "shop"}, namespace_denies_ingress=False)
        pulumi.export("clusterIP", web.cluster_ip)
        pulumi.export("ingress", web.ingress)

    outputs = run(program, mocks=Answers()).outputs
    assert outputs["clusterIP"] == "10.96.7.7"
    assert [dict(item) for item in outputs["ingress"]] == [{"ip": "203.0.113.10"}]


# --- Stacks deployed with clusterstack 0.1 --------------------------------------------------------


def _stack_config(stack: str) -> dict:
    return yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_pulumi_finds_every_resource_a_0_1_stack_holds(stack):
    """The URNs changed (children are named after their components); the aliases lead the Pulumi engine
    from each old URN to exactly one resource, so ``pulumi up`` updates in place and replaces nothing."""
    old = LEGACY["clusterstack"][stack]
    moved = run_program(REPO, stack=stack, config=_stack_config(stack)).moved_from(old)
    assert sorted(urn for urn in moved.values() if urn is not None) == sorted(old)


NEW_SINCE_0_1 = {"PriorityClass", "StorageClass", "RoleBinding", "ServiceAccount", "ConfigMap", "PodDisruptionBudget", "DaemonSet", "Namespace"}
"""Kinds of objects the shipped stacks have declared since clusterstack 0.1 (classes, tenant access,
CoreDNS, ip-masq-agent, labels for namespaces the stack does not own)."""


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_embedded_engine_sees_no_change_in_a_0_1_stack(tmp_path, stack):
    """Its state, written by clusterstack 0.1's ``up``, against today's program: no object 0.1 wrote
    changes. The only updates are the protection staging and prod now give their tenants' Namespaces
    (namespaceDeletion: protect), which Pulumi applies as an update of the resource options, and prod's
    enforce mode pinned to v1.34 (a Pod Security version per mode); the creates are objects the stacks
    have declared since."""
    state = tmp_path / "state"
    state.mkdir()
    shutil.copy(REPO / "tests" / "data" / "state-0.1" / f"{stack}.json", state / f"{stack}.json")
    result = CliRunner().invoke(cli, ["--project-dir", str(REPO), "--state-dir", str(state), "preview", "-s", stack, "--json", "--refresh=false"])
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)["changes"]
    updates = [c for c in changes if c["action"] != "create"]
    protect = {"path": "(deletion)", "keys": ["(deletion)"], "before": "delete", "after": "protect"}
    label = "pod-security.kubernetes.io/enforce-version"
    pinned = {"path": f"metadata.labels.{label}", "keys": ["metadata", "labels", label], "before": "latest", "after": "v1.34"}
    expected = [pinned, protect] if stack == "prod" else [protect]
    assert [(c["action"], c["fields"]) for c in updates] == [("update", expected) for _ in updates]
    assert {c["key"]["kind"] for c in updates} <= {"Namespace"}
    assert len(updates) == {"dev": 0, "staging": 2, "prod": 3}[stack]
    created = {c["key"]["kind"] for c in changes if c["action"] == "create"}
    assert created <= NEW_SINCE_0_1, "only objects of kinds the stacks declare since 0.1 are new"


def _standalone() -> None:
    TenantNamespace("payments", {"quota": {"pods": "10"}, "networkPolicy": {"defaultDeny": ["Ingress"]}})


def _in_a_platform(aliases: dict | None) -> None:
    ClusterPlatform("platform", ClusterPlatformArgs(namespaces={"payments": {"quota": {"pods": "10"}, "networkPolicy": {"defaultDeny": ["Ingress"]}}}), child_aliases=aliases)


def test_moving_a_tenant_into_a_platform_keeps_it_with_one_alias():
    old = [r.urn for r in run(_standalone).resources]
    without = run(lambda: _in_a_platform(None)).moved_from(old)
    assert [urn for urn in without.values() if urn is not None] == []  # every object would be replaced
    alias = {"payments": [pulumi.Alias(name="payments", parent=pulumi.ROOT_STACK_RESOURCE)]}
    moved = run(lambda: _in_a_platform(alias)).moved_from(old)
    assert sorted(urn for urn in moved.values() if urn is not None) == sorted(old)


def test_moving_a_tenant_out_of_a_platform_keeps_it_with_one_alias():
    old = run(lambda: _in_a_platform(None))
    platform_urn = old.of_type("clusterstack:platform:ClusterPlatform")[0].urn

    def standalone_with_alias() -> None:
        TenantNamespace(
            "payments",
            {"quota": {"pods": "10"}, "networkPolicy": {"defaultDeny": ["Ingress"]}},
            pulumi.ResourceOptions(aliases=[pulumi.Alias(name="platform/payments", parent=platform_urn)]),
        )

    moved = run(standalone_with_alias).moved_from(r.urn for r in old.resources)
    assert len(moved) == 4  # the tenant, its Namespace, ResourceQuota and NetworkPolicy
    assert sorted(urn for urn in moved.values() if urn is not None) == sorted(r.urn for r in old.resources if r.urn != platform_urn)


def test_child_aliases_name_only_the_platforms_components():
    with pytest.raises(ValueError, match="child_aliases names no component of this platform: billing"):
        run(lambda: _in_a_platform({"billing": [pulumi.Alias(name="billing")]}))


def test_a_recording_answers_what_a_test_asks():
    recording: Recording = run(_standalone)
    [tenant] = recording.of_type("clusterstack:tenant:TenantNamespace")
    assert sorted(c.type.rpartition(":")[2] for c in recording.children_of(tenant)) == ["Namespace", "NetworkPolicy", "ResourceQuota"]
    assert sorted(o["kind"] for o in recording.kubernetes_objects()) == ["Namespace", "NetworkPolicy", "ResourceQuota"]
    assert recording.by_urn(tenant.urn) is tenant
    with pytest.raises(AssertionError, match="2 resources are named 'payments'"):
        recording.named("payments")


def test_cluster_dns_for_a_node_local_cache_reaches_the_cache_and_kube_dns():
    dns = ClusterDns.node_local("169.254.20.10")
    assert dns.host_ips == ("169.254.20.10", "10.96.0.10")
    assert dns.has_node_local_cache
    assert not ClusterDns.kube_dns().has_node_local_cache


def _every_kind(environment: str | None) -> None:
    """Each component that takes environment=, given it or not."""
    TenantNamespace("shop", {"networkPolicy": {"defaultDeny": ["Ingress"]}}, environment=environment)
    NamespacePolicies("ops", {"defaultDeny": ["Ingress"]}, environment=environment)
    LoadBalancer("web", {"selector": {"app": "web"}, "ports": [{"port": 80}], "namespace": "shop"}, namespace_denies_ingress=True, environment=environment)
    ClusterClasses("classes", {"high": {"value": 1000}}, {}, environment=environment)
    DnsAutoscaler("dns-autoscaler", {"linear": {"nodesPerReplica": 16}}, environment=environment)
    NodeLocalDns("node-local-dns", {}, environment=environment)
    CoreDns("coredns", {"pdb": {"maxUnavailable": 1}}, environment=environment)
    IpMasqAgent("ip-masq-agent", {"nonMasqueradeCIDRs": ["10.0.0.0/8"]}, environment=environment)
    ClusterPlatform("platform", ClusterPlatformArgs(namespaces={"payments": {"quota": {"pods": "10"}}}), environment=environment)


@pytest.mark.parametrize(("given", "label"), [(None, "qa"), ("staging", "staging")])
def test_the_environment_label_is_the_stacks_name_unless_given(given, label):
    """A program that does not pass environment= still labels every object with its environment: the
    stack's name (pulumi.get_stack()), as clusterstack's own program passes it."""
    recording = run(lambda: _every_kind(given), stack="qa")
    # The CoreDNS ConfigMap patch adopts the cluster's object and leaves its labels alone.
    objects = [r.inputs for r in recording.resources if r.custom and r.type.startswith("kubernetes:") and not r.type.endswith("Patch")]
    assert len({o["kind"] for o in objects}) >= 12
    assert {o["metadata"]["labels"].get("clusterstack.io/environment") for o in objects} == {label}
