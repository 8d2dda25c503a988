"""PriorityClasses and StorageClasses: the cluster-wide classes tenants' quotas and workloads name.

Pages: "Guaranteed Scheduling For Critical Add-On Pods" and "Pod Priority and Preemption"
(PriorityClass: a value up to one billion, the ``system-`` prefix kept for Kubernetes, at most one
``globalDefault``), "Change the default StorageClass" (the ``storageclass.kubernetes.io/is-default-class``
annotation, on one class at most) and "Limit Storage Consumption" (quotas per StorageClass).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal, TypedDict

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field

from .bundle import Bundle, Manifest
from .labels import object_meta
from .model import DnsSubdomain, Model, Problems, given, raise_problems, typed_init
from .register import child_name, register

USER_PRIORITY_MAX = 1_000_000_000
"""The largest value a PriorityClass of a user may have; higher ones are the system's (pkg/apis/scheduling)."""
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"

PreemptionPolicy = Literal["PreemptLowerPriority", "Never"]
ReclaimPolicy = Literal["Delete", "Retain"]
VolumeBindingMode = Literal["Immediate", "WaitForFirstConsumer"]


class PriorityClassArgsDict(TypedDict, total=False):
    value: int
    globalDefault: bool
    preemptionPolicy: PreemptionPolicy
    description: str


class PriorityClassArgs(Model):
    """``clusterstack:priorityClasses.<name>``."""

    value: Annotated[int, Field(ge=-(2**31), le=USER_PRIORITY_MAX, strict=True)]
    """The priority: higher schedules first and may preempt lower (at most 1,000,000,000)."""
    global_default: bool = False
    """Pods that name no class get this one (one class at most)."""
    preemption_policy: PreemptionPolicy = "PreemptLowerPriority"
    """``Never``: such pods wait in front of lower ones but never evict them."""
    description: str = ""

    @typed_init
    def __init__(
        self,
        *,
        value: int,
        global_default: bool | None = None,
        preemption_policy: PreemptionPolicy | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(**given(locals()))


class StorageClassArgsDict(TypedDict, total=False):
    provisioner: str
    parameters: Mapping[str, str]
    reclaimPolicy: ReclaimPolicy
    volumeBindingMode: VolumeBindingMode
    allowVolumeExpansion: bool
    default: bool


class StorageClassArgs(Model):
    """``clusterstack:storageClasses.<name>``."""

    provisioner: DnsSubdomain
    """The CSI driver (or in-tree provisioner), e.g. ebs.csi.aws.com, pd.csi.storage.gke.io."""
    parameters: dict[str, str] = Field(default_factory=dict)
    reclaim_policy: ReclaimPolicy = "Delete"
    volume_binding_mode: VolumeBindingMode = "WaitForFirstConsumer"
    """WaitForFirstConsumer provisions in the zone of the pod that first uses the claim."""
    allow_volume_expansion: bool = False
    default: bool = False
    """Claims that name no class get this one (one class at most)."""

    @typed_init
    def __init__(
        self,
        *,
        provisioner: str,
        parameters: Mapping[str, str] | None = None,
        reclaim_policy: ReclaimPolicy | None = None,
        volume_binding_mode: VolumeBindingMode | None = None,
        allow_volume_expansion: bool | None = None,
        default: bool | None = None,
    ) -> None:
        super().__init__(**given(locals()))


def class_problems(priority: Mapping[str, PriorityClassArgs], storage: Mapping[str, StorageClassArgs]) -> Problems:
    """The rules between classes: the ``system-`` prefix is Kubernetes', one global default, one default."""
    for name in priority:
        if name.startswith("system-"):
            yield (
                ("priorityClasses", name),
                "the system- prefix is reserved for Kubernetes' own classes (system-cluster-critical, system-node-critical)",
            )
    defaults = [name for name, args in priority.items() if args.global_default]
    if len(defaults) > 1:
        yield ("priorityClasses", defaults[1], "globalDefault"), f"only one PriorityClass may be the global default; {defaults[0]} already is"
    marked = [name for name, args in storage.items() if args.default]
    if len(marked) > 1:
        yield ("storageClasses", marked[1], "default"), f"only one StorageClass may be the default; {marked[0]} already is"


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
        super().__init__("clusterstack:classes:ClusterClasses", resource_name, None, opts)
        priority = {n: a if isinstance(a, PriorityClassArgs) else PriorityClassArgs.model_validate(a) for n, a in (priority_classes or {}).items()}
        storage = {n: a if isinstance(a, StorageClassArgs) else StorageClassArgs.model_validate(a) for n, a in (storage_classes or {}).items()}
        raise_problems(class_problems(priority, storage))
        objects = build_classes(priority, storage, environment)
        children = pulumi.ResourceOptions(parent=self)
        self.priority_classes = {
            o["metadata"]["name"]: register(o, children, k8s.scheduling.v1.PriorityClass, child_name(resource_name, o)) for o in objects.priority_classes
        }
        self.storage_classes = {
            o["metadata"]["name"]: register(o, children, k8s.storage.v1.StorageClass, child_name(resource_name, o)) for o in objects.storage_classes
        }
        self.register_outputs({})
