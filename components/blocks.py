"""The building blocks a platform is made of, in one table, and what the table drives: ``build_platform``
(plain Kubernetes objects) and ``ClusterPlatform`` (components), each walking the rows in order.

Adding a block: its own module (Args, pure builder, component), its key in ClusterPlatformArgs
(platform.py), and a row here; tests/test_blocks.py fails while any of them, the package's exports or
the docs lack it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pulumi

from ..kube.manifest import Manifest
from .classes import ClusterClasses, PriorityClassArgs, StorageClassArgs, build_classes
from .cluster import ClusterDns, ClusterSpec
from .coredns import CoreDns, CoreDnsArgs, build_coredns
from .dns_autoscaler import DnsAutoscaler, DnsAutoscalerArgs, build_dns_autoscaler
from .existing_namespaces import ExistingNamespaceArgs, ExistingNamespaces, build_existing_namespaces
from .ip_masq import IpMasqAgent, IpMasqArgs, build_ip_masq
from .labels import stack_environment
from .load_balancer import LoadBalancer, LoadBalancerArgs, build_load_balancer
from .model import Model, args_for
from .nodelocaldns import NodeLocalDns, NodeLocalDnsArgs, build_node_local_dns
from .platform import ClusterPlatformArgs, ClusterPlatformArgsDict
from .register import legacy_urns as answering_to_legacy_urns
from .tenant import TenantNamespace, TenantNamespaceArgs, build_tenant, namespace_names


@dataclass(frozen=True)
class LoadBalancerPart:
    name: str
    args: LoadBalancerArgs
    denies_ingress: bool
    """The namespace denies ingress by default, so the load balancer needs its allow policy."""


@dataclass(frozen=True)
class PlatformParts:
    """What the platform is made of, and with which arguments: decided once, here, for both
    ``build_platform`` (plain objects) and ``ClusterPlatform`` (components)."""

    environment: str | None
    args: ClusterPlatformArgs
    cluster: ClusterSpec
    dns: ClusterDns
    tenants: tuple[tuple[str, TenantNamespaceArgs], ...]
    """By namespace name, sorted; each with the platform's ``namespaceDeletion`` unless it says its own."""
    load_balancers: tuple[LoadBalancerPart, ...]
    """By Service name, sorted."""


def compose(args: ClusterPlatformArgs, environment: str | None = None) -> PlatformParts:
    return PlatformParts(
        environment=environment,
        args=args,
        cluster=args.cluster,
        dns=args.cluster_dns(),
        tenants=tuple(
            (name, tenant if tenant.deletion is not None else tenant.model_copy(update={"deletion": args.namespace_deletion}))
            for name, tenant in sorted(args.namespaces.items())
        ),
        load_balancers=tuple(
            LoadBalancerPart(name, balancer, args.denies_ingress(balancer.namespace)) for name, balancer in sorted(args.load_balancers.items())
        ),
    )


@dataclass(frozen=True)
class Children:
    """Where one block's components go in a ClusterPlatform: named ``<platform>/<child>``, parented
    to it, with the aliases it was given."""

    platform: str
    own: str | None
    """The block's one component's name, or None for a block of one component per entry."""
    environment: str | None
    """As the program gave it to the platform (each component resolves None itself)."""
    options_of: Callable[[str], pulumi.ResourceOptions]
    registered: Mapping[str, Any]
    """The components of the rows above, by ClusterPlatform attribute."""

    def name(self, entry: str | None = None) -> str:
        return f"{self.platform}/{self._child(entry)}"

    def options(self, entry: str | None = None) -> pulumi.ResourceOptions:
        return self.options_of(self._child(entry))

    def _child(self, entry: str | None) -> str:
        child = entry if entry is not None else self.own
        if child is None:
            raise ValueError("a block of one component per entry names each by its entry")
        return child


A = TypeVar("A")


