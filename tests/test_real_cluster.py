"""What a real ``pulumi up`` does, read from pulumi-kubernetes' source and encoded here, and the
embedded engine doing the same: objects the cluster already has (fail or adopt through
server-side-apply Patch resources), protected and retained Namespaces, pinned clusters, and what
managed offerings ship."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from clusterstack.cli import cli
from clusterstack.components import DnsAutoscaler, DnsAutoscalerArgsDict, NodeLocalDns
from clusterstack.testing import run, run_program
from tests.conftest import REPO
from tests.helpers import load, problems

LINEAR: DnsAutoscalerArgsDict = {"linear": {"nodesPerReplica": 16}}


def cs(root, *args, state=None):
    extra = ["--state-dir", str(state)] if state is not None else []
    return CliRunner().invoke(cli, ["--project-dir", str(root), *extra, *args])


# --- Objects the cluster already has ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("component", "types"),
    [
        (lambda on: DnsAutoscaler("dns", {**LINEAR, "onExisting": on}), ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "ServiceAccount"]),
        (lambda on: NodeLocalDns("cache", {"onExisting": on}), ["ConfigMap", "DaemonSet", "Service", "Service", "ServiceAccount"]),
    ],
)
def test_adopt_registers_server_side_apply_patches_and_fail_the_objects(component, types):
    """pulumi-kubernetes >= 4.29 creates client-side: an object that exists fails with AlreadyExists
    (provider/pkg/await/await.go, Creation, L241-290). Adopting uses its Patch resources, which always
    apply server-side with a field manager (await.go L190; provider.go fieldManagerName L2883-2906)."""
    created = run(lambda: component("fail"))
    assert sorted(r.type.rpartition(":")[2] for r in created.resources if r.custom) == types
    adopted = run(lambda: component("adopt"))
    patches = [r for r in adopted.resources if r.custom]
    assert sorted(r.type.rpartition(":")[2] for r in patches) == sorted(f"{t}Patch" for t in types)
    for patch in patches:
        annotations = patch.inputs["metadata"]["annotations"]
        assert annotations["pulumi.com/patchForce"] == "true"  # take over the fields from whoever set them
        assert annotations["pulumi.com/patchFieldManager"] == "clusterstack"
        assert patch.inputs["metadata"]["name"]  # patches require the name (provider.go Check L1238)


def test_the_embedded_engine_renders_adopted_objects_as_patches_outside_the_kustomization(make_project, tmp_path):
    root = make_project({"dev": {"config": {"clusterstack:dns": {"autoscaler": {**LINEAR, "onExisting": "adopt"}}}}})
    preview = cs(root, "preview", "-s", "dev", state=tmp_path / "state")
    assert "+ ConfigMap kube-system/kube-dns-autoscaler  [patch of the cluster's own object: only its fields]" in preview.output
    assert cs(root, "up", "-s", "dev", "--yes", state=tmp_path / "state").exit_code == 0
    deploy = root / "deploy" / "dev"
    patch = deploy / "patches" / "configmap--kube-system--kube-dns-autoscaler.yaml"
    text = patch.read_text()
    assert text.startswith("# A server-side-apply patch of an object the cluster already has")
    assert "kubectl apply --server-side --field-manager=clusterstack --force-conflicts" in text
    manifest = yaml.safe_load(text)
    assert "annotations" not in manifest["metadata"]  # pulumi.com/patch* instruct the provider, not the cluster
    assert manifest["data"] == {"linear": '{"includeUnschedulableNodes":false,"max":0,"min":0,"nodesPerReplica":16,"preventSinglePointFailure":false}'}
    assert not (deploy / "kustomization.yaml").exists()  # nothing but patches: nothing to create
    assert not (deploy / "patches" / "kustomization.yaml").exists()


def test_switching_an_add_on_to_adopt_replaces_the_object_by_a_patch(make_project, tmp_path):
    """Two different Pulumi resources (ConfigMap and ConfigMapPatch): pulumi deletes one and creates the other."""
    state = tmp_path / "state"
    root = make_project({"dev": {"config": {"clusterstack:dns": {"autoscaler": LINEAR}}}})
    assert cs(root, "up", "-s", "dev", "--yes", state=state).exit_code == 0
    root = make_project({"dev": {"config": {"clusterstack:dns": {"autoscaler": {**LINEAR, "onExisting": "adopt"}}}}})
    preview = cs(root, "preview", "-s", "dev", state=state)
    assert "-/+ ConfigMap kube-system/kube-dns-autoscaler  [patch of the cluster's own object: only its fields]  (onExisting (a patch of the cluster's own object) forces replacement" in preview.output
    assert cs(root, "up", "-s", "dev", "--yes", state=state).exit_code == 0
    assert not (root / "deploy" / "dev" / "configmap--kube-system--kube-dns-autoscaler.yaml").exists()
    assert (root / "deploy" / "dev" / "patches" / "configmap--kube-system--kube-dns-autoscaler.yaml").exists()


def test_gke_needs_the_autoscaler_adopted():
    gke = {"distribution": "gke"}
    [problem] = problems(None, cluster=gke, dns={"autoscaler": LINEAR})
    assert problem.endswith(
        "clusterstack:dns.autoscaler.onExisting: GKE runs kube-dns-autoscaler (and its ConfigMap) in every cluster, so creating it fails "
        "with AlreadyExists; set onExisting: adopt to take over the parameters (GKE's addon manager keeps reconciling its Deployment, "
        "but leaves the ConfigMap to you)"
    )
    assert problems(None, cluster=gke, dns={"autoscaler": {**LINEAR, "onExisting": "adopt"}}) == []
    [warning] = load(None, cluster=gke, dns={"nodeLocal": {}}).warnings
    assert "GKE's NodeLocal DNSCache add-on" in str(warning)
    assert load(None, cluster=gke, dns={"nodeLocal": {"onExisting": "adopt"}}).warnings == []


@pytest.mark.parametrize(("distribution", "start"), [("aks", "AKS scales CoreDNS with its own coredns-autoscaler"), ("eks", "the EKS CoreDNS add-on can scale CoreDNS itself")])
def test_a_second_dns_autoscaler_draws_a_warning(distribution, start):
    [warning] = load(None, cluster={"distribution": distribution}, dns={"autoscaler": LINEAR}).warnings
    assert f"clusterstack:dns.autoscaler: {start}" in str(warning)


# --- Protected and retained namespaces --------------------------------------------------------------


def _stack(namespaces: dict, deletion: str = "protect") -> dict:
    return {"config": {"clusterstack:namespaceDeletion": deletion, "clusterstack:namespaces": namespaces}}


def test_pulumi_registers_tenant_namespaces_with_the_stacks_protection():
    """engine step.go DeleteStep.Apply: a protected resource is never deleted; retainOnDelete skips the provider's Delete."""
    config = yaml.safe_load((REPO / "stacks" / "Pulumi.prod.yaml").read_text())["config"]
    recording = run_program(REPO, stack="prod", config=config)
    namespaces = recording.of_type("kubernetes:core/v1:Namespace")
    assert namespaces
    assert all(n.protect and not n.retain_on_delete for n in namespaces)
    assert not any(r.protect for r in recording.resources if r.type != "kubernetes:core/v1:Namespace")
    dev = run_program(REPO, stack="dev", config=yaml.safe_load((REPO / "stacks" / "Pulumi.dev.yaml").read_text())["config"])
    assert not any(n.protect for n in dev.of_type("kubernetes:core/v1:Namespace"))


