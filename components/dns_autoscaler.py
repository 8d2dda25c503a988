"""DnsAutoscaler: cluster-proportional-autoscaler scaling the cluster DNS Deployment with the cluster.

Page: Autoscale the DNS Service in a Cluster (and Guaranteed Scheduling For Critical Add-On Pods).
The objects are, in substance, the upstream ``dns-horizontal-autoscaler.yaml``, with two intended
differences:

- clusterstack manages the parameters ConfigMap ``kube-dns-autoscaler`` itself. The upstream
  manifest relies on ``--default-params``, which only seeds a missing ConfigMap and never updates
  it, so a parameter change in a stack would silently change nothing.
- The legacy addon-manager label ``kubernetes.io/cluster-service`` is replaced by clusterstack's
  standard labels.

The DNS Deployment's ``.spec.replicas`` belongs to the autoscaler: nothing here sets it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, TypedDict

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, field_validator

from ..kube.findings import Finding, Findings, prefixed
from ..kube.lifecycle import OnExisting
from ..kube.manifest import Bundle, Manifest
from ..kube.names import dns1123_subdomain
from ..kube.quantity import Quantity
from .cpa import LadderParams, LadderParamsArgsDict, LinearParams, LinearParamsArgsDict
from .labels import object_meta, stack_environment
from .model import DnsLabel, LabelKey, LabelValue, Model, QuantityText, QuantityValue, args_for
from .register import AddOnChildren

NAME = "kube-dns-autoscaler"
CLUSTER_ROLE = "system:kube-dns-autoscaler"
DEFAULT_IMAGE = "registry.k8s.io/cpa/cluster-proportional-autoscaler:1.8.4"
"""The release the upstream manifest pins (includeUnschedulableNodes needs 1.8.0 or newer)."""
_TARGET_KINDS = {"deployment": "Deployment", "replicationcontroller": "ReplicationController", "replicaset": "ReplicaSet"}


# <generated from the fields of Resources by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class ResourcesArgsDict(TypedDict, total=False):
    """``Resources`` as a dict, in the stack files' spelling."""

    requests: Mapping[str, QuantityText | Quantity]
    limits: Mapping[str, QuantityText | Quantity]
# </generated>


# <generated from the fields of DnsAutoscalerArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class DnsAutoscalerArgsDict(TypedDict, total=False):
    """``DnsAutoscalerArgs`` as a dict, in the stack files' spelling."""

    target: str
    namespace: DnsLabel
    image: str
    onExisting: OnExisting
    resources: Resources | ResourcesArgsDict
    nodeLabels: Mapping[LabelKey, LabelValue]
    pollPeriodSeconds: int
    linear: LinearParams | LinearParamsArgsDict
    ladder: LadderParams | LadderParamsArgsDict
# </generated>


class Resources(Model):
    requests: dict[str, QuantityValue] = Field(default_factory=lambda: {"cpu": Quantity.parse("20m"), "memory": Quantity.parse("10Mi")})
    """Default: the upstream manifest's 20m CPU and 10Mi memory."""
    limits: dict[str, QuantityValue] = Field(default_factory=dict)

    # <generated from the fields of Resources by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(self, *, requests: Mapping[str, QuantityText | Quantity] = ..., limits: Mapping[str, QuantityText | Quantity] = ...) -> None: ...
    # </generated>

    def _problems(self) -> Findings:
        # The API server's ValidateResourceRequirements: a request may not exceed its limit.
        for resource, request in self.requests.items():
            limit = self.limits.get(resource)
            if limit is not None and request > limit:
                yield Finding(
                    ("requests", resource), f"must be less than or equal to {resource} limit of {limit} (the API server refuses a request above its limit)"
                )


