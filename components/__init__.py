"""clusterstack's component library: the cluster baseline as Pulumi component resources.

Each building block is a pure builder (spec -> plain Kubernetes objects, by role) and a thin
ComponentResource that registers those objects as pulumi-kubernetes resources parented to it and
keeps a typed handle on each.

Each name loads on first use (PEP 562), so importing the package or one of its pure modules
(``kube.kinds``, ``cpa``) does not import Pulumi, pulumi-kubernetes and every model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

FIELD_DOCS_ENV = "CLUSTERSTACK_FIELD_DOCS"
"""``0``: the models leave their fields' docstrings out. They are the published schema's descriptions
(``clusterstack schema``) and nothing else, and pydantic finds them by reading each class's source,
which costs a command ~0.2 s of start-up: the ``clusterstack`` command sets it for every other command."""

if TYPE_CHECKING:
    from ..kube.manifest import Manifest
    from .access import ServiceAccountArgs, ServiceAccountArgsDict, Subjects, SubjectsArgsDict, TenantAccess, TenantAccessArgsDict, build_access
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
    from .platform import ClusterPlatform, ClusterPlatformArgs, ClusterPlatformArgsDict, PlatformParts, build_platform, compose
    from .pod_security import PodSecurity, PodSecurityArgsDict
    from .quota import QuotaSpec, QuotaSpecArgsDict, ScopeRequirement, ScopeSelector
    from .register import legacy_urns
    from .tenant import TenantNamespace, TenantNamespaceArgs, TenantNamespaceArgsDict, TenantObjects, build_tenant

_HOMES = {
    "ClusterClasses": "classes",
    "ClusterDns": "cluster",
    "ClusterPlatform": "platform",
    "ClusterPlatformArgs": "platform",
    "ClusterPlatformArgsDict": "platform",
    "ClusterSize": "cpa",
    "ClusterSpec": "cluster",
    "ClusterSpecArgsDict": "cluster",
    "CoreDns": "coredns",
    "CoreDnsArgs": "coredns",
    "CoreDnsArgsDict": "coredns",
    "CoreDnsObjects": "coredns",
    "DisruptionBudget": "coredns",
    "DisruptionBudgetArgsDict": "coredns",
    "DnsArgs": "dns",
    "DnsArgsDict": "dns",
    "DnsAutoscaler": "dns_autoscaler",
    "DnsAutoscalerArgs": "dns_autoscaler",
    "DnsAutoscalerArgsDict": "dns_autoscaler",
    "DnsAutoscalerObjects": "dns_autoscaler",
    "EgressRule": "network_policy",
    "EgressRuleArgsDict": "network_policy",
    "Existing": "cluster",
    "ExistingArgsDict": "cluster",
    "ExistingNamespaceArgs": "existing_namespaces",
    "ExistingNamespaceArgsDict": "existing_namespaces",
    "ExistingNamespaces": "existing_namespaces",
    "IngressRule": "network_policy",
    "IngressRuleArgsDict": "network_policy",
    "Invalid": "model",
    "IpMasqAgent": "ip_masq",
    "IpMasqArgs": "ip_masq",
    "IpMasqArgsDict": "ip_masq",
    "IpMasqObjects": "ip_masq",
    "LadderParams": "cpa",
    "LadderParamsArgsDict": "cpa",
    "LimitEntry": "limits",
    "LimitEntryArgsDict": "limits",
    "Limits": "limits",
    "LimitsArgsDict": "limits",
    "LinearParams": "cpa",
    "LinearParamsArgsDict": "cpa",
    "LoadBalancer": "load_balancer",
    "LoadBalancerArgs": "load_balancer",
    "LoadBalancerArgsDict": "load_balancer",
    "LoadBalancerObjects": "load_balancer",
    "Manifest": "bundle",
    "NamespacePolicies": "network_policy",
    "NetworkPolicyArgs": "network_policy",
    "NetworkPolicyArgsDict": "network_policy",
    "NodeLocalDns": "nodelocaldns",
    "NodeLocalDnsArgs": "nodelocaldns",
    "NodeLocalDnsArgsDict": "nodelocaldns",
    "NodeLocalDnsObjects": "nodelocaldns",
    "NodePool": "capacity",
    "NodePoolArgsDict": "capacity",
    "PlatformParts": "platform",
    "PodSecurity": "pod_security",
    "PodSecurityArgsDict": "pod_security",
    "Port": "network_policy",
    "PortArgsDict": "network_policy",
    "PriorityClassArgs": "classes",
    "PriorityClassArgsDict": "classes",
    "QuotaSpec": "quota",
    "QuotaSpecArgsDict": "quota",
    "RawPolicyArgsDict": "network_policy",
    "ScopeRequirement": "quota",
    "ScopeSelector": "quota",
    "ServerBlock": "coredns",
    "ServerBlockArgsDict": "coredns",
    "ServiceAccountArgs": "access",
    "ServiceAccountArgsDict": "access",
    "ServicePort": "load_balancer",
    "ServicePortArgsDict": "load_balancer",
    "StorageClassArgs": "classes",
    "StorageClassArgsDict": "classes",
    "Subjects": "access",
    "SubjectsArgsDict": "access",
    "TenantAccess": "access",
    "TenantAccessArgsDict": "access",
    "TenantNamespace": "tenant",
    "TenantNamespaceArgs": "tenant",
    "TenantNamespaceArgsDict": "tenant",
    "TenantObjects": "tenant",
    "build_access": "access",
    "build_classes": "classes",
    "build_coredns": "coredns",
    "build_dns_autoscaler": "dns_autoscaler",
    "build_existing_namespaces": "existing_namespaces",
    "build_ip_masq": "ip_masq",
    "build_load_balancer": "load_balancer",
    "build_network_policies": "network_policy",
    "build_node_local_dns": "nodelocaldns",
    "build_platform": "platform",
    "build_tenant": "tenant",
    "compose": "platform",
    "corefile": "nodelocaldns",
    "forecast": "cpa",
    "legacy_urns": "register",
    "render_corefile": "coredns",
}
"""Each public name's module."""

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
