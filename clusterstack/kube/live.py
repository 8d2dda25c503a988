"""An object as the cluster holds it, and back to what someone meant by it.

``normalised`` keeps only intent: it drops what the API server adds when it stores an object (status,
``uid``, ``resourceVersion``, ``managedFields`` and the rest of the server's metadata, kubectl's
last-applied annotation, the controllers' revision annotations, a Namespace's ``kubernetes``
finalizer, a Service's allocated addresses and node ports) and every field whose value is the
one the API server's defaulting gives it (defaults.py). Two objects that the API server would store
alike normalise alike, however each was written.

``read_back`` is the other way: what ``kubectl get -o yaml`` prints after the API server stored the
object, with defaults applied and the server's fields added, deterministically (the same object
always gets the same uid, resourceVersion, cluster IP and node ports), so a test can build a
cluster's dump from a render. For every object, ``normalised(read_back(x)) == normalised(x)``.
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from .defaults import defaulted, undefaulted
from .pod_defaults import as_list, as_map

Body = dict[str, Any]

SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
)
"""metav1.ObjectMeta fields the API server sets, never the client (their doc comments: "Populated by
the system. Read-only.")."""

SERVER_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",  # kubectl apply's client-side record of the last apply
    "deployment.kubernetes.io/revision",  # the Deployment controller (pkg/controller/deployment/util)
    "deprecated.daemonset.template.generation",  # the DaemonSet strategy (pkg/registry/apps/daemonset/strategy.go)
)
"""Annotations a client or controller records about the object, not part of what it declares."""

NAMESPACE_FINALIZER = "kubernetes"
"""What pkg/registry/core/namespace/strategy.go (PrepareForCreate) sets as a Namespace's spec.finalizers."""

SERVICE_CIDR = "10.96.0.0/12"
"""kubeadm's default service range (--service-cluster-ip-range), where ``read_back`` allocates."""
NODE_PORT_RANGE = (30000, 32767)
"""The API server's default --service-node-port-range."""
STORED_AT = "2026-01-01T00:00:00Z"
"""The creationTimestamp ``read_back`` gives: fixed, so its output is the same on every run."""
FIELD_MANAGER = "pulumi-kubernetes"


