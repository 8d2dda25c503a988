"""ClusterPlatform: the whole baseline of one environment, composed from the building blocks."""

from __future__ import annotations

from typing import Optional

import pulumi
from pydantic import Field

from . import nodelocaldns
from .cluster import ClusterSpec
from .dns import DnsArgs
from .dns_autoscaler import DnsAutoscaler, build_dns_autoscaler
from .load_balancer import LoadBalancer, LoadBalancerArgs, build_load_balancer
from .model import DnsLabel, KeyPath, Model
from .network_policy import DnsEndpoints
from .nodelocaldns import NodeLocalDns, build_node_local_dns
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

    def _problems(self):
        problems: list[tuple[KeyPath, str]] = []
        if self.dns.node_local is not None:
            node_local = nodelocaldns.cluster_problems(self.dns.node_local, self.cluster)
            problems += [(("dns", "nodeLocal", *path), message) for path, message in node_local]
        for name, balancer in self.load_balancers.items():
            if balancer.namespace not in self.namespaces and not balancer.existing_namespace:
                problems.append(
                    (
                        ("loadBalancers", name, "namespace"),
                        f"{balancer.namespace} is not one of clusterstack:namespaces; declare it there, "
                        "or set existingNamespace: true if it is made outside this stack",
                    )
                )
        return problems

    def dns_endpoints(self) -> DnsEndpoints:
        """Where DNS egress goes: with NodeLocal DNSCache, also its link-local IP and the kube-dns ClusterIP it answers on."""
        if self.dns.node_local is None:
            return DnsEndpoints()
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


def build_platform(args: ClusterPlatformArgs, environment: str | None = None) -> list[dict]:
    """Every object of the platform, as plain Kubernetes objects (what ClusterPlatform registers)."""
    objects = []
    dns = args.dns_endpoints()
    for name in sorted(args.namespaces):
        objects += build_tenant(name, args.namespaces[name], environment, dns)
    if args.dns.autoscaler is not None:
        objects += build_dns_autoscaler(args.dns.autoscaler, environment)
    if args.dns.node_local is not None:
        objects += build_node_local_dns(args.dns.node_local, args.cluster, environment)
    for name in sorted(args.load_balancers):
        balancer = args.load_balancers[name]
        objects += build_load_balancer(name, balancer, environment, args.denies_ingress(balancer.namespace))
    return objects


class ClusterPlatform(pulumi.ComponentResource):
    """The platform baseline: tenant namespaces, the DNS add-ons and the load balancers the stack declares."""

    namespaces: pulumi.Output[list[str]]
    kubelet_cluster_dns: Optional[pulumi.Output[str]]
    """With NodeLocal DNSCache: what every kubelet's clusterDNS must be; None without it."""

    def __init__(
        self,
        name: str,
        args: ClusterPlatformArgs,
        opts: Optional[pulumi.ResourceOptions] = None,
        *,
        environment: str | None = None,
    ) -> None:
        super().__init__("clusterstack:platform:ClusterPlatform", name, None, opts)
        children = pulumi.ResourceOptions(parent=self)
        dns = args.dns_endpoints()
        self.tenants = {
            ns: TenantNamespace(ns, args.namespaces[ns], children, environment=environment, dns=dns)
            for ns in sorted(args.namespaces)
        }
        self.namespaces = pulumi.Output.all(*(t.namespace for t in self.tenants.values()))
        self.dns_autoscaler = (
            DnsAutoscaler("dns-autoscaler", args.dns.autoscaler, children, environment=environment)
            if args.dns.autoscaler is not None
            else None
        )
        self.node_local_dns = (
            NodeLocalDns("node-local-dns", args.dns.node_local, children, cluster=args.cluster, environment=environment)
            if args.dns.node_local is not None
            else None
        )
        self.kubelet_cluster_dns = self.node_local_dns.kubelet_cluster_dns if self.node_local_dns is not None else None
        # A load balancer's namespace must exist first: depend on its tenant when the stack declares it.
        self.load_balancers = {
            name: LoadBalancer(
                name,
                balancer,
                pulumi.ResourceOptions(parent=self, depends_on=[self.tenants[balancer.namespace]] if balancer.namespace in self.tenants else None),
                environment=environment,
                namespace_denies_ingress=args.denies_ingress(balancer.namespace),
            )
            for name, balancer in sorted(args.load_balancers.items())
        }
        self.load_balancer_ingress = {name: lb.ingress for name, lb in self.load_balancers.items()}
        outputs = {"namespaces": self.namespaces}
        if self.kubelet_cluster_dns is not None:
            outputs["kubeletClusterDNS"] = self.kubelet_cluster_dns
        if self.load_balancers:
            outputs["loadBalancers"] = self.load_balancer_ingress
        self.register_outputs(outputs)
