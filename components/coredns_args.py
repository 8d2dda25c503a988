"""``clusterstack:dns.coredns``'s Args: ``CoreDnsArgs`` with its extra ``ServerBlock``s and its
``DisruptionBudget``, what each refuses on its own, and what the cluster's facts refuse or doubt
(``on_cluster``: zones that shadow the kubernetes plugin, managed offerings, the budget's fields).

What CoreDNS accepts (upstreams, zones, the cache TTL, the syntax) is ``kube.corefile``'s, shared
with NodeLocal DNSCache, whose node-cache is CoreDNS too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypedDict

import pulumi
from pydantic import Field, PlainValidator, WithJsonSchema, field_validator
from typing_extensions import Required

from ..kube.corefile import MAX_TTL, normal_zone, plugin_directive, upstream_warnings, zone_problem
from ..kube.findings import Finding, Findings, prefixed, warning
from ..kube.lifecycle import OnExisting
from .cluster import ClusterSpec
from .coredns_servers import ServerList, Servers, StubDomainsInput, UpstreamServersInput
from .model import Model, raise_problems, yaml_text

DNS_PORT = 53
METRICS_PORT = 9153
DEFAULT_CACHE_TTL = 30
"""kubeadm's ``cache 30``."""
UNHEALTHY_POLICY_SINCE = (1, 26)
"""PodDisruptionBudget ``spec.unhealthyPodEvictionPolicy`` is in policy/v1 from Kubernetes 1.26 (alpha,
feature gate PDBUnhealthyPodEvictionPolicy off by default: the API server drops the field), on by
default from 1.27 (beta), GA in 1.31 (KEP-3017; the bundled OpenAPI schemas)."""
INT32_MAX = 2_147_483_647
RESERVED_PORTS = {8080: "health", 8181: "ready", METRICS_PORT: "prometheus"}
"""The ports kubeadm's Corefile already serves HTTP on, in the same pods."""
KNOWN_PLUGINS = frozenset(
    (
        "root", "metadata", "geoip", "cancel", "proxyproto", "quic", "grpc_server", "https", "https3", "timeouts", "multisocket",
        "reload", "nsid", "bufsize", "bind", "debug", "trace", "ready", "health", "pprof", "shed", "prometheus", "errors", "log",
        "dnstap", "local", "dns64", "any", "chaos", "loadbalance", "tsig", "rewrite", "autopath", "acl", "cache", "header", "dnssec",
        "tls", "minimal", "template", "transfer", "hosts", "route53", "azure", "clouddns", "k8s_external", "kubernetes", "file",
        "auto", "secondary", "etcd", "loop", "forward", "grpc", "erratic", "whoami", "on", "sign", "view", "nomad", "import",
    )
)
"""The directives of CoreDNS's default build (its plugin.cfg) and the Corefile's own ``import``."""

UnhealthyPodEvictionPolicy = Literal["IfHealthyBudget", "AlwaysAllow"]


