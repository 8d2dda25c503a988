"""Adoption in the embedded engine (clusterstack/engine/adopted.py, ``up --adopt``): the objects a
cluster's dump holds of the stack are recorded in state as applied, the program's own manifest where
the cluster means the same, the cluster's values where it differs; so the next plan shows exactly
what ``preview --live`` of that dump shows, and nothing when they agree. Real project files, the
real program under the SDK's mocks, the real directory target."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from clusterstack.cli import cli
from clusterstack.engine.adopted import adopted_plan, overlay
from clusterstack.engine.plan import MISSING, FieldChange
from clusterstack.engine.state import Entry, State
from clusterstack.kube.kinds import ObjectKey
from clusterstack.kube.live import read_back
from clusterstack.program.evaluate import evaluate_stack
from clusterstack.stack.project import Project
from tests.conftest import REPO


@dataclass(frozen=True)
class Live:
    source: str
    body: dict[str, Any]


QUOTA = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "a"}, "spec": {"hard": {"pods": "10"}}}
POLICY = {
    "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": "a"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"ports": [{"port": 80, "protocol": "TCP"}]}]},
}  # fmt: skip


def _entries(*manifests: dict[str, Any]) -> dict[ObjectKey, Entry]:
    return {ObjectKey.of(m): Entry(ObjectKey.of(m), "TenantNamespace platform/a", m) for m in manifests}


def test_an_object_the_cluster_has_alike_is_recorded_as_the_program_declares_it() -> None:
    """The read-back adds defaults (protocol, policyTypes) and server fields: the same object still."""
    [change] = adopted_plan(_entries(POLICY), [Live("d.yaml", read_back(POLICY))], None).changes
    assert (change.action, change.after) == ("create", POLICY)


def test_where_the_cluster_differs_its_values_are_recorded() -> None:
    live = read_back(QUOTA)
    live["spec"]["hard"] = {"pods": "20", "services": "5"}
    [change] = adopted_plan(_entries(QUOTA), [Live("d.yaml", live)], None).changes
    assert change.after == {**QUOTA, "spec": {"hard": {"pods": "20", "services": "5"}}}


def test_only_what_the_program_declares_the_dump_has_and_the_state_lacks() -> None:
    other = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "legacy"}}
    held = State("l", 1, _entries(POLICY))
    the_plan = adopted_plan(_entries(QUOTA, POLICY), [Live("d.yaml#0", read_back(POLICY)), Live("d.yaml#1", read_back(other))], held)
    assert the_plan.changes == ()  # QUOTA is not in the dump, POLICY is held, legacy is not the stack's


def test_overlay_sets_removes_and_appends() -> None:
    manifest = {"spec": {"a": 1, "list": [1, 2, 3], "gone": "x"}}
    fields = [
        FieldChange(("spec", "a"), 5, 1),
        FieldChange(("spec", "gone"), MISSING, "x"),
        FieldChange(("spec", "list", 2), MISSING, 3),
        FieldChange(("spec", "list", 1), MISSING, 2),
        FieldChange(("spec", "new", "deep"), "y", MISSING),
    ]
    assert overlay(manifest, fields) == {"spec": {"a": 5, "list": [1], "new": {"deep": "y"}}}
    assert manifest == {"spec": {"a": 1, "list": [1, 2, 3], "gone": "x"}}  # not mutated
    appended = overlay({"l": [1]}, [FieldChange(("l", 2), 3, MISSING), FieldChange(("l", 1), 2, MISSING)])
    assert appended == {"l": [1, 2, 3]}


# --- up --adopt, through the command line -----------------------------------------------------------

STACK = {
    "config": {
        "clusterstack:namespaces": {
            "payments": {"labels": {"team": "payments"}, "quota": {"pods": "50"}, "networkPolicy": {"defaultDeny": ["Ingress"]}, "onExisting": "adopt"},
            "search": {"quota": {"pods": "5"}},
        },
    }
}


def _cli(root: Path, *args: str, input: str | None = None) -> Any:
    result = CliRunner().invoke(cli, ["--project-dir", str(root), "--state-dir", str(root / "state"), *args], input=input)
    assert "Traceback" not in result.output
    return result


def _dump(root: Path, into: Path, keep: Any = lambda body: True, edit: Any = lambda body: None, stack: str = "dev") -> Path:
    items = []
    for declared in evaluate_stack(Project.load(root), stack).objects:
        body = read_back(declared.manifest)
        if keep(body):
            edit(body)
            items.append(body)
    into.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    return into


def test_up_adopt_records_what_the_cluster_has_then_plans_the_rest(make_project: Any, tmp_path: Path) -> None:
    root = make_project({"dev": STACK})

    def payments_only(body: dict[str, Any]) -> bool:
        return "payments" in (body["metadata"].get("namespace"), body["metadata"]["name"])

    def larger_quota(body: dict[str, Any]) -> None:
        if body["kind"] == "ResourceQuota":
            body["spec"]["hard"]["pods"] = "60"

    dump = _dump(root, tmp_path / "cluster.yaml", payments_only, larger_quota)
    live = _cli(root, "preview", "-s", "dev", "--live", str(dump), "--json")
    result = _cli(root, "up", "-s", "dev", "--adopt", str(dump), "--yes")
    assert result.exit_code == 0, result.output
    assert "Adopting 3 object(s) the cluster has" in result.output
    assert "  = Namespace payments\n  = ResourceQuota payments/tenant-quota\n  = NetworkPolicy.networking.k8s.io payments/default-deny" in result.output
    # What up then planned and applied is what preview --live showed: the quota back to 50, search created.
    assert "spec.hard.pods: \"60\" → \"50\"" in result.output
    live_changes = sorted((c["action"], c["identity"]) for c in json.loads(live.stdout)["changes"])
    assert ("update", "ResourceQuota payments/tenant-quota") in live_changes
    assert all(action == "create" and "search" in identity for action, identity in live_changes if "payments" not in identity)
    assert _cli(root, "preview", "-s", "dev", "--detailed-exitcode").exit_code == 0
    state = json.loads((root / "state" / "dev.json").read_text())
    assert len(state["objects"]) == len(evaluate_stack(Project.load(root), "dev").objects)


def test_adopting_again_records_nothing_and_a_refusal_records_nothing(make_project: Any, tmp_path: Path) -> None:
    root = make_project({"dev": STACK})
    dump = _dump(root, tmp_path / "cluster.yaml")
    refused = _cli(root, "up", "-s", "dev", "--adopt", str(dump), input="no\n")
    assert refused.exit_code == 1
    assert not (root / "state" / "dev.json").exists()
    assert _cli(root, "up", "-s", "dev", "--adopt", str(dump), "--yes").exit_code == 0
    again = _cli(root, "up", "-s", "dev", "--adopt", str(dump), "--yes")
    assert "Nothing to adopt" in again.output
    assert "No changes." in again.output


@pytest.mark.parametrize("extra", [["--plan", "plan.json"]])
def test_adopt_and_a_saved_plan_do_not_mix(make_project: Any, tmp_path: Path, extra: list[str]) -> None:
    root = make_project({"dev": STACK})
    dump = _dump(root, tmp_path / "cluster.yaml")
    result = _cli(root, "up", "-s", "dev", "--adopt", str(dump), *extra)
    assert result.exit_code == 1
    assert "--adopt changes the state a saved plan was made against" in result.output


def test_a_bad_dump_is_refused_before_anything_is_written(make_project: Any, tmp_path: Path) -> None:
    root = make_project({"dev": STACK})
    dump = tmp_path / "cluster.yaml"
    dump.write_text("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n")
    result = _cli(root, "up", "-s", "dev", "--adopt", str(dump), "--yes")
    assert result.exit_code == 1
    assert f"{dump}#1" in result.output
    assert "is the same object as" in result.output
    assert not (root / "state").exists() or not list((root / "state").iterdir())
    assert not (root / "deploy").exists()


SHIPPED = [(REPO, "dev"), (REPO, "prod"), (REPO / "examples" / "team-app", "prod")]
_NOT_PROJECT = (".*", "build", "*.egg-info", "__pycache__", "clusterstack", "components", "examples", "tests", "bench", "deploy", "docs")


@pytest.mark.parametrize(("source", "stack"), SHIPPED, ids=[f"{r.name}-{s}" for r, s in SHIPPED])
def test_a_shipped_stack_adopted_from_its_own_read_back_has_nothing_left_to_do(tmp_path: Path, source: Path, stack: str) -> None:
    """What pulumi up left on a cluster, adopted: up --adopt records every object and changes nothing,
    and the next preview shows no changes."""
    root = tmp_path / "project"
    shutil.copytree(source, root, ignore=shutil.ignore_patterns(*_NOT_PROJECT))
    dump = _dump(root, tmp_path / "cluster.yaml", stack=stack)
    result = _cli(root, "up", "-s", stack, "--adopt", str(dump), "--yes")
    assert result.exit_code == 0, result.output
    declared = evaluate_stack(Project.load(root), stack).objects
    assert f"Adopted {len(declared)} object(s)" in result.output
    assert result.output.rstrip().endswith("No changes.")
    assert _cli(root, "preview", "-s", stack, "--detailed-exitcode").exit_code == 0
