"""ClusterPlatform: the whole baseline of one environment, composed from the building blocks."""

from __future__ import annotations

from typing import Optional

import pulumi
from pydantic import Field, model_validator

from . import nodelocaldns
from .cluster import ClusterSpec
from .dns import DnsArgs
from .dns_autoscaler import DnsAutoscaler, build_dns_autoscaler
from .model import DnsLabel, KeyPath, Model, raise_problems
from .nodelocaldns import NodeLocalDns, build_node_local_dns
from .tenant import TenantNamespace, TenantNamespaceArgs, build_tenant


class ClusterPlatformArgs(Model):
    """Everything under the ``clusterstack:`` config keys, without the prefix."""

    cluster: ClusterSpec = Field(default_factory=ClusterSpec)
    namespaces: dict[DnsLabel, TenantNamespaceArgs] = Field(default_factory=dict)
    """Tenant namespaces by name."""
    dns: DnsArgs = Field(default_factory=DnsArgs)

    @model_validator(mode="after")
    def _cluster_rules(self) -> ClusterPlatformArgs:
        if self.dns.node_local is not None:
            problems = nodelocaldns.cluster_problems(self.dns.node_local, self.cluster)
            raise_problems((("dns", "nodeLocal", *path), message) for path, message in problems)
        return self

    def warnings(self) -> list[tuple[KeyPath, str]]:
        found = []
        for name, tenant in self.namespaces.items():
            found += [(("namespaces", name, *path), message) for path, message in tenant.warnings()]
        if self.dns.autoscaler is not None:
            found += [(("dns", "autoscaler", *path), message) for path, message in self.dns.autoscaler.warnings()]
        if self.dns.node_local is not None:
            node_local = nodelocaldns.warnings(self.dns.node_local, self.cluster)
            found += [(("dns", "nodeLocal", *path), message) for path, message in node_local]
        return found


def build_platform(args: ClusterPlatformArgs, environment: str | None = None) -> list[dict]:
    """Every object of the platform, as plain Kubernetes objects (what ClusterPlatform registers)."""
    objects = []
    for name in sorted(args.namespaces):
        objects += build_tenant(name, args.namespaces[name], environment)
    if args.dns.autoscaler is not None:
        objects += build_dns_autoscaler(args.dns.autoscaler, environment)
    if args.dns.node_local is not None:
        objects += build_node_local_dns(args.dns.node_local, args.cluster, environment)
    return objects


class ClusterPlatform(pulumi.ComponentResource):
    """The platform baseline: one TenantNamespace per namespace, and the DNS add-ons the stack enables."""

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
        self.tenants = {
            ns: TenantNamespace(ns, args.namespaces[ns], children, environment=environment)
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
        outputs = {"namespaces": self.namespaces}
        if self.kubelet_cluster_dns is not None:
            outputs["kubeletClusterDNS"] = self.kubelet_cluster_dns
        self.register_outputs(outputs)
