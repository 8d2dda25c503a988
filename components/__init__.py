"""clusterstack's component library: the cluster baseline as Pulumi component resources.

Each building block is a pure builder (spec -> plain Kubernetes objects, by role) and a thin
ComponentResource that registers those objects as pulumi-kubernetes resources parented to it and
keeps a typed handle on each.
"""

from .bundle import Manifest
from .cluster import ClusterDns, ClusterSpec, ClusterSpecArgsDict
from .cpa import ClusterSize, LadderParams, LadderParamsArgsDict, LinearParams, LinearParamsArgsDict, forecast
from .dns import DnsArgs, DnsArgsDict
from .dns_autoscaler import DnsAutoscaler, DnsAutoscalerArgs, DnsAutoscalerArgsDict, DnsAutoscalerObjects, build_dns_autoscaler
from .limits import LimitEntry, LimitEntryArgsDict, Limits, LimitsArgsDict
from .load_balancer import LoadBalancer, LoadBalancerArgs, LoadBalancerArgsDict, LoadBalancerObjects, ServicePort, ServicePortArgsDict, build_load_balancer
from .model import Invalid
from .network_policy import (
    EgressRule,
    EgressRuleArgsDict,
    IngressRule,
    IngressRuleArgsDict,
    NamespacePolicies,
    NetworkPolicyArgs,
    NetworkPolicyArgsDict,
    Port,
    PortArgsDict,
    RawPolicyArgsDict,
    build_network_policies,
)
from .nodelocaldns import NodeLocalDns, NodeLocalDnsArgs, NodeLocalDnsArgsDict, NodeLocalDnsObjects, build_node_local_dns, corefile
from .platform import ClusterPlatform, ClusterPlatformArgs, ClusterPlatformArgsDict, PlatformParts, build_platform, compose
from .pod_security import PodSecurity, PodSecurityArgsDict
from .quota import QuotaSpec, QuotaSpecArgsDict, ScopeRequirement, ScopeSelector
from .register import legacy_urns
from .tenant import TenantNamespace, TenantNamespaceArgs, TenantNamespaceArgsDict, TenantObjects, build_tenant

__all__ = [
    "ClusterDns",
    "ClusterPlatform",
    "ClusterPlatformArgs",
    "ClusterPlatformArgsDict",
    "ClusterSize",
    "ClusterSpec",
    "ClusterSpecArgsDict",
    "DnsArgs",
    "DnsArgsDict",
    "DnsAutoscaler",
    "DnsAutoscalerArgs",
    "DnsAutoscalerArgsDict",
    "DnsAutoscalerObjects",
    "EgressRule",
    "EgressRuleArgsDict",
    "IngressRule",
    "IngressRuleArgsDict",
    "Invalid",
    "LadderParams",
    "LadderParamsArgsDict",
    "LimitEntry",
    "LimitEntryArgsDict",
    "Limits",
    "LimitsArgsDict",
    "LinearParams",
    "LinearParamsArgsDict",
    "LoadBalancer",
    "LoadBalancerArgs",
    "LoadBalancerArgsDict",
    "LoadBalancerObjects",
    "Manifest",
    "NamespacePolicies",
    "NetworkPolicyArgs",
    "NetworkPolicyArgsDict",
    "NodeLocalDns",
    "NodeLocalDnsArgs",
    "NodeLocalDnsArgsDict",
    "NodeLocalDnsObjects",
    "PlatformParts",
    "PodSecurity",
    "PodSecurityArgsDict",
    "Port",
    "PortArgsDict",
    "QuotaSpec",
    "QuotaSpecArgsDict",
    "RawPolicyArgsDict",
    "ScopeRequirement",
    "ScopeSelector",
    "ServicePort",
    "ServicePortArgsDict",
    "TenantNamespace",
    "TenantNamespaceArgs",
    "TenantNamespaceArgsDict",
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
    "legacy_urns",
]
