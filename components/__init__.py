"""clusterstack's component library: the cluster baseline as Pulumi component resources.

Each building block is a pure builder (spec -> plain Kubernetes objects) and a thin
ComponentResource that registers those objects as pulumi-kubernetes resources parented to it.
"""

from .cluster import ClusterSpec
from .cpa import ClusterSize, LadderParams, LinearParams, forecast
from .dns import DnsArgs
from .dns_autoscaler import DnsAutoscaler, DnsAutoscalerArgs, build_dns_autoscaler
from .limits import LimitEntry, Limits
from .load_balancer import LoadBalancer, LoadBalancerArgs, ServicePort, build_load_balancer
from .model import Invalid
from .network_policy import DnsEndpoints, EgressRule, IngressRule, NamespacePolicies, NetworkPolicyArgs, Port, build_network_policies
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
    "DnsEndpoints",
    "EgressRule",
    "IngressRule",
    "DnsAutoscaler",
    "DnsAutoscalerArgs",
    "Invalid",
    "LadderParams",
    "LimitEntry",
    "Limits",
    "LinearParams",
    "LoadBalancer",
    "LoadBalancerArgs",
    "NamespacePolicies",
    "NetworkPolicyArgs",
    "NodeLocalDns",
    "NodeLocalDnsArgs",
    "PodSecurity",
    "Port",
    "QuotaSpec",
    "ScopeRequirement",
    "ScopeSelector",
    "ServicePort",
    "TenantNamespace",
    "TenantNamespaceArgs",
    "build_dns_autoscaler",
    "build_load_balancer",
    "build_network_policies",
    "build_node_local_dns",
    "build_platform",
    "build_tenant",
    "corefile",
    "forecast",
]
