"""The cluster's DNS back to ``dns``: the DNS autoscaler's parameters → ``dns.autoscaler`` (linear or
ladder), NodeLocal DNSCache → ``dns.nodeLocal`` (dns_node_local.py), CoreDNS's Corefile →
``dns.coredns`` (dns_coredns.py); the inverse of components/dns_autoscaler.py, nodelocaldns.py and
coredns*.py.

What the cluster's distribution ships is adopted, never created: CoreDNS's Deployment (its replicas
belong to the autoscaler, its Corefile to ``dns.coredns``), the kube-dns Service (its ClusterIP is
``cluster.dnsServiceIP``), GKE's kube-dns and its ConfigMap (which the stack has no setting for),
and an add-on the cluster runs that clusterstack did not make (``onExisting: adopt``).

The autoscaler: cluster-proportional-autoscaler reads its parameters from the ConfigMap its
``--configmap`` flag names, a JSON document under the key ``linear`` or ``ladder``
(kubernetes-sigs/cluster-proportional-autoscaler, pkg/autoscaler/controller/linearcontroller and
laddercontroller: ``ParseParams``; Go's encoding/json ignores a key it does not know). Without the
ConfigMap it creates one from ``--default-params``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..components.cluster import ClusterSpec
from ..components.dns_autoscaler import DEFAULT_IMAGE, NAME, DnsAutoscalerArgs, Resources, build_dns_autoscaler
from .dns_coredns import map_coredns
from .dns_node_local import map_node_local
from .dump import LiveObject
from .fitting import bundle_notes, checked, containers, dig, dumped, find, leftover, listed, note, on_existing, unreadable
from .report import Note

CPA = "cluster-proportional-autoscaler"
DNS_TARGETS = ("coredns", "kube-dns")
"""What a DNS autoscaler scales: CoreDNS's Deployment (kubeadm, EKS, AKS), or GKE's kube-dns."""
_MODES = ("linear", "ladder")
_PARAMS = {
    "linear": ("coresPerReplica", "nodesPerReplica", "min", "max", "preventSinglePointFailure", "includeUnschedulableNodes"),
    "ladder": ("coresToReplicas", "nodesToReplicas", "includeUnschedulableNodes"),
}
"""The parameters each mode's ParseParams reads (the JSON keys of its struct)."""


def map_dns(objects: Sequence[LiveObject]) -> tuple[dict[str, Any], list[Note]]:
    """``{"dns": {...}}`` (and ``cluster`` facts the DNS objects reveal: the domain, the kube-dns IP,
    kube-proxy's mode, where they are not kubeadm's defaults), and a note for everything adopted or
    not expressible."""
    notes: list[Note] = []
    ordered = sorted(objects, key=lambda live: (live.kind, live.namespace, live.name))
    dns: dict[str, Any] = {}
    autoscaler, params = _autoscaler(ordered, notes)
    _other_parameters(ordered, params, notes)
    if autoscaler is not None:
        dns["autoscaler"] = autoscaler
    node_local, cache_facts = map_node_local(ordered, notes)
    if node_local is not None:
        dns["nodeLocal"] = node_local
    coredns, coredns_facts = map_coredns(ordered, notes)
    if coredns is not None:
        dns["coredns"] = coredns
    facts = _facts(
        [
            (find(ordered, "ConfigMap", "kube-system", "node-local-dns"), "data.Corefile", cache_facts),
            (find(ordered, "ConfigMap", "kube-system", "coredns"), "data.Corefile", coredns_facts),
            (find(ordered, "Service", "kube-system", "kube-dns"), "spec.clusterIP", _shipped(ordered, notes)),
        ],
        notes,
    )
    fragment: dict[str, Any] = {"dns": dns} if dns else {}
    if facts:
        fragment["cluster"] = facts
    return fragment, notes


def _shipped(objects: Sequence[LiveObject], notes: list[Note]) -> dict[str, str]:
    """Notes for the DNS objects every cluster has; the kube-dns ClusterIP, when the dump has it."""
    facts: dict[str, str] = {}
    for live in objects:
        if live.namespace != "kube-system":
            continue
        if live.kind == "Deployment" and live.name == "coredns":
            notes.append(note(live, "", "adopted", "CoreDNS itself: the cluster's; the stack changes its Corefile (dns.coredns), the autoscaler its replicas"))
        elif live.kind == "Deployment" and live.name == "kube-dns":
            notes.append(note(live, "", "adopted", "GKE's kube-dns: the cluster's; the stack has no setting for it (dns.coredns configures CoreDNS)"))
        elif live.kind == "Service" and live.name == "kube-dns":
            notes.append(note(live, "", "adopted", "the cluster DNS Service: the cluster's; its ClusterIP is cluster.dnsServiceIP"))
            address = dig(live.body, "spec").get("clusterIP")
            if isinstance(address, str) and address not in ("", "None"):
                facts["dnsServiceIP"] = address
        elif live.kind == "ConfigMap" and live.name == "kube-dns":
            _kube_dns_config(live, notes)
    return facts