@dataclass(frozen=True)
class Block(Generic[A]):
    """One row of the table: a building block of the platform."""

    title: str
    """Its heading in the docs."""
    keys: Mapping[str, type[Model]]
    """Its stack keys under ``clusterstack:`` (``dns.nodeLocal`` below ``dns``), each with the Args
    model of its value (of each entry, for a map by name)."""
    component: type[pulumi.ComponentResource]
    builder: Callable[..., Any]
    """The pure builder the component registers the objects of (exported for programs and tests)."""
    attribute: str
    """The ClusterPlatform attribute holding its component: None when not deployed; for a block of one
    component per entry, a dict by entry (empty when there is none)."""
    child: str | None
    """Its component's name after ``<platform>/``; None: one component per entry, named by the entry."""
    given: Callable[[PlatformParts], A | None]
    """What the block is given; None: it is not deployed."""
    build: Callable[[PlatformParts, A], list[Manifest]]
    register: Callable[[PlatformParts, A, Children], Any]


BLOCKS: tuple[Block[Any], ...] = (
    Block[tuple[dict[str, PriorityClassArgs], dict[str, StorageClassArgs]]](
        title="PriorityClasses and StorageClasses",
        keys={"priorityClasses": PriorityClassArgs, "storageClasses": StorageClassArgs},
        component=ClusterClasses,
        builder=build_classes,
        attribute="classes",
        child="classes",
        given=lambda p: (dict(p.args.priority_classes), dict(p.args.storage_classes)) if p.args.priority_classes or p.args.storage_classes else None,
        build=lambda p, classes: build_classes(*classes, p.environment).all(),
        register=lambda p, classes, c: ClusterClasses(c.name(), *classes, c.options(), environment=c.environment),
    ),
    Block[dict[str, ExistingNamespaceArgs]](
        title="Namespaces the stack does not own",
        keys={"existingNamespaces": ExistingNamespaceArgs},
        component=ExistingNamespaces,
        builder=build_existing_namespaces,
        attribute="existing_namespaces",
        child="existing-namespaces",
        given=lambda p: dict(p.args.existing_namespaces) if p.args.existing_namespaces else None,
        build=lambda p, existing: build_existing_namespaces(existing).all(),
        register=lambda p, existing, c: ExistingNamespaces(c.name(), existing, c.options()),
    ),
    Block[tuple[tuple[str, TenantNamespaceArgs], ...]](
        title="TenantNamespace",
        keys={"namespaces": TenantNamespaceArgs},
        component=TenantNamespace,
        builder=build_tenant,
        attribute="tenants",
        child=None,
        given=lambda p: p.tenants,
        build=lambda p, tenants: [o for name, tenant in tenants for o in build_tenant(name, tenant, p.environment, p.dns).all()],
        register=lambda p, tenants, c: {
            ns: TenantNamespace(c.name(ns), tenant.model_copy(update={"name": ns}), c.options(ns), environment=c.environment, dns=p.dns)
            for ns, tenant in tenants
        },
    ),
    Block[DnsAutoscalerArgs](
        title="DnsAutoscaler",
        keys={"dns.autoscaler": DnsAutoscalerArgs},
        component=DnsAutoscaler,
        builder=build_dns_autoscaler,
        attribute="dns_autoscaler",
        child="dns-autoscaler",
        given=lambda p: p.args.dns.autoscaler,
        build=lambda p, autoscaler: build_dns_autoscaler(autoscaler, p.environment).all(),
        register=lambda p, autoscaler, c: DnsAutoscaler(c.name(), autoscaler, c.options(), environment=c.environment),
    ),
    Block[NodeLocalDnsArgs](
        title="NodeLocalDns",
        keys={"dns.nodeLocal": NodeLocalDnsArgs},
        component=NodeLocalDns,
        builder=build_node_local_dns,
        attribute="node_local_dns",
        child="node-local-dns",
        given=lambda p: p.args.dns.node_local,
        build=lambda p, node_local: build_node_local_dns(node_local, p.cluster, p.environment).all(),
        register=lambda p, node_local, c: NodeLocalDns(c.name(), node_local, c.options(), cluster=p.cluster, environment=c.environment),
    ),
    Block[CoreDnsArgs](
        title="CoreDNS",
        keys={"dns.coredns": CoreDnsArgs},
        component=CoreDns,
        builder=build_coredns,
        attribute="coredns",
        child="coredns",
        given=lambda p: p.args.dns.coredns,
        build=lambda p, coredns: build_coredns(coredns, p.cluster, p.environment).all(),
        register=lambda p, coredns, c: CoreDns(c.name(), coredns, c.options(), cluster=p.cluster, node_local=p.args.dns.node_local, environment=c.environment),
    ),
    Block[IpMasqArgs](
        title="ip-masq-agent",
        keys={"ipMasq": IpMasqArgs},
        component=IpMasqAgent,
        builder=build_ip_masq,
        attribute="ip_masq",
        child="ip-masq-agent",
        given=lambda p: p.args.ip_masq,
        build=lambda p, ip_masq: build_ip_masq(ip_masq, p.environment).all(),
        register=lambda p, ip_masq, c: IpMasqAgent(c.name(), ip_masq, c.options(), environment=c.environment),
    ),
    Block[tuple[LoadBalancerPart, ...]](
        title="Load balancers",
        keys={"loadBalancers": LoadBalancerArgs},
        component=LoadBalancer,
        builder=build_load_balancer,
        attribute="load_balancers",
        child=None,
        given=lambda p: p.load_balancers,
        build=lambda p, balancers: [o for b in balancers for o in build_load_balancer(b.name, b.args, p.environment, b.denies_ingress).all()],
        register=lambda p, balancers, c: {b.name: _load_balancer(b, c) for b in balancers},
    ),
)
"""The building blocks, in the order their objects are built and their components registered."""

