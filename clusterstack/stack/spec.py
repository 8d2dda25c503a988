"""From a stack's merged config to its validated spec, or to every problem found, each with its file and key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, ValidationError

from ..components import ClusterPlatformArgs
from ..components.model import Model, validating_once
from ..components.pydantic_errors import describe
from ..errors import ClusterstackError, Problem
from ..kube.findings import Finding
from .files import PREFIX, StackConfig
from .target import GitOps, TargetSettings


class TargetSpec(Model):
    """``clusterstack:target``: where ``clusterstack up`` applies."""

    type: Literal["directory"] = "directory"
    path: str | None = None
    """The directory, relative to the project; default deploy/<stack>."""
    layout: Literal["object", "namespace"] = "object"
    """``object``: one file per object. ``namespace``: one multi-document file per namespace (the
    Namespace and everything in it) and ``_cluster.yaml`` for the other cluster-scoped objects:
    as many files as namespaces, which kustomize and GitOps controllers read much faster."""
    kustomization: bool = True
    """Write a kustomization.yaml listing the files (for kubectl apply -k, Flux, Argo CD); without
    one, the directory is plain manifests (kubectl apply -R -f, Argo CD's directory source)."""
    secrets: Literal["omit", "plaintext"] = "omit"
    """What becomes of an object holding a value the program marked secret (a Secret's data).
    ``omit`` (the default): it is not written; deliver it with SOPS, Sealed Secrets or External
    Secrets. ``plaintext``: it is written in plain text, in a file only its owner may read (0600)."""

    allow_outside_project: bool = False
    """Let ``path`` name a directory outside the project (by default refused: a mistyped ``..``
    would put the manifests, and their clean-up, among another project's files). The operating
    system's directories, ``/`` and the home directory stay refused."""

    gitops: GitOps = "none"
    """The GitOps controller that syncs the directory (docs/engine/gitops.md). ``argocd``: every
    object carries an ``argocd.argoproj.io/sync-wave`` by its kind (CRDs, Namespaces, quotas and
    limits, ServiceAccounts and RBAC, ConfigMaps, Services, workloads, policies), so a fresh sync and
    a partial one apply Namespaces and quotas before what lands in them; ``flux``: Flux applies
    Namespaces first and sorts the rest by kind itself, so objects carry nothing. Either way the
    patches of objects the cluster already has, and the objects the stack protects or retains, are
    marked so the controller never prunes them.
    Changing it rewrites every affected file (the plan shows the annotations as updates)."""

    def settings(self) -> TargetSettings:
        return TargetSettings(
            self.path, self.layout, self.kustomization, secrets=self.secrets, allow_outside_project=self.allow_outside_project, gitops=self.gitops
        )


class StackSpec(ClusterPlatformArgs):
    """A stack's whole ``clusterstack:`` config: the platform, and where the embedded engine applies it."""

    target: TargetSpec = Field(default_factory=TargetSpec)


@dataclass(frozen=True)
class Loaded:
    """A stack's validated spec and the warnings validating it found (valid settings that will hurt)."""

    args: StackSpec
    warnings: list[Problem]


CLUSTER_KEYS = ("kubernetes:context", "kubernetes:kubeconfig")
"""The pulumi-kubernetes provider settings that say which cluster ``pulumi up`` talks to."""
_NO_CLUSTER = (
    "is not set, so pulumi up would run against whatever kubeconfig context is current on the machine "
    "that runs it; name the stack's cluster with kubernetes:context (or kubernetes:kubeconfig)"
)


def load_spec(config: StackConfig) -> Loaded:
    """The validated spec, or a ClusterstackError listing every problem found."""
    try:
        with validating_once():
            args = StackSpec.model_validate(config.platform_values())
    except ValidationError as error:
        raise ClusterstackError(_described(error, config)) from None
    warnings = [_located(finding, config) for finding in args.warnings()]
    if not any(config.provider_values().get(key) for key in CLUSTER_KEYS):
        unpinned = config.problem(("kubernetes:context",), _NO_CLUSTER)
        if args.cluster.require_context:
            raise ClusterstackError([Problem(unpinned.file, unpinned.path, f"{_NO_CLUSTER} (clusterstack:cluster.requireContext is true)")])
        warnings.append(unpinned)
    return Loaded(args, warnings)


def _located(finding: Finding, config: StackConfig) -> Problem:
    """A finding of the spec as the user reads it: in the file that set the key, under its config key
    (``clusterstack:namespaces...``)."""
    head, *rest = finding.path
    return config.problem((f"{PREFIX}{head}", *rest), finding.message)


def _described(error: ValidationError, config: StackConfig) -> list[Problem]:
    return [_located(finding, config) for finding in describe(error, StackSpec)]