def _kube_dns_config(live: LiveObject, notes: list[Note]) -> None:
    """GKE's kube-dns reads stub domains and upstreams from this ConfigMap, as JSON; the stack has no
    setting for kube-dns, so each key is a note (a malformed one says so)."""
    data = live.body.get("data")
    if not isinstance(data, dict) or not data:
        notes.append(note(live, "", "adopted", "kube-dns's (empty) configuration: left as the cluster has it"))
        return
    for key in sorted(data):
        try:
            json.loads(str(data[key]))
            reason = "kube-dns's setting: the stack configures CoreDNS (dns.coredns), not kube-dns; it stays as the cluster has it"
        except (ValueError, RecursionError) as error:
            reason = f"is not JSON ({unreadable(error)}): kube-dns ignores it; the stack has no setting for kube-dns"
        notes.append(note(live, f"data.{key}", "unfit", reason))


def _facts(found: list[tuple[LiveObject | None, str, dict[str, str]]], notes: list[Note]) -> dict[str, str]:
    """The facts the DNS objects agree on, where they are not kubeadm's defaults; where two disagree, the
    first is kept and the other noted on its object and field."""
    merged: dict[str, str] = {}
    for live, field, facts in found:
        for key, value in facts.items():
            if merged.setdefault(key, value) != value and live is not None:
                notes.append(note(live, field, "unfit", f"gives cluster.{key} {value}, where the cluster's other DNS objects give {merged[key]}"))
    defaults = ClusterSpec().model_dump(by_alias=True)
    return {key: value for key, value in sorted(merged.items()) if defaults.get(key) != value}


def _flags(container: dict[str, Any]) -> dict[str, str]:
    words = [str(word) for word in [*listed(container.get("command"))[1:], *listed(container.get("args"))]]
    flags: dict[str, str] = {}
    for word in words:
        name, _, value = word.partition("=")
        flags[name] = value
    return flags


def _other_parameters(objects: Sequence[LiveObject], used: LiveObject | None, notes: list[Note]) -> None:
    """A note for each autoscaler's parameters that ``dns.autoscaler`` does not come from (AKS's
    coredns-autoscaler, an autoscaler of something else): never silently passed over. Those are the
    ConfigMaps in kube-system holding ``linear`` or ``ladder``, and those an autoscaler's ``--configmap``
    names (a tenant's own ConfigMap with such a key is the tenants' business)."""
    named = {
        (flags.get("--namespace", live.namespace), flags["--configmap"])
        for live in objects
        if live.kind == "Deployment"
        for flags in map(_flags, _cpa_containers(live))
        if "--configmap" in flags
    }
    for live in objects:
        data = live.body.get("data")
        if live.kind != "ConfigMap" or live is used or (live.namespace != "kube-system" and (live.namespace, live.name) not in named):
            continue
        if isinstance(data, dict) and set(data) & set(_MODES):
            notes.append(note(live, "data", "unfit", (
                f"the parameters of an autoscaler other than {NAME} (AKS's coredns-autoscaler scales CoreDNS itself: tune it here); "
                "the stack's dns.autoscaler does not take them over"
            )))


