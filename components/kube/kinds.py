"""Object identity and the order kinds are applied in (CRDs, Namespaces, ServiceAccounts, RBAC, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

# Apply order, after lightkube and Helm: what others depend on comes first; deletes run in reverse.
KIND_ORDER = (
    "CustomResourceDefinition",
    "Namespace",
    "ResourceQuota",
    "LimitRange",
    "PriorityClass",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Secret",
    "ConfigMap",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Service",
    "DaemonSet",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "Job",
    "CronJob",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "Ingress",
)
_RANK = {kind: rank for rank, kind in enumerate(KIND_ORDER)}


def kind_rank(kind: str) -> int:
    """Position in the apply order; kinds not listed (custom resources) come last."""
    return _RANK.get(kind, len(KIND_ORDER))


class ObjectKey(NamedTuple):
    """What makes two manifests the same Kubernetes object: API group, kind, namespace, name."""

    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, manifest: Mapping[str, Any]) -> ObjectKey:
        group = manifest["apiVersion"].rpartition("/")[0]
        meta = manifest.get("metadata") or {}
        return cls(group, manifest["kind"], meta.get("namespace") or "", meta["name"])

    def sort_key(self) -> tuple[int, str, str, str, str]:
        return (kind_rank(self.kind), self.kind, self.namespace, self.name, self.group)

    def __str__(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        return f"{kind} {self.namespace}/{self.name}" if self.namespace else f"{kind} {self.name}"
