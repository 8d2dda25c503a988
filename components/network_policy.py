"""NamespacePolicies: a tenant namespace's NetworkPolicies, from a shorthand that keeps DNS working.

Pages: Declare Network Policy, and the CNI pages (Calico, Cilium, Antrea, kube-router, Romana, Weave
Net). The traps this guards against: a default-deny egress policy silently breaks DNS, and the
NodeLocal DNSCache runs on the host network, where pod selectors never match it, so DNS egress must
also allow its IP (and the kube-dns ClusterIP it answers on) by address. Which of the two a cluster
runs is a ``ClusterDns`` the caller passes: there is no default to get wrong.

One module (~420 lines) for one building block, its Args beside it as in every component module:
the shorthand's models are most of it, and the policies built from them speak their vocabulary (a
rule's fields are what ``_rule`` writes; platform.py's cross-part rules import both).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, StrictInt, StrictStr, field_validator
from typing_extensions import Required

from ..kube.findings import Finding, Findings, prefixed
from ..kube.manifest import Manifest
from ..kube.network import Network, Protocol, parse_cidr, port_name_problem, port_number_problem, raw_policy_problems
from ..kube.paths import KeyPath
from ..kube.schema import schema_problems
from .cluster import ClusterDns, dns_argument
from .inputs import copied
from .labels import Name, object_meta, stack_environment
from .model import DnsLabelInput, DnsSubdomain, LabelsInput, Model, args_for
from .register import register

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
"""Set by the API server on every namespace (1.21+): selecting a namespace by name uses it."""
Direction = Literal["Ingress", "Egress"]
Selector = Mapping[str, str | pulumi.Output[str]] | pulumi.Output[Mapping[str, str]]
"""Labels to select by, as a caller writes them: a mapping (values may be Outputs) or an Output of one."""


# <generated from the fields of Port by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class PortArgsDict(TypedDict, total=False):
    """``Port`` as a dict, in the stack files' spelling."""

    port: Required[StrictInt | StrictStr]
    protocol: Protocol
    endPort: StrictInt
# </generated>


class Port(Model):
    """A port a rule allows: a number (with an optional ``endPort`` range) or a named container port."""

    port: StrictInt | StrictStr
    protocol: Protocol = "TCP"
    end_port: StrictInt | None = None

    # <generated from the fields of Port by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(self, *, port: StrictInt | StrictStr, protocol: Protocol = "TCP", end_port: StrictInt | None = None) -> None: ...
    # </generated>

    def _problems(self) -> Findings:
        if isinstance(self.port, int):
            reason = port_number_problem(self.port)
            if reason:
                yield Finding(("port",), reason)
        else:
            reason = port_name_problem(self.port)
            if reason:
                yield Finding(("port",), reason)
        if self.end_port is not None:
            if not isinstance(self.port, int):
                yield Finding(("endPort",), f"needs a numeric port; {self.port!r} is a named port")
            elif (reason := port_number_problem(self.end_port)) is not None:
                yield Finding(("endPort",), reason)
            elif self.end_port < self.port:
                yield Finding(("endPort",), f"{self.end_port} is below port {self.port}; endPort must be ≥ port")

    def render(self) -> dict[str, Any]:
        port: dict[str, Any] = {"protocol": self.protocol, "port": self.port}
        if self.end_port is not None:
            port["endPort"] = self.end_port
        return port


# <generated from the fields of IngressRule by `python -m clusterstack.components.args_fronts`: edit those, then run it>
# A key is a Python keyword, so this dict is declared in the functional form.
IngressRuleArgsDict = TypedDict(
    "IngressRuleArgsDict",
    {
        "name": DnsSubdomain,
        "namespace": DnsLabelInput,
        "namespaceLabels": LabelsInput,
        "podLabels": LabelsInput,
        "cidr": str,
        "except": Sequence[str],
        "ports": Sequence[Port | PortArgsDict],
        "toPods": LabelsInput,
    },
    total=False,
)
"""``IngressRule`` as a dict, in the stack files' spelling."""
# </generated>
# <generated from the fields of EgressRule by `python -m clusterstack.components.args_fronts`: edit those, then run it>
# A key is a Python keyword, so this dict is declared in the functional form.
EgressRuleArgsDict = TypedDict(
    "EgressRuleArgsDict",
    {
        "name": DnsSubdomain,
        "namespace": DnsLabelInput,
        "namespaceLabels": LabelsInput,
        "podLabels": LabelsInput,
        "cidr": str,
        "except": Sequence[str],
        "ports": Sequence[Port | PortArgsDict],
        "fromPods": LabelsInput,
    },
    total=False,
)
"""``EgressRule`` as a dict, in the stack files' spelling."""
# </generated>