def _autoscaler(objects: Sequence[LiveObject], notes: list[Note]) -> tuple[dict[str, Any] | None, LiveObject | None]:
    """``dns.autoscaler`` from the autoscaler scaling CoreDNS (or kube-dns) and its parameters, and
    the parameters' ConfigMap it came from."""
    found = [(live, container) for live in objects if live.kind == "Deployment" for container in _cpa_containers(live)]
    scalers = [
        (live, container, flags) for live, container in found for flags in [_flags(container)] if flags.get("--target", "").rpartition("/")[2] in DNS_TARGETS
    ]
    params = find(objects, "ConfigMap", "kube-system", NAME)
    if not scalers:
        return (_from_params(objects, params, None, {}, notes), params) if params is not None else (None, None)
    deployment, container, flags = scalers[0]
    for other, _, _ in scalers[1:]:
        notes.append(note(other, "", "unfit", f"a second autoscaler of the cluster DNS; the stack imports one ({deployment.describe()})"))
    if deployment.name != NAME:
        notes.append(note(deployment, "", "unfit", (
            f"the distribution's DNS autoscaler (AKS's coredns-autoscaler): the stack's is {NAME}, and two would fight over CoreDNS's "
            "replicas; tune this one's ConfigMap instead"
        )))
        return None, None
    namespace = flags.get("--namespace", deployment.namespace)
    config_name = flags.get("--configmap", NAME)
    if config_name != NAME:
        notes.append(note(deployment, "spec.template.spec.containers[0].command", "unfit", f"--configmap={config_name}: the stack's autoscaler reads {NAME}"))
    params = find(objects, "ConfigMap", namespace, config_name)
    values: dict[str, Any] = {}
    if "--target" in flags:
        values["target"] = flags["--target"]
    if namespace != "kube-system":
        values["namespace"] = namespace
    if container.get("image") != DEFAULT_IMAGE:
        values["image"] = container.get("image")
    if flags.get("--nodelabels"):
        values["nodeLabels"] = {key: value for key, _, value in (pair.partition("=") for pair in flags["--nodelabels"].split(","))}
    if "--poll-period-seconds" in flags:
        values["pollPeriodSeconds"] = int(flags["--poll-period-seconds"]) if flags["--poll-period-seconds"].isdigit() else flags["--poll-period-seconds"]
    resources = container.get("resources")
    if isinstance(resources, dict) and resources:
        values["resources"] = {key: resources[key] for key in ("requests", "limits") if key in resources}
    values.update(on_existing(deployment, notes, "the DNS autoscaler, which the cluster runs"))
    return _from_params(objects, params, deployment, values, notes, flags.get("--default-params")), params


def _cpa_containers(live: LiveObject) -> list[dict[str, Any]]:
    return [c for c in containers(live) if CPA in f"{c.get('image')} {(listed(c.get('command')) or [''])[0]}"]


def _from_params(
    objects: Sequence[LiveObject],
    params: LiveObject | None, deployment: LiveObject | None, values: dict[str, Any], notes: list[Note], default: str | None = None
) -> dict[str, Any] | None:
    """The values with ``linear`` or ``ladder`` from the parameters ConfigMap (or ``--default-params``,
    which the autoscaler writes into a ConfigMap that is missing), checked as the stack checks them."""
    where = params if params is not None else deployment
    assert where is not None
    if params is not None:
        data = params.body.get("data")
        data = data if isinstance(data, dict) else {}
        leftover(params, data, _MODES, "data.", notes)
        if deployment is None:
            values.update(on_existing(params, notes, "the DNS autoscaler's parameters, which the cluster has"))
        source, texts = "data.", {mode: data[mode] for mode in _MODES if mode in data}
    elif default is not None:
        source = "spec.template.spec.containers[0].command.--default-params."
        try:
            given = json.loads(default)
        except (ValueError, RecursionError) as error:
            reason = f"--default-params is not JSON ({unreadable(error)}): no parameters to import"
            notes.append(note(where, "spec.template.spec.containers[0].command", "unfit", reason))
            return None
        texts = {mode: json.dumps(given[mode]) for mode in _MODES if isinstance(given, dict) and mode in given}
    else:
        texts = {}
        source = "data."
    if len(texts) != 1:
        held = " and ".join(texts) if texts else "neither linear nor ladder"
        notes.append(note(where, source.rstrip("."), "unfit", f"holds {held}; the stack's autoscaler takes exactly one"))
        return None
    [(mode, text)] = texts.items()
    try:
        parsed = json.loads(str(text))
    except (ValueError, RecursionError) as error:
        notes.append(note(where, f"{source}{mode}", "unfit", f"is not JSON ({unreadable(error)}); the autoscaler would refuse it"))
        return None
    if not isinstance(parsed, dict):
        notes.append(note(where, f"{source}{mode}", "unfit", f"is a JSON {type(parsed).__name__}, not the autoscaler's object of parameters"))
        return None
    leftover(where, parsed, _PARAMS[mode], f"{source}{mode}.", notes)
    values[mode] = {key: _whole(parsed[key]) for key in _PARAMS[mode] if key in parsed}
    args = checked(DnsAutoscalerArgs, values, where, "", notes)
    if args is None:
        return None
    # Every flag, toleration, rule the stack's autoscaler writes otherwise (--default-params it has no need of).
    bundle_notes(objects, build_dns_autoscaler(args).all(), notes)
    out = dumped(args)
    out.setdefault(mode, {})
    out[mode] = {key: _whole(value) for key, value in out[mode].items()}
    if "resources" in out and Resources.model_validate(out["resources"]) == Resources():
        del out["resources"]
    return out


def _whole(value: Any) -> Any:
    """Whole numbers as integers: JSON may write min 2.0, and 16 reads better than 16.0."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
