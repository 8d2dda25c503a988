"""Which manifest fields hold what, as the Kubernetes API defines them: quantities and ports.

Comparing two manifests needs these facts: ``1000m`` equals ``1`` only where the field is a
quantity; ``"8080"`` equals ``8080`` only where it is a port.
"""

from __future__ import annotations

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