class _Rule(Model):
    """Who a rule admits: a namespace (by name or labels), pods (by labels), or a CIDR; none: anyone."""

    name: DnsSubdomain | None = None
    """The NetworkPolicy's name; default allow-from-<n> / allow-to-<n>."""
    namespace: DnsLabelInput | None = None
    namespace_labels: LabelsInput | None = None
    pod_labels: LabelsInput | None = None
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

    def _problems(self) -> Findings:
        if self.cidr is not None and (self.namespace is not None or self.namespace_labels is not None or self.pod_labels is not None):
            yield Finding(("cidr",), "cannot be combined with namespace, namespaceLabels or podLabels: write two rules")
        if self.namespace is not None and self.namespace_labels is not None:
            yield Finding(("namespaceLabels",), "cannot be combined with namespace (which selects the namespace by its name label)")
        if self.except_ and self.cidr is None:
            yield Finding(("except",), "needs a cidr to carve out of")
        if self.cidr is None:
            return
        network = parse_cidr(self.cidr)
        for index, text in enumerate(self.except_):
            try:
                carved = parse_cidr(text)
            except ValueError as error:
                yield Finding(("except", index), str(error))
                continue
            if not _strictly_inside(carved, network):
                yield Finding(("except", index), f"{text} is not inside {self.cidr}; every except must be a strict subset of its cidr")

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
            peer["namespaceSelector"] = {"matchLabels": copied(self.namespace_labels)}
        if self.pod_labels is not None:
            peer["podSelector"] = {"matchLabels": copied(self.pod_labels)}
        return peer or None


def _strictly_inside(inner: Network, outer: Network) -> bool:
    if isinstance(inner, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return inner.subnet_of(outer) and inner.prefixlen > outer.prefixlen
    if isinstance(inner, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return inner.subnet_of(outer) and inner.prefixlen > outer.prefixlen
    return False


class IngressRule(_Rule):
    to_pods: LabelsInput = Field(default_factory=dict)
    """The pods in this namespace the rule lets traffic reach; empty: all of them."""

    # <generated from the fields of IngressRule by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, name: DnsSubdomain | None = None, namespace: DnsLabelInput | None = None, namespace_labels: LabelsInput | None = None,
            pod_labels: LabelsInput | None = None, cidr: str | None = None, except_: Sequence[str] = (), ports: Sequence[Port | PortArgsDict] = (),
            to_pods: LabelsInput = ...,
        ) -> None: ...
    # </generated>


class EgressRule(_Rule):
    from_pods: LabelsInput = Field(default_factory=dict)
    """The pods in this namespace the rule lets send; empty: all of them."""

    # <generated from the fields of EgressRule by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, name: DnsSubdomain | None = None, namespace: DnsLabelInput | None = None, namespace_labels: LabelsInput | None = None,
            pod_labels: LabelsInput | None = None, cidr: str | None = None, except_: Sequence[str] = (), ports: Sequence[Port | PortArgsDict] = (),
            from_pods: LabelsInput = ...,
        ) -> None: ...
    # </generated>


# <generated from the fields of RawPolicy by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class RawPolicyArgsDict(TypedDict, total=False):
    """``RawPolicy`` as a dict, in the stack files' spelling."""

    name: Required[DnsSubdomain]
    spec: Required[Mapping[str, Any]]
# </generated>


class RawPolicy(Model):
    """A full NetworkPolicy spec, for anything the shorthand cannot say; checked against the API schema."""

    name: DnsSubdomain
    spec: dict[str, Any]

    # <generated from the fields of RawPolicy by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(self, *, name: DnsSubdomain, spec: Mapping[str, Any]) -> None: ...
    # </generated>

    def _problems(self) -> Findings:
        manifest = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": self.name}, "spec": self.spec}
        problems = list(schema_problems(manifest))
        if problems:
            yield from problems
            return
        yield from prefixed(("spec",), raw_policy_problems(self.spec))


GENERATED = {"default-deny": "defaultDeny", "allow-dns": "allowDNS", "allow-same-namespace": "allowSameNamespace"}
"""The names of the policies the shorthand makes, and what makes each."""


# <generated from the fields of NetworkPolicyArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class NetworkPolicyArgsDict(TypedDict, total=False):
    """``NetworkPolicyArgs`` as a dict, in the stack files' spelling."""

    defaultDeny: Sequence[Direction]
    allowDNS: bool
    allowSameNamespace: bool
    allowFrom: Sequence[IngressRule | IngressRuleArgsDict]
    allowTo: Sequence[EgressRule | EgressRuleArgsDict]
    policies: Sequence[RawPolicy | RawPolicyArgsDict]
# </generated>