class DnsAutoscalerArgs(Model):
    """``clusterstack:dns.autoscaler``: exactly one of ``linear`` or ``ladder``."""

    target: str = "Deployment/coredns"
    """<kind>/<name> of what to scale: a Deployment, ReplicationController or ReplicaSet (kind case-insensitive)."""
    namespace: DnsLabel = "kube-system"
    """Where the target, the parameters ConfigMap and the autoscaler live."""
    image: str = DEFAULT_IMAGE
    on_existing: OnExisting = "fail"
    """When the cluster already has kube-dns-autoscaler (GKE ships it): ``fail`` (``pulumi up`` stops
    with AlreadyExists) or ``adopt`` (patch only clusterstack's fields onto the cluster's own)."""
    resources: Resources = Field(default_factory=Resources)
    node_labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    """Count only the nodes (and their cores) with these labels (``--nodelabels``)."""
    poll_period_seconds: Annotated[int, Field(gt=0, strict=True)] | None = None
    """How often the autoscaler looks at the cluster; unset: its default, 10 seconds."""
    linear: LinearParams | None = None
    ladder: LadderParams | None = None

    # <generated from the fields of DnsAutoscalerArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, target: str = "Deployment/coredns", namespace: DnsLabel = "kube-system",
            image: str = "registry.k8s.io/cpa/cluster-proportional-autoscaler:1.8.4", on_existing: OnExisting = "fail",
            resources: Resources | ResourcesArgsDict = ..., node_labels: Mapping[LabelKey, LabelValue] = ..., poll_period_seconds: int | None = None,
            linear: LinearParams | LinearParamsArgsDict | None = None, ladder: LadderParams | LadderParamsArgsDict | None = None,
        ) -> None: ...
    # </generated>

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        kind, slash, name = value.partition("/")
        if not slash or kind.lower() not in _TARGET_KINDS:
            raise ValueError(f"{value!r} is not <kind>/<name> with kind Deployment, ReplicationController or ReplicaSet (e.g. Deployment/coredns)")
        reasons = dns1123_subdomain(name)
        if reasons:
            raise ValueError(f"the target name {name!r} {'; '.join(reasons)}")
        return f"{_TARGET_KINDS[kind.lower()]}/{name}"

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not value or re.search(r"\s", value):
            raise ValueError(f"{value!r} is not an image reference (e.g. {DEFAULT_IMAGE})")
        return value

    def _problems(self) -> Findings:
        if (self.linear is None) == (self.ladder is None):
            yield Finding((), "needs exactly one of linear or ladder (the autoscaler's two control modes)")

    @property
    def params(self) -> LinearParams | LadderParams:
        if self.linear is not None:
            return self.linear
        if self.ladder is not None:
            return self.ladder
        raise AssertionError("validation guarantees exactly one of linear or ladder")

    @property
    def mode(self) -> str:
        return "linear" if self.linear is not None else "ladder"

    def warnings(self) -> Findings:
        if self.ladder is not None:
            yield from prefixed(("ladder",), self.ladder.warnings())


@dataclass(frozen=True)
class DnsAutoscalerObjects(Bundle):
    service_account: Manifest
    cluster_role: Manifest
    cluster_role_binding: Manifest
    params: Manifest
    """The parameters ConfigMap the autoscaler reads (one key: linear or ladder)."""
    deployment: Manifest


