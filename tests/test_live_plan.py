"""``preview --live`` (clusterstack/engine/live_plan.py): the plan against a cluster's dump instead of
the engine's state, both sides normalised (kube/live.py).

What it verifies: every shipped stack, planned against the read-back of its own render (what the
cluster holds after ``pulumi up``), has no changes; a difference in the dump is the change the
engine's plan would show for it (create, update, replace as pulumi-kubernetes decides); an object
of the dump the program does not declare is no change, and is a delete only when the stack's state
recorded it; a patch is compared on its own fields; a bad dump is an error naming file and object."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from clusterstack.cli import cli
from clusterstack.engine.live_plan import live_plan
from clusterstack.engine.state import Entry, State
from clusterstack.errors import ClusterstackError
from clusterstack.kube.kinds import ObjectKey
from clusterstack.kube.live import read_back
from clusterstack.program.evaluate import evaluate_stack
from clusterstack.stack.project import Project
from tests.conftest import REPO


@dataclass(frozen=True)
class Live:
    source: str
    body: dict[str, Any]


def _entries(*manifests: dict[str, Any], patch: bool = False) -> dict[ObjectKey, Entry]:
    return {ObjectKey.of(m): Entry(ObjectKey.of(m), "TenantNamespace platform/a", m, patch) for m in manifests}


QUOTA = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "a"}, "spec": {"hard": {"pods": "10", "requests.cpu": "2"}}}
BINDING = {
    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b", "namespace": "a"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
    "subjects": [{"kind": "Group", "name": "team", "apiGroup": "rbac.authorization.k8s.io"}],
}  # fmt: skip


def _plan(desired: dict[ObjectKey, Entry], *live: dict[str, Any], recorded: State | None = None) -> list[tuple[str, str, list[str]]]:
    the_plan, _ = live_plan(desired, [Live(f"dump.yaml#{n}", body) for n, body in enumerate(live)], recorded)
    return [(c.action, str(c.key), [f.dotted for f in c.fields]) for c in the_plan.changes]


def test_the_read_back_of_the_same_objects_is_no_change() -> None:
    assert _plan(_entries(QUOTA, BINDING), read_back(QUOTA), read_back(BINDING)) == []


def test_a_value_the_cluster_spells_otherwise_is_no_change() -> None:
    live = read_back(QUOTA)
    live["spec"]["hard"]["requests.cpu"] = "2000m"
    assert _plan(_entries(QUOTA), live) == []


def test_a_difference_is_an_update_and_a_missing_object_a_create() -> None:
    live = read_back(QUOTA)
    live["spec"]["hard"]["pods"] = "20"
    assert _plan(_entries(QUOTA, BINDING), live) == [
        ("update", "ResourceQuota a/q", ["spec.hard.pods"]),
        ("create", "RoleBinding.rbac.authorization.k8s.io a/b", []),
    ]  # in the engine's apply order


def test_a_changed_role_ref_is_a_replace_as_pulumi_kubernetes_decides() -> None:
    """replace.py: a RoleBinding's roleRef is immutable (pulumi-kubernetes' forceNew table)."""
    live = read_back(BINDING)
    live["roleRef"]["name"] = "view"
    [change] = live_plan(_entries(BINDING), [Live("dump.yaml", live)])[0].changes
    assert (change.action, change.replace_reasons, change.delete_before_replace) == ("replace", ("roleRef",), True)


def test_what_the_program_does_not_declare_is_no_change() -> None:
    other = read_back({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "legacy"}})
    assert _plan(_entries(QUOTA), read_back(QUOTA), other) == []


def test_a_recorded_object_the_program_dropped_is_a_delete_while_the_cluster_has_it() -> None:
    recorded = State("l", 3, dict(_entries(QUOTA, BINDING)))
    assert _plan(_entries(QUOTA), read_back(QUOTA), read_back(BINDING), recorded=recorded) == [
        ("delete", "RoleBinding.rbac.authorization.k8s.io a/b", []),
    ]
    assert _plan(_entries(QUOTA), read_back(QUOTA), recorded=recorded) == []  # already gone from the cluster


def test_a_patch_compares_only_its_own_fields() -> None:
    patch = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}}}
    live = read_back({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system", "labels": {"owner": "cloud", "pod-security.kubernetes.io/enforce": "privileged"}}})
    assert _plan(_entries(patch, patch=True), live) == []
    live["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "baseline"
    assert _plan(_entries(patch, patch=True), live) == [("update", "Namespace kube-system", ["metadata.labels.pod-security.kubernetes.io/enforce"])]


def test_secret_values_are_neither_compared_nor_shown() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "a"}, "data": "[secret]"}
    live = read_back({**secret, "data": {"token": "c2VjcmV0"}})
    the_plan, current = live_plan(_entries(secret), [Live("dump.yaml", live)], secret_properties={ObjectKey.of(secret): ["data"]})
    assert the_plan.changes == ()
    assert "c2VjcmV0" not in json.dumps(current.entries[ObjectKey.of(secret)].manifest)


def test_a_malformed_quantity_in_the_dump_names_the_file_and_object() -> None:
    live = read_back(QUOTA)
    live["spec"]["hard"]["pods"] = "2 cores"
    with pytest.raises(ClusterstackError) as raised:
        live_plan(_entries(QUOTA), [Live("cluster/quotas.yaml#4", live)])
    [problem] = raised.value.problems
    assert str(problem).startswith("cluster/quotas.yaml#4: ResourceQuota a/q spec.hard.pods: '2 cores' is not a Kubernetes quantity")


def test_one_object_in_two_clusters_cannot_be_planned_against_one_dump() -> None:
    key = ObjectKey.of(QUOTA)
    desired = {k: Entry(k, "c", QUOTA) for k in (key._replace(cluster="east"), key._replace(cluster="west"))}
    with pytest.raises(ClusterstackError, match="in more than one cluster"):
        live_plan(desired, [Live("dump.yaml", read_back(QUOTA))])


def test_nothing_given_is_mutated() -> None:
    desired, live = _entries(QUOTA), read_back(QUOTA)
    before = copy.deepcopy((desired, live))
    live_plan(desired, [Live("dump.yaml", live)])
    assert (desired, live) == before


# --- Through the command line, on the shipped stacks ---------------------------------------------

SHIPPED = [(REPO, "dev"), (REPO, "staging"), (REPO, "prod"), (REPO / "examples" / "team-app", "prod")]


def _dump(root: Path, stack: str, into: Path, edit: Any = None) -> Path:
    items = [read_back(d.manifest) for d in evaluate_stack(Project.load(root), stack).objects]
    if edit is not None:
        items = edit(items)
    path = into / f"{stack}-dump.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    return path


def _preview(root: Path, state: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--project-dir", str(root), "--state-dir", str(state), "preview", *args])
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize(("root", "stack"), SHIPPED, ids=[f"{r.name}-{s}" for r, s in SHIPPED])
def test_a_shipped_stack_against_its_own_read_back_has_no_changes(tmp_path: Path, root: Path, stack: str) -> None:
    dump = _dump(root, stack, tmp_path)
    result = _preview(root, tmp_path / "state", "-s", stack, "--live", str(dump), "--detailed-exitcode")
    assert (result.exit_code, result.stdout.strip()) == (0, "No changes.")
    assert not (tmp_path / "state").exists() or not list((tmp_path / "state").glob("*.json"))  # nothing recorded


def test_a_dump_with_differences_shows_them(tmp_path: Path) -> None:
    def edit(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept = [i for i in items if (i["kind"], i["metadata"]["name"]) != ("NetworkPolicy", "allow-same-namespace")]
        for item in kept:
            if item["kind"] == "ResourceQuota":
                item["spec"]["hard"]["pods"] = "999"
                break
        return kept

    dump = _dump(REPO, "prod", tmp_path, edit)
    result = _preview(REPO, tmp_path / "state", "-s", "prod", "--live", str(dump), "--json")
    changes = json.loads(result.stdout)["changes"]
    assert sorted((c["action"], c["identity"]) for c in changes) == [
        ("create", "NetworkPolicy.networking.k8s.io analytics/allow-same-namespace"),
        ("create", "NetworkPolicy.networking.k8s.io checkout/allow-same-namespace"),
        ("create", "NetworkPolicy.networking.k8s.io payments/allow-same-namespace"),
        ("update", "ResourceQuota analytics/tenant-quota"),
    ]


def test_a_directory_of_manifests_is_a_dump(tmp_path: Path) -> None:
    manifests = tmp_path / "repo"
    manifests.mkdir()
    for n, obj in enumerate(evaluate_stack(Project.load(REPO), "dev").objects):
        (manifests / f"{n:03}.yaml").write_text(yaml.safe_dump(obj.manifest))  # as a GitOps repository holds them
    result = _preview(REPO, tmp_path / "state", "-s", "dev", "--live", str(manifests))
    assert (result.exit_code, result.stdout.strip()) == (0, "No changes.")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("kind: [", "is not valid YAML or JSON"),
        ("apiVersion: v1\nkind: List\nitems: [{kind: Namespace}]\n", "has no apiVersion"),
    ],
)
def test_a_bad_dump_names_its_file(tmp_path: Path, content: str, message: str) -> None:
    dump = tmp_path / "bad.yaml"
    dump.write_text(content)
    result = _preview(REPO, tmp_path / "state", "-s", "dev", "--live", str(dump))
    assert result.exit_code == 1
    assert str(dump) in result.output
    assert message in result.output


def test_live_is_for_reading(tmp_path: Path) -> None:
    dump = _dump(REPO, "dev", tmp_path)
    for extra in (["--out", str(tmp_path / "p.json")], ["--refresh"]):
        result = _preview(REPO, tmp_path / "state", "-s", "dev", "--live", str(dump), *extra)
        assert result.exit_code == 1
        assert "--live plans against a cluster's dump, for reading" in result.output
    assert not (tmp_path / "p.json").exists()