class NetworkPolicyArgs(Model):
    """``clusterstack:namespaces.<name>.networkPolicy``."""

    default_deny: tuple[Direction, ...] = ()
    """Deny all Ingress and/or Egress not allowed by another policy (a policy selecting every pod)."""
    allow_dns: bool = Field(False, alias="allowDNS")
    """Egress to the cluster DNS on UDP and TCP 53 (and to NodeLocal DNSCache when the cluster runs it)."""
    allow_same_namespace: bool = False
    """Traffic between the namespace's own pods, both ways."""
    allow_from: tuple[IngressRule, ...] = ()
    allow_to: tuple[EgressRule, ...] = ()
    policies: tuple[RawPolicy, ...] = ()

    # <generated from the fields of NetworkPolicyArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, default_deny: Sequence[Direction] = (), allow_dns: bool = False, allow_same_namespace: bool = False,
            allow_from: Sequence[IngressRule | IngressRuleArgsDict] = (), allow_to: Sequence[EgressRule | EgressRuleArgsDict] = (),
            policies: Sequence[RawPolicy | RawPolicyArgsDict] = (),
        ) -> None: ...
    # </generated>

    def _problems(self) -> Findings:
        seen: dict[str, KeyPath] = {}
        for path, name in self.named():
            if name in GENERATED:
                yield Finding((*path, "name"), f"{name} is the name of the policy {GENERATED[name]} makes; choose another name")
            elif name in seen:
                yield Finding((*path, "name"), f"{name} is already the name of another policy in this namespace")
            seen.setdefault(name, path)
        if len(set(self.default_deny)) != len(self.default_deny):
            yield Finding(("defaultDeny",), "lists a direction twice")
        if "Egress" in self.default_deny and not self.allow_dns and "allow_dns" not in self.model_fields_set:
            yield Finding(
                ("allowDNS",),
                (
                    "is not set while defaultDeny denies Egress: every name lookup in the namespace would fail; "
                    "set allowDNS: true (or allowDNS: false if the namespace's pods need no DNS)"
                ),
            )

    def named(self) -> list[tuple[KeyPath, str]]:
        """Each policy the stack names (allowFrom, allowTo, policies), with its key path."""
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


@functools.lru_cache(maxsize=256)
def _host_cidr(ip: str) -> str:
    # Asked for every tenant that allows DNS, of the few addresses a cluster's DNS listens on.
    return f"{ip}/{32 if ipaddress.ip_address(ip).version == 4 else 128}"


DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
MISSING_DNS = (
    "allowDNS needs to know where the cluster's DNS runs: pass dns=ClusterDns.kube_dns() or "
    "dns=ClusterDns.node_local(<local IP>) (or NodeLocalDns(...).cluster_dns). With NodeLocal DNSCache "
    "the cache listens on each node's host network, so a policy that allows only the kube-dns pods "
    "breaks every lookup"
)


def build_network_policies(namespace: Name, args: NetworkPolicyArgs, dns: ClusterDns | None, environment: str | None = None) -> list[Manifest]:
    """The namespace's NetworkPolicies. ``dns`` (needed with ``allowDNS``) says where DNS egress goes."""

    def policy(name: str, pods: Any, types: list[str], **rules: Any) -> Manifest:
        selector = {"matchLabels": copied(pods)} if isinstance(pods, pulumi.Output) or pods else {}
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": object_meta(name, namespace, environment),
            "spec": {"podSelector": selector, "policyTypes": types, **rules},
        }

    policies = []
    if args.default_deny:
        policies.append(policy("default-deny", {}, [d for d in ("Ingress", "Egress") if d in args.default_deny]))
    if args.allow_dns:
        if dns is None:
            raise ValueError(MISSING_DNS)
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


def register_policies(resource_name: str, policies: list[Manifest], opts: pulumi.ResourceOptions) -> dict[str, k8s.networking.v1.NetworkPolicy]:
    """Each policy as a child ``<resource_name>/<policy name>``, by policy name."""
    return {p["metadata"]["name"]: register(p, opts, k8s.networking.v1.NetworkPolicy, f"{resource_name}/{p['metadata']['name']}") for p in policies}


class NamespacePolicies(pulumi.ComponentResource):
    """A namespace's NetworkPolicies from the shorthand; usable on its own for a namespace made elsewhere."""

    policies: dict[str, k8s.networking.v1.NetworkPolicy]
    """By policy name: default-deny, allow-dns, ..."""
    policy_names: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        args: NetworkPolicyArgs | NetworkPolicyArgsDict,
        opts: pulumi.ResourceOptions | None = None,
        *,
        namespace: str | pulumi.Output[str] | None = None,
        dns: ClusterDns | None = None,
        environment: str | None = None,
    ) -> None:
        """Inputs beside the Args (which a TenantNamespace embeds, where the namespace is its own):

        ``namespace``: where the policies go (default: ``resource_name``), outside the Args because the
        same NetworkPolicyArgs serve a tenant, whose namespace they may not name. ``dns``: the cluster's
        DNS (``ClusterDns``), required when the policies allow DNS; an object of the cluster, not a
        stack-file key.
        ``environment``: the stack's name for the clusterstack.io/environment label (default: the running
        stack's), one value for a whole program, so not a setting of this component."""
        super().__init__("clusterstack:network:NamespacePolicies", resource_name, None, opts)
        spec = args_for(NetworkPolicyArgs, args, "NamespacePolicies", resource_name)
        target = namespace if namespace is not None else resource_name
        children = pulumi.ResourceOptions(parent=self)
        cluster_dns = dns_argument(dns, "NamespacePolicies", resource_name)
        self.policies = register_policies(resource_name, build_network_policies(target, spec, cluster_dns, stack_environment(environment)), children)
        self.policy_names = pulumi.Output.all(*(p.metadata.name for p in self.policies.values()))
        self.register_outputs({"policies": self.policy_names})
