"""clusterstack's component library: the cluster baseline as Pulumi component resources.

Each building block is a pure builder (spec -> plain Kubernetes objects) and a thin
ComponentResource that registers those objects as pulumi-kubernetes resources parented to it.
"""

from .cluster import ClusterSpec
from .cpa import ClusterSize, LadderParams, LinearParams, forecast
from .dns import DnsArgs
from .dns_autoscaler import DnsAutoscaler, DnsAutoscalerArgs, build_dns_autoscaler
from .limits import LimitEntry, Limits
from .model import Invalid
from .nodelocaldns import NodeLocalDns, NodeLocalDnsArgs, build_node_local_dns, corefile
from .platform import ClusterPlatform, ClusterPlatformArgs, build_platform
from .pod_security import PodSecurity
from .quota import QuotaSpec, ScopeRequirement, ScopeSelector
from .tenant import TenantNamespace, TenantNamespaceArgs, build_tenant

__all__ = [
    "ClusterPlatform",
    "ClusterPlatformArgs",
    "ClusterSize",
    "ClusterSpec",
    "DnsArgs",
    "DnsAutoscaler",
    "DnsAutoscalerArgs",
    "Invalid",
    "LadderParams",
    "LimitEntry",
    "Limits",
    "LinearParams",
    "NodeLocalDns",
    "NodeLocalDnsArgs",
    "PodSecurity",
    "QuotaSpec",
    "ScopeRequirement",
    "ScopeSelector",
    "TenantNamespace",
    "TenantNamespaceArgs",
    "build_dns_autoscaler",
    "build_node_local_dns",
    "build_platform",
    "build_tenant",
    "corefile",
    "forecast",
]
