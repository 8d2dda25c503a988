"""A tenant's NetworkPolicies, read back into ``networkPolicy``: the shorthand where a policy is exactly
what the shorthand generates, the raw form (``policies: [{name, spec}]``) otherwise.

A policy is never matched by guessing at its meaning: a candidate setting is read off its shape, the
component renders that setting (``build_network_policies``), and only a render equal to the cluster's
policy, both normalised alike (``kube.live.normalised``: the API server's defaults such as
``policyTypes`` and a port's protocol), counts as a match. So whatever the shorthand would write
differently (a name, an extra peer, an empty ``namespaceSelector``) stays in the raw form, and the first
``up`` changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ..components.cluster import ClusterDns
from ..components.network_policy import GENERATED, NAMESPACE_NAME_LABEL, NetworkPolicyArgs, build_network_policies
from ..components.pydantic_errors import describe
from ..kube.live import normalised

ORDER = ("defaultDeny", "allowDNS", "allowSameNamespace", "allowFrom", "allowTo", "policies")
"""``networkPolicy``'s keys in the order the docs write them."""

Setting = tuple[str, Any]
"""Where a policy goes in ``networkPolicy`` and what: ("defaultDeny", ["Ingress"]), ("allowDNS", True),
("allowSameNamespace", True), ("allowFrom", {rule}), ("allowTo", {rule}), ("policies", {name, spec})."""


@dataclass(frozen=True)
class Matched:
    """A policy read back: its setting, and why it is not the shorthand when it is not ("" when it is)."""

    setting: Setting
    raw_reason: str = ""
    differs: str = ""
    """Why the stack's own policy will not be what the cluster has, though the setting is its intent."""


def match(namespace: str, name: str, spec: Mapping[str, Any], dns: ClusterDns) -> Matched:
    """The setting that renders the policy ``name`` with ``spec`` in ``namespace``; the raw form when no
    shorthand does. A ValueError when not even the raw form holds it (a raw policy may not take a name
    the shorthand generates, and must pass the API's schema)."""
    for candidate in _candidates(name, spec):
        if _renders_as(namespace, name, spec, candidate, dns):
            return Matched(candidate)
    if name == "allow-dns" and _egress_to_dns_only(spec):
        where = "the kube-dns pods" if not dns.has_node_local_cache else f"the kube-dns pods and {', '.join(dns.host_ips)}"
        return Matched(("allowDNS", True), differs=(
            f"allows DNS, but not where the stack's allowDNS sends it ({where}): the first up replaces its rules; "
            "if the cluster runs NodeLocal DNSCache, set dns.nodeLocal"
        ))
    if name in GENERATED:
        raise ValueError(
            f"is named like the policy {GENERATED[name]} generates but is not what it generates; the stack cannot hold it "
            "under this name (rename it in the cluster, or drop it and set the shorthand)"
        )
    raw: Setting = ("policies", {"name": name, "spec": dict(spec)})
    problem = _invalid(raw)
    if problem is not None:
        raise ValueError(problem)
    return Matched(raw, _raw_reason(name, spec))


