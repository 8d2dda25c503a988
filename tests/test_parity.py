"""The embedded engine's plan shows the kind of change pulumi-kubernetes would make for the same
edit: its forceNew table and its ConfigMap/Secret rules decide replace or update, not the API
server's. Each row cites the pulumi-kubernetes source (v4.32.0) it comes from."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from clusterstack.cli import cli
from clusterstack.engine.plan import plan
from clusterstack.engine.replace import ProviderSettings
from clusterstack.engine.state import Entry, State
from clusterstack.kube.kinds import ObjectKey

DIFF_GO = "provider/pkg/provider/diff.go"
MUTABLE_CONFIG_MAPS = ProviderSettings(enable_config_map_mutable=True)
MUTABLE_SECRETS = ProviderSettings(enable_secret_mutable=True)
DEFAULTS = ProviderSettings()


def _object(kind: str, api: str = "v1", **body: object) -> dict:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": "x", "namespace": "team"}, **body}


def _action(before: dict, after: dict, settings: ProviderSettings = DEFAULTS) -> tuple[str, tuple[str, ...]]:
    key = ObjectKey.of(after)
    [change] = plan({key: Entry(key, "test", after)}, State("lineage", 1, {key: Entry(key, "test", before)}), {"": settings}).changes
    return change.action, change.replace_reasons


RULES = [
    # (source, before, after, settings, action, reasons)
    (f"{DIFF_GO} forceNewProperties L23-38: ConfigMap data replaces by default",
     _object("ConfigMap", data={"a": "1"}), _object("ConfigMap", data={"a": "2"}), ProviderSettings(), "replace", ("data",)),
    (f"{DIFF_GO} forceNewProperties: binaryData too",
     _object("ConfigMap", binaryData={"a": "AA=="}), _object("ConfigMap", binaryData={"a": "AB=="}), ProviderSettings(), "replace", ("binaryData",)),
    ("provider.go Configure L696-710: enableConfigMapMutable updates ConfigMap data in place",
     _object("ConfigMap", data={"a": "1"}), _object("ConfigMap", data={"a": "2"}), MUTABLE_CONFIG_MAPS, "update", ()),
    ("CHANGELOG 4.18.0 (#3181): immutable: true brings the replacement back",
     _object("ConfigMap", data={"a": "1"}, immutable=True), _object("ConfigMap", data={"a": "2"}, immutable=True), MUTABLE_CONFIG_MAPS, "replace", ("data",)),
    ("ConfigMap labels are not in the table: update",
     _object("ConfigMap", data={"a": "1"}), _object("ConfigMap", metadata={"name": "x", "namespace": "team", "labels": {"l": "v"}}, data={"a": "1"}), ProviderSettings(), "update", ()),
    (f"{DIFF_GO} forceNewProperties: Secret data and stringData replace",
     _object("Secret", stringData={"a": "1"}), _object("Secret", stringData={"a": "2"}), ProviderSettings(), "replace", ("stringData",)),
    ("provider.go L712-726: enableSecretMutable updates Secret data in place",
     _object("Secret", data={"a": "MQ=="}), _object("Secret", data={"a": "Mg=="}), MUTABLE_SECRETS, "update", ()),
    (f"{DIFF_GO} forceNew Secret row: type always replaces",
     _object("Secret", type="Opaque"), _object("Secret", type="kubernetes.io/tls"), MUTABLE_SECRETS, "replace", ("type",)),
    (f"{DIFF_GO} apps/v1 Deployment: spec.selector",
     _object("Deployment", "apps/v1", spec={"selector": {"matchLabels": {"a": "1"}}}), _object("Deployment", "apps/v1", spec={"selector": {"matchLabels": {"a": "2"}}}), ProviderSettings(), "replace", ("spec.selector",)),
    (f"{DIFF_GO} apps/v1 DaemonSet: spec.selector",
     _object("DaemonSet", "apps/v1", spec={"selector": {"matchLabels": {"a": "1"}}}), _object("DaemonSet", "apps/v1", spec={"selector": {"matchLabels": {"a": "2"}}}), ProviderSettings(), "replace", ("spec.selector",)),
    (f"{DIFF_GO} apps/v1 StatefulSet: revisionHistoryLimit (the API server allows changing it; the provider replaces)",
     _object("StatefulSet", "apps/v1", spec={"revisionHistoryLimit": 10}), _object("StatefulSet", "apps/v1", spec={"revisionHistoryLimit": 5}), ProviderSettings(), "replace", ("spec.revisionHistoryLimit",)),
    ("ReplicaSet is not in the table: its selector updates (the API server refuses it at apply)",
     _object("ReplicaSet", "apps/v1", spec={"selector": {"matchLabels": {"a": "1"}}}), _object("ReplicaSet", "apps/v1", spec={"selector": {"matchLabels": {"a": "2"}}}), ProviderSettings(), "update", ()),
    (f"{DIFF_GO} core/v1 Service: spec.clusterIP",
     _object("Service", spec={"clusterIP": "10.0.0.1"}), _object("Service", spec={"clusterIP": "10.0.0.2"}), ProviderSettings(), "replace", ("spec.clusterIP",)),
    (f"{DIFF_GO} core/v1 ResourceQuota: spec.scopes",
     _object("ResourceQuota", spec={"hard": {"pods": "1"}, "scopes": ["BestEffort"]}), _object("ResourceQuota", spec={"hard": {"pods": "1"}, "scopes": ["NotBestEffort"]}), ProviderSettings(), "replace", ("spec.scopes",)),
    ("ResourceQuota scopeSelector is not in the table: update",
     _object("ResourceQuota", spec={"scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["a"]}]}}),
     _object("ResourceQuota", spec={"scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["b"]}]}}), ProviderSettings(), "update", ()),
    (f"{DIFF_GO} core/v1 PersistentVolumeClaim: storageClassName (not resources)",
     _object("PersistentVolumeClaim", spec={"storageClassName": "a", "resources": {"requests": {"storage": "1Gi"}}}),
     _object("PersistentVolumeClaim", spec={"storageClassName": "b", "resources": {"requests": {"storage": "2Gi"}}}), ProviderSettings(), "replace", ("spec.storageClassName",)),
    (f"{DIFF_GO} core/v1 Pod: a container's image",
     _object("Pod", spec={"containers": [{"name": "c", "image": "a:1"}]}), _object("Pod", spec={"containers": [{"name": "c", "image": "a:2"}]}), ProviderSettings(), "replace", ("spec.containers.image",)),
    (f"{DIFF_GO} rbac.authorization.k8s.io/v1 RoleBinding: roleRef",
     _object("RoleBinding", "rbac.authorization.k8s.io/v1", roleRef={"kind": "ClusterRole", "name": "view"}), _object("RoleBinding", "rbac.authorization.k8s.io/v1", roleRef={"kind": "ClusterRole", "name": "edit"}), ProviderSettings(), "replace", ("roleRef",)),
    (f"{DIFF_GO} storage.k8s.io/v1 StorageClass: parameters",
     _object("StorageClass", "storage.k8s.io/v1", provisioner="p", parameters={"type": "a"}), _object("StorageClass", "storage.k8s.io/v1", provisioner="p", parameters={"type": "b"}), ProviderSettings(), "replace", ("parameters",)),
    ("StorageClass reclaimPolicy is not in the table: update (the API server refuses it; ClusterClasses adds replaceOnChanges)",
     _object("StorageClass", "storage.k8s.io/v1", provisioner="p", reclaimPolicy="Delete"), _object("StorageClass", "storage.k8s.io/v1", provisioner="p", reclaimPolicy="Retain"), ProviderSettings(), "update", ()),
    ("scheduling.k8s.io/v1 PriorityClass is not in the table: a value change is an update (ClusterClasses adds replaceOnChanges)",
     _object("PriorityClass", "scheduling.k8s.io/v1", value=1), _object("PriorityClass", "scheduling.k8s.io/v1", value=2), ProviderSettings(), "update", ()),
    (f"{DIFF_GO} batch/v1 Job: parallelism",
     _object("Job", "batch/v1", spec={"parallelism": 1}), _object("Job", "batch/v1", spec={"parallelism": 2}), ProviderSettings(), "replace", ("spec.parallelism",)),
    ("policy/v1 PodDisruptionBudget is not in the table (only v1beta1 was): update",
     _object("PodDisruptionBudget", "policy/v1", spec={"minAvailable": 1}), _object("PodDisruptionBudget", "policy/v1", spec={"minAvailable": 2}), ProviderSettings(), "update", ()),
    ("NetworkPolicy is not in the table: update",
     _object("NetworkPolicy", "networking.k8s.io/v1", spec={"podSelector": {"matchLabels": {"a": "1"}}}), _object("NetworkPolicy", "networking.k8s.io/v1", spec={"podSelector": {"matchLabels": {"a": "2"}}}), ProviderSettings(), "update", ()),
]  # fmt: skip


@pytest.mark.parametrize(("source", "before", "after", "settings", "action", "reasons"), RULES, ids=[row[0][:70] for row in RULES])
def test_the_kind_of_change_is_the_providers(source, before, after, settings, action, reasons):
    assert _action(before, after, settings) == (action, reasons), source


def test_a_replacement_deletes_first_because_every_object_is_explicitly_named():
    """provider.go Diff L1645-1660: explicitly named, same name and namespace -> DeleteBeforeReplace."""
    key = ObjectKey("", "ConfigMap", "team", "x")
    before, after = _object("ConfigMap", data={"a": "1"}), _object("ConfigMap", data={"a": "2"})
    [change] = plan({key: Entry(key, "t", after)}, State("l", 1, {key: Entry(key, "t", before)})).changes
    assert change.delete_before_replace
    assert change.to_json()["deleteBeforeReplace"] is True


def test_each_cluster_has_its_providers_settings():
    before, after = _object("ConfigMap", data={"a": "1"}), _object("ConfigMap", data={"a": "2"})
    keys = {cluster: ObjectKey.of(after, cluster) for cluster in ("eu", "us")}
    desired = {key: Entry(key, "t", after) for key in keys.values()}
    state = State("l", 1, {key: Entry(key, "t", before) for key in keys.values()})
    result = plan(desired, state, {"eu": MUTABLE_CONFIG_MAPS, "us": ProviderSettings()})
    assert {c.key.cluster: c.action for c in result.changes} == {"eu": "update", "us": "replace"}


@pytest.mark.parametrize(("mutable", "symbol"), [(False, "-/+"), (True, "~")])
def test_changing_the_autoscalers_parameters_shows_its_config_map_as_pulumi_would(make_project, tmp_path, mutable, symbol):
    """The acceptance case: nodesPerReplica changes the params ConfigMap's data."""

    def stack(nodes: int) -> dict:
        config: dict = {"clusterstack:dns": {"autoscaler": {"linear": {"nodesPerReplica": nodes}}}}
        if mutable:
            config["kubernetes:enableConfigMapMutable"] = True
        return {"config": config}

    root = make_project({"dev": stack(16)})
    state = ["--project-dir", str(root), "--state-dir", str(tmp_path / "state")]
    assert CliRunner().invoke(cli, [*state, "up", "-s", "dev", "--yes"]).exit_code == 0
    root = make_project({"dev": stack(8)})
    result = CliRunner().invoke(cli, [*state, "preview", "-s", "dev"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "ConfigMap kube-system/kube-dns-autoscaler" in line)
    assert line.split()[0] == symbol
    if not mutable:
        assert "(data forces replacement; deleted first, as it is explicitly named)" in line
    assert result.output.rstrip().endswith("Plan: 1 to add, 0 to change, 1 to destroy." if not mutable else "Plan: 0 to add, 1 to change, 0 to destroy.")
