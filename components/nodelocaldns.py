"""NodeLocalDns: a DNS cache on every node (the node-local-dns DaemonSet and its Corefile).

Page: Using NodeLocal DNSCache in Kubernetes Clusters. The objects are the upstream
``nodelocaldns.yaml`` with its placeholders filled from the cluster's facts:

- kube-proxy in iptables mode: the cache binds the link-local IP *and* the kube-dns ClusterIP, so
  pods keep using the kube-dns IP; the cluster zones forward to ``__PILLAR__CLUSTER__DNS__``, which
  the node-cache fills at run time with the ``kube-dns-upstream`` ClusterIP (forwarding to the
  kube-dns IP itself would loop back into the cache).
- kube-proxy in IPVS mode: the cache binds only the link-local IP, the cluster zones forward to the
  kube-dns ClusterIP, and the kubelet's ``clusterDNS`` must be set to the link-local IP.

Intended differences from upstream: the addon-manager labels are replaced by clusterstack's
standard labels, and an optional memory limit is set.

The node-cache is CoreDNS: its upstreams, stub-domain zones and cache TTLs follow ``kube.corefile``,
the rules ``dns.coredns`` follows too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypedDict

import pulumi
import pulumi_kubernetes as k8s
from pydantic import AfterValidator, Field, field_validator

from ..kube.corefile import EMPTY_UPSTREAMS, MAX_TTL, normal_zone, stub_domains_problems, upstream_warnings, upstreams_problems
from ..kube.findings import Finding, Findings, prefixed, warning
from ..kube.lifecycle import OnExisting
from ..kube.manifest import Bundle, Manifest
from ..kube.network import parse_ip
from ..kube.quantity import Quantity
from .cluster import ClusterDns, ClusterSpec
from .labels import object_meta, stack_environment
from .model import Model, QuantityText, QuantityValue, args_for, raise_problems
from .register import AddOnChildren

NAME = "node-local-dns"
UPSTREAM_SERVICE = "kube-dns-upstream"
NAMESPACE = "kube-system"
DEFAULT_IMAGE = "registry.k8s.io/dns/k8s-dns-node-cache:1.26.4"
"""The release the upstream manifest pins."""
CLUSTER_DNS_PLACEHOLDER = "__PILLAR__CLUSTER__DNS__"
UPSTREAM_PLACEHOLDER = "__PILLAR__UPSTREAM__SERVERS__"
METRICS_PORT = 9253
HEALTH_PORT = 8080
# CoreDNS's cache, full: about 30 MB per server block at its default 9,984 + 9,984 entries.
_MB_PER_FULL_BLOCK = 30
_DEFAULT_CAPACITY = 9984

PositiveInt = Annotated[int, Field(gt=0, strict=True)]
Ttl = Annotated[int, Field(gt=0, le=MAX_TTL, strict=True)]
"""A cache TTL in seconds: CoreDNS refuses 0 and below; no DNS answer carries one above 2^31 - 1."""


ClusterProtocol = Literal["force_tcp", "prefer_udp"]


# <generated from the fields of CacheSettings by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class CacheSettingsArgsDict(TypedDict, total=False):
    """``CacheSettings`` as a dict, in the stack files' spelling."""

    successCapacity: PositiveInt
    successTTL: Ttl
    denialCapacity: PositiveInt
    denialTTL: Ttl
# </generated>


# <generated from the fields of NodeLocalDnsArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class NodeLocalDnsArgsDict(TypedDict, total=False):
    """``NodeLocalDnsArgs`` as a dict, in the stack files' spelling."""

    localIP: str
    upstreamServers: Sequence[str]
    stubDomains: Mapping[str, Sequence[str]]
    memoryLimit: QuantityText | Quantity
    image: str
    onExisting: OnExisting
    clusterProtocol: ClusterProtocol
    cache: CacheSettings | CacheSettingsArgsDict
# </generated>


