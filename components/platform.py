"""ClusterPlatform: the whole baseline of one environment, composed from the building blocks."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

import pulumi
from pydantic import Field

from ..kube.findings import Finding, Findings, errors_of, prefixed, warning, warnings_of
from ..kube.lifecycle import Deletion
from ..kube.manifest import Manifest
from ..kube.paths import KeyPath
from . import coherence, coredns
from .classes import (
    ClusterClasses,
    PriorityClassArgs,
    PriorityClassArgsDict,
    StorageClassArgs,
    StorageClassArgsDict,
    build_classes,
    class_problems,
)
from .cluster import ClusterDns, ClusterSpec, ClusterSpecArgsDict
from .coredns import CoreDns, CoreDnsArgs, build_coredns
from .dns import DnsArgs, DnsArgsDict
from .dns_autoscaler import DnsAutoscaler, DnsAutoscalerArgs, build_dns_autoscaler
from .existing_namespaces import ExistingNamespaceArgs, ExistingNamespaceArgsDict, ExistingNamespaces, build_existing_namespaces
from .ip_masq import IpMasqAgent, IpMasqArgs, IpMasqArgsDict, build_ip_masq
from .labels import stack_environment
from .load_balancer import LoadBalancer, LoadBalancerArgs, LoadBalancerArgsDict, build_load_balancer
from .model import DnsLabel, DnsSubdomain, Model, args_for
from .nodelocaldns import NodeLocalDns, NodeLocalDnsArgs, build_node_local_dns
from .pod_security import pinned_ahead
from .register import legacy_urns as answering_to_legacy_urns
from .tenant import TenantNamespace, TenantNamespaceArgs, TenantNamespaceArgsDict, build_tenant

# CNIs that do not enforce NetworkPolicy, and why a policy on them is a false sense of safety.
_PLUGIN_WARNINGS = {
    "flannel": "Flannel does not enforce NetworkPolicy: these policies are accepted and silently ignored",
    "weave": "Weave Net is no longer maintained; move to a maintained CNI that enforces NetworkPolicy (Calico, Cilium, Antrea, kube-router)",
    "romana": "Romana is no longer maintained; move to a maintained CNI that enforces NetworkPolicy (Calico, Cilium, Antrea, kube-router)",
}


_GKE_AUTOSCALER = (
    "GKE runs kube-dns-autoscaler (and its ConfigMap) in every cluster, so creating it fails with "
    "AlreadyExists; set onExisting: adopt to take over the parameters (GKE's addon manager keeps "
    "reconciling its Deployment, but leaves the ConfigMap to you)"
)
# What managed offerings ship, for each add-on: (distribution, add-on) -> advice. Sources: GKE's
# "Using kube-dns" and "NodeLocal DNSCache" pages, AKS's "Customize CoreDNS scaling" and "LocalDNS"
# pages, EKS's "CoreDNS autoscaling" page (see the README's table).
_SHIPPED_ADVICE = {
    ("gke", "nodeLocal"): (
        "GKE's NodeLocal DNSCache add-on (on by default on Autopilot, and on Standard from 1.33/1.34) runs "
        "node-local-dns; where it is on, set onExisting: adopt, or creating it fails with AlreadyExists"
    ),
    ("aks", "autoscaler"): (
        "AKS scales CoreDNS with its own coredns-autoscaler; a second autoscaler would fight it over "
        "CoreDNS's replicas: tune AKS's coredns-autoscaler ConfigMap instead, or remove dns.autoscaler"
    ),
    ("eks", "autoscaler"): (
        "the EKS CoreDNS add-on can scale CoreDNS itself (autoScaling in its configuration); with both, "
        "two controllers set CoreDNS's replicas: use one"
    ),
    ("aks", "nodeLocal"): "AKS has its own per-node DNS proxy (LocalDNS); run one node-local cache, not two",
}


_SINGLE_CHILDREN = ("classes", "existing-namespaces", "dns-autoscaler", "node-local-dns", "coredns", "ip-masq-agent")
"""The platform's components that are not named after a namespace or a Service."""


