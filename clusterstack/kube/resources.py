"""Resource names as the API server classifies them (pkg/apis/core/helper and pkg/apis/core/validation).

These sets decide what a ResourceQuota or a LimitRange may name, which values must be whole
numbers, and which resources may not be overcommitted.
"""

from __future__ import annotations

from typing import Literal

from .names import qualified_name

# helper.standardQuotaResources, plus the hugepages forms that IsStandardQuotaResourceName admits.
COMPUTE_QUOTA_RESOURCES = (
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
)
OBJECT_COUNT_QUOTA_RESOURCES = (
    "pods",
    "services",
    "services.loadbalancers",
    "services.nodeports",
    "configmaps",
    "secrets",
    "persistentvolumeclaims",
    "replicationcontrollers",
    "resourcequotas",
)
STORAGE_QUOTA_RESOURCES = ("requests.storage",)
STANDARD_QUOTA_RESOURCES = COMPUTE_QUOTA_RESOURCES + OBJECT_COUNT_QUOTA_RESOURCES + STORAGE_QUOTA_RESOURCES

# What a quota with a pod-level scope may constrain (helper.IsResourceQuotaScopeValidForResource).
POD_COMPUTE_QUOTA_RESOURCES = frozenset(
    {"cpu", "memory", "limits.cpu", "limits.memory", "requests.cpu", "requests.memory"}
)
QuotaScope = Literal["Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity"]
CONFLICTING_SCOPES: tuple[tuple[QuotaScope, QuotaScope], ...] = (("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating"))
ScopeOperator = Literal["In", "NotIn", "Exists", "DoesNotExist"]
"""scopeSelector operators; every scope but PriorityClass takes only Exists."""

STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/"
STORAGE_CLASS_QUOTA_RESOURCES = ("requests.storage", "persistentvolumeclaims")

# Container resources a LimitRange Container or Pod entry may name (besides hugepages-* and extended ones).
STANDARD_CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")


def is_hugepages(name: str) -> bool:
    return name.startswith(("hugepages-", "requests.hugepages-"))


def is_extended(name: str) -> bool:
    """A fully qualified resource outside the kubernetes.io domain, such as ``nvidia.com/gpu``."""
    prefix, slash, _ = name.partition("/")
    return bool(slash) and not (prefix == "kubernetes.io" or prefix.endswith(".kubernetes.io")) and not qualified_name(name)


def quota_resource_problem(name: str) -> str | None:
    """Why ``name`` cannot be a key of ``spec.hard``, or None (ValidateResourceQuotaResourceName)."""
    if "/" in name:
        reasons = qualified_name(name)
        return f"is not a qualified resource name: {'; '.join(reasons)}" if reasons else None
    if name in STANDARD_QUOTA_RESOURCES or is_hugepages(name):
        return None
    return "is not a quota resource"


def is_whole_number_quota_resource(name: str) -> bool:
    """Object counts and extended resources are counted in whole units (IsIntegerResourceName)."""
    if name in OBJECT_COUNT_QUOTA_RESOURCES or name.startswith("count/"):
        return True
    if name.endswith(tuple("/" + r for r in STORAGE_CLASS_QUOTA_RESOURCES[1:])):
        return True  # <class>.storageclass.storage.k8s.io/persistentvolumeclaims
    extended = name.removeprefix("requests.")
    return is_extended(extended) and STORAGE_CLASS_SUFFIX not in name


def container_resource_problem(name: str) -> str | None:
    """Why ``name`` is not a container resource (validateContainerResourceName), or None."""
    if name in STANDARD_CONTAINER_RESOURCES or name.startswith("hugepages-") or is_extended(name):
        return None
    return "is not a container resource"


def overcommit_allowed(name: str) -> bool:
    """Hugepages and extended resources cannot be overcommitted (helper.IsOvercommitAllowed)."""
    return name in STANDARD_CONTAINER_RESOURCES