SETTINGS = ("cluster", "namespaceDeletion")
"""The platform's keys that are no building block: facts and defaults the blocks read."""


def _load_balancer(balancer: LoadBalancerPart, children: Children) -> LoadBalancer:
    """A load balancer in one of the platform's tenants takes its namespace (and whether it denies
    ingress) from the tenant's component; elsewhere, from the stack."""
    tenants: Mapping[str, TenantNamespace] = children.registered["tenants"]
    tenant = tenants.get(balancer.args.namespace) if isinstance(balancer.args.namespace, str) else None
    return LoadBalancer(
        children.name(balancer.name),
        balancer.args.model_copy(update={"name": balancer.name}),
        children.options(balancer.name),
        tenant=tenant,
        namespace_denies_ingress=None if tenant is not None else balancer.denies_ingress,
        environment=children.environment,
    )


def build_platform(args: ClusterPlatformArgs, environment: str | None = None) -> list[Manifest]:
    """Every object of the platform, as plain Kubernetes objects (what ClusterPlatform registers)."""
    parts = compose(args, environment)
    objects: list[Manifest] = []
    for block in BLOCKS:
        given = block.given(parts)
        if given is not None:
            objects += block.build(parts, given)
    return objects


class ClusterPlatform(pulumi.ComponentResource):
    """The platform baseline of one cluster: tenant namespaces, the cluster's classes, the DNS and
    network add-ons, and the load balancers.

    Its children are named after it: ``<resource_name>/<namespace>`` (TenantNamespace),
    ``<resource_name>/<service>`` (LoadBalancer), and ``<resource_name>/`` followed by ``classes``,
    ``existing-namespaces``, ``dns-autoscaler``, ``node-local-dns``, ``coredns`` or ``ip-masq-agent``,
    so several platforms (one per cluster, each with its own provider) live in one program.
    """

    # One attribute per row of BLOCKS (set by walking the table; tests/test_blocks.py checks each is here).
    classes: ClusterClasses | None
    """The PriorityClasses and StorageClasses, when the stack declares any."""
    existing_namespaces: ExistingNamespaces | None
    """The labels on namespaces the stack does not own, when it sets any."""
    tenants: dict[str, TenantNamespace]
    dns_autoscaler: DnsAutoscaler | None
    node_local_dns: NodeLocalDns | None
    coredns: CoreDns | None
    ip_masq: IpMasqAgent | None
    load_balancers: dict[str, LoadBalancer]

    cluster_dns: ClusterDns
    """Where this cluster's pods send DNS queries (what its tenants' allowDNS policies allow)."""
    namespaces: pulumi.Output[list[str]]
    kubelet_cluster_dns: pulumi.Output[str] | None
    """With NodeLocal DNSCache: what every kubelet's clusterDNS must be; None without it."""
    load_balancer_ingress: dict[str, pulumi.Output[list[Any] | None]]

    def __init__(
        self,
        resource_name: str,
        args: ClusterPlatformArgs | ClusterPlatformArgsDict,
        opts: pulumi.ResourceOptions | None = None,
        *,
        environment: str | None = None,
        legacy_urns: bool = False,
        child_aliases: Mapping[str, Sequence[pulumi.Alias]] | None = None,
    ) -> None:
        """Inputs beside the Args, about the program rather than the cluster (a stack file cannot say them):
        ``environment``: the stack's name for the clusterstack.io/environment label (default: the running
        stack's), one value for a whole program, so not a setting of this component.

        ``legacy_urns``: also answer to the URNs clusterstack 0.1 gave this platform's resources, so
        a stack deployed with 0.1 updates in place. Only for a program's one platform (0.1 could
        have no other); drop it once every stack has been updated.

        ``child_aliases``: aliases for the platform's components, by the name after
        ``<resource_name>/`` (a namespace, ``dns-autoscaler``, ``node-local-dns``, a Service): to take
        over a TenantNamespace that was declared on its own, give it
        ``{"payments": [pulumi.Alias(name="payments", parent=pulumi.ROOT_STACK_RESOURCE)]}``; its
        children follow (the engine renames them by the component's name prefix)."""
        super().__init__("clusterstack:platform:ClusterPlatform", resource_name, None, opts)
        spec = args_for(ClusterPlatformArgs, args, "ClusterPlatform", resource_name)
        parts = compose(spec, stack_environment(environment))
        self.cluster_dns = parts.dns

        extra_aliases = child_aliases if child_aliases is not None else {}
        known = {ns for ns, _ in parts.tenants} | {lb.name for lb in parts.load_balancers} | {b.child for b in BLOCKS if b.child is not None}
        unknown = sorted(set(extra_aliases) - known)
        if unknown:
            raise ValueError(f"child_aliases names no component of this platform: {', '.join(unknown)}")

        def child(old_name: str) -> pulumi.ResourceOptions:
            """A child's options: parented here, and answering to its 0.1 name (``legacy_urns``) and to
            whatever ``child_aliases`` gives it."""
            aliases: list[pulumi.Alias] = [pulumi.Alias(name=old_name)] if legacy_urns else []
            aliases += extra_aliases.get(old_name, [])
            return pulumi.ResourceOptions(parent=self, aliases=list(aliases) or None)

        registered: dict[str, Any] = {}
        with answering_to_legacy_urns() if legacy_urns else contextlib.nullcontext():
            for block in BLOCKS:
                given = block.given(parts)
                place = Children(resource_name, block.child, environment, child, registered)
                registered[block.attribute] = block.register(parts, given, place) if given is not None else None
                setattr(self, block.attribute, registered[block.attribute])
        self.namespaces = namespace_names(self.tenants.values())
        self.kubelet_cluster_dns = self.node_local_dns.kubelet_cluster_dns if self.node_local_dns is not None else None
        self.load_balancer_ingress = {name: lb.ingress for name, lb in self.load_balancers.items()}
        outputs: dict[str, Any] = {"namespaces": self.namespaces}
        if self.kubelet_cluster_dns is not None:
            outputs["kubeletClusterDNS"] = self.kubelet_cluster_dns
        if self.load_balancers:
            outputs["loadBalancers"] = self.load_balancer_ingress
        self.register_outputs(outputs)
