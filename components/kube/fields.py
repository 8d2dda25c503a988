"""Which manifest fields hold what, as the Kubernetes API defines them: quantities, ports, and the
fields the API server will not change in place.

Comparing two manifests needs these facts (``1000m`` equals ``1`` only where the field is a
quantity; ``"8080"`` equals ``8080`` only where it is a port), and so does deciding whether an edit
is an update or a replacement.
"""

from __future__ import annotations

from collections.abc import Mapping

FieldPath = tuple[str, ...]

QUANTITY_MAPS = frozenset(
    {
        "requests",  # resources.requests
        "limits",  # resources.limits
        "hard",  # ResourceQuota spec.hard / status.hard
        "used",  # ResourceQuota status.used
        "min",  # LimitRange items
        "max",
        "default",
        "defaultRequest",
        "maxLimitRequestRatio",
        "capacity",  # PersistentVolume spec.capacity, Node status.capacity
        "allocatable",  # Node status.allocatable
    }
)
"""Maps whose values are all quantities (resource name -> quantity)."""

QUANTITY_FIELDS = frozenset({"sizeLimit", "storage"})
"""Single fields holding a quantity (emptyDir.sizeLimit; requests.storage when not under a map above)."""

PORT_FIELDS = frozenset({"port", "targetPort", "containerPort", "nodePort", "hostPort", "endPort"})
"""Fields holding a port number (an IntOrString where a name is also allowed)."""

IMMUTABLE_FIELDS: Mapping[str, tuple[FieldPath, ...]] = {
    "Deployment": (("spec", "selector"),),
    "DaemonSet": (("spec", "selector"),),
    "ReplicaSet": (("spec", "selector"),),
    "StatefulSet": (("spec", "selector"), ("spec", "serviceName"), ("spec", "volumeClaimTemplates"), ("spec", "podManagementPolicy")),
    "Service": (("spec", "clusterIP"), ("spec", "clusterIPs")),
    "RoleBinding": (("roleRef",),),
    "ClusterRoleBinding": (("roleRef",),),
    "ResourceQuota": (("spec", "scopes"),),
    "PersistentVolumeClaim": (("spec", "accessModes"), ("spec", "storageClassName"), ("spec", "selector"), ("spec", "volumeName")),
    "Job": (("spec", "template"), ("spec", "selector")),
}
"""Fields the API server will not update in place, by kind (its ``Validate<Kind>Update`` functions in
pkg/apis/*/validation): changing one takes a delete and a create."""
