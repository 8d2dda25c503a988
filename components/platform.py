"""ClusterPlatform: the whole baseline of one environment, composed from the building blocks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pydantic import Field

from . import nodelocaldns
from .bundle import Manifest
from .cluster import ClusterSpec
from .dns import DnsArgs
from .dns_autoscaler import DnsAutoscaler, DnsAutoscalerArgs, build_dns_autoscaler
from .load_balancer import LoadBalancer, LoadBalancerArgs, build_load_balancer
from .model import DnsLabel, KeyPath, Model, Problems
from .network_policy import DEFAULT_DNS, DnsEndpoints
from .nodelocaldns import NodeLocalDns, NodeLocalDnsArgs, build_node_local_dns
from .tenant import TenantNamespace, TenantNamespaceArgs, build_tenant

# CNIs that do not enforce NetworkPolicy, and why a policy on them is a false sense of safety.
_PLUGIN_WARNINGS = {
    "flannel": "Flannel does not enforce NetworkPolicy: these policies are accepted and silently ignored",
    "weave": "Weave Net is no longer maintained; move to a maintained CNI that enforces NetworkPolicy (Calico, Cilium, Antrea, kube-router)",
    "romana": "Romana is no longer maintained; move to a maintained CNI that enforces NetworkPolicy (Calico, Cilium, Antrea, kube-router)",
}


class ClusterPlatformArgs(Model):
    """Everything under the ``clusterstack:`` config keys, without the prefix."""

    cluster: ClusterSpec = Field(default_factory=ClusterSpec)
    namespaces: dict[DnsLabel, TenantNamespaceArgs] = Field(default_factory=dict)
    """Tenant namespaces by name."""
    dns: DnsArgs = Field(default_factory=DnsArgs)
    load_balancers: dict[DnsLabel, LoadBalancerArgs] = Field(default_factory=dict)
    """Services of type LoadBalancer by name."""

    def _problems(self) -> Problems:
        problems: list[tuple[KeyPath, str]] = []
        if self.dns.node_local is not None:
            node_local = nodelocaldns.cluster_problems(self.dns.node_local, self.cluster)
            problems += [(("dns", "nodeLocal", *path), message) for path, message in node_local]
        for name, balancer in self.load_balancers.items():
            if balancer.namespace not in self.namespaces and not balancer.existing_namespace:
                problems.append(
                    (
                        ("loadBalancers", name, "namespace"),
                        (f"{balancer.namespace} is not one of clusterstack:namespaces; declare it there, "
                        "or set existingNamespace: true if it is made outside this stack"),
                    )
                )
        return problems

    def dns_endpoints(self) -> DnsEndpoints:
        """Where DNS egress goes: with NodeLocal DNSCache, also its link-local IP and the kube-dns ClusterIP it answers on."""
        if self.dns.node_local is None:
            return DEFAULT_DNS
        return DnsEndpoints(host_ips=(self.dns.node_local.local_ip, self.cluster.dns_service_ip))

    def denies_ingress(self, namespace: str) -> bool:
        tenant = self.namespaces.get(namespace)
        return tenant is not None and tenant.network_policy is not None and tenant.network_policy.denies_ingress

    def warnings(self) -> list[tuple[KeyPath, str]]:
        found = []
        for name, tenant in self.namespaces.items():
            found += [(("namespaces", name, *path), message) for path, message in tenant.warnings()]
        if self.dns.autoscaler is not None:
            found += [(("dns", "autoscaler", *path), message) for path, message in self.dns.autoscaler.warnings()]
        if self.dns.node_local is not None:
            node_local = nodelocaldns.warnings(self.dns.node_local, self.cluster)
            found += [(("dns", "nodeLocal", *path), message) for path, message in node_local]
        plugin_warning = _PLUGIN_WARNINGS.get(self.cluster.network_plugin or "")
        if plugin_warning is not None:
            found += [
                (("namespaces", name, "networkPolicy"), plugin_warning)
                for name, tenant in self.namespaces.items()
                if tenant.network_policy is not None and not tenant.network_policy.is_empty()
            ]
        return found


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
    dns: DnsEndpoints
    tenants: tuple[tuple[str, TenantNamespaceArgs], ...]
    """By namespace name, sorted."""
    dns_autoscaler: DnsAutoscalerArgs | None
    node_local_dns: NodeLocalDnsArgs | None
    load_balancers: tuple[LoadBalancerPart, ...]
    """By Service name, sorted."""


def compose(args: ClusterPlatformArgs, environment: str | None = None) -> PlatformParts:
    return PlatformParts(
        environment=environment,
        cluster=args.cluster,
        dns=args.dns_endpoints(),
        tenants=tuple(sorted(args.namespaces.items())),
        dns_autoscaler=args.dns.autoscaler,
        node_local_dns=args.dns.node_local,
        load_balancers=tuple(
            LoadBalancerPart(name, balancer, args.denies_ingress(balancer.namespace)) for name, balancer in sorted(args.load_balancers.items())
        ),
    )


def build_platform(args: ClusterPlatformArgs, environment: str | None = None) -> list[Manifest]:
    """Every object of the platform, as plain Kubernetes objects (what ClusterPlatform registers)."""
    parts = compose(args, environment)
    objects: list[Manifest] = []
    for name, tenant in parts.tenants:
        objects += build_tenant(name, tenant, environment, parts.dns).all()
    if parts.dns_autoscaler is not None:
        objects += build_dns_autoscaler(parts.dns_autoscaler, environment).all()
    if parts.node_local_dns is not None:
        objects += build_node_local_dns(parts.node_local_dns, parts.cluster, environment).all()
    for balancer in parts.load_balancers:
        objects += build_load_balancer(balancer.name, balancer.args, environment, balancer.denies_ingress).all()
    return objects


class ClusterPlatform(pulumi.ComponentResource):
    """The platform baseline: tenant namespaces, the DNS add-ons and the load balancers the stack declares."""

    tenants: dict[str, TenantNamespace]
    dns_autoscaler: DnsAutoscaler | None
    node_local_dns: NodeLocalDns | None
    load_balancers: dict[str, LoadBalancer]
    namespaces: pulumi.Output[list[str]]
    kubelet_cluster_dns: pulumi.Output[str] | None
    """With NodeLocal DNSCache: what every kubelet's clusterDNS must be; None without it."""
    load_balancer_ingress: dict[str, pulumi.Output[list[Any] | None]]

    def __init__(
        self,
        name: str,
        args: ClusterPlatformArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        environment: str | None = None,
    ) -> None:
        super().__init__("clusterstack:platform:ClusterPlatform", name, None, opts)
        parts = compose(args, environment)
        children = pulumi.ResourceOptions(parent=self)
        self.tenants = {ns: TenantNamespace(ns, tenant, children, environment=environment, dns=parts.dns) for ns, tenant in parts.tenants}
        self.namespaces = pulumi.Output.all(*(t.namespace for t in self.tenants.values()))
        self.dns_autoscaler = (
            DnsAutoscaler("dns-autoscaler", parts.dns_autoscaler, children, environment=environment) if parts.dns_autoscaler is not None else None
        )
        self.node_local_dns = (
            NodeLocalDns("node-local-dns", parts.node_local_dns, children, cluster=parts.cluster, environment=environment)
            if parts.node_local_dns is not None
            else None
        )
        self.kubelet_cluster_dns = self.node_local_dns.kubelet_cluster_dns if self.node_local_dns is not None else None
        self.load_balancers = {}
        for balancer in parts.load_balancers:
            # A load balancer's namespace must exist first: depend on its tenant when the stack declares it.
            tenant = self.tenants.get(balancer.args.namespace)
            self.load_balancers[balancer.name] = LoadBalancer(
                balancer.name,
                balancer.args,
                pulumi.ResourceOptions(parent=self, depends_on=[tenant] if tenant is not None else None),
                environment=environment,
                namespace_denies_ingress=balancer.denies_ingress,
            )
        self.load_balancer_ingress = {name: lb.ingress for name, lb in self.load_balancers.items()}
        outputs: dict[str, Any] = {"namespaces": self.namespaces}
        if self.kubelet_cluster_dns is not None:
            outputs["kubeletClusterDNS"] = self.kubelet_cluster_dns
        if self.load_balancers:
            outputs["loadBalancers"] = self.load_balancer_ingress
        self.register_outputs(outputs)
