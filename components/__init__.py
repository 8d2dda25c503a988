"""clusterstack's component library: the cluster baseline as Pulumi component resources.

Each building block is a pure builder (spec -> plain Kubernetes objects, by role) and a thin
ComponentResource that registers those objects as pulumi-kubernetes resources parented to it and
keeps a typed handle on each.
"""

from .bundle import Manifest
from .cluster import ClusterSpec
from .cpa import ClusterSize, LadderParams, LinearParams, forecast
from .dns import DnsArgs
from .dns_autoscaler import DnsAutoscaler, DnsAutoscalerArgs, DnsAutoscalerObjects, build_dns_autoscaler
from .limits import LimitEntry, Limits
from .load_balancer import LoadBalancer, LoadBalancerArgs, LoadBalancerObjects, ServicePort, build_load_balancer
from .model import Invalid
from .network_policy import DnsEndpoints, EgressRule, IngressRule, NamespacePolicies, NetworkPolicyArgs, Port, build_network_policies
from .nodelocaldns import NodeLocalDns, NodeLocalDnsArgs, NodeLocalDnsObjects, build_node_local_dns, corefile
from .platform import ClusterPlatform, ClusterPlatformArgs, PlatformParts, build_platform, compose
from .pod_security import PodSecurity
from .quota import QuotaSpec, ScopeRequirement, ScopeSelector
from .tenant import TenantNamespace, TenantNamespaceArgs, TenantObjects, build_tenant

__all__ = [
    "ClusterPlatform",
    "ClusterPlatformArgs",
    "ClusterSize",
    "ClusterSpec",
    "DnsArgs",
    "DnsAutoscaler",
    "DnsAutoscalerArgs",
    "DnsAutoscalerObjects",
    "DnsEndpoints",
    "EgressRule",
    "IngressRule",
    "Invalid",
    "LadderParams",
    "LimitEntry",
    "Limits",
    "LinearParams",
    "LoadBalancer",
    "LoadBalancerArgs",
    "LoadBalancerObjects",
    "Manifest",
    "NamespacePolicies",
    "NetworkPolicyArgs",
    "NodeLocalDns",
    "NodeLocalDnsArgs",
    "NodeLocalDnsObjects",
    "PlatformParts",
    "PodSecurity",
    "Port",
    "QuotaSpec",
    "ScopeRequirement",
    "ScopeSelector",
    "ServicePort",
    "TenantNamespace",
    "TenantNamespaceArgs",
    "TenantObjects",
    "build_dns_autoscaler",
    "build_load_balancer",
    "build_network_policies",
    "build_node_local_dns",
    "build_platform",
    "build_tenant",
    "compose",
    "corefile",
    "forecast",
]
