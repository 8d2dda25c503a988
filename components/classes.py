"""PriorityClasses and StorageClasses: the cluster-wide classes tenants' quotas and workloads name.

Pages: "Guaranteed Scheduling For Critical Add-On Pods" and "Pod Priority and Preemption"
(PriorityClass: a value up to one billion, the ``system-`` prefix kept for Kubernetes, at most one
``globalDefault``), "Change the default StorageClass" (the ``storageclass.kubernetes.io/is-default-class``
annotation, on one class at most) and "Limit Storage Consumption" (quotas per StorageClass).

Some fields the API server refuses to change once a class exists: a PriorityClass's ``value`` and
``preemptionPolicy`` (pkg/apis/scheduling/validation, ValidatePriorityClassUpdate: "may not be
changed in an update"), a StorageClass's ``parameters``, ``provisioner``, ``reclaimPolicy`` and
``volumeBindingMode`` (pkg/apis/storage/validation, ValidateStorageClassUpdate). pulumi-kubernetes
replaces a StorageClass on the first two (its forceNew table) but would try to update the others in
place, and fail; so the classes are registered with ``replaceOnChanges`` for those fields, and
``deleteBeforeReplace``, because the provider asks to delete first only for its own replacements and
a class keeps its name: created first, the new one would find the old one still there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypedDict

import pulumi
import pulumi_kubernetes as k8s
from pydantic import AfterValidator, Field
from typing_extensions import Required

from ..kube import names
from ..kube.findings import Finding, Findings
from ..kube.lifecycle import OnExisting
from ..kube.manifest import Bundle, Manifest
from .labels import object_meta, stack_environment
from .model import AnnotationValueInput, Model, raise_problems
from .register import adopting, child_name, register

USER_PRIORITY_MAX = 1_000_000_000
"""The largest value a PriorityClass of a user may have; higher ones are the system's (pkg/apis/scheduling)."""
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"

PreemptionPolicy = Literal["PreemptLowerPriority", "Never"]
ReclaimPolicy = Literal["Delete", "Retain"]
VolumeBindingMode = Literal["Immediate", "WaitForFirstConsumer"]

PRIORITY_CLASS_REPLACED_ON = ("value", "preemptionPolicy")
"""The fields of a PriorityClass the API server will not update and pulumi-kubernetes does not replace
on by itself (Pulumi property paths: the provider's camelCase input names)."""
STORAGE_CLASS_REPLACED_ON = ("reclaimPolicy", "volumeBindingMode")
"""Likewise for a StorageClass (``parameters`` and ``provisioner`` are in the provider's own table)."""

MAX_PARAMETERS = 512
"""At most this many StorageClass parameters (maxProvisionerParameterLen, pkg/apis/storage/validation)."""
MAX_PARAMETERS_SIZE = 256 * 1024
"""At most this many bytes of parameter keys and values together (maxProvisionerParameterSize)."""


def _provisioner(value: str) -> str:
    """validateProvisioner (pkg/apis/storage/validation): required, and a qualified name once
    lowercased (``kubernetes.io/no-provisioner``, ``ebs.csi.aws.com``, ``Example.com/NFS``)."""
    if not value:
        raise ValueError("Required value: name the provisioner, e.g. 'ebs.csi.aws.com' or 'kubernetes.io/no-provisioner'")
    reasons = names.qualified_name(value.lower())
    if reasons:
        raise ValueError(
            f"{value!r} is not a valid provisioner: {'; '.join(reasons)} "
            "(a qualified name, checked in lower case: 'ebs.csi.aws.com', 'kubernetes.io/no-provisioner')"
        )
    return value


def _parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """validateParameters (pkg/apis/storage/validation): at most 512, no empty key, at most 256 KiB of
    keys and values together. A value that is an Output counts once it resolves, at the API server."""
    if len(parameters) > MAX_PARAMETERS:
        raise ValueError(f"Too long: may not be more than {MAX_PARAMETERS} parameters (these are {len(parameters)})")
    problems = []
    if "" in parameters:
        problems.append('Invalid value: "": field can not be empty. (give the parameter its key, or remove it)')
    size = sum(len(key.encode()) + len(value.encode()) for key, value in parameters.items() if isinstance(value, str))
    if size > MAX_PARAMETERS_SIZE:
        problems.append(f"Too long: may not be more than {MAX_PARAMETERS_SIZE} bytes, keys and values together (these are {size})")
    if problems:
        raise ValueError("; ".join(problems))
    return parameters


