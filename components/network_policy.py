"""NamespacePolicies: a tenant namespace's NetworkPolicies, from a shorthand that keeps DNS working.

Pages: Declare Network Policy, and the CNI pages (Calico, Cilium, Antrea, kube-router, Romana, Weave
Net). The traps this guards against: a default-deny egress policy silently breaks DNS, and the
NodeLocal DNSCache runs on the host network, where pod selectors never match it, so DNS egress must
also allow its IP (and the kube-dns ClusterIP it answers on) by address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, StrictInt, StrictStr, field_validator

from .bundle import Manifest
from .kube.network import Network, Protocol, parse_cidr, port_name_problem, port_number_problem
from .kube.schema import schema_problems
from .labels import object_meta
from .model import DnsLabel, DnsSubdomain, KeyPath, LabelKey, LabelValue, Model, Problems
from .register import register

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace (1.21+): selecting a namespace by name uses it."""
Direction = Literal["Ingress", "Egress"]
Labels = dict[LabelKey, LabelValue]


class Port(Model):
    """A port a rule allows: a number (with an optional ``endPort`` range) or a named container port."""

    port: StrictInt | StrictStr
    protocol: Protocol = "TCP"
    end_port: StrictInt | None = None

    def _problems(self) -> Problems:
        problems: list[tuple[KeyPath, str]] = []
        if isinstance(self.port, int):
            reason = port_number_problem(self.port)
            if reason:
                problems.append((("port",), reason))
        else:
            reason = port_name_problem(self.port)
            if reason:
                problems.append((("port",), reason))
        if self.end_port is not None:
            if not isinstance(self.port, int):
                problems.append((("endPort",), f"needs a numeric port; {self.port!r} is a named port"))
            elif (reason := port_number_problem(self.end_port)) is not None:
                problems.append((("endPort",), reason))
            elif self.end_port < self.port:
                problems.append((("endPort",), f"{self.end_port} is below port {self.port}; endPort must be ≥ port"))
        return problems

    def render(self) -> dict[str, Any]:
        port: dict[str, Any] = {"protocol": self.protocol, "port": self.port}
        if self.end_port is not None:
            port["endPort"] = self.end_port
        return port


class _Rule(Model):
    """Who a rule admits: a namespace (by name or labels), pods (by labels), or a CIDR; none: anyone."""

    name: DnsSubdomain | None = None
    """The NetworkPolicy's name; default allow-from-<n> / allow-to-<n>."""
    namespace: DnsLabel | None = None
    namespace_labels: Labels | None = None
    pod_labels: Labels | None = None
    """Pods with these labels: in the namespace(s) named, else in this namespace."""
    cidr: str | None = None
    except_: tuple[str, ...] = Field((), alias="except")
    ports: tuple[Port, ...] = ()
    """Empty: every port."""

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str | None) -> str | None:
        if value is not None:
            parse_cidr(value)
        return value

    def _problems(self) -> Problems:
        if self.cidr is not None and (self.namespace or self.namespace_labels is not None or self.pod_labels is not None):
            yield ("cidr",), "cannot be combined with namespace, namespaceLabels or podLabels: write two rules"
        if self.namespace is not None and self.namespace_labels is not None:
            yield ("namespaceLabels",), "cannot be combined with namespace (which selects the namespace by its name label)"
        if self.except_ and self.cidr is None:
            yield ("except",), "needs a cidr to carve out of"
        if self.cidr is None:
            return
        network = parse_cidr(self.cidr)
        for index, text in enumerate(self.except_):
            try:
                carved = parse_cidr(text)
            except ValueError as error:
                yield ("except", index), str(error)
                continue
            if not _strictly_inside(carved, network):
                yield ("except", index), f"{text} is not inside {self.cidr}; every except must be a strict subset of its cidr"

    def peer(self) -> dict[str, Any] | None:
        """The NetworkPolicyPeer, or None for "anyone"."""
        if self.cidr is not None:
            block: dict[str, Any] = {"cidr": self.cidr}
            if self.except_:
                block["except"] = list(self.except_)
            return {"ipBlock": block}
        peer: dict[str, Any] = {}
        if self.namespace is not None:
            peer["namespaceSelector"] = {"matchLabels": {NAMESPACE_NAME_LABEL: self.namespace}}
        elif self.namespace_labels is not None:
            peer["namespaceSelector"] = {"matchLabels": dict(self.namespace_labels)}
        if self.pod_labels is not None:
            peer["podSelector"] = {"matchLabels": dict(self.pod_labels)}
        return peer or None