# <generated from the fields of ClusterPlatformArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class ClusterPlatformArgsDict(TypedDict, total=False):
    """``ClusterPlatformArgs`` as a dict, in the stack files' spelling."""

    cluster: ClusterSpec | ClusterSpecArgsDict
    namespaces: Mapping[DnsLabel, TenantNamespaceArgs | TenantNamespaceArgsDict]
    dns: DnsArgs | DnsArgsDict
    loadBalancers: Mapping[DnsLabel, LoadBalancerArgs | LoadBalancerArgsDict]
    namespaceDeletion: Deletion
    priorityClasses: Mapping[DnsSubdomain, PriorityClassArgs | PriorityClassArgsDict]
    storageClasses: Mapping[DnsSubdomain, StorageClassArgs | StorageClassArgsDict]
    existingNamespaces: Mapping[DnsLabel, ExistingNamespaceArgs | ExistingNamespaceArgsDict]
    ipMasq: IpMasqArgs | IpMasqArgsDict
# </generated>


class ClusterPlatformArgs(Model):
    """Everything under the ``clusterstack:`` config keys, without the prefix."""

    cluster: ClusterSpec = Field(default_factory=ClusterSpec)
    namespaces: dict[DnsLabel, TenantNamespaceArgs] = Field(default_factory=dict)
    """Tenant namespaces by name."""
    dns: DnsArgs = Field(default_factory=DnsArgs)
    load_balancers: dict[DnsLabel, LoadBalancerArgs] = Field(default_factory=dict)
    """Services of type LoadBalancer by name."""
    namespace_deletion: Deletion = "delete"
    """What removing a tenant does to its Namespace, unless the tenant says (``deletion``): ``delete``,
    ``protect`` (refused, by both engines, until the tenant says ``deletion: delete`` and that has been
    applied) or ``retain`` (forgotten, left in the cluster)."""
    priority_classes: dict[DnsSubdomain, PriorityClassArgs] = Field(default_factory=dict)
    """PriorityClasses by name (what pods and quota scopes name)."""
    storage_classes: dict[DnsSubdomain, StorageClassArgs] = Field(default_factory=dict)
    """StorageClasses by name (what claims and per-class quotas name); one may be the default."""
    existing_namespaces: dict[DnsLabel, ExistingNamespaceArgs] = Field(default_factory=dict)
    """Labels (Pod Security's, others) on namespaces the cluster has and this stack does not own, such
    as ``kube-system`` and ``default``; each is patched, never created or deleted."""
    ip_masq: IpMasqArgs | None = None
    """ip-masq-agent: which destinations pods reach with their own IP; unset: not deployed."""

    # <generated from the fields of ClusterPlatformArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, cluster: ClusterSpec | ClusterSpecArgsDict = ..., namespaces: Mapping[DnsLabel, TenantNamespaceArgs | TenantNamespaceArgsDict] = ...,
            dns: DnsArgs | DnsArgsDict = ..., load_balancers: Mapping[DnsLabel, LoadBalancerArgs | LoadBalancerArgsDict] = ...,
            namespace_deletion: Deletion = "delete", priority_classes: Mapping[DnsSubdomain, PriorityClassArgs | PriorityClassArgsDict] = ...,
            storage_classes: Mapping[DnsSubdomain, StorageClassArgs | StorageClassArgsDict] = ...,
            existing_namespaces: Mapping[DnsLabel, ExistingNamespaceArgs | ExistingNamespaceArgsDict] = ..., ip_masq: IpMasqArgs | IpMasqArgsDict | None = None,
        ) -> None: ...
    # </generated>

    def _problems(self) -> Findings:
        for at, part in self._cluster_bound():
            yield from prefixed(at, errors_of(part.on_cluster(self.cluster)))
        autoscaler = self.dns.autoscaler
        if self.cluster.distribution == "gke" and autoscaler is not None and autoscaler.on_existing == "fail":
            yield Finding(("dns", "autoscaler", "onExisting"), _GKE_AUTOSCALER)
        for name, tenant in self.namespaces.items():
            if tenant.name is not None:
                yield Finding(("namespaces", name, "name"), "the namespace's name is its key under namespaces; remove name")
        for name, balancer in self.load_balancers.items():
            if balancer.name is not None:
                yield Finding(("loadBalancers", name, "name"), "the Service's name is its key under loadBalancers; remove name")
            if balancer.namespace is None:
                yield Finding(("loadBalancers", name, "namespace"), "is required: the namespace the Service goes in")
            elif isinstance(balancer.namespace, str) and balancer.namespace not in self.namespaces and not balancer.existing_namespace:
                yield Finding(
                    ("loadBalancers", name, "namespace"),
                    (
                        f"{balancer.namespace} is not one of clusterstack:namespaces; declare it there, "
                        "or set existingNamespace: true if it is made outside this stack"
                    ),
                )
        yield from class_problems(self.priority_classes, self.storage_classes)
        for name in sorted(set(self.existing_namespaces) & set(self.namespaces)):
            yield Finding(
                ("existingNamespaces", name), f"{name} is one of clusterstack:namespaces, which this stack owns; set its labels and podSecurity there"
            )
        yield from self._host_access_refused()
        yield from coherence.problems(self)

    def _kube_system_enforce(self) -> str | None:
        system = self.existing_namespaces.get("kube-system")
        return system.pod_security.enforce if system is not None and system.pod_security is not None else None

    def host_access_add_ons(self) -> list[str]:
        """The add-ons this stack runs in kube-system that need the host (its network, NET_ADMIN)."""
        return [name for name, args in (("node-local-dns (dns.nodeLocal)", self.dns.node_local), ("ip-masq-agent (ipMasq)", self.ip_masq)) if args is not None]

    def _host_access_refused(self) -> Findings:
        """kube-system enforcing anything but privileged refuses the host-network pods this stack puts there."""
        enforce = self._kube_system_enforce()
        add_ons = self.host_access_add_ons()
        if enforce in (None, "privileged") or not add_ons:
            return
        yield Finding(
            ("existingNamespaces", "kube-system", "podSecurity", "enforce"),
            (f"{enforce} refuses the pods of {', '.join(add_ons)}, which this stack runs in kube-system on the host network "
            "with NET_ADMIN (only privileged admits host namespaces and added capabilities); enforce privileged there"),
        )

    def _cluster_bound(self) -> list[tuple[KeyPath, NodeLocalDnsArgs | CoreDnsArgs | IpMasqArgs]]:
        """The parts whose rules read the cluster's facts (``on_cluster``), each at its key: their errors
        are the stack's (here), as a part's builder makes them for a program that builds it alone."""
        parts = ((("dns", "nodeLocal"), self.dns.node_local), (("dns", "coredns"), self.dns.coredns), (("ipMasq",), self.ip_masq))
        return [(at, part) for at, part in parts if part is not None]

    def cluster_dns(self) -> ClusterDns:
        """Where DNS egress goes: with NodeLocal DNSCache, also its link-local IP and the kube-dns ClusterIP it answers on."""
        if self.dns.node_local is None:
            return ClusterDns.kube_dns()
        return ClusterDns.node_local(self.dns.node_local.local_ip, self.cluster)

    def denies_ingress(self, namespace: object) -> bool:
        tenant = self.namespaces.get(namespace) if isinstance(namespace, str) else None
        return tenant is not None and tenant.network_policy is not None and tenant.network_policy.denies_ingress

    def warnings(self) -> Findings:
        for name, tenant in self.namespaces.items():
            yield from prefixed(("namespaces", name), tenant.warnings())
        system_enforce = self._kube_system_enforce()
        if system_enforce not in (None, "privileged") and not self.host_access_add_ons():
            yield warning(
                ("existingNamespaces", "kube-system", "podSecurity", "enforce"),
                (f"{system_enforce} applies to kube-system's own pods too: kube-proxy, the CNI's agents and "
                "other node add-ons run on the host network and are refused at their next restart; enforce privileged there"),
            )
        labelled = [("namespaces", n, t.pod_security) for n, t in self.namespaces.items()]
        labelled += [("existingNamespaces", n, e.pod_security) for n, e in self.existing_namespaces.items()]
        for key, name, pod_security in labelled:
            if pod_security is not None:
                yield from prefixed((key, name, "podSecurity"), pinned_ahead(pod_security, self.cluster.kubernetes_version))
        if self.dns.autoscaler is not None:
            yield from prefixed(("dns", "autoscaler"), self.dns.autoscaler.warnings())
        if self.dns.node_local is not None:
            yield from prefixed(("dns", "nodeLocal"), self.dns.node_local.warnings())
            yield from prefixed(("dns", "nodeLocal"), warnings_of(self.dns.node_local.on_cluster(self.cluster)))
        if self.dns.coredns is not None:
            # What the cluster makes of CoreDNS (EKS owns its Corefile) before CoreDNS's own, as it has always been said.
            yield from prefixed(("dns", "coredns"), warnings_of(self.dns.coredns.on_cluster(self.cluster)))
            yield from prefixed(("dns", "coredns"), self.dns.coredns.warnings())
            if self.dns.node_local is not None:
                yield from prefixed(("dns", "coredns"), coredns.bypassed_by_node_local(self.dns.coredns, self.dns.node_local, self.cluster.domain))
        if self.ip_masq is not None:
            yield from prefixed(("ipMasq",), self.ip_masq.warnings())
            yield from prefixed(("ipMasq",), warnings_of(self.ip_masq.on_cluster(self.cluster)))
        add_ons = {"autoscaler": self.dns.autoscaler, "nodeLocal": self.dns.node_local}
        for add_on, args in add_ons.items():
            advice = _SHIPPED_ADVICE.get((self.cluster.distribution or "", add_on))
            adopted = (self.cluster.distribution, add_on) == ("gke", "nodeLocal") and args is not None and args.on_existing == "adopt"
            if args is not None and advice is not None and not adopted:
                yield warning(("dns", add_on), advice)
        plugin_warning = _PLUGIN_WARNINGS.get(self.cluster.network_plugin or "")
        if plugin_warning is not None:
            for name, tenant in self.namespaces.items():
                if tenant.network_policy is not None and not tenant.network_policy.is_empty():
                    yield warning(("namespaces", name, "networkPolicy"), plugin_warning)
        yield from coherence.warnings(self)


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
    cluster: ClusterSpec
    dns: ClusterDns
    tenants: tuple[tuple[str, TenantNamespaceArgs], ...]
    """By namespace name, sorted."""
    dns_autoscaler: DnsAutoscalerArgs | None
    node_local_dns: NodeLocalDnsArgs | None
    coredns: CoreDnsArgs | None
    load_balancers: tuple[LoadBalancerPart, ...]
    """By Service name, sorted."""
    priority_classes: dict[str, PriorityClassArgs]
    storage_classes: dict[str, StorageClassArgs]
    existing_namespaces: dict[str, ExistingNamespaceArgs]
    ip_masq: IpMasqArgs | None