Provisioner = Annotated[str, AfterValidator(_provisioner)]
ParameterValue = AnnotationValueInput
"""A parameter's value: a string, or an Output of one (a KMS key's ARN from another resource),
checked to be a string when it resolves."""
Parameters = Annotated[dict[str, ParameterValue], AfterValidator(_parameters)]


# <generated from the fields of PriorityClassArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class PriorityClassArgsDict(TypedDict, total=False):
    """``PriorityClassArgs`` as a dict, in the stack files' spelling."""

    value: Required[int]
    globalDefault: bool
    preemptionPolicy: PreemptionPolicy
    description: str
    onExisting: OnExisting
# </generated>


class PriorityClassArgs(Model):
    """``clusterstack:priorityClasses.<name>``."""

    value: Annotated[int, Field(ge=-(2**31), le=USER_PRIORITY_MAX, strict=True)]
    """The priority: higher schedules first and may preempt lower (at most 1,000,000,000)."""
    global_default: bool = False
    """Pods that name no class get this one (one class at most)."""
    preemption_policy: PreemptionPolicy = "PreemptLowerPriority"
    """``Never``: such pods wait in front of lower ones but never evict them."""
    description: str = ""
    on_existing: OnExisting = "fail"
    """``adopt``: the cluster has this class already (made by hand, written down by ``clusterstack
    import``); take it over with pulumi-kubernetes' ``import`` option instead of creating it (which
    fails with AlreadyExists). The stack owns it from then on. A class the cluster's distribution
    ships belongs under ``clusterstack:cluster.existing`` instead."""

    # <generated from the fields of PriorityClassArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, value: int, global_default: bool = False, preemption_policy: PreemptionPolicy = "PreemptLowerPriority", description: str = "",
            on_existing: OnExisting = "fail",
        ) -> None: ...
    # </generated>


# <generated from the fields of StorageClassArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class StorageClassArgsDict(TypedDict, total=False):
    """``StorageClassArgs`` as a dict, in the stack files' spelling."""

    provisioner: Required[Provisioner]
    parameters: Mapping[str, str | pulumi.Output[str]]
    reclaimPolicy: ReclaimPolicy
    volumeBindingMode: VolumeBindingMode
    allowVolumeExpansion: bool
    default: bool
    onExisting: OnExisting
# </generated>


class StorageClassArgs(Model):
    """``clusterstack:storageClasses.<name>``."""

    provisioner: Provisioner
    """The CSI driver (or in-tree provisioner), e.g. ebs.csi.aws.com, pd.csi.storage.gke.io."""
    parameters: Parameters = Field(default_factory=dict)
    reclaim_policy: ReclaimPolicy = "Delete"
    volume_binding_mode: VolumeBindingMode = "WaitForFirstConsumer"
    """WaitForFirstConsumer provisions in the zone of the pod that first uses the claim."""
    allow_volume_expansion: bool = False
    default: bool = False
    """Claims that name no class get this one (one class at most)."""
    on_existing: OnExisting = "fail"
    """``adopt``: take the cluster's class of this name over with pulumi-kubernetes' ``import`` option
    instead of creating it (as a priority class's ``onExisting``)."""

    # <generated from the fields of StorageClassArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, provisioner: Provisioner, parameters: Mapping[str, str | pulumi.Output[str]] = ..., reclaim_policy: ReclaimPolicy = "Delete",
            volume_binding_mode: VolumeBindingMode = "WaitForFirstConsumer", allow_volume_expansion: bool = False, default: bool = False,
            on_existing: OnExisting = "fail",
        ) -> None: ...
    # </generated>


def class_problems(priority: Mapping[str, PriorityClassArgs], storage: Mapping[str, StorageClassArgs]) -> Findings:
    """The rules between classes: the ``system-`` prefix is Kubernetes', one global default, one default."""
    for name in priority:
        if name.startswith("system-"):
            yield Finding(
                ("priorityClasses", name),
                "the system- prefix is reserved for Kubernetes' own classes (system-cluster-critical, system-node-critical)",
            )
    defaults = [name for name, args in priority.items() if args.global_default]
    if len(defaults) > 1:
        yield Finding(("priorityClasses", defaults[1], "globalDefault"), f"only one PriorityClass may be the global default; {defaults[0]} already is")
    marked = [name for name, args in storage.items() if args.default]
    if len(marked) > 1:
        yield Finding(("storageClasses", marked[1], "default"), f"only one StorageClass may be the default; {marked[0]} already is")