def test_removing_a_protected_tenant_is_refused_until_it_is_released(make_project, tmp_path):
    state = tmp_path / "state"
    root = make_project({"prod": _stack({"a": {}, "b": {}})})
    assert cs(root, "up", "-s", "prod", "--yes", state=state).exit_code == 0
    root = make_project({"prod": _stack({"a": {}})})
    refused = cs(root, "up", "-s", "prod", "--yes", "--allow-namespace-deletion", state=state)
    assert refused.exit_code == 1
    assert "- Namespace b  [protected: refused]" in refused.output
    assert "error: Namespace b is protected and cannot be deleted: its protection comes from the tenant's deletion: protect" in refused.output
    assert (root / "deploy" / "prod" / "namespace--b.yaml").exists()
    # Release it (the stack says deletion: delete, and that is applied), then it can go.
    root = make_project({"prod": _stack({"a": {}, "b": {"deletion": "delete"}})})
    released = cs(root, "up", "-s", "prod", "--yes", state=state)
    assert released.exit_code == 0, released.output
    assert "(deletion): \"protect\" → \"delete\"" in released.output
    root = make_project({"prod": _stack({"a": {}})})
    assert cs(root, "up", "-s", "prod", "--yes", state=state).exit_code == 1  # still needs the namespace flag
    assert cs(root, "up", "-s", "prod", "--yes", "--allow-namespace-deletion", state=state).exit_code == 0
    assert not (root / "deploy" / "prod" / "namespace--b.yaml").exists()


