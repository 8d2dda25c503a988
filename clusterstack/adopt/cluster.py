"""The cluster-wide objects back to the stack's intent: PriorityClasses → ``priorityClasses``,
StorageClasses → ``storageClasses`` (the default class by its annotation), ip-masq-agent's ConfigMap
and DaemonSet → ``ipMasq``; the inverse of components/classes.py and components/ip_masq.py.

What the cluster ships is adopted, never created: Kubernetes' own PriorityClasses
(system-cluster-critical, system-node-critical, which the API server creates at start) and every
other ``system-`` class; the classes the addon manager keeps (GKE's standard-rwo, AKS's managed-csi,
minikube's standard) and the cloud default StorageClasses created outside it (``SHIPPED_STORAGE``).
Those go to ``cluster.existing`` so the stack may name them, with a note each.

A field the API server defaults and the stack would write otherwise is read as the API server
reads it: a StorageClass without ``volumeBindingMode`` binds ``Immediate`` and without
``reclaimPolicy`` deletes (pkg/apis/storage/v1/defaults.go, SetDefaults_StorageClass), a
PriorityClass without ``preemptionPolicy`` preempts (pkg/apis/scheduling/v1/defaults.go).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from ..components.classes import DEFAULT_CLASS_ANNOTATION, PriorityClassArgs, StorageClassArgs
from ..components.ip_masq import DEFAULT_IMAGE as IP_MASQ_IMAGE
from ..components.ip_masq import NAME as IP_MASQ
from ..components.ip_masq import NAMESPACE as IP_MASQ_NAMESPACE
from ..components.ip_masq import IpMasqArgs, build_ip_masq
from ..kube.names import SYSTEM_PRIORITY_CLASSES
from ..kube.serialize import Loader
from .dump import LiveObject
from .fitting import (
    IMPORTED,
    bundle_notes,
    checked,
    containers,
    dig,
    dumped,
    find,
    foreign_metadata,
    leftover,
    listed,
    note,
    on_existing,
    shipped,
    unreadable,
)
from .report import Note

BETA_DEFAULT_CLASS_ANNOTATION = "storageclass.beta.kubernetes.io/is-default-class"
"""The beta annotation, which Kubernetes still honours (pkg/apis/storage/util/helpers.go,
IsDefaultAnnotation: either annotation, with the value "true" exactly)."""

SHIPPED_STORAGE = {
    ("gp2", "kubernetes.io/aws-ebs"): "EKS creates it in every cluster (the in-tree EBS provisioner's class, the default on clusters made before 1.30)",
    ("standard", "rancher.io/local-path"): "kind creates it (local-path-provisioner)",
    ("local-path", "rancher.io/local-path"): "k3s creates it (local-path-provisioner)",
}
"""Default StorageClasses a distribution creates without the addon manager's label: (name,
provisioner) -> who. EKS's: tests/data/live/cluster/eks-gp2.yaml (a dump, cited in its README);
kind's: kubernetes-sigs/kind pkg/build/nodeimage/const_storage.go (defaultStorageManifest); k3s's:
k3s-io/k3s manifests/local-storage.yaml."""

_PRIORITY_FIELDS = ("apiVersion", "kind", "metadata", "value", "globalDefault", "preemptionPolicy", "description")
_STORAGE_FIELDS = ("apiVersion", "kind", "metadata", "provisioner", "parameters", "reclaimPolicy", "volumeBindingMode", "allowVolumeExpansion")
_IP_MASQ_CONFIG = ("nonMasqueradeCIDRs", "cidrLimit", "masqLinkLocal", "masqLinkLocalIPv6", "resyncInterval")


def map_cluster(objects: Sequence[LiveObject]) -> tuple[dict[str, Any], list[Note]]:
    """``priorityClasses``, ``storageClasses``, ``ipMasq`` and ``cluster.existing`` from the objects (the
    others are left alone), and a note for everything adopted or not expressible."""
    notes: list[Note] = []
    fragment: dict[str, Any] = {}
    existing: dict[str, list[str]] = {}
    ordered = sorted(objects, key=lambda live: (live.kind, live.namespace, live.name))
    priority = {live.name: found for live in ordered if live.kind == "PriorityClass" for found in [_priority_class(live, existing, notes)] if found is not None}
    storage = {live.name: found for live in ordered if live.kind == "StorageClass" for found in [_storage_class(live, existing, notes)] if found is not None}
    _one_default(storage, ordered, notes)
    if priority:
        fragment["priorityClasses"] = priority
    if storage:
        fragment["storageClasses"] = storage
    ip_masq = _ip_masq(ordered, notes)
    if ip_masq is not None:
        fragment["ipMasq"] = ip_masq
    if existing:
        fragment["cluster"] = {"existing": {key: sorted(names) for key, names in sorted(existing.items())}}
    return fragment, notes


def _priority_class(live: LiveObject, existing: dict[str, list[str]], notes: list[Note]) -> dict[str, Any] | None:
    if live.name in SYSTEM_PRIORITY_CLASSES:
        notes.append(note(live, "", "adopted", "Kubernetes' own class: the API server creates it in every cluster, and every stack may name it"))
        return None
    why = shipped(live) if not live.name.startswith("system-") else "the system- prefix is Kubernetes' own, which a stack may not declare"
    if why is not None:
        existing.setdefault("priorityClasses", []).append(live.name)
        notes.append(note(live, "", "adopted", f"the cluster's own class ({why}): listed in cluster.existing.priorityClasses, never created"))
        return None
    body = live.body
    values: dict[str, Any] = {key: body[key] for key in ("value", "globalDefault", "preemptionPolicy", "description") if key in body}
    values.update(on_existing(live, notes, "the cluster's class", IMPORTED))
    foreign_metadata(live, notes)
    leftover(live, body, _PRIORITY_FIELDS, "", notes)
    args = checked(PriorityClassArgs, values, live, "", notes)
    return dumped(args) if args is not None else None


def _storage_class(live: LiveObject, existing: dict[str, list[str]], notes: list[Note]) -> dict[str, Any] | None:
    body = live.body
    why = shipped(live)
    if why is None:
        why = SHIPPED_STORAGE.get((live.name, str(body.get("provisioner"))))
    if why is not None:
        existing.setdefault("storageClasses", []).append(live.name)
        default = " (the cluster's default class: claims that name none get it; the stack leaves it so)" if _is_default(live) else ""
        notes.append(note(live, "", "adopted", f"the cluster's own class{default}: {why}; listed in cluster.existing.storageClasses, never created"))
        return None
    values: dict[str, Any] = {key: body[key] for key in ("provisioner", "parameters", "reclaimPolicy", "allowVolumeExpansion") if key in body}
    # The API server's default, not the stack's (WaitForFirstConsumer): a class read back without it binds at once.
    values["volumeBindingMode"] = body.get("volumeBindingMode", "Immediate")
    if _is_default(live):
        values["default"] = True
    given = _annotation(live, DEFAULT_CLASS_ANNOTATION)
    if given is not None and given not in ("true", "false"):
        reason = f"{given!r} is not \"true\", so Kubernetes does not take the class as the default; the stack writes none"
        notes.append(note(live, f"metadata.annotations.{DEFAULT_CLASS_ANNOTATION}", "unfit", reason))
    if _annotation(live, BETA_DEFAULT_CLASS_ANNOTATION) is not None:
        notes.append(note(live, f"metadata.annotations.{BETA_DEFAULT_CLASS_ANNOTATION}", "unfit", (
            f"the beta annotation: the stack writes {DEFAULT_CLASS_ANNOTATION} instead (default: true where this one is \"true\"); this one stays until removed"
        )))
    values.update(on_existing(live, notes, "the cluster's class", IMPORTED))
    foreign_metadata(live, notes, kept=(DEFAULT_CLASS_ANNOTATION, BETA_DEFAULT_CLASS_ANNOTATION))
    leftover(live, body, _STORAGE_FIELDS, "", notes)
    args = checked(StorageClassArgs, values, live, "", notes)
    return dumped(args) if args is not None else None


def _annotation(live: LiveObject, key: str) -> str | None:
    meta = live.body.get("metadata")
    found = meta.get("annotations") if isinstance(meta, dict) else None
    return str(found[key]) if isinstance(found, dict) and key in found else None


def _is_default(live: LiveObject) -> bool:
    return "true" in (_annotation(live, DEFAULT_CLASS_ANNOTATION), _annotation(live, BETA_DEFAULT_CLASS_ANNOTATION))


def _one_default(storage: dict[str, dict[str, Any]], ordered: Sequence[LiveObject], notes: list[Note]) -> None:
    """The stack takes one default class (class_problems); where the cluster marks several, the first
    by name keeps it and each other one is noted (since 1.26 Kubernetes gives a claim the newest)."""
    marked = [name for name, values in storage.items() if values.get("default")]
    for name in marked[1:]:
        del storage[name]["default"]
        live = find(ordered, "StorageClass", "", name)
        if live is not None:
            reason = f"a second default class; the stack takes one, and keeps {marked[0]}"
            notes.append(note(live, f"metadata.annotations.{DEFAULT_CLASS_ANNOTATION}", "unfit", reason))


def _ip_masq(objects: Sequence[LiveObject], notes: list[Note]) -> dict[str, Any] | None:
    """``ipMasq`` from the agent's ConfigMap (its config file) and DaemonSet (flags, nodes, image)."""
    config_map = find(objects, "ConfigMap", IP_MASQ_NAMESPACE, IP_MASQ)
    daemon_set = find(objects, "DaemonSet", IP_MASQ_NAMESPACE, IP_MASQ)
    if config_map is None and daemon_set is None:
        return None
    values: dict[str, Any] = {}
    adopt: dict[str, str] = {}
    if config_map is not None:
        adopt = on_existing(config_map, notes, "ip-masq-agent's config, which the cluster has")
        values.update(_agent_config(config_map, notes))
    if daemon_set is not None:
        adopt = adopt or on_existing(daemon_set, notes, "ip-masq-agent, which the cluster runs")
        values.update(_agent_flags(daemon_set, notes))
    elif config_map is not None:
        notes.append(note(config_map, "", "unfit", "no ip-masq-agent DaemonSet reads this config; the stack deploys one with ipMasq"))
    if "nonMasqueradeCIDRs" in values:
        # The flag only changes the default list: with a list of its own, the agent ignores it (and validate would say so).
        values.pop("nomasqAllReservedRanges", None)
    values.update(adopt)
    where = config_map if config_map is not None else daemon_set
    assert where is not None
    args = checked(IpMasqArgs, values, where, "", notes)
    if args is None:
        return None
    # Every other flag (another --masq-chain), toleration or volume the stack's DaemonSet writes otherwise.
    bundle_notes(objects, build_ip_masq(args).all(), notes)
    return dumped(args)


