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
    """What makes two manifests the same Kubernetes object: API group, kind, namespace, name, and the
    cluster it lives in ("" for the program's one cluster; a program with a provider per cluster
    names each by its provider)."""

    group: str
    kind: str
    namespace: str
    name: str
    cluster: str = ""

    @classmethod
    def of(cls, manifest: Mapping[str, Any], cluster: str = "") -> ObjectKey:
        group = manifest["apiVersion"].rpartition("/")[0]
        meta = manifest.get("metadata") or {}
        return cls(group, manifest["kind"], meta.get("namespace") or "", meta["name"], cluster)

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> ObjectKey:
        return cls(**data)

    def to_json(self) -> dict[str, str]:
        """The key's fields; ``cluster`` only when there is one, so one-cluster files stay as they were."""
        fields = self._asdict()
        if not self.cluster:
            del fields["cluster"]
        return fields

    def sort_key(self) -> tuple[str, int, str, str, str, str]:
        return (self.cluster, kind_rank(self.kind), self.kind, self.namespace, self.name, self.group)

    def __str__(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        body = f"{kind} {self.namespace}/{self.name}" if self.namespace else f"{kind} {self.name}"
        return f"{self.cluster}: {body}" if self.cluster else body