def _strictly_inside(inner: Network, outer: Network) -> bool:
    if isinstance(inner, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return inner.subnet_of(outer) and inner.prefixlen > outer.prefixlen
    if isinstance(inner, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return inner.subnet_of(outer) and inner.prefixlen > outer.prefixlen
    return False


class IngressRule(_Rule):
    to_pods: Labels = Field(default_factory=dict)
    """The pods in this namespace the rule lets traffic reach; empty: all of them."""


class EgressRule(_Rule):
    from_pods: Labels = Field(default_factory=dict)
    """The pods in this namespace the rule lets send; empty: all of them."""


class RawPolicy(Model):
    """A full NetworkPolicy spec, for anything the shorthand cannot say; checked against the API schema."""

    name: DnsSubdomain
    spec: dict[str, Any]

    def _problems(self) -> Problems:
        manifest = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": self.name}, "spec": self.spec}
        return schema_problems(manifest)


class NetworkPolicyArgs(Model):
    """``clusterstack:namespaces.<name>.networkPolicy``."""

    default_deny: tuple[Direction, ...] = ()
    """Deny all Ingress and/or Egress not allowed by another policy (a policy selecting every pod)."""
    allow_dns: bool = Field(False, alias="allowDNS")
    """Egress to the cluster DNS on UDP and TCP 53 (and to NodeLocal DNSCache when the stack runs it)."""
    allow_same_namespace: bool = False
    """Traffic between the namespace's own pods, both ways."""
    allow_from: tuple[IngressRule, ...] = ()
    allow_to: tuple[EgressRule, ...] = ()
    policies: tuple[RawPolicy, ...] = ()

    def _problems(self) -> Problems:
        seen: dict[str, KeyPath] = {}
        problems: list[tuple[KeyPath, str]] = []
        for path, name in self._named():
            if name in seen:
                problems.append(((*path, "name"), f"{name} is already the name of another policy in this namespace"))
            seen.setdefault(name, path)
        if len(set(self.default_deny)) != len(self.default_deny):
            problems.append((("defaultDeny",), "lists a direction twice"))
        return problems

    def _named(self) -> list[tuple[KeyPath, str]]:
        named: list[tuple[KeyPath, str]] = [(("allowFrom", i), _rule_name(rule, "from", i)) for i, rule in enumerate(self.allow_from)]
        named += [(("allowTo", i), _rule_name(rule, "to", i)) for i, rule in enumerate(self.allow_to)]
        named += [(("policies", i), policy.name) for i, policy in enumerate(self.policies)]
        return named

    @property
    def denies_ingress(self) -> bool:
        return "Ingress" in self.default_deny

    def is_empty(self) -> bool:
        return not (self.default_deny or self.allow_dns or self.allow_same_namespace or self.allow_from or self.allow_to or self.policies)


def _rule_name(rule: _Rule, direction: str, index: int) -> str:
    return rule.name if rule.name is not None else f"allow-{direction}-{index}"


@dataclass(frozen=True)
class DnsEndpoints:
    """Where pods send DNS queries: the kube-dns pods, and the host-network NodeLocal DNSCache when it runs."""

    namespace: str = "kube-system"
    pod_labels: tuple[tuple[str, str], ...] = (("k8s-app", "kube-dns"),)
    host_ips: tuple[str, ...] = ()
    """The cache's link-local IP and the kube-dns ClusterIP it also answers on (empty without the cache)."""


DEFAULT_DNS = DnsEndpoints()
"""kube-dns only: the DNS endpoints of a cluster without NodeLocal DNSCache."""


def _host_cidr(ip: str) -> str:
    return f"{ip}/{32 if ipaddress.ip_address(ip).version == 4 else 128}"


DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def build_network_policies(
    namespace: str, args: NetworkPolicyArgs, dns: DnsEndpoints = DEFAULT_DNS, environment: str | None = None
) -> list[Manifest]:
    def policy(name: str, pods: Mapping[str, str], types: list[str], **rules: Any) -> Manifest:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": object_meta(name, namespace, environment),
            "spec": {"podSelector": {"matchLabels": dict(pods)} if pods else {}, "policyTypes": types, **rules},
        }

    policies = []
    if args.default_deny:
        policies.append(policy("default-deny", {}, [d for d in ("Ingress", "Egress") if d in args.default_deny]))
    if args.allow_dns:
        egress = [
            {
                "to": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: dns.namespace}}, "podSelector": {"matchLabels": dict(dns.pod_labels)}}],
                "ports": [dict(p) for p in DNS_PORTS],
            }
        ]
        if dns.host_ips:
            egress.append({"to": [{"ipBlock": {"cidr": _host_cidr(ip)}} for ip in dns.host_ips], "ports": [dict(p) for p in DNS_PORTS]})
        policies.append(policy("allow-dns", {}, ["Egress"], egress=egress))
    if args.allow_same_namespace:
        everyone_here: dict[str, Any] = {"podSelector": {}}
        policies.append(policy("allow-same-namespace", {}, ["Ingress", "Egress"], ingress=[{"from": [everyone_here]}], egress=[{"to": [everyone_here]}]))
    for index, ingress in enumerate(args.allow_from):
        policies.append(policy(_rule_name(ingress, "from", index), ingress.to_pods, ["Ingress"], ingress=[_rule(ingress, "from")]))
    for index, egress_rule in enumerate(args.allow_to):
        policies.append(policy(_rule_name(egress_rule, "to", index), egress_rule.from_pods, ["Egress"], egress=[_rule(egress_rule, "to")]))
    for raw in args.policies:
        policies.append(
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": object_meta(raw.name, namespace, environment), "spec": raw.spec}
        )
    return policies


def _rule(rule: _Rule, direction: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    peer = rule.peer()
    if peer is not None:
        body[direction] = [peer]
    if rule.ports:
        body["ports"] = [p.render() for p in rule.ports]
    return body


class NamespacePolicies(pulumi.ComponentResource):
    """A namespace's NetworkPolicies from the shorthand; usable on its own for a namespace made elsewhere."""

    policies: dict[str, k8s.networking.v1.NetworkPolicy]
    """By policy name: default-deny, allow-dns, ..."""
    policy_names: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        args: NetworkPolicyArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        namespace: str | None = None,
        dns: DnsEndpoints = DEFAULT_DNS,
        environment: str | None = None,
    ) -> None:
        super().__init__("clusterstack:network:NamespacePolicies", name, None, opts)
        target = namespace if namespace is not None else name
        children = pulumi.ResourceOptions(parent=self)
        self.policies = {
            p["metadata"]["name"]: register(p, children, k8s.networking.v1.NetworkPolicy)
            for p in build_network_policies(target, args, dns, environment)
        }
        self.policy_names = pulumi.Output.all(*(p.metadata.name for p in self.policies.values()))
        self.register_outputs({"policies": self.policy_names})