def _agent_config(live: LiveObject, notes: list[Note]) -> dict[str, Any]:
    data = live.body.get("data")
    text = data.get("config") if isinstance(data, dict) else None
    if isinstance(data, dict):
        leftover(live, data, ("config",), "data.", notes)
    if text is None:
        return {}
    try:
        config = yaml.load(str(text), Loader=Loader)
    except (yaml.YAMLError, RecursionError) as error:
        notes.append(note(live, "data.config", "unfit", f"is not YAML the agent reads ({unreadable(error)}); the agent keeps its defaults"))
        return {}
    if config is None:
        return {}
    if not isinstance(config, dict):
        notes.append(note(live, "data.config", "unfit", f"is a {type(config).__name__}, not the agent's map of settings"))
        return {}
    leftover(live, config, _IP_MASQ_CONFIG, "data.config.", notes)
    return {key: config[key] for key in _IP_MASQ_CONFIG if key in config}


def _agent_flags(live: LiveObject, notes: list[Note]) -> dict[str, Any]:
    spec = dig(live.body, "spec", "template", "spec")
    found = containers(live, IP_MASQ)
    values: dict[str, Any] = {}
    if len(found) != 1:
        notes.append(note(live, "spec.template.spec.containers", "unfit", f"has no container named {IP_MASQ}; its flags are not read"))
        return values
    container = found[0]
    flags = [str(a) for a in [*listed(container.get("command"))[1:], *listed(container.get("args"))]]
    values["nomasqAllReservedRanges"] = "--nomasq-all-reserved-ranges" in flags or "--nomasq-all-reserved-ranges=true" in flags
    values["enableIPv6"] = "--enable-ipv6" in flags or "--enable-ipv6=true" in flags
    if str(container.get("image")) != IP_MASQ_IMAGE:
        values["image"] = container.get("image")
    selector = {str(k): str(v) for k, v in dig(spec, "nodeSelector").items() if k != "kubernetes.io/os"}
    values["nodeSelector"] = selector
    resources = container.get("resources")
    if isinstance(resources, dict) and resources:
        values["resources"] = {key: resources[key] for key in ("requests", "limits") if key in resources}
    return values
