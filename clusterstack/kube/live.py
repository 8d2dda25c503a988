"""STUB, to be replaced by i24-live: an object as the cluster returns it, less what the API server
added. Only the metadata is stripped here; i24-live adds the server's defaults and finalizers."""

from __future__ import annotations

import copy
from typing import Any

_SERVER_METADATA = ("managedFields", "uid", "resourceVersion", "generation", "creationTimestamp", "selfLink")
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_NAME_LABEL = "kubernetes.io/metadata.name"


def normalised(body: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``body`` without status and the metadata the API server sets."""
    out = copy.deepcopy(body)
    out.pop("status", None)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        for key in _SERVER_METADATA:
            meta.pop(key, None)
        for field, key in (("annotations", _LAST_APPLIED), ("labels", _NAME_LABEL)):
            values = meta.get(field)
            if isinstance(values, dict):
                values.pop(key, None)
                if not values:
                    del meta[field]
    spec = out.get("spec")
    if out.get("kind") == "Namespace" and isinstance(spec, dict) and spec.get("finalizers") == ["kubernetes"]:
        del spec["finalizers"]  # the namespace lifecycle's own finalizer, which the API server sets
        if not spec:
            del out["spec"]
    return out