def test_a_retained_tenant_is_forgotten_and_left_where_it_is(make_project, tmp_path):
    state = tmp_path / "state"
    root = make_project({"dev": _stack({"a": {}, "b": {}}, deletion="retain")})
    assert cs(root, "up", "-s", "dev", "--yes", state=state).exit_code == 0
    root = make_project({"dev": _stack({"a": {}}, deletion="retain")})
    result = cs(root, "up", "-s", "dev", "--yes", state=state)
    assert result.exit_code == 0, result.output  # no namespace flag needed: nothing is deleted
    assert "- Namespace b  [retained: forgotten, left where it is]" in result.output
    assert (root / "deploy" / "dev" / "namespace--b.yaml").exists()
    assert "namespace--b.yaml" not in (root / "deploy" / "dev" / "kustomization.yaml").read_text()
    assert "Namespace b" not in cs(root, "state", "list", "-s", "dev", state=state).output


# --- Pinned clusters -------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_shipped_stack_names_its_cluster(stack):
    config = yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    assert config["kubernetes:context"] == f"clusterstack-{stack}"


def test_a_stack_without_a_cluster_draws_a_warning_or_is_refused(make_project):
    root = make_project({"dev": {"config": {}}}, common={"config": {}})
    result = cs(root, "validate", "-s", "dev")
    assert result.exit_code == 0
    assert "warning: stacks/Pulumi.dev.yaml: kubernetes:context: is not set, so pulumi up would run against whatever kubeconfig context" in result.output
    root = make_project({"prod": {"config": {"clusterstack:cluster": {"requireContext": True}}}}, common={"config": {}})
    for command in ("validate", "preview"):
        refused = cs(root, command, "-s", "prod")
        assert refused.exit_code == 1
        assert "error: stacks/Pulumi.prod.yaml: kubernetes:context: is not set" in refused.output
        assert "(clusterstack:cluster.requireContext is true)" in refused.output
    assert not (root / ".clusterstack").exists()


def test_pulumi_up_of_a_stack_that_requires_its_cluster_stops_before_anything_registers(monkeypatch):
    """Under the Pulumi CLI the program gets its config in PULUMI_CONFIG; without kubernetes:context it fails."""
    from clusterstack.program._sdk import run_program as run_file
    from clusterstack.stack.files import as_pulumi_config

    config = {k: v for k, v in yaml.safe_load((REPO / "stacks" / "Pulumi.prod.yaml").read_text())["config"].items() if k != "kubernetes:context"}
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(as_pulumi_config(config)))
    with pytest.raises(Exception, match=r"kubernetes:context: is not set"):
        run_file(REPO / "__main__.py", project="clusterstack", stack="prod", config={})