def compose(args: ClusterPlatformArgs, environment: str | None = None) -> PlatformParts:
    return PlatformParts(
        environment=environment,
        cluster=args.cluster,
        dns=args.cluster_dns(),
        tenants=tuple(
            (name, tenant if tenant.deletion is not None else tenant.model_copy(update={"deletion": args.namespace_deletion}))
            for name, tenant in sorted(args.namespaces.items())
        ),
        dns_autoscaler=args.dns.autoscaler,
        node_local_dns=args.dns.node_local,
        coredns=args.dns.coredns,
        load_balancers=tuple(
            LoadBalancerPart(name, balancer, args.denies_ingress(balancer.namespace)) for name, balancer in sorted(args.load_balancers.items())
        ),
        priority_classes=dict(args.priority_classes),
        storage_classes=dict(args.storage_classes),
        existing_namespaces=dict(args.existing_namespaces),
        ip_masq=args.ip_masq,
    )


def build_platform(args: ClusterPlatformArgs, environment: str | None = None) -> list[Manifest]:
    """Every object of the platform, as plain Kubernetes objects (what ClusterPlatform registers)."""
    parts = compose(args, environment)
    objects: list[Manifest] = build_classes(parts.priority_classes, parts.storage_classes, environment).all()
    objects += build_existing_namespaces(parts.existing_namespaces).all()
    for name, tenant in parts.tenants:
        objects += build_tenant(name, tenant, environment, parts.dns).all()
    if parts.dns_autoscaler is not None:
        objects += build_dns_autoscaler(parts.dns_autoscaler, environment).all()
    if parts.node_local_dns is not None:
        objects += build_node_local_dns(parts.node_local_dns, parts.cluster, environment).all()
    if parts.coredns is not None:
        objects += build_coredns(parts.coredns, parts.cluster, environment).all()
    if parts.ip_masq is not None:
        objects += build_ip_masq(parts.ip_masq, environment).all()
    for balancer in parts.load_balancers:
        objects += build_load_balancer(balancer.name, balancer.args, environment, balancer.denies_ingress).all()
    return objects


