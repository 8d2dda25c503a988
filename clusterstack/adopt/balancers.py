"""A cluster's Services of type LoadBalancer, read back into ``loadBalancers`` settings.

The addresses and ports the API server allocates unless asked for (``clusterIP(s)``, each port's
``nodePort``, ``healthCheckNodePort``) are left to it, as the stack leaves them; the annotations a
``cloud`` setting writes (``LoadBalancerArgs.cloud_annotations``) read back as that setting.
"""

from __future__ import annotations

from typing import Any

from ..components import labels as standard
from ..components.load_balancer import METALLB_POOLS, LoadBalancerArgs
from .dump import LiveObject
from .report import Note

_SETTINGS = {
    "externalTrafficPolicy": "externalTrafficPolicy",
    "loadBalancerSourceRanges": "sourceRanges",
    "loadBalancerClass": "loadBalancerClass",
    "allocateLoadBalancerNodePorts": "allocateLoadBalancerNodePorts",
    "ipFamilyPolicy": "ipFamilyPolicy",
    "ipFamilies": "ipFamilies",
    "sessionAffinity": "sessionAffinity",
}
"""The Service's spec field -> the load balancer's setting of the same meaning."""
_ALLOCATED = ("clusterIP", "clusterIPs", "healthCheckNodePort")


def is_load_balancer(live: LiveObject) -> bool:
    spec = live.body.get("spec")
    return live.kind == "Service" and isinstance(spec, dict) and spec.get("type") == "LoadBalancer"


def read(live: LiveObject, namespace: str) -> tuple[dict[str, Any], list[Note]]:
    """The ``loadBalancers.<name>`` settings for ``live`` (not yet validated), and a note per field the
    stack cannot hold."""
    spec = live.body.get("spec") or {}
    meta = live.body.get("metadata") or {}
    args: dict[str, Any] = {"namespace": namespace, "selector": dict(spec.get("selector") or {}), "ports": []}
    for port in spec.get("ports") or []:
        args["ports"].append({k: port[k] for k in ("name", "port", "targetPort", "protocol") if k in port})
    args.update({ours: spec[theirs] for theirs, ours in _SETTINGS.items() if spec.get(theirs) is not None})
    annotations = dict(meta.get("annotations") or {})
    args.update(cloud(annotations))
    if annotations:
        args["annotations"] = annotations
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in standard.RESERVED}
    if labels:
        args["labels"] = labels
    notes = [
        Note(live.describe(), f"spec.{field}", "unfit", "is not a setting of the stack's load balancers; not kept")
        for field in sorted(set(spec) - {"type", "selector", "ports", *_ALLOCATED, *_SETTINGS})
    ]
    return args, notes


def cloud(annotations: dict[str, Any]) -> dict[str, Any]:
    """``cloud`` (and ``internal``, ``addressPool``) when ``annotations`` hold exactly what that setting
    writes, which are then taken out of them; {} when they hold no such set."""
    pools = {annotations.get(key) for key in METALLB_POOLS}
    candidates: list[dict[str, Any]] = [
        {"cloud": "aws", "internal": True}, {"cloud": "aws"}, {"cloud": "gcp", "internal": True}, {"cloud": "azure", "internal": True},
    ]
    if len(pools) == 1 and None not in pools:
        candidates.append({"cloud": "metallb", "addressPool": pools.pop()})
    for candidate in candidates:
        written = LoadBalancerArgs.model_validate({"selector": {"a": "b"}, "ports": [{"port": 1}], **candidate}).cloud_annotations()
        if written and all(annotations.get(key) == value for key, value in written.items()):
            for key in written:
                del annotations[key]
            return candidate
    return {}