def same(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> bool:
    """Whether two NetworkPolicy specs are the same once the API server's defaults are taken alike."""
    return bool(_comparable(ours) == _comparable(theirs))


def _egress_to_dns_only(spec: Mapping[str, Any]) -> bool:
    """An egress-only policy for every pod whose every rule is to port 53: an allow-dns of another cluster's DNS."""
    rules = spec.get("egress")
    if _policy_types(spec) != ["Egress"] or spec.get("podSelector") not in (None, {}) or not isinstance(rules, list) or not rules:
        return False
    return all(isinstance(r, dict) and r.get("ports") and all(isinstance(p, dict) and p.get("port") == 53 for p in r["ports"]) for r in rules)


def _raw_reason(name: str, spec: Mapping[str, Any]) -> str:
    if _single_rule(spec) is None:
        return "kept in the raw form (policies): more than one rule, or selectors the shorthand does not write"
    return f"kept in the raw form (policies): the shorthand would not render {name} exactly like this"


def _candidates(name: str, spec: Mapping[str, Any]) -> list[Setting]:
    found: list[Setting] = []
    types = _policy_types(spec)
    if name == "default-deny" and not spec.get("ingress") and not spec.get("egress"):
        found.append(("defaultDeny", types))
    if name == "allow-dns":
        found.append(("allowDNS", True))
    if name == "allow-same-namespace":
        found.append(("allowSameNamespace", True))
    single = _single_rule(spec)
    if single is not None and name not in GENERATED:
        direction, rule = single
        found.append(("allowFrom" if direction == "Ingress" else "allowTo", {"name": name, **rule}))
    return found


def _policy_types(spec: Mapping[str, Any]) -> list[str]:
    """``policyTypes``, or what the API server defaults it to (pkg/apis/networking/v1/defaults.go,
    SetDefaults_NetworkPolicy): Ingress always, Egress when there are egress rules."""
    types = spec.get("policyTypes")
    if isinstance(types, list):
        return [str(t) for t in types]
    return ["Ingress", *(["Egress"] if spec.get("egress") else [])]


def _single_rule(spec: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """An ``allowFrom``/``allowTo`` rule for a one-direction policy with one rule of at most one peer."""
    types = _policy_types(spec)
    if len(types) != 1 or set(spec) - {"podSelector", "policyTypes", "ingress", "egress"}:
        return None
    direction = types[0]
    rules = spec.get("ingress" if direction == "Ingress" else "egress")
    other = spec.get("egress" if direction == "Ingress" else "ingress")
    if not isinstance(rules, list) or len(rules) != 1 or other or not isinstance(rules[0], dict):
        return None
    pods = _match_labels(spec.get("podSelector"))
    if pods is None:
        return None
    rule: dict[str, Any] = {"toPods" if direction == "Ingress" else "fromPods": pods} if pods else {}
    peers = rules[0].get("from" if direction == "Ingress" else "to")
    if peers:
        if not isinstance(peers, list) or len(peers) != 1:
            return None
        peer = _peer(peers[0])
        if peer is None:
            return None
        rule.update(peer)
    ports = rules[0].get("ports")
    if ports:
        if not isinstance(ports, list) or not all(isinstance(p, dict) and set(p) <= {"port", "protocol", "endPort"} and "port" in p for p in ports):
            return None
        rule["ports"] = [dict(p) for p in ports]
    return direction, rule


def _match_labels(selector: Any) -> dict[str, str] | None:
    """A selector's labels when it is ``matchLabels`` alone (or empty); None for expressions."""
    if selector is None or selector == {}:
        return {}
    if isinstance(selector, dict) and set(selector) == {"matchLabels"} and isinstance(selector["matchLabels"], dict):
        return dict(selector["matchLabels"])
    return None


def _peer(peer: Any) -> dict[str, Any] | None:
    if not isinstance(peer, dict):
        return None
    if set(peer) == {"ipBlock"} and isinstance(peer["ipBlock"], dict):
        block = peer["ipBlock"]
        return {"cidr": block.get("cidr"), **({"except": list(block["except"])} if block.get("except") else {})}
    out: dict[str, Any] = {}
    if "namespaceSelector" in peer:
        labels = _match_labels(peer["namespaceSelector"])
        if not labels:
            return None  # {} is every namespace, which the shorthand does not write
        if set(labels) == {NAMESPACE_NAME_LABEL}:
            out["namespace"] = labels[NAMESPACE_NAME_LABEL]
        else:
            out["namespaceLabels"] = labels
    if "podSelector" in peer:
        labels = _match_labels(peer["podSelector"])
        if labels is None:
            return None
        out["podLabels"] = labels
    return out if out and set(peer) <= {"namespaceSelector", "podSelector"} else None


def _args(setting: Setting) -> dict[str, Any]:
    key, value = setting
    if key == "defaultDeny":
        return {key: value, "allowDNS": False}  # said, so the model does not ask whether DNS was forgotten
    return {key: [value]} if key in ("allowFrom", "allowTo", "policies") else {key: value}


def _invalid(setting: Setting) -> str | None:
    try:
        NetworkPolicyArgs.model_validate(_args(setting))
    except ValidationError as error:
        return "; ".join(str(finding) for finding in describe(error, NetworkPolicyArgs))
    return None


def _renders_as(namespace: str, name: str, spec: Mapping[str, Any], setting: Setting, dns: ClusterDns) -> bool:
    try:
        args = NetworkPolicyArgs.model_validate(_args(setting))
    except ValidationError:
        return False
    rendered = [p for p in build_network_policies(namespace, args, dns) if p["metadata"]["name"] == name]
    if len(rendered) != 1:
        return False
    return same(rendered[0]["spec"], spec)


def _comparable(spec: Mapping[str, Any]) -> Any:
    """A spec as the API server holds it, its defaults filled in (pkg/apis/networking/v1/defaults.go:
    ``policyTypes`` as ``_policy_types`` says, a port's protocol TCP), then normalised as every live
    object is: a default written or left out compares equal either way."""
    filled = {**spec, "policyTypes": _policy_types(spec)}
    for direction in ("ingress", "egress"):
        rules = filled.get(direction)
        if isinstance(rules, list):
            filled[direction] = [_ports_defaulted(rule) for rule in rules]
    body = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": "n"}, "spec": filled}
    return normalised(body).get("spec")


def _ports_defaulted(rule: Any) -> Any:
    if not isinstance(rule, dict) or not isinstance(rule.get("ports"), list):
        return rule
    return {**rule, "ports": [{"protocol": "TCP", **p} if isinstance(p, dict) else p for p in rule["ports"]]}
