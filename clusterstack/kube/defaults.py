"""What the API server's defaulting fills in, and the same object with every value equal to it left out.

Each rule is upstream's (kubernetes/kubernetes, read December 2026), named where it is applied:
``pkg/apis/core/v1/defaults.go`` (Service, PodSpec, Container, Probe, volumes, LimitRangeItem,
Namespace, Secret, ConfigMap, ResourceList), the declarative ``+default`` markers that
``zz_generated.defaults.go`` turns into code (ContainerPort's protocol), ``pkg/apis/apps/v1/defaults.go``
(Deployment, DaemonSet, StatefulSet, ReplicaSet), ``pkg/apis/networking/v1/defaults.go``
(NetworkPolicy and its ports), ``pkg/apis/scheduling/v1/defaults.go`` (PriorityClass) and
``pkg/apis/storage/v1/defaults.go`` (StorageClass). Pods and workloads are pod_defaults.py's.
tests/conformance/defaults.yaml holds upstream's
``defaults_test.go`` cases for them, as data.

``defaulted`` is what the object becomes when it is stored; ``undefaulted`` takes a defaulted object
and leaves out every field whose value is the one defaulting gives, so an object written with
``protocol: TCP`` and one written without compare equal. Both are pure: they copy, never mutate.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from .pod_defaults import (
    as_list,
    as_map,
    cron_job,
    daemon_set,
    deployment,
    drop,
    fill_in,
    job,
    pod,
    replica_set,
    replication_controller,
    same_quantity,
    spec_of,
    stateful_set,
    stored_list,
)

Body = dict[str, Any]


def _exposed(spec: Mapping[str, Any]) -> bool:
    """service.ExternallyAccessible: a LoadBalancer or NodePort, or a ClusterIP with external IPs."""
    kind = spec.get("type")
    return kind in ("LoadBalancer", "NodePort") or (kind == "ClusterIP" and bool(spec.get("externalIPs")))


def _service(body: Body, fill: bool) -> None:
    """SetDefaults_Service."""
    spec = spec_of(body, fill)
    step = fill_in if fill else drop
    step(spec, "sessionAffinity", "None")
    if spec.get("sessionAffinity") in ("None", None):
        spec.pop("sessionAffinityConfig", None)
    elif spec.get("sessionAffinity") == "ClientIP":
        timeout = {"clientIP": {"timeoutSeconds": 10800}}  # DefaultClientIPServiceAffinitySeconds
        if fill and not as_map(as_map(spec.get("sessionAffinityConfig")).get("clientIP")).get("timeoutSeconds"):
            spec["sessionAffinityConfig"] = timeout
        elif not fill:
            drop(spec, "sessionAffinityConfig", timeout)
    kind = spec.get("type") if spec.get("type") not in (None, "") else "ClusterIP"
    for port in as_list(spec.get("ports")):
        if not isinstance(port, dict):
            continue
        step(port, "protocol", "TCP")
        if fill and port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
        elif not fill and "targetPort" in port and str(port["targetPort"]) == str(port.get("port")):
            del port["targetPort"]
    if _exposed({**spec, "type": kind}):
        step(spec, "externalTrafficPolicy", "Cluster")
    if kind in ("NodePort", "LoadBalancer", "ClusterIP"):
        step(spec, "internalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        step(spec, "allocateLoadBalancerNodePorts", True)
    step(spec, "type", "ClusterIP")


def _network_policy(body: Body, fill: bool) -> None:
    """SetDefaults_NetworkPolicy and SetDefaults_NetworkPolicyPort (networking/v1)."""
    spec = spec_of(body, fill)
    implied = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]
    if fill and not spec.get("policyTypes"):
        spec["policyTypes"] = implied
    elif not fill:
        drop(spec, "policyTypes", implied)
    for direction in ("ingress", "egress"):
        for rule in as_list(spec.get(direction)):
            for port in as_list(rule.get("ports")) if isinstance(rule, dict) else []:
                if isinstance(port, dict):
                    (fill_in if fill else drop)(port, "protocol", "TCP")


def _limit_range(body: Body, fill: bool) -> None:
    """SetDefaults_LimitRangeItem, for Container entries: ``default`` from ``max``, then
    ``defaultRequest`` from ``default``, then from ``min``. Undefaulting drops exactly what that would
    fill again: a default equal to the max, a default request equal to the (defaulted) default or,
    where there is no default, to the min."""
    for item in as_list(as_map(body.get("spec")).get("limits")):
        if not isinstance(item, dict):
            continue
        for name in ("min", "max", "default", "defaultRequest", "maxLimitRequestRatio"):
            if name in item:
                item[name] = stored_list(item[name])
        if item.get("type") != "Container":
            continue
        if fill:
            default = item["default"] = dict(as_map(item.get("default")))
            request = item["defaultRequest"] = dict(as_map(item.get("defaultRequest")))
            for key, value in as_map(item.get("max")).items():
                default.setdefault(key, value)
            for key, value in default.items():
                request.setdefault(key, value)
            for key, value in as_map(item.get("min")).items():
                request.setdefault(key, value)
            if not default:
                del item["default"]
            if not request:
                del item["defaultRequest"]
            continue
        default, request = dict(as_map(item.get("default"))), dict(as_map(item.get("defaultRequest")))
        minimum, maximum = as_map(item.get("min")), as_map(item.get("max"))
        for key, value in list(request.items()):
            source = default[key] if key in default else minimum.get(key)
            if source is not None and same_quantity(value, source):
                del request[key]
        for key, value in list(default.items()):
            if key in maximum and same_quantity(value, maximum[key]):
                del default[key]
        for name, kept in (("default", default), ("defaultRequest", request)):
            if kept:
                item[name] = kept
            else:
                item.pop(name, None)


def _resource_quota(body: Body, fill: bool) -> None:
    """SetDefaults_ResourceList on spec.hard (a quota's only defaulting), the same both ways."""
    spec = body.get("spec")
    if isinstance(spec, dict) and "hard" in spec:
        spec["hard"] = stored_list(spec["hard"])


def _namespace(body: Body, fill: bool) -> None:
    """SetDefaults_Namespace: the label kubernetes.io/metadata.name, the namespace's name."""
    meta = body.get("metadata")
    if not isinstance(meta, dict):
        return
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        return
    if fill:
        meta["labels"] = {**as_map(meta.get("labels")), METADATA_NAME_LABEL: name}
    elif isinstance(meta.get("labels"), dict):
        drop(meta["labels"], METADATA_NAME_LABEL, name)
        if not meta["labels"]:
            del meta["labels"]


METADATA_NAME_LABEL = "kubernetes.io/metadata.name"


def _priority_class(body: Body, fill: bool) -> None:
    """SetDefaults_PriorityClass (scheduling/v1)."""
    (fill_in if fill else drop)(body, "preemptionPolicy", "PreemptLowerPriority")


def _storage_class(body: Body, fill: bool) -> None:
    """SetDefaults_StorageClass (storage/v1)."""
    (fill_in if fill else drop)(body, "reclaimPolicy", "Delete")
    (fill_in if fill else drop)(body, "volumeBindingMode", "Immediate")


def _secret(body: Body, fill: bool) -> None:
    (fill_in if fill else drop)(body, "type", "Opaque")  # SetDefaults_Secret


def _config_map(body: Body, fill: bool) -> None:
    if fill:
        fill_in(body, "data", {})  # SetDefaults_ConfigMap
    else:
        drop(body, "data", {})



RULES: Mapping[tuple[str, str], Callable[[Body, bool], None]] = {
    ("", "Pod"): pod,
    ("", "Service"): _service,
    ("", "Namespace"): _namespace,
    ("", "LimitRange"): _limit_range,
    ("", "ResourceQuota"): _resource_quota,
    ("", "Secret"): _secret,
    ("", "ConfigMap"): _config_map,
    ("", "ReplicationController"): replication_controller,
    ("apps", "Deployment"): deployment,
    ("apps", "DaemonSet"): daemon_set,
    ("apps", "StatefulSet"): stateful_set,
    ("apps", "ReplicaSet"): replica_set,
    ("batch", "Job"): job,
    ("batch", "CronJob"): cron_job,
    ("networking.k8s.io", "NetworkPolicy"): _network_policy,
    ("scheduling.k8s.io", "PriorityClass"): _priority_class,
    ("storage.k8s.io", "StorageClass"): _storage_class,
}
"""The kinds whose defaulting is modelled, by (API group, kind)."""


def _rule(body: Mapping[str, Any]) -> Callable[[Body, bool], None] | None:
    api_version = body.get("apiVersion")
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
    return RULES.get((group, str(body.get("kind"))))


def defaulted(body: Mapping[str, Any]) -> Body:
    """The object with the API server's defaults filled in, as it is stored."""
    result = copy.deepcopy(dict(body))
    rule = _rule(result)
    if rule is not None:
        rule(result, True)
    return result


def undefaulted(body: Mapping[str, Any]) -> Body:
    """The object with every field that defaulting gives the value it has left out. For a canonical
    form, give it a ``defaulted`` object: then an omitted field and one written with its default
    value end the same."""
    result = copy.deepcopy(dict(body))
    rule = _rule(result)
    if rule is not None:
        rule(result, False)
    return result
