"""ClusterPlatform: the whole baseline of one environment, composed from the building blocks."""

from __future__ import annotations

from typing import Optional

import pulumi
from pydantic import Field

from .cluster import ClusterSpec
from .model import DnsLabel, KeyPath, Model
from .tenant import TenantNamespace, TenantNamespaceArgs, build_tenant


class ClusterPlatformArgs(Model):
    """Everything under the ``clusterstack:`` config keys, without the prefix."""

    cluster: ClusterSpec = Field(default_factory=ClusterSpec)
    namespaces: dict[DnsLabel, TenantNamespaceArgs] = Field(default_factory=dict)
    """Tenant namespaces by name."""

    def warnings(self) -> list[tuple[KeyPath, str]]:
        found = []
        for name, tenant in self.namespaces.items():
            found += [(("namespaces", name, *path), message) for path, message in tenant.warnings()]
        return found


def build_platform(args: ClusterPlatformArgs, environment: str | None = None) -> list[dict]:
    """Every object of the platform, as plain Kubernetes objects (what ClusterPlatform registers)."""
    objects = []
    for name in sorted(args.namespaces):
        objects += build_tenant(name, args.namespaces[name], environment)
    return objects


class ClusterPlatform(pulumi.ComponentResource):
    """The platform baseline: one TenantNamespace per namespace (DNS, policies and load balancers plug in here)."""

    namespaces: pulumi.Output[list[str]]

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
        self.register_outputs({"namespaces": self.namespaces})
