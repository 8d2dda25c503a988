"""clusterstack's component library: the cluster baseline as Pulumi component resources.

Each building block is a pure builder (spec -> plain Kubernetes objects, by role) and a thin
ComponentResource that registers those objects as pulumi-kubernetes resources parented to it and
keeps a typed handle on each; ``blocks.py`` is the table of the blocks a ClusterPlatform is made of.

A plain re-export: the engine's vocabulary lives in ``clusterstack.kube``, so only the Pulumi program
and the commands that validate a stack import this package, and they need its models anyway.
"""

from __future__ import annotations

from ..kube.manifest import Manifest
from .access import ServiceAccountArgs, ServiceAccountArgsDict, Subjects, SubjectsArgsDict, TenantAccess, TenantAccessArgsDict, build_access
from .blocks import ClusterPlatform, PlatformParts, build_platform, compose
from .capacity import NodePool, NodePoolArgsDict
from .classes import ClusterClasses, PriorityClassArgs, PriorityClassArgsDict, StorageClassArgs, StorageClassArgsDict, build_classes
from .cluster import ClusterDns, ClusterSpec, ClusterSpecArgsDict, Existing, ExistingArgsDict
from .coredns import (
    CoreDns,
    CoreDnsArgs,
    CoreDnsArgsDict,
    CoreDnsObjects,
    DisruptionBudget,
    DisruptionBudgetArgsDict,
    ServerBlock,
    ServerBlockArgsDict,
    build_coredns,
    render_corefile,
)
from .cpa import ClusterSize, LadderParams, LadderParamsArgsDict, LinearParams, LinearParamsArgsDict, forecast
from .dns import DnsArgs, DnsArgsDict
from .dns_autoscaler import DnsAutoscaler, DnsAutoscalerArgs, DnsAutoscalerArgsDict, DnsAutoscalerObjects, build_dns_autoscaler
from .existing_namespaces import ExistingNamespaceArgs, ExistingNamespaceArgsDict, ExistingNamespaces, build_existing_namespaces
from .ip_masq import IpMasqAgent, IpMasqArgs, IpMasqArgsDict, IpMasqObjects, build_ip_masq
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
from .platform import ClusterPlatformArgs, ClusterPlatformArgsDict
from .pod_security import PodSecurity, PodSecurityArgsDict
from .quota import QuotaSpec, QuotaSpecArgsDict, ScopeRequirement, ScopeSelector
from .register import legacy_urns
from .tenant import TenantNamespace, TenantNamespaceArgs, TenantNamespaceArgsDict, TenantObjects, build_tenant

__all__ = [
    "ClusterClasses",
    "ClusterDns",
    "ClusterPlatform",
    "ClusterPlatformArgs",
    "ClusterPlatformArgsDict",
    "ClusterSize",
    "ClusterSpec",
    "ClusterSpecArgsDict",
    "CoreDns",
    "CoreDnsArgs",
    "CoreDnsArgsDict",
    "CoreDnsObjects",
    "DisruptionBudget",
    "DisruptionBudgetArgsDict",
    "DnsArgs",
    "DnsArgsDict",
    "DnsAutoscaler",
    "DnsAutoscalerArgs",
    "DnsAutoscalerArgsDict",
    "DnsAutoscalerObjects",
    "EgressRule",
    "EgressRuleArgsDict",
    "Existing",
    "ExistingArgsDict",
    "ExistingNamespaceArgs",
    "ExistingNamespaceArgsDict",
    "ExistingNamespaces",
    "IngressRule",
    "IngressRuleArgsDict",
    "Invalid",
    "IpMasqAgent",
    "IpMasqArgs",
    "IpMasqArgsDict",
    "IpMasqObjects",
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
    "NodePool",
    "NodePoolArgsDict",
    "PlatformParts",
    "PodSecurity",
    "PodSecurityArgsDict",
    "Port",
    "PortArgsDict",
    "PriorityClassArgs",
    "PriorityClassArgsDict",
    "QuotaSpec",
    "QuotaSpecArgsDict",
    "RawPolicyArgsDict",
    "ScopeRequirement",
    "ScopeSelector",
    "ServerBlock",
    "ServerBlockArgsDict",
    "ServiceAccountArgs",
    "ServiceAccountArgsDict",
    "ServicePort",
    "ServicePortArgsDict",
    "StorageClassArgs",
    "StorageClassArgsDict",
    "Subjects",
    "SubjectsArgsDict",
    "TenantAccess",
    "TenantAccessArgsDict",
    "TenantNamespace",
    "TenantNamespaceArgs",
    "TenantNamespaceArgsDict",
    "TenantObjects",
    "build_access",
    "build_classes",
    "build_coredns",
    "build_dns_autoscaler",
    "build_existing_namespaces",
    "build_ip_masq",
    "build_load_balancer",
    "build_network_policies",
    "build_node_local_dns",
    "build_platform",
    "build_tenant",
    "compose",
    "corefile",
    "forecast",
    "legacy_urns",
    "render_corefile",
]