class CacheSettings(Model):
    """The cluster zone's cache (``cache { success …; denial … }``); upstream's values by default."""

    success_capacity: PositiveInt = _DEFAULT_CAPACITY
    success_ttl: Ttl = Field(30, alias="successTTL")
    denial_capacity: PositiveInt = _DEFAULT_CAPACITY
    denial_ttl: Ttl = Field(5, alias="denialTTL")

    # <generated from the fields of CacheSettings by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, success_capacity: PositiveInt = 9984, success_ttl: Ttl = 30, denial_capacity: PositiveInt = 9984, denial_ttl: Ttl = 5,
        ) -> None: ...
    # </generated>


def _checked_upstreams(value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        raise ValueError(EMPTY_UPSTREAMS)
    raise_problems(upstreams_problems(value))
    return value


def _checked_stubs(value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    raise_problems(stub_domains_problems(value))
    return value


UpstreamServers = Annotated[tuple[str, ...], AfterValidator(_checked_upstreams)]
"""Forward targets as CoreDNS's forward plugin takes them (``clusterstack/kube/corefile.py``): the
same rules, in the same words, for NodeLocal DNSCache and the cluster's CoreDNS."""
StubDomains = Annotated[dict[str, tuple[str, ...]], AfterValidator(_checked_stubs)]
"""Domain -> its forward targets, each domain a server block."""


class NodeLocalDnsArgs(Model):
    """``clusterstack:dns.nodeLocal``."""

    local_ip: str = Field("169.254.20.10", alias="localIP")
    """The address the cache listens on on every node: link-local (169.254.0.0/16) or IPv6 unique-local (fd00::/8)."""
    upstream_servers: UpstreamServers | None = None
    """Where names outside the cluster go, as the forward plugin takes them: IP, IP:port, [IPv6]:port,
    each optionally after dns:// or tls://, or a resolv.conf path; at most 15, no host names.
    Unset: the node's /etc/resolv.conf, which the node-cache fills in at start."""
    stub_domains: StubDomains = Field(default_factory=dict)
    """Domain -> its DNS servers (written as upstreamServers), each domain an extra server block
    (e.g. consul.local: [10.150.0.1])."""
    memory_limit: QuantityValue | None = None
    """The node-cache container's memory limit; unset: none, as upstream."""
    image: str = DEFAULT_IMAGE
    on_existing: OnExisting = "fail"
    """When the cluster already has node-local-dns (GKE's NodeLocal DNSCache add-on): ``fail``
    (``pulumi up`` stops with AlreadyExists) or ``adopt`` (patch only clusterstack's fields)."""
    cluster_protocol: ClusterProtocol = "force_tcp"
    """How the cluster zones reach kube-dns: upstream forces TCP (no lost UDP under conntrack races)."""
    cache: CacheSettings = Field(default_factory=CacheSettings)

    # <generated from the fields of NodeLocalDnsArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, local_ip: str = "169.254.20.10", upstream_servers: Sequence[str] | None = None, stub_domains: Mapping[str, Sequence[str]] = ...,
            memory_limit: QuantityText | Quantity | None = None, image: str = "registry.k8s.io/dns/k8s-dns-node-cache:1.26.4", on_existing: OnExisting = "fail",
            cluster_protocol: ClusterProtocol = "force_tcp", cache: CacheSettings | CacheSettingsArgsDict = ...,
        ) -> None: ...
    # </generated>

    @field_validator("local_ip")
    @classmethod
    def _local_ip(cls, value: str) -> str:
        address = parse_ip(value, "169.254.20.10")
        if address not in ipaddress.ip_network("169.254.0.0/16") and address not in ipaddress.ip_network("fd00::/8"):
            raise ValueError(f"{value} is neither link-local (169.254.0.0/16) nor IPv6 unique-local (fd00::/8), e.g. 169.254.20.10 or fd00::10")
        return value

    def is_ipv6(self) -> bool:
        return ipaddress.ip_address(self.local_ip).version == 6

    def stubs(self) -> list[tuple[str, tuple[str, ...]]]:
        """The stub domains as zones (lower-case, no trailing dot), sorted."""
        return sorted((normal_zone(domain), servers) for domain, servers in self.stub_domains.items())

    def warnings(self) -> Findings:
        for domain, servers in self.stub_domains.items():
            yield from prefixed(("stubDomains", domain), upstream_warnings(servers))
        yield from prefixed(("upstreamServers",), upstream_warnings(self.upstream_servers or ()))
        if self.memory_limit is not None:
            needed = memory_estimate_mb(self)
            limit_mb = float(self.memory_limit.value) / 1e6
            if limit_mb < needed:
                yield warning(
                    ("memoryLimit",),
                    (f"{self.memory_limit} ({limit_mb:.0f} MB) is below the ~{needed:.0f} MB the caches use when full "
                    f"({3 + len(self.stub_domains)} server blocks and the cluster zone, about {_MB_PER_FULL_BLOCK} MB each); "
                    "an OOM kill leaves the node's packet-filter rules pointing at a dead cache and breaks DNS on that node"),
                )

    def on_cluster(self, cluster: ClusterSpec) -> Findings:
        """What the stack's cluster facts make invalid: the cache's IP must differ from, and match the
        family of, kube-dns; a stub domain must not be one of the cache's own zones, which CoreDNS refuses
        to serve twice ("cannot serve dns://cluster.local.:53 - it is already defined"). And a warning:
        in IPVS mode the kubelets must be pointed at the cache."""
        for domain in self.stub_domains:
            if normal_zone(domain) in (cluster.domain, "in-addr.arpa", "ip6.arpa"):
                yield Finding(
                    ("stubDomains", domain),
                    (f"{normal_zone(domain)} is a zone the cache already serves, forwarding it to kube-dns: "
                    "the node-cache would refuse its Corefile; forward a domain of your own (e.g. consul.local)"),
                )
        local = ipaddress.ip_address(self.local_ip)
        dns = ipaddress.ip_address(cluster.dns_service_ip)
        if local == dns:
            yield Finding(("localIP",), f"{local} is the kube-dns Service IP (cluster.dnsServiceIP); the cache needs its own link-local address")
        elif cluster.kube_proxy_mode == "iptables" and local.version != dns.version:
            yield Finding(
                ("localIP",),
                (f"{local} is IPv{local.version} but cluster.dnsServiceIP {dns} is IPv{dns.version}; in iptables mode the cache "
                "binds both, and -localip takes addresses of one family"),
            )
        if cluster.kube_proxy_mode == "ipvs":
            yield warning(
                ("localIP",),
                (f"kube-proxy is in IPVS mode: set every kubelet's clusterDNS (--cluster-dns) to {self.local_ip}, "
                "or pods keep querying kube-dns directly and bypass the cache"),
            )


def kubelet_cluster_dns(args: NodeLocalDnsArgs, cluster: ClusterSpec) -> str:
    """What the kubelet's ``clusterDNS`` must be: unchanged in iptables mode, the cache's IP in IPVS mode."""
    return args.local_ip if cluster.kube_proxy_mode == "ipvs" else cluster.dns_service_ip


def memory_estimate_mb(args: NodeLocalDnsArgs) -> float:
    """What the caches hold when full: the cluster zone as configured, the other blocks at CoreDNS's defaults."""
    full = _MB_PER_FULL_BLOCK / (2 * _DEFAULT_CAPACITY)
    cluster_zone = (args.cache.success_capacity + args.cache.denial_capacity) * full
    other_blocks = 3 + len(args.stub_domains)  # in-addr.arpa, ip6.arpa, the root zone, each stub domain
    return cluster_zone + other_blocks * _MB_PER_FULL_BLOCK


def corefile(args: NodeLocalDnsArgs, cluster: ClusterSpec) -> str:
    """The node-cache's Corefile, in upstream's layout."""
    ipvs = cluster.kube_proxy_mode == "ipvs"
    bind = args.local_ip if ipvs else f"{args.local_ip} {cluster.dns_service_ip}"
    cluster_dns = cluster.dns_service_ip if ipvs else CLUSTER_DNS_PLACEHOLDER
    health = f"[{args.local_ip}]" if args.is_ipv6() else args.local_ip
    upstream = " ".join(args.upstream_servers) if args.upstream_servers is not None else UPSTREAM_PLACEHOLDER
    cache = args.cache
    to_cluster = [f"forward . {cluster_dns} {{", f"        {args.cluster_protocol}", "}"]
    blocks = [
        _block(
            f"{cluster.domain}:53",
            ["cache {", f"        success {cache.success_capacity} {cache.success_ttl}", f"        denial {cache.denial_capacity} {cache.denial_ttl}", "}"],
            bind,
            to_cluster,
            [f"health {health}:{HEALTH_PORT}"],
        ),
        _block("in-addr.arpa:53", ["cache 30"], bind, to_cluster),
        _block("ip6.arpa:53", ["cache 30"], bind, to_cluster),
    ]
    blocks += [
        _block(f"{zone}:53", ["cache 30"], bind, [f"forward . {' '.join(servers)}"])
        for zone, servers in args.stubs()
    ]
    blocks.append(_block(".:53", ["cache 30"], bind, [f"forward . {upstream}"]))
    return "".join(blocks)


def _block(zone: str, cache: list[str], bind: str, forward: list[str], extra: Sequence[str] = ()) -> str:
    lines = ["errors", *cache, "reload", "loop", f"bind {bind}", *forward, f"prometheus :{METRICS_PORT}", *extra]
    body = "".join(f"    {line}\n" for line in lines)
    return f"{zone} {{\n{body}    }}\n"


@dataclass(frozen=True)
class NodeLocalDnsObjects(Bundle):
    service_account: Manifest
    upstream_service: Manifest
    """kube-dns-upstream: how the cache reaches CoreDNS without looping into itself."""
    config_map: Manifest
    """The Corefile."""
    daemon_set: Manifest
    metrics_service: Manifest


def build_node_local_dns(args: NodeLocalDnsArgs, cluster: ClusterSpec, environment: str | None = None) -> NodeLocalDnsObjects:
    raise_problems(args.on_cluster(cluster))
    ipvs = cluster.kube_proxy_mode == "ipvs"
    local_ips = args.local_ip if ipvs else f"{args.local_ip},{cluster.dns_service_ip}"
    selector = {"k8s-app": NAME}
    resources: dict[str, Any] = {"requests": {"cpu": "25m", "memory": "5Mi"}}
    if args.memory_limit is not None:
        resources["limits"] = {"memory": args.memory_limit.text}
    metrics = {"prometheus.io/port": str(METRICS_PORT), "prometheus.io/scrape": "true"}
    dns_ports = [
        {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
        {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
    ]
    return NodeLocalDnsObjects(
        service_account={"apiVersion": "v1", "kind": "ServiceAccount", "metadata": object_meta(NAME, NAMESPACE, environment)},
        upstream_service={
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": object_meta(UPSTREAM_SERVICE, NAMESPACE, environment, {"k8s-app": "kube-dns", "kubernetes.io/name": "KubeDNSUpstream"}),
            "spec": {"ports": dns_ports, "selector": {"k8s-app": "kube-dns"}},
        },
        config_map={
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": object_meta(NAME, NAMESPACE, environment),
            "data": {"Corefile": corefile(args, cluster)},
        },
        daemon_set={
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": object_meta(NAME, NAMESPACE, environment, selector),
            "spec": {
                "updateStrategy": {"rollingUpdate": {"maxUnavailable": "10%"}},
                "selector": {"matchLabels": dict(selector)},
                "template": {
                    "metadata": {"labels": dict(selector), "annotations": dict(metrics)},
                    "spec": {
                        "priorityClassName": "system-node-critical",
                        "serviceAccountName": NAME,
                        "hostNetwork": True,
                        "dnsPolicy": "Default",  # the cache must not resolve through itself
                        "tolerations": [
                            {"key": "CriticalAddonsOnly", "operator": "Exists"},
                            {"effect": "NoExecute", "operator": "Exists"},
                            {"effect": "NoSchedule", "operator": "Exists"},
                        ],
                        "containers": [
                            {
                                "name": "node-cache",
                                "image": args.image,
                                "resources": resources,
                                "args": ["-localip", local_ips, "-conf", "/etc/Corefile", "-upstreamsvc", UPSTREAM_SERVICE, "-pidfile", "/tmp/node-cache.pid"],
                                "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}},
                                "ports": [
                                    {"containerPort": 53, "name": "dns", "protocol": "UDP"},
                                    {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                                    {"containerPort": METRICS_PORT, "name": "metrics", "protocol": "TCP"},
                                ],
                                "livenessProbe": {
                                    "httpGet": {"host": args.local_ip, "path": "/health", "port": HEALTH_PORT},
                                    "initialDelaySeconds": 60,
                                    "timeoutSeconds": 5,
                                },
                                "volumeMounts": [
                                    {"mountPath": "/run/xtables.lock", "name": "xtables-lock", "readOnly": False},
                                    {"name": "config-volume", "mountPath": "/etc/coredns"},
                                    {"name": "kube-dns-config", "mountPath": "/etc/kube-dns"},
                                ],
                            }
                        ],
                        "volumes": [
                            {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}},
                            {"name": "kube-dns-config", "configMap": {"name": "kube-dns", "optional": True}},
                            {"name": "config-volume", "configMap": {"name": NAME, "items": [{"key": "Corefile", "path": "Corefile.base"}]}},
                        ],
                    },
                },
            },
        },
        metrics_service={
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": object_meta(NAME, NAMESPACE, environment, selector, metrics),
            "spec": {
                "clusterIP": "None",
                "ports": [{"name": "metrics", "port": METRICS_PORT, "targetPort": METRICS_PORT}],
                "selector": dict(selector),
            },
        },
    )


class NodeLocalDns(pulumi.ComponentResource):
    """NodeLocal DNSCache; ``kubelet_cluster_dns`` is what the kubelets' clusterDNS must be."""

    service_account: k8s.core.v1.ServiceAccount | k8s.core.v1.ServiceAccountPatch
    upstream_service: k8s.core.v1.Service | k8s.core.v1.ServicePatch
    config_map: k8s.core.v1.ConfigMap | k8s.core.v1.ConfigMapPatch
    """The Corefile."""
    daemon_set: k8s.apps.v1.DaemonSet | k8s.apps.v1.DaemonSetPatch
    metrics_service: k8s.core.v1.Service | k8s.core.v1.ServicePatch
    """Each child is the object itself, or with ``onExisting: adopt`` a patch of the cluster's own."""
    kubelet_cluster_dns: pulumi.Output[str]
    cluster_dns: ClusterDns
    """Where pods on this cluster send DNS queries: give it to every TenantNamespace and
    NamespacePolicies of the cluster whose policies allow DNS."""

    def __init__(
        self,
        resource_name: str,
        args: NodeLocalDnsArgs | NodeLocalDnsArgsDict,
        opts: pulumi.ResourceOptions | None = None,
        *,
        cluster: ClusterSpec | None = None,
        environment: str | None = None,
    ) -> None:
        """Its children are named ``<resource_name>/<object name>``.

        Inputs beside the Args: ``cluster``: the cluster's facts (kube-dns IP, domain, kube-proxy mode;
        kubeadm's defaults when omitted), one ``ClusterSpec`` shared by every DNS component.
        ``environment``: the stack's name for the clusterstack.io/environment label (default: the running
        stack's), one value for a whole program, so not a setting of this component."""
        super().__init__("clusterstack:dns:NodeLocalDns", resource_name, None, opts)
        spec = args_for(NodeLocalDnsArgs, args, "NodeLocalDns", resource_name)
        facts = cluster if cluster is not None else ClusterSpec()
        objects = build_node_local_dns(spec, facts, stack_environment(environment))
        child = AddOnChildren(resource_name, pulumi.ResourceOptions(parent=self), spec.on_existing).add

        self.service_account = child(objects.service_account, k8s.core.v1.ServiceAccount, k8s.core.v1.ServiceAccountPatch)
        self.upstream_service = child(objects.upstream_service, k8s.core.v1.Service, k8s.core.v1.ServicePatch)
        self.config_map = child(objects.config_map, k8s.core.v1.ConfigMap, k8s.core.v1.ConfigMapPatch)
        self.daemon_set = child(objects.daemon_set, k8s.apps.v1.DaemonSet, k8s.apps.v1.DaemonSetPatch)
        self.metrics_service = child(objects.metrics_service, k8s.core.v1.Service, k8s.core.v1.ServicePatch)
        self.cluster_dns = ClusterDns.node_local(spec.local_ip, facts)
        self.kubelet_cluster_dns = pulumi.Output.from_input(kubelet_cluster_dns(spec, facts))
        self.register_outputs({"kubeletClusterDNS": self.kubelet_cluster_dns})