def build_dns_autoscaler(args: DnsAutoscalerArgs, environment: str | None = None) -> DnsAutoscalerObjects:
    namespace = args.namespace
    selector = {"k8s-app": NAME}
    command = [
        "/cluster-proportional-autoscaler",
        f"--namespace={namespace}",
        f"--configmap={NAME}",
        f"--target={args.target}",
        "--logtostderr=true",
        "--v=2",
    ]
    if args.node_labels:
        command.append("--nodelabels=" + ",".join(f"{k}={v}" for k, v in sorted(args.node_labels.items())))
    if args.poll_period_seconds is not None:
        command.append(f"--poll-period-seconds={args.poll_period_seconds}")
    resources = {"requests": {k: q.text for k, q in args.resources.requests.items()}}
    if args.resources.limits:
        resources["limits"] = {k: q.text for k, q in args.resources.limits.items()}
    return DnsAutoscalerObjects(
        service_account={
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": object_meta(NAME, namespace, environment),
        },
        cluster_role={
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": object_meta(CLUSTER_ROLE, None, environment),
            "rules": [
                {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "watch"]},
                {"apiGroups": [""], "resources": ["replicationcontrollers/scale"], "verbs": ["get", "update"]},
                {"apiGroups": ["apps"], "resources": ["deployments/scale", "replicasets/scale"], "verbs": ["get", "update"]},
                # The autoscaler creates its ConfigMap when it is missing (cluster-proportional-autoscaler#16).
                {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "create"]},
            ],
        },
        cluster_role_binding={
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": object_meta(CLUSTER_ROLE, None, environment),
            "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": namespace}],
            "roleRef": {"kind": "ClusterRole", "name": CLUSTER_ROLE, "apiGroup": "rbac.authorization.k8s.io"},
        },
        params={
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": object_meta(NAME, namespace, environment),
            "data": {args.mode: args.params.to_json()},
        },
        deployment={
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": object_meta(NAME, namespace, environment, selector),
            "spec": {
                "selector": {"matchLabels": dict(selector)},
                "template": {
                    "metadata": {"labels": dict(selector)},
                    "spec": {
                        "priorityClassName": "system-cluster-critical",
                        "securityContext": {
                            "seccompProfile": {"type": "RuntimeDefault"},
                            "supplementalGroups": [65534],
                            "fsGroup": 65534,
                        },
                        "nodeSelector": {"kubernetes.io/os": "linux"},
                        "containers": [
                            {"name": "autoscaler", "image": args.image, "resources": resources, "command": command}
                        ],
                        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
                        "serviceAccountName": NAME,
                    },
                },
            },
        },
    )


class DnsAutoscaler(pulumi.ComponentResource):
    """cluster-proportional-autoscaler for the cluster DNS, with its parameters ConfigMap."""

    service_account: k8s.core.v1.ServiceAccount | k8s.core.v1.ServiceAccountPatch
    cluster_role: k8s.rbac.v1.ClusterRole | k8s.rbac.v1.ClusterRolePatch
    cluster_role_binding: k8s.rbac.v1.ClusterRoleBinding | k8s.rbac.v1.ClusterRoleBindingPatch
    params: k8s.core.v1.ConfigMap | k8s.core.v1.ConfigMapPatch
    """The parameters ConfigMap the autoscaler reads."""
    deployment: k8s.apps.v1.Deployment | k8s.apps.v1.DeploymentPatch
    """Each child is the object itself, or with ``onExisting: adopt`` a patch of the cluster's own."""
    config_map: pulumi.Output[str]
    """The parameters ConfigMap's name."""

    def __init__(
        self,
        resource_name: str,
        args: DnsAutoscalerArgs | DnsAutoscalerArgsDict,
        opts: pulumi.ResourceOptions | None = None,
        *,
        environment: str | None = None,
    ) -> None:
        """Its children are named ``<resource_name>/<object name>``.

        ``environment``: the stack's name for the clusterstack.io/environment label (default: the running
        stack's), one value for a whole program, so not a setting of this component."""
        super().__init__("clusterstack:dns:DnsAutoscaler", resource_name, None, opts)
        spec = args_for(DnsAutoscalerArgs, args, "DnsAutoscaler", resource_name)
        objects = build_dns_autoscaler(spec, stack_environment(environment))
        child = AddOnChildren(resource_name, pulumi.ResourceOptions(parent=self), spec.on_existing).add

        self.service_account = child(objects.service_account, k8s.core.v1.ServiceAccount, k8s.core.v1.ServiceAccountPatch)
        self.cluster_role = child(objects.cluster_role, k8s.rbac.v1.ClusterRole, k8s.rbac.v1.ClusterRolePatch)
        self.cluster_role_binding = child(objects.cluster_role_binding, k8s.rbac.v1.ClusterRoleBinding, k8s.rbac.v1.ClusterRoleBindingPatch)
        self.params = child(objects.params, k8s.core.v1.ConfigMap, k8s.core.v1.ConfigMapPatch)
        self.deployment = child(objects.deployment, k8s.apps.v1.Deployment, k8s.apps.v1.DeploymentPatch)
        self.config_map = self.params.metadata.name
        self.register_outputs({"configMap": self.config_map})