def build_priority_class(name: str, args: PriorityClassArgs, environment: str | None = None) -> Manifest:
    manifest: Manifest = {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": object_meta(name, None, environment),
        "value": args.value,
        "globalDefault": args.global_default,
        "preemptionPolicy": args.preemption_policy,
    }
    if args.description:
        manifest["description"] = args.description
    return manifest


def build_storage_class(name: str, args: StorageClassArgs, environment: str | None = None) -> Manifest:
    meta = object_meta(name, None, environment, annotations={DEFAULT_CLASS_ANNOTATION: "true"} if args.default else None)
    manifest: Manifest = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": meta,
        "provisioner": args.provisioner,
        "reclaimPolicy": args.reclaim_policy,
        "volumeBindingMode": args.volume_binding_mode,
        "allowVolumeExpansion": args.allow_volume_expansion,
    }
    if args.parameters:
        manifest["parameters"] = dict(args.parameters)
    return manifest


@dataclass(frozen=True)
class ClassObjects(Bundle):
    priority_classes: tuple[Manifest, ...]
    storage_classes: tuple[Manifest, ...]


def build_classes(
    priority: Mapping[str, PriorityClassArgs], storage: Mapping[str, StorageClassArgs], environment: str | None = None
) -> ClassObjects:
    return ClassObjects(
        tuple(build_priority_class(name, args, environment) for name, args in sorted(priority.items())),
        tuple(build_storage_class(name, args, environment) for name, args in sorted(storage.items())),
    )


class ClusterClasses(pulumi.ComponentResource):
    """A cluster's PriorityClasses and StorageClasses, children ``<resource_name>/<class name>``."""

    priority_classes: dict[str, k8s.scheduling.v1.PriorityClass]
    storage_classes: dict[str, k8s.storage.v1.StorageClass]

    def __init__(
        self,
        resource_name: str,
        priority_classes: Mapping[str, PriorityClassArgs | PriorityClassArgsDict] | None = None,
        storage_classes: Mapping[str, StorageClassArgs | StorageClassArgsDict] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        *,
        environment: str | None = None,
    ) -> None:
        """``priority_classes`` and ``storage_classes`` are two maps, not one Args, because each class is
        itself an Args (``PriorityClassArgs``, ``StorageClassArgs``) keyed by its name, as under
        ``clusterstack:priorityClasses`` and ``clusterstack:storageClasses``.
        ``environment``: the stack's name for the clusterstack.io/environment label (default: the running
        stack's), one value for a whole program, so not a setting of this component."""
        super().__init__("clusterstack:classes:ClusterClasses", resource_name, None, opts)
        priority = {n: a if isinstance(a, PriorityClassArgs) else PriorityClassArgs.model_validate(a) for n, a in (priority_classes or {}).items()}
        storage = {n: a if isinstance(a, StorageClassArgs) else StorageClassArgs.model_validate(a) for n, a in (storage_classes or {}).items()}
        raise_problems(class_problems(priority, storage))
        objects = build_classes(priority, storage, stack_environment(environment))
        as_priority = pulumi.ResourceOptions(parent=self, replace_on_changes=list(PRIORITY_CLASS_REPLACED_ON), delete_before_replace=True)
        as_storage = pulumi.ResourceOptions(parent=self, replace_on_changes=list(STORAGE_CLASS_REPLACED_ON), delete_before_replace=True)
        self.priority_classes = {}
        for o in objects.priority_classes:
            with adopting(priority[o["metadata"]["name"]].on_existing == "adopt"):
                self.priority_classes[o["metadata"]["name"]] = register(o, as_priority, k8s.scheduling.v1.PriorityClass, child_name(resource_name, o))
        self.storage_classes = {}
        for o in objects.storage_classes:
            with adopting(storage[o["metadata"]["name"]].on_existing == "adopt"):
                self.storage_classes[o["metadata"]["name"]] = register(o, as_storage, k8s.storage.v1.StorageClass, child_name(resource_name, o))
        self.register_outputs({"priorityClasses": sorted(self.priority_classes), "storageClasses": sorted(self.storage_classes)})