def minor_version(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


# --- Values --------------------------------------------------------------------------------------


def _int_or_percent(value: Any) -> int | str:
    """An IntOrString budget as the API server takes it: a whole number from 0 to 2147483647 (an
    int32), or "N%" up to 100%."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{yaml_text(value)} is neither a whole number nor a percentage (e.g. 1 or 25%)")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value} is negative; use 0 or more")
        if value > INT32_MAX:
            raise ValueError(
                f"{value} is more than {INT32_MAX}: the API holds it as an int32, and the API server refuses the object "
                f"(cannot unmarshal number {value} into Go value of type int32)"
            )
        return value
    match = re.fullmatch(r"([0-9]+)%", value)
    if match is None:
        hint = f" (a number goes unquoted: {value})" if value.isdigit() else ""
        raise ValueError(f"{value!r} is neither a whole number nor a percentage like '25%'{hint}")
    if int(match.group(1)) > 100:
        raise ValueError(f"{value} is more than 100%")
    return value


IntOrPercent = Annotated[
    int | str,
    PlainValidator(_int_or_percent),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0, "maximum": INT32_MAX}, {"type": "string", "pattern": "^[0-9]+%$"}]}),
]


# --- Args ----------------------------------------------------------------------------------------


# <generated from the fields of ServerBlock by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class ServerBlockArgsDict(TypedDict, total=False):
    """``ServerBlock`` as a dict, in the stack files' spelling."""

    zones: Required[Sequence[str]]
    port: int
    plugins: Required[Sequence[str]]
# </generated>


# <generated from the fields of DisruptionBudget by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class DisruptionBudgetArgsDict(TypedDict, total=False):
    """``DisruptionBudget`` as a dict, in the stack files' spelling."""

    minAvailable: IntOrPercent
    maxUnavailable: IntOrPercent
    unhealthyPodEvictionPolicy: UnhealthyPodEvictionPolicy
    onExisting: OnExisting
# </generated>


# <generated from the fields of CoreDnsArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class CoreDnsArgsDict(TypedDict, total=False):
    """``CoreDnsArgs`` as a dict, in the stack files' spelling."""

    stubDomains: Mapping[str, ServerList]
    upstreamServers: ServerList
    cache: int
    serverBlocks: Sequence[ServerBlock | ServerBlockArgsDict]
    pdb: DisruptionBudget | DisruptionBudgetArgsDict
# </generated>


class ServerBlock(Model):
    """An extra server block, ``<zone>:<port> ... { <plugins> }``, after the stub domains."""

    zones: tuple[str, ...] = Field(min_length=1)
    """The zones it answers for (DNS domains, or "." for every name); written lower-case, without a
    trailing dot, as CoreDNS matches them."""
    port: Annotated[int, Field(ge=1, le=65535, strict=True)] = DNS_PORT
    """The port it listens on. Default: 53, the only port the kube-dns Service sends to CoreDNS."""
    plugins: tuple[str, ...] = Field(min_length=1)
    """One CoreDNS directive each, with its arguments and any ``{ ... }`` block: ``errors``,
    ``cache 30``, ``forward . 10.0.0.2``. Written out in order, one directive a line; comments dropped."""

    # <generated from the fields of ServerBlock by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(self, *, zones: Sequence[str], port: int = 53, plugins: Sequence[str]) -> None: ...
    # </generated>

    @field_validator("zones")
    @classmethod
    def _zones(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        problems: list[Finding] = []
        seen: set[str] = set()
        for index, domain in enumerate(value):
            problem = zone_problem(domain)
            if problem is not None:
                hint = "; give the port in port, not in the zone" if ":" in domain else ""
                problems.append(Finding((index,), f"{domain!r} {problem}{hint}"))
            elif normal_zone(domain) in seen:
                problems.append(Finding((index,), f"{domain} is listed twice"))
            seen.add(normal_zone(domain))
        raise_problems(problems)
        return value

    @field_validator("port")
    @classmethod
    def _port(cls, value: int) -> int:
        if value in RESERVED_PORTS:
            raise ValueError(f"{value} is CoreDNS's {RESERVED_PORTS[value]} port in kubeadm's Corefile; choose another")
        return value

    @field_validator("plugins")
    @classmethod
    def _plugins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        problems: list[Finding] = []
        for index, text in enumerate(value):
            try:
                plugin_directive(text)
            except ValueError as error:
                problems.append(Finding((index,), str(error)))
        raise_problems(problems)
        return value

    def addresses(self) -> list[tuple[str, int]]:
        """(zone, port) for each zone: what CoreDNS refuses to see twice."""
        return [(normal_zone(domain), self.port) for domain in self.zones]


class DisruptionBudget(Model):
    """``pdb``: how many CoreDNS pods voluntary evictions (node drains) may take at once. Set
    ``minAvailable`` or ``maxUnavailable``, not both; neither: ``maxUnavailable: 1``."""

    min_available: IntOrPercent | None = None
    """How many CoreDNS pods must stay: a number, or a percentage of them ("50%")."""
    max_unavailable: IntOrPercent | None = None
    """How many CoreDNS pods may be evicted at once: a number, or a percentage of them ("33%")."""
    unhealthy_pod_eviction_policy: UnhealthyPodEvictionPolicy | None = None
    """``AlwaysAllow``: a CoreDNS pod that is running but not ready (so serves nothing) may be evicted
    even when the budget is spent, so it never blocks the drain of its node; the Kubernetes page
    "Specifying a Disruption Budget for your Application" recommends it. ``IfHealthyBudget``: such a
    pod is evicted only while the budget holds. Unset: the field is not written and the API server
    applies IfHealthyBudget. Kubernetes 1.26 and later only (cluster.kubernetesVersion)."""
    on_existing: OnExisting = "fail"
    """When the cluster already has PodDisruptionBudget kube-system/coredns (EKS's add-on ships it):
    ``fail`` (``pulumi up`` stops with AlreadyExists) or ``adopt`` (patch clusterstack's fields onto
    it; set the same one of minAvailable/maxUnavailable it uses, or the API server refuses both)."""

    # <generated from the fields of DisruptionBudget by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, min_available: IntOrPercent | None = None, max_unavailable: IntOrPercent | None = None,
            unhealthy_pod_eviction_policy: UnhealthyPodEvictionPolicy | None = None, on_existing: OnExisting = "fail",
        ) -> None: ...
    # </generated>

    def _problems(self) -> Findings:
        if self.min_available is not None and self.max_unavailable is not None:
            yield Finding((), "sets both minAvailable and maxUnavailable; a PodDisruptionBudget takes one of them: remove the other")

    @property
    def budget(self) -> tuple[str, int | str]:
        """The one bound the PodDisruptionBudget sets: (field, value)."""
        if self.min_available is not None:
            return "minAvailable", self.min_available
        return "maxUnavailable", self.max_unavailable if self.max_unavailable is not None else 1


class CoreDnsArgs(Model):
    """``clusterstack:dns.coredns``: changes to the cluster's own CoreDNS; every key is optional."""

    stub_domains: StubDomainsInput = Field(default_factory=dict)
    """Domain -> the DNS servers for it, each domain its own server block, as the page shows (e.g.
    consul.local: [10.150.0.1]). Servers as the forward plugin takes them: IP, IP:port, [IPv6]:port,
    each optionally after dns:// or tls://, or a resolv.conf path; at most 15, no host names."""
    upstream_servers: UpstreamServersInput | None = None
    """Where names outside the cluster and the stub domains go, written as stubDomains' servers.
    Unset: the node's /etc/resolv.conf, as kubeadm."""
    cache: Annotated[int, Field(strict=True, json_schema_extra={"minimum": 1, "maximum": MAX_TTL})] = DEFAULT_CACHE_TTL
    """The cache plugin's TTL, in seconds (1 to 2147483647): the longest any answer is kept, however
    long its own TTL. Default: 30, as kubeadm. (CoreDNS's cache keeps answers up to 3600 s only when
    given no TTL; here one is always given.)"""
    server_blocks: tuple[ServerBlock, ...] = ()
    """Extra server blocks, after the stub domains, in this order."""
    pdb: DisruptionBudget | None = None
    """A PodDisruptionBudget for CoreDNS's pods; unset: none is made."""

    # <generated from the fields of CoreDnsArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, stub_domains: Mapping[str, ServerList] = ..., upstream_servers: ServerList | None = None, cache: int = 30,
            server_blocks: Sequence[ServerBlock | ServerBlockArgsDict] = (), pdb: DisruptionBudget | DisruptionBudgetArgsDict | None = None,
        ) -> None: ...
    # </generated>

    @field_validator("cache")
    @classmethod
    def _cache(cls, value: int) -> int:
        if not 1 <= value <= MAX_TTL:
            raise ValueError(
                f"{value} is not a cache TTL: CoreDNS's cache takes 1 to {MAX_TTL} seconds (it refuses 0 and below; "
                "no DNS answer carries a longer TTL, RFC 2181)"
            )
        return value

    def _problems(self) -> Findings:
        # CoreDNS refuses to start when two server blocks claim one zone and port ("cannot serve
        # dns://example.org:53 - it is already defined").
        owners: dict[tuple[str, int], str] = {(".", DNS_PORT): "the main server block (.:53)"}
        for domain in self.stub_domains:
            key = (normal_zone(domain), DNS_PORT)
            if key in owners:
                yield Finding(("stubDomains", domain), f"{key[0]}:{DNS_PORT} is already {owners[key]}")
            owners.setdefault(key, f"stub domain {domain}")
        for index, block in enumerate(self.server_blocks):
            for at, key in enumerate(block.addresses()):
                if key in owners:
                    yield Finding(("serverBlocks", index, "zones", at), f"{key[0]}:{key[1]} is already {owners[key]}")
                owners.setdefault(key, f"serverBlocks[{index}]")

    def stubs(self) -> list[tuple[str, Servers]]:
        """The stub domains as zones, sorted (by zone alone: the zones differ, and an Output has no order)."""
        return sorted(((normal_zone(domain), servers) for domain, servers in self.stub_domains.items()), key=lambda stub: stub[0])

    def has_outputs(self) -> bool:
        """Whether a server list is still an Output."""
        return any(isinstance(servers, pulumi.Output) for servers in (self.upstream_servers, *self.stub_domains.values()))

    def warnings(self) -> Findings:
        """What is valid but probably not meant: upstreams CoreDNS will trip on, blocks nothing reaches,
        plugins outside CoreDNS's default build. (The disruption budget's are ``on_cluster``'s.)"""
        # Servers that are Outputs are passed over here: CoreDns says what there is to say about them once they resolve.
        for domain, servers in self.stub_domains.items():
            if not isinstance(servers, pulumi.Output):
                yield from prefixed(("stubDomains", domain), upstream_warnings(servers))
        if not isinstance(self.upstream_servers, pulumi.Output):
            yield from prefixed(("upstreamServers",), upstream_warnings(self.upstream_servers or ()))
        for index, block in enumerate(self.server_blocks):
            if block.port != DNS_PORT:
                yield warning(
                    ("serverBlocks", index, "port"),
                    f"the kube-dns Service sends only port {DNS_PORT} to CoreDNS: nothing reaches {block.port} without a Service of your own",
                )
            for at, text in enumerate(block.plugins):
                name = plugin_directive(text).name
                if name not in KNOWN_PLUGINS:
                    yield warning(
                        ("serverBlocks", index, "plugins", at), f"{name!r} is not a plugin of CoreDNS's default build: an image without it fails to start"
                    )

    def on_cluster(self, cluster: ClusterSpec) -> Findings:
        """What the cluster's facts make invalid: a zone that shadows the kubernetes plugin, managed
        offerings whose CoreDNS is not configured through kube-system/coredns, and a budget field the
        cluster's Kubernetes version does not have; and what they make doubtful (EKS's add-on, 1.26's
        feature gate), the budget's warnings with them, as they have always been said: what the budget
        does to the cluster's node drains."""
        pdb = self.pdb
        if pdb is not None and pdb.unhealthy_pod_eviction_policy is not None and minor_version(cluster.kubernetes_version) < UNHEALTHY_POLICY_SINCE:
            yield Finding(
                ("pdb", "unhealthyPodEvictionPolicy"),
                (f"Kubernetes {cluster.kubernetes_version} (cluster.kubernetesVersion) has no PodDisruptionBudget unhealthyPodEvictionPolicy: "
                "it arrived in policy/v1 in 1.26 and is on by default from 1.27; remove it (the budget then keeps IfHealthyBudget's behaviour)"),
            )
        if cluster.distribution == "gke":
            yield Finding((), "GKE runs kube-dns, not CoreDNS: configure its stub domains in kube-system/kube-dns (or use Cloud DNS), and remove dns.coredns")
        if cluster.distribution == "aks":
            yield Finding((), "AKS does not let kube-system/coredns be changed: customise CoreDNS through its coredns-custom ConfigMap, and remove dns.coredns")
        for domain in self.stub_domains:
            reason = _shadowed(normal_zone(domain), cluster.domain)
            if reason is not None:
                yield Finding(("stubDomains", domain), reason)
        for index, block in enumerate(self.server_blocks):
            for at, (zone, port) in enumerate(block.addresses()):
                reason = _shadowed(zone, cluster.domain) if port == DNS_PORT else None
                if reason is not None:
                    yield Finding(("serverBlocks", index, "zones", at), reason)
        if cluster.distribution == "eks":
            yield warning((), "the EKS CoreDNS add-on owns its Corefile: an add-on update with resolveConflicts OVERWRITE puts its own back (use PRESERVE)")
            if pdb is not None and pdb.on_existing == "fail":
                yield warning(
                    ("pdb", "onExisting"),
                    "EKS's CoreDNS add-on ships PodDisruptionBudget kube-system/coredns: creating this one fails with AlreadyExists; set onExisting: adopt",
                )
        if pdb is not None and pdb.budget in (("maxUnavailable", 0), ("maxUnavailable", "0%"), ("minAvailable", "100%")):
            field, value = pdb.budget
            yield warning(("pdb", field), f"{value} lets no CoreDNS pod be evicted: every node drain that meets one waits forever")
        if pdb is not None and pdb.unhealthy_pod_eviction_policy is not None and minor_version(cluster.kubernetes_version) == UNHEALTHY_POLICY_SINCE:
            yield warning(
                ("pdb", "unhealthyPodEvictionPolicy"),
                (
                    "Kubernetes 1.26 keeps unhealthyPodEvictionPolicy only with the alpha feature gate PDBUnhealthyPodEvictionPolicy on "
                    "(off by default): without it the API server drops the field"
                ),
            )


