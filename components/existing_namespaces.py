"""Labels on namespaces the stack does not own: ``kube-system``, ``default``, a namespace another team
made.

Page: "Enforce Pod Security Standards with Namespace Labels", which labels every namespace, not only
new ones: ``default`` at ``restricted`` (nothing should run there), ``kube-system`` at ``privileged``
(the add-ons it runs need host access). Exempting a namespace outright is the API server's
AdmissionConfiguration (``exemptions.namespaces``), not a label; ``privileged`` is the label that
lets everything in.

The Namespace exists already, so it is never created or deleted here: each is a server-side-apply
patch (``NamespacePatch``) of only these labels, applied by the field manager ``clusterstack``;
removing one from the stack releases the labels, never the namespace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field

from ..kube.findings import Finding, Findings
from ..kube.manifest import Bundle, Manifest
from . import labels as standard
from .model import LabelsInput, Model, check_label_keys
from .pod_security import Level, PodSecurity, PodSecurityArgsDict, label_problems, namespace_labels
from .register import child_name, register_patch


# <generated from the fields of ExistingNamespaceArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class ExistingNamespaceArgsDict(TypedDict, total=False):
    """``ExistingNamespaceArgs`` as a dict, in the stack files' spelling."""

    podSecurity: PodSecurity | Level | PodSecurityArgsDict
    labels: LabelsInput
# </generated>


class ExistingNamespaceArgs(Model):
    """``clusterstack:existingNamespaces.<name>``: what to set on a namespace the cluster already has."""

    pod_security: PodSecurity | None = None
    """The Pod Security labels, as a tenant's ``podSecurity``."""
    labels: LabelsInput = Field(default_factory=dict)
    """Further labels (a team label other namespaces' policies select on)."""

    # <generated from the fields of ExistingNamespaceArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(self, *, pod_security: PodSecurity | Level | PodSecurityArgsDict | None = None, labels: LabelsInput = ...) -> None: ...
    # </generated>

    def _problems(self) -> Findings:
        if isinstance(self.labels, Mapping):
            yield from check_label_keys(self.labels, "labels", standard.RESERVED)
            yield from label_problems(self.labels, self.pod_security)
        if (self.pod_security is None or self.pod_security.is_empty()) and not self.labels:
            yield Finding((), "sets nothing; give podSecurity or labels, or remove the namespace")


def build_namespace_labels(name: str, args: ExistingNamespaceArgs) -> Manifest:
    """The patch: the Namespace ``name`` with only the labels asked for. Not clusterstack's standard
    labels: the namespace is not clusterstack's (``-l app.kubernetes.io/managed-by=clusterstack`` must
    not list kube-system), only these labels are."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": namespace_labels(args.labels, args.pod_security)}}


@dataclass(frozen=True)
class ExistingNamespaceObjects(Bundle):
    namespaces: tuple[Manifest, ...]
    """By name."""


def build_existing_namespaces(namespaces: Mapping[str, ExistingNamespaceArgs]) -> ExistingNamespaceObjects:
    return ExistingNamespaceObjects(tuple(build_namespace_labels(name, args) for name, args in sorted(namespaces.items())))


class ExistingNamespaces(pulumi.ComponentResource):
    """Labels on namespaces the cluster already has, each a ``NamespacePatch`` named ``<resource_name>/<namespace>``."""

    patches: dict[str, k8s.core.v1.NamespacePatch]

    def __init__(
        self,
        resource_name: str,
        namespaces: Mapping[str, ExistingNamespaceArgs | ExistingNamespaceArgsDict],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``namespaces`` is a map, not one Args, because each namespace is itself an Args
        (``ExistingNamespaceArgs``) keyed by its name, as under ``clusterstack:existingNamespaces``."""
        super().__init__("clusterstack:tenant:ExistingNamespaces", resource_name, None, opts)
        validated = {n: a if isinstance(a, ExistingNamespaceArgs) else ExistingNamespaceArgs.model_validate(a) for n, a in namespaces.items()}
        children = pulumi.ResourceOptions(parent=self)
        self.patches = {}
        for obj in build_existing_namespaces(validated).namespaces:
            patch = register_patch(obj, children, child_name(resource_name, obj))
            assert isinstance(patch, k8s.core.v1.NamespacePatch)  # register_patch picks the kind's patch class
            self.patches[obj["metadata"]["name"]] = patch
        self.register_outputs({"namespaces": sorted(self.patches)})
