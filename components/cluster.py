"""Facts about the target cluster (``clusterstack:cluster``) that the building blocks need, and where
its pods send DNS queries (``ClusterDns``), which every default-deny egress policy must allow."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from pydantic import Field, field_validator

from ..kube.findings import Findings
from ..kube.names import dns1123_subdomain
from ..kube.network import parse_ip
from ..kube.schema import DEFAULT_KUBERNETES_VERSION, supported_versions
from .capacity import NodePool, NodePoolArgsDict, node_pool_problems
from .model import Model

_VERSION = re.compile(r"1\.[0-9]+")
KubeProxyMode = Literal["iptables", "ipvs"]
NetworkPlugin = Literal["calico", "cilium", "antrea", "kube-router", "flannel", "weave", "romana", "other"]
Distribution = Literal["kubeadm", "gke", "eks", "aks", "other"]


# <generated from the fields of Existing by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class ExistingArgsDict(TypedDict, total=False):
    """``Existing`` as a dict, in the stack files' spelling."""

    priorityClasses: Sequence[str]
    storageClasses: Sequence[str]
# </generated>


class Existing(Model):
    """What the cluster has that the stack does not declare, and may name (a managed offering's own
    StorageClasses, classes another stack declares)."""

    priority_classes: tuple[str, ...] = ()
    storage_classes: tuple[str, ...] = ()

    # <generated from the fields of Existing by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(self, *, priority_classes: Sequence[str] = (), storage_classes: Sequence[str] = ()) -> None: ...
    # </generated>


# <generated from the fields of ClusterSpec by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class ClusterSpecArgsDict(TypedDict, total=False):
    """``ClusterSpec`` as a dict, in the stack files' spelling."""

    kubernetesVersion: str
    domain: str
    dnsServiceIP: str
    kubeProxyMode: KubeProxyMode
    networkPlugin: NetworkPlugin
    distribution: Distribution
    requireContext: bool
    existing: Existing | ExistingArgsDict
    nodePools: Sequence[NodePool | NodePoolArgsDict]
# </generated>


class ClusterSpec(Model):
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    """The cluster's minor version, "1.N" (quoted in YAML): what ``validate`` checks objects against."""
    domain: str = "cluster.local"
    """The cluster DNS domain (the kubelet's clusterDomain)."""
    dns_service_ip: str = Field("10.96.0.10", alias="dnsServiceIP")
    """The kube-dns Service ClusterIP (kubeadm's default for a 10.96.0.0/12 service range)."""
    kube_proxy_mode: KubeProxyMode = "iptables"
    network_plugin: NetworkPlugin | None = None
    """The CNI, when known: policies on a plugin that enforces none draw a warning."""
    distribution: Distribution | None = None
    """Who made the cluster, when known: managed offerings ship some of the add-ons (GKE runs
    kube-dns-autoscaler), and ``validate`` says which need ``onExisting: adopt``."""
    require_context: bool = False
    """Refuse the stack unless it names its cluster (``kubernetes:context`` or ``kubernetes:kubeconfig``),
    so ``pulumi up`` never runs against whatever kubeconfig context happens to be current."""
    existing: Existing = Field(default_factory=Existing)
    """Classes the cluster has without this stack declaring them."""
    node_pools: tuple[NodePool, ...] = ()
    """The cluster's nodes, pool by pool, with their kubelets' reservations: what ``clusterstack
    capacity`` sets the tenants' quotas against, and what ``validate`` checks LimitRanges against
    (a minimum, maximum or default request no node can hold). Empty: neither check."""

    # <generated from the fields of ClusterSpec by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, kubernetes_version: str = "1.34", domain: str = "cluster.local", dns_service_ip: str = "10.96.0.10",
            kube_proxy_mode: KubeProxyMode = "iptables", network_plugin: NetworkPlugin | None = None, distribution: Distribution | None = None,
            require_context: bool = False, existing: Existing | ExistingArgsDict = ..., node_pools: Sequence[NodePool | NodePoolArgsDict] = (),
        ) -> None: ...
    # </generated>

    def _problems(self) -> Findings:
        yield from node_pool_problems(self.node_pools)

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError(f'{value!r} was read as a number; quote the version, e.g. "1.30" (1.30 unquoted reads as 1.3)')
        if isinstance(value, str) and not _VERSION.fullmatch(value):
            raise ValueError(f'{value!r} is not a Kubernetes minor version: write "1.N", e.g. "1.34"')
        if isinstance(value, str) and value not in supported_versions():
            versions = supported_versions()
            raise ValueError(f"Kubernetes {value} has no bundled schemas to check objects against; choose one of {versions[0]} to {versions[-1]}")
        return value

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        reasons = dns1123_subdomain(value)
        if reasons:
            raise ValueError(f"{value!r} is not a DNS domain: {'; '.join(reasons)}")
        return value

    @field_validator("dns_service_ip")
    @classmethod
    def _ip(cls, value: str) -> str:
        parse_ip(value)
        return value


@dataclass(frozen=True)
class ClusterDns:
    """Where a cluster's pods send DNS queries: the kube-dns (CoreDNS) pods, and, when NodeLocal
    DNSCache runs, the cache on every node's host network, which pod selectors never match, so
    egress to it must be allowed by address (its link-local IP and the kube-dns ClusterIP it also
    answers on).

    Every component that writes ``allowDNS`` policies takes one: build it once per cluster with
    ``ClusterDns.kube_dns()`` or ``ClusterDns.node_local(...)`` (or take ``NodeLocalDns.cluster_dns``)
    and hand the same value to each. There is no default, because a wrong guess breaks every lookup.
    """

    namespace: str = "kube-system"
    pod_labels: tuple[tuple[str, str], ...] = (("k8s-app", "kube-dns"),)
    host_ips: tuple[str, ...] = ()
    """The addresses DNS egress must reach by IP: the cache's link-local IP and the kube-dns ClusterIP."""

    @classmethod
    def kube_dns(cls) -> ClusterDns:
        """A cluster without NodeLocal DNSCache: pods query the kube-dns pods."""
        return cls()

    @classmethod
    def node_local(cls, local_ip: str, cluster: ClusterSpec | None = None) -> ClusterDns:
        """A cluster running NodeLocal DNSCache on ``local_ip`` (169.254.20.10 by convention)."""
        dns_service_ip = (cluster if cluster is not None else ClusterSpec()).dns_service_ip
        return cls(host_ips=(local_ip, dns_service_ip))

    @property
    def has_node_local_cache(self) -> bool:
        return bool(self.host_ips)


def dns_argument(value: object, component: str, name: str) -> ClusterDns | None:
    """A component's ``dns=`` as given, or a TypeError naming the component and what to pass (a
    string such as ``"kube-dns"`` would fail much later, as an attribute missing from a str)."""
    if value is None or isinstance(value, ClusterDns):
        return value
    raise TypeError(
        f'{component} "{name}": dns must be a ClusterDns: ClusterDns.kube_dns(), ClusterDns.node_local("169.254.20.10") '
        f"or NodeLocalDns(...).cluster_dns, not the {type(value).__name__} {value!r}"
    )