class ClusterPlatform(pulumi.ComponentResource):
    """The platform baseline of one cluster: tenant namespaces, the cluster's classes, the DNS and
    network add-ons, and the load balancers.

    Its children are named after it: ``<resource_name>/<namespace>`` (TenantNamespace),
    ``<resource_name>/<service>`` (LoadBalancer), and ``<resource_name>/`` followed by ``classes``,
    ``existing-namespaces``, ``dns-autoscaler``, ``node-local-dns``, ``coredns`` or ``ip-masq-agent``,
    so several platforms (one per cluster, each with its own provider) live in one program.
    """

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
        known = {ns for ns, _ in parts.tenants} | {lb.name for lb in parts.load_balancers} | set(_SINGLE_CHILDREN)
        unknown = sorted(set(extra_aliases) - known)
        if unknown:
            raise ValueError(f"child_aliases names no component of this platform: {', '.join(unknown)}")

        def child(old_name: str) -> pulumi.ResourceOptions:
            """A child's options: parented here, and answering to its 0.1 name (``legacy_urns``) and to
            whatever ``child_aliases`` gives it."""
            aliases: list[pulumi.Alias] = [pulumi.Alias(name=old_name)] if legacy_urns else []
            aliases += extra_aliases.get(old_name, [])
            return pulumi.ResourceOptions(parent=self, aliases=list(aliases) or None)

        with answering_to_legacy_urns() if legacy_urns else contextlib.nullcontext():
            self.classes = (
                ClusterClasses(f"{resource_name}/classes", parts.priority_classes, parts.storage_classes, child("classes"), environment=environment)
                if parts.priority_classes or parts.storage_classes
                else None
            )
            self.existing_namespaces = (
                ExistingNamespaces(f"{resource_name}/existing-namespaces", parts.existing_namespaces, child("existing-namespaces"))
                if parts.existing_namespaces
                else None
            )
            self.tenants = {
                ns: TenantNamespace(f"{resource_name}/{ns}", tenant.model_copy(update={"name": ns}), child(ns), environment=environment, dns=parts.dns)
                for ns, tenant in parts.tenants
            }
            self.dns_autoscaler = (
                DnsAutoscaler(f"{resource_name}/dns-autoscaler", parts.dns_autoscaler, child("dns-autoscaler"), environment=environment)
                if parts.dns_autoscaler is not None
                else None
            )
            self.node_local_dns = (
                NodeLocalDns(f"{resource_name}/node-local-dns", parts.node_local_dns, child("node-local-dns"), cluster=parts.cluster, environment=environment)
                if parts.node_local_dns is not None
                else None
            )
            self.coredns = (
                CoreDns(
                    f"{resource_name}/coredns", parts.coredns, child("coredns"), cluster=parts.cluster, node_local=parts.node_local_dns, environment=environment
                )
                if parts.coredns is not None
                else None
            )
            self.ip_masq = (
                IpMasqAgent(f"{resource_name}/ip-masq-agent", parts.ip_masq, child("ip-masq-agent"), environment=environment)
                if parts.ip_masq is not None
                else None
            )
            self.load_balancers = {}
            for balancer in parts.load_balancers:
                tenant = self.tenants.get(balancer.args.namespace) if isinstance(balancer.args.namespace, str) else None
                self.load_balancers[balancer.name] = LoadBalancer(
                    f"{resource_name}/{balancer.name}",
                    balancer.args.model_copy(update={"name": balancer.name}),
                    child(balancer.name),
                    tenant=tenant,
                    namespace_denies_ingress=None if tenant is not None else balancer.denies_ingress,
                    environment=environment,
                )
        self.namespaces = pulumi.Output.all(*(t.namespace for t in self.tenants.values()))
        self.kubelet_cluster_dns = self.node_local_dns.kubelet_cluster_dns if self.node_local_dns is not None else None
        self.load_balancer_ingress = {name: lb.ingress for name, lb in self.load_balancers.items()}
        outputs: dict[str, Any] = {"namespaces": self.namespaces}
        if self.kubelet_cluster_dns is not None:
            outputs["kubeletClusterDNS"] = self.kubelet_cluster_dns
        if self.load_balancers:
            outputs["loadBalancers"] = self.load_balancer_ingress
        self.register_outputs(outputs)