def resolved(args: CoreDnsArgs) -> CoreDnsArgs | pulumi.Output[CoreDnsArgs]:
    """``args`` itself when every server is plain; otherwise an Output of ``args`` with every server
    list resolved (each checked whole as it resolved)."""
    if not args.has_outputs():
        return args
    domains = list(args.stub_domains)

    def known(values: list[Any]) -> CoreDnsArgs:
        upstream, *stubs = values
        return args.model_copy(update={"upstream_servers": upstream, "stub_domains": dict(zip(domains, stubs, strict=True))})

    return pulumi.Output.all(args.upstream_servers, *args.stub_domains.values()).apply(known)


# --- What the cluster's facts refuse, and what deserves a warning ---------------------------------


def _shadowed(zone: str, domain: str) -> str | None:
    """Why a port-53 server block for ``zone`` would take queries away from the kubernetes plugin
    (CoreDNS sends each query to the block of the longest zone that matches it)."""
    if zone == domain:
        return (
            f"{zone} is the cluster domain (cluster.domain): its server block would take every query for it away from the kubernetes "
            "plugin; forward a domain of your own (e.g. consul.local)"
        )
    for part, names in (("svc", "Services"), ("pod", "Pods")):
        if zone == f"{part}.{domain}" or zone.endswith(f".{part}.{domain}"):
            return f"{zone} is where the kubernetes plugin answers for {names} ({part}.{domain}): its server block would take those names away from it"
    if zone in ("in-addr.arpa", "ip6.arpa"):
        return (
            f"{zone} would take every reverse lookup away from the kubernetes plugin (the PTR records of Services and Pods); "
            "forward a narrower reverse zone outside the cluster's ranges (e.g. 150.10.in-addr.arpa)"
        )
    return None
