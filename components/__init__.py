"""clusterstack's component library: the cluster baseline as Pulumi component resources.

Each building block is a pure builder (spec -> plain Kubernetes objects, by role) and a thin
ComponentResource that registers those objects as pulumi-kubernetes resources parented to it and
keeps a typed handle on each; ``blocks.py`` is the table of the blocks a ClusterPlatform is made of.

Each name loads on first use (PEP 562): a command that needs one module (``clusterstack diff`` reads
``labels``) does not build every model, which a plain re-export would make it do (~0.5 s of its
~0.8 s). The ``TYPE_CHECKING`` imports are the list of public names: type checkers read them, and
the package reads them back from this file for where each name lives. ``__all__`` repeats the names
for type checkers: ruff refuses an import it lacks (F401), tests/test_blocks.py a name it has that
the block does not import.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def _homes() -> dict[str, str]:
    """Each name the ``TYPE_CHECKING`` block imports, by its module (relative to this package)."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    [block] = [node for node in tree.body if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"]
    return {alias.name: "." * node.level + (node.module or "") for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names}


_HOMES = _homes()

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
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
