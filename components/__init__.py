"""clusterstack's component library: the cluster baseline as Pulumi component resources.

Each building block is a pure builder (spec -> plain Kubernetes objects) and a thin
ComponentResource that registers those objects as pulumi-kubernetes resources parented to it.
"""

from .cluster import ClusterSpec
from .limits import LimitEntry, Limits
from .model import Invalid
from .platform import ClusterPlatform, ClusterPlatformArgs, build_platform
from .pod_security import PodSecurity
from .quota import QuotaSpec, ScopeRequirement, ScopeSelector
from .tenant import TenantNamespace, TenantNamespaceArgs, build_tenant

__all__ = [
    "ClusterPlatform",
    "ClusterPlatformArgs",
    "ClusterSpec",
    "Invalid",
    "LimitEntry",
    "Limits",
    "PodSecurity",
    "QuotaSpec",
    "ScopeRequirement",
    "ScopeSelector",
    "TenantNamespace",
    "TenantNamespaceArgs",
    "build_platform",
    "build_tenant",
]
