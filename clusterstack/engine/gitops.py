"""What a GitOps controller needs in the directory target's objects (``clusterstack:target.gitops``).

**Argo CD** applies a sync wave by wave, lowest first, each wave only once the one before is healthy,
and prunes in reverse, highest wave first (argo-cd docs/user-guide/sync-waves.md: "During pruning,
the wave order is reversed from the creation order"). Within a wave it orders by kind, but does not
wait between kinds. So every object carries ``argocd.argoproj.io/sync-wave`` by its layer in the
engine's own kind order (clusterstack/kube/kinds.py ``KIND_ORDER``, in ``LAYERS``): a fresh sync and a partial
resync alike have the Namespaces, then their quotas and limits, healthy before anything lands in
them. The waves are negative up to the Services, so a user's own objects in the same Application
(wave 0 unless they say otherwise) come after the baseline they rely on.

**Flux** has no wave annotation: kustomize-controller applies every object of a Kustomization at
each reconciliation, CRDs and Namespaces first, waiting for them to be ready, then the rest in
one server-side apply sorted by kind, ResourceQuota and LimitRange before the workloads
(fluxcd/pkg ssa/manager_apply.go ``ApplyAllStaged``, ssa/sort.go). That is the order this
needs, so objects carry nothing for it; ``dependsOn`` between Kustomizations would only matter
across directories, and the target is one.

**Patches** of objects the cluster already has (a Namespace's labels, the CoreDNS Corefile) are
never the controller's to delete: for Argo CD ``Prune=false`` (not pruned when the patch leaves
Git) and ``Delete=false`` (not deleted with the Application), and ``ServerSideApply=true`` so only
the patch's fields are applied (docs/user-guide/sync-options.md: "Patching of existing resources
on the cluster that are not fully managed by Argo CD"); for Flux ``kustomize.toolkit.fluxcd.io/prune:
disabled`` (kustomize-controller docs/spec/v1/kustomizations.md, "Controlling the apply behavior of
resources").

**Protected and retained objects** (``deletion: protect`` or ``retain``, a tenant's Namespace in prod)
get the same promise from the controller that ``up`` keeps: for Argo CD ``Prune=false,Delete=false``,
for Flux ``prune: disabled``. A retained object dropped from the stack is left where it is, as
``up`` leaves it; a protected one is released by setting ``deletion: delete``, which removes the
marks, and only then removed.

The annotations are part of the object as the target holds it: the plan and state see them, so they
cause no perpetual diff, drift from them is drift like any other, and changing ``gitops`` shows in
the plan as an update of each affected object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..kube.lifecycle import Deletion
from ..stack.target import GitOps

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
FLUX_PRUNE = "kustomize.toolkit.fluxcd.io/prune"
ARGOCD_PATCH_OPTIONS = "Prune=false,Delete=false,ServerSideApply=true"
ARGOCD_KEPT_OPTIONS = "Prune=false,Delete=false"
FLUX_PATCH_PRUNE = "disabled"

LAYERS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (-6, ("CustomResourceDefinition",)),
    (-5, ("Namespace",)),
    (-4, ("ResourceQuota", "LimitRange", "PriorityClass", "StorageClass")),
    (-3, ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")),
    (-2, ("Secret", "ConfigMap", "PersistentVolume", "PersistentVolumeClaim")),
    (-1, ("Service",)),
    (1, ("DaemonSet", "Deployment", "ReplicaSet", "StatefulSet", "Job", "CronJob", "HorizontalPodAutoscaler", "PodDisruptionBudget")),
    (2, ("NetworkPolicy", "Ingress")),
)
"""Argo CD's wave of each kind: the layers of ``KIND_ORDER`` (tests/test_gitops.py holds them to it),
and StorageClass, which the engine orders with the custom resources, beside PriorityClass: a class
is there before what names it. Wave 0 is left to the user's own objects."""
OTHER_WAVE = 3
"""Kinds of no layer (custom resources): last, as the engine applies them."""
_WAVES = {kind: wave for wave, kinds in LAYERS for kind in kinds}


def wave(kind: str) -> int:
    return _WAVES.get(kind, OTHER_WAVE)


def for_controller(kind: str, patch: bool, gitops: GitOps, deletion: Deletion = "delete") -> dict[str, str]:
    """The annotations the controller needs on one object (or patch), held as ``deletion`` says."""
    kept = patch or deletion != "delete"
    if gitops == "argocd":
        found = {SYNC_WAVE: str(wave(kind))}
        if patch:
            found[SYNC_OPTIONS] = ARGOCD_PATCH_OPTIONS
        elif kept:
            found[SYNC_OPTIONS] = ARGOCD_KEPT_OPTIONS
        return found
    if gitops == "flux" and kept:
        return {FLUX_PRUNE: FLUX_PATCH_PRUNE}
    return {}


def annotated(manifest: dict[str, Any], patch: bool, gitops: GitOps, deletion: Deletion = "delete") -> dict[str, Any]:
    """``manifest`` with the controller's annotations, where the program did not set one of the same
    name itself (a wave it chose is kept); ``manifest`` itself when there are none to add."""
    extra = for_controller(str(manifest.get("kind")), patch, gitops, deletion)
    if not extra:
        return manifest
    metadata = manifest.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    existing = metadata.get("annotations")
    existing = existing if isinstance(existing, Mapping) else {}
    return {**manifest, "metadata": {**metadata, "annotations": {**extra, **existing}}}