def normalised(body: Mapping[str, Any]) -> Body:
    """Only what the object's author declared, with the API server's defaults left out."""
    result = copy.deepcopy(dict(body))
    result.pop("status", None)
    meta = result.get("metadata")
    if isinstance(meta, dict):
        for field in SERVER_METADATA:
            meta.pop(field, None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            for annotation in SERVER_ANNOTATIONS:
                annotations.pop(annotation, None)
    kind, group = result.get("kind"), _group(result)
    if (group, kind) == ("", "Namespace"):
        _without_finalizer(result)
    elif (group, kind) == ("", "Service"):
        _without_allocations(result)
    result = undefaulted(defaulted(result))
    meta = result.get("metadata")
    if isinstance(meta, dict):
        for field in ("labels", "annotations"):
            if meta.get(field) == {} or (field in meta and meta[field] is None):
                del meta[field]
    return result


def _group(body: Mapping[str, Any]) -> str:
    api_version = body.get("apiVersion")
    return api_version.rpartition("/")[0] if isinstance(api_version, str) else ""


def _without_finalizer(body: Body) -> None:
    spec = body.get("spec")
    if isinstance(spec, dict) and isinstance(spec.get("finalizers"), list):
        spec["finalizers"] = [f for f in spec["finalizers"] if f != NAMESPACE_FINALIZER]
        if not spec["finalizers"]:
            del spec["finalizers"]
        if not spec:
            del body["spec"]


def _without_allocations(body: Body) -> None:
    """What the Service registry (pkg/registry/core/service/storage/storage.go and alloc.go) fills
    in on create: the cluster IPs and their families (intent only when headless: ``None``), a
    node port per port of a NodePort or LoadBalancer Service, the health-check node port."""
    spec = body.get("spec")
    if not isinstance(spec, dict):
        return
    if spec.get("clusterIP") != "None":
        spec.pop("clusterIP", None)
        spec.pop("clusterIPs", None)
    elif spec.get("clusterIPs") == ["None"]:
        del spec["clusterIPs"]
    families = spec.get("ipFamilies")
    if spec.get("ipFamilyPolicy") in ("SingleStack", None) and isinstance(families, list) and len(families) == 1:
        del spec["ipFamilies"]
    if spec.get("ipFamilyPolicy") == "SingleStack":
        del spec["ipFamilyPolicy"]
    for port in as_list(spec.get("ports")):
        if isinstance(port, dict):
            port.pop("nodePort", None)
    spec.pop("healthCheckNodePort", None)


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\0".join(parts).encode()).digest()[:8], "big")


def _identity(body: Mapping[str, Any]) -> tuple[str, str, str, str]:
    meta = body.get("metadata") or {}
    return (str(body.get("apiVersion")), str(body.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))


def read_back(body: Mapping[str, Any], *, service_cidr: str = SERVICE_CIDR) -> Body:
    """What ``kubectl get -o yaml`` prints for ``body`` once the API server stored it: defaults
    applied; uid, resourceVersion, creationTimestamp, managedFields and (where the kind keeps one)
    generation added; status where the kind has one; a Namespace's name label and finalizer; a
    Service's cluster IP from ``service_cidr`` and its node ports. Deterministic: a function of the
    object alone."""
    stored = defaulted(body)
    identity = _identity(stored)
    meta = stored.setdefault("metadata", {})
    meta["uid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(identity)))
    meta["resourceVersion"] = str(_digest(*identity) % 10**8 + 1)
    meta["creationTimestamp"] = STORED_AT
    meta["managedFields"] = [
        {
            "apiVersion": identity[0],
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {}},
            "manager": FIELD_MANAGER,
            "operation": "Apply",
            "time": STORED_AT,
        }
    ]
    group, kind = _group(stored), identity[1]
    if "spec" in stored and kind != "Namespace":
        meta["generation"] = 1
    status = _STATUS.get((group, kind))
    if status is not None:
        stored["status"] = status(stored)
    if (group, kind) == ("", "Namespace"):
        spec = stored["spec"] = dict(stored.get("spec") or {})
        if NAMESPACE_FINALIZER not in (spec.get("finalizers") or ()):
            spec["finalizers"] = [*(spec.get("finalizers") or ()), NAMESPACE_FINALIZER]
    elif (group, kind) == ("", "Service"):
        _allocate(stored, service_cidr, identity)
    elif (group, kind) == ("apps", "Deployment"):
        meta["annotations"] = {**(meta.get("annotations") or {}), "deployment.kubernetes.io/revision": "1"}
    elif (group, kind) == ("apps", "DaemonSet"):
        meta["annotations"] = {**(meta.get("annotations") or {}), "deprecated.daemonset.template.generation": "1"}
    return stored


def _allocate(service: Body, service_cidr: str, identity: tuple[str, ...]) -> None:
    spec = service.setdefault("spec", {})
    kind = spec.get("type", "ClusterIP")
    if kind == "ExternalName":
        return
    network = ipaddress.ip_network(service_cidr)
    if spec.get("clusterIP") in (None, ""):
        # Never the network's first two addresses (the second is the kubernetes Service's) nor its last.
        spec["clusterIP"] = str(network[2 + _digest(*identity) % (network.num_addresses - 3)])
    spec.setdefault("clusterIPs", [spec["clusterIP"]])
    spec.setdefault("ipFamilies", ["IPv6" if network.version == 6 else "IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    allocates = kind == "NodePort" or (kind == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is not False)
    low, high = NODE_PORT_RANGE
    taken = {port.get("nodePort") for port in as_list(spec.get("ports")) if isinstance(port, dict)}
    for index, port in enumerate(as_list(spec.get("ports"))):
        if allocates and isinstance(port, dict) and port.get("nodePort") is None:
            candidate = low + _digest(*identity, str(index)) % (high - low + 1)
            while candidate in taken:
                candidate = low if candidate == high else candidate + 1
            port["nodePort"] = candidate
            taken.add(candidate)
    if kind == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local" and spec.get("healthCheckNodePort") is None:
        spec["healthCheckNodePort"] = low + _digest(*identity, "health") % (high - low + 1)


def _quota_status(quota: Body) -> Body:
    hard = dict(as_map(as_map(quota.get("spec")).get("hard")))
    return {"hard": hard, "used": dict.fromkeys(hard, "0")}


_STATUS: Mapping[tuple[str, str], Callable[[Body], Body]] = {
    ("", "Namespace"): lambda body: {"phase": "Active"},
    ("", "Service"): lambda body: {"loadBalancer": {}},
    ("", "ResourceQuota"): _quota_status,
    ("apps", "Deployment"): lambda body: {"observedGeneration": 1},
    ("apps", "DaemonSet"): lambda body: {
        "currentNumberScheduled": 0, "desiredNumberScheduled": 0, "numberMisscheduled": 0, "numberReady": 0, "observedGeneration": 1,
    },
    ("policy", "PodDisruptionBudget"): lambda body: {"currentHealthy": 0, "desiredHealthy": 0, "disruptionsAllowed": 0, "expectedPods": 0},
}  # fmt: skip
"""The status a freshly stored object of each kind shows (before any controller has counted pods)."""
