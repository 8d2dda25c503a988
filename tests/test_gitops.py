"""``clusterstack:target.gitops``: the directory target's objects carry what their GitOps controller
needs (clusterstack/engine/gitops.py), run end to end on the shipped prod stack.

What this verifies:
- Argo CD: every object carries ``argocd.argoproj.io/sync-wave`` by its kind, the waves never contradict
  the engine's kind order (clusterstack/kube/kinds.py), and in every namespace the Namespace, then its
  quotas and limits, come in earlier waves than anything else in it. Argo CD syncs waves lowest first,
  each once the one before is healthy, and prunes highest first (argo-cd docs/user-guide/sync-waves.md);
- the patches of objects the cluster already has, and the objects the stack protects or retains, are
  never pruned: for Argo CD ``argocd.argoproj.io/sync-options: Prune=false,Delete=false`` (argo-cd
  docs/user-guide/sync-options.md, "No Prune Resources", "No Resource Deletion"), and on a patch
  ``ServerSideApply=true`` too ("Server-Side Apply"); for Flux ``kustomize.toolkit.fluxcd.io/prune:
  disabled`` (kustomize-controller docs/spec/v1/kustomizations.md, "Controlling the apply behavior of
  resources"). Flux orders kinds itself (fluxcd/pkg ssa/manager_apply.go ``ApplyAllStaged``: CRDs and
  Namespaces first; ssa/sort.go: ResourceQuota before the workloads), so objects carry nothing else;
- the annotations are what state holds: no perpetual diff, no drift, and changing ``gitops`` is a
  plan of updates of exactly the affected objects;
- a bad value names the stack file, the key path and the valid values, and writes nothing;
- where kubectl is installed, ``kubectl kustomize`` builds the directory with every annotation kept.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from clusterstack.cli import cli
from clusterstack.engine import gitops
from clusterstack.kube.kinds import KIND_ORDER, kind_rank
from tests import helpers

REPO = Path(__file__).resolve().parent.parent
WORKLOADS = {"DaemonSet", "Deployment", "ReplicaSet", "StatefulSet", "Job", "CronJob"}


def cs(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--project-dir", str(root), *args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def _prod(tmp_path: Path, **target: object) -> Path:
    root = helpers.shipped_project(tmp_path)
    _target(root, **target)
    return root


def _target(root: Path, **target: object) -> None:
    path = root / "stacks" / "Pulumi.prod.yaml"
    stack = yaml.safe_load(path.read_text())
    stack["config"]["clusterstack:target"] = target
    path.write_text(yaml.safe_dump(stack))


def _documents(directory: Path) -> dict[str, list[dict]]:
    """Every object the target holds, by file (relative path), patches included."""
    return {
        str(path.relative_to(directory)): [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        for path in sorted(directory.rglob("*.yaml"))
        if path.name != "kustomization.yaml"
    }


def _identity(document: dict) -> tuple[str, str, str]:
    return document["kind"], document["metadata"].get("namespace", ""), document["metadata"]["name"]


def _held(root: Path) -> dict[tuple[str, str, str], str]:
    """How state says each object is held (delete, protect, retain)."""
    state = json.loads((root / ".clusterstack" / "prod.json").read_text())
    return {(o["key"]["kind"], o["key"]["namespace"], o["key"]["name"]): o.get("deletion", "delete") for o in state["objects"]}


def _annotations(document: dict) -> dict[str, str]:
    """The object's annotations for a GitOps controller (not its own, such as a load balancer's)."""
    annotations = (document.get("metadata") or {}).get("annotations") or {}
    return {key: value for key, value in annotations.items() if key.startswith(("argocd.argoproj.io/", "kustomize.toolkit.fluxcd.io/"))}


def test_the_waves_are_the_engines_kind_order_in_layers():
    assert [kind for _, kinds in gitops.LAYERS for kind in kinds if kind in KIND_ORDER] == list(KIND_ORDER), "every kind of the order, in its order"
    waves = [gitops.wave(kind) for kind in KIND_ORDER]
    assert waves == sorted(waves)
    assert 0 not in {gitops.wave(kind) for kind in KIND_ORDER}, "wave 0 is the user's own objects'"
    assert gitops.wave("Namespace") < gitops.wave("ResourceQuota") == gitops.wave("LimitRange") < gitops.wave("ServiceAccount")
    assert gitops.wave("ConfigMap") < gitops.wave("Service") < 0 < gitops.wave("Deployment") < gitops.wave("NetworkPolicy")
    assert gitops.wave("StorageClass") == gitops.wave("PriorityClass"), "a class before what names it"
    assert gitops.wave("Certificate") == gitops.OTHER_WAVE > gitops.wave("Ingress"), "custom resources last, as the engine applies them"
    assert kind_rank("Certificate") == len(KIND_ORDER)


def test_a_wave_or_option_the_program_set_itself_is_kept():
    manifest: dict = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "annotations": {gitops.SYNC_WAVE: "7", "team": "a"}}}
    assert gitops.annotated(manifest, False, "argocd")["metadata"]["annotations"] == {gitops.SYNC_WAVE: "7", "team": "a"}
    patched = gitops.annotated({**manifest, "metadata": {"name": "x"}}, True, "argocd")
    assert patched["metadata"]["annotations"] == {gitops.SYNC_WAVE: "-2", gitops.SYNC_OPTIONS: "Prune=false,Delete=false,ServerSideApply=true"}
    assert gitops.annotated(manifest, False, "none") is manifest
    assert gitops.annotated(manifest, False, "flux") is manifest, "Flux orders kinds itself"
    assert gitops.annotated(manifest, True, "flux")["metadata"]["annotations"] == {gitops.SYNC_WAVE: "7", "team": "a", gitops.FLUX_PRUNE: "disabled"}
    assert gitops.for_controller("Namespace", False, "argocd", "retain") == {gitops.SYNC_WAVE: "-5", gitops.SYNC_OPTIONS: "Prune=false,Delete=false"}
    assert gitops.for_controller("Namespace", False, "flux", "protect") == {gitops.FLUX_PRUNE: "disabled"}
    assert gitops.for_controller("Namespace", False, "flux", "delete") == {}
    assert manifest["metadata"]["annotations"] == {gitops.SYNC_WAVE: "7", "team": "a"}, "never mutated"


def test_argocd_waves_and_unpruned_patches_then_flux_then_none(tmp_path):
    root = _prod(tmp_path, gitops="argocd")
    code, output = cs(root, "up", "-s", "prod", "--yes")
    assert code == 0, output
    directory = root / "deploy" / "prod"
    documents = _documents(directory)
    patches = {name for name in documents if name.startswith("patches/")}
    assert patches == {"patches/configmap--kube-system--coredns.yaml", "patches/namespace--default.yaml", "patches/namespace--kube-system.yaml"}
    held = _held(root)
    kept = {name for name, [document] in documents.items() if name not in patches and held[_identity(document)] != "delete"}
    assert {_identity(documents[name][0])[0] for name in kept} == {"Namespace"}, "prod's protected tenants"
    waves: dict[tuple[str, str], int] = {}
    for name, [document] in documents.items():
        annotations = _annotations(document)
        assert annotations[gitops.SYNC_WAVE] == str(gitops.wave(document["kind"])), name
        if name in patches:
            assert annotations[gitops.SYNC_OPTIONS] == "Prune=false,Delete=false,ServerSideApply=true", name
        else:
            assert annotations.get(gitops.SYNC_OPTIONS) == ("Prune=false,Delete=false" if name in kept else None), name
            waves[(document["kind"], document["metadata"].get("namespace", document["metadata"]["name"]))] = int(annotations[gitops.SYNC_WAVE])
    # A fresh sync or a partial one: the Namespace, then its quotas and limits, before anything in it.
    for (kind, namespace), wave in waves.items():
        if kind != "Namespace" and ("Namespace", namespace) in waves:
            assert waves[("Namespace", namespace)] < wave, (kind, namespace)
        if kind in WORKLOADS:
            assert all(waves.get((guard, namespace), -99) < wave for guard in ("ResourceQuota", "LimitRange")), (kind, namespace)
    assert ("ResourceQuota", "payments") in waves
    assert ("Deployment", "kube-system") in waves

    assert cs(root, "preview", "-s", "prod")[1].rstrip().endswith("No changes."), "no perpetual diff"
    assert "No drift" in cs(root, "refresh", "-s", "prod")[1]

    _target(root, gitops="flux")
    code, plan = cs(root, "preview", "-s", "prod", "--detailed-exitcode")
    assert code == 2
    assert plan.rstrip().endswith(f"Plan: 0 to add, {len(documents)} to change, 0 to destroy."), "every object's file changes, nothing else"
    assert 'metadata.annotations: {"argocd.argoproj.io/sync-options": "Prune=false,Delete=fal… → {"kustomize.toolkit.fluxcd.io/prune": "disabled"}' in plan
    assert cs(root, "up", "-s", "prod", "--yes")[0] == 0
    for name, [document] in _documents(directory).items():
        assert _annotations(document) == ({gitops.FLUX_PRUNE: "disabled"} if name in patches | kept else {}), name
    assert cs(root, "preview", "-s", "prod")[1].rstrip().endswith("No changes.")

    _target(root, gitops="none")
    assert cs(root, "preview", "-s", "prod")[1].rstrip().endswith(f"Plan: 0 to add, {len(patches | kept)} to change, 0 to destroy."), "only what is never pruned carried something"


def test_a_bad_value_names_the_key_and_the_valid_values_and_writes_nothing(tmp_path):
    root = _prod(tmp_path, gitops="argo")
    code, output = cs(root, "up", "-s", "prod", "--yes")
    assert code == 1
    assert output == "error: stacks/Pulumi.prod.yaml: clusterstack:target.gitops: must be one of 'none', 'argocd' or 'flux', not 'argo'\n"
    assert not (root / "deploy").exists()
    assert not (root / ".clusterstack" / "prod.json").exists()


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed: kubectl kustomize cannot build the directory here")
@pytest.mark.parametrize("layout", ["object", "namespace"])
def test_kubectl_kustomize_builds_the_directory_with_its_waves(tmp_path, layout):
    root = _prod(tmp_path, gitops="argocd", layout=layout)
    assert cs(root, "up", "-s", "prod", "--yes")[0] == 0
    directory = root / "deploy" / "prod"
    built = subprocess.run(["kubectl", "kustomize", str(directory)], capture_output=True, text=True, check=True, timeout=120).stdout
    objects = [d for d in yaml.safe_load_all(built) if d is not None]
    written = [d for name, docs in _documents(directory).items() if not name.startswith("patches/") for d in docs]
    assert len(objects) == len(written) == 50
    assert sorted(str(o["metadata"]) for o in objects) == sorted(str(d["metadata"]) for d in written), "kustomize keeps every annotation"
    assert all(_annotations(o)[gitops.SYNC_WAVE] == str(gitops.wave(o["kind"])) for o in objects)
