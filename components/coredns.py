"""CoreDns: the cluster's own CoreDNS, customised: stub domains, upstream servers, the cache TTL,
extra server blocks, and a PodDisruptionBudget for its pods.

Pages: Customizing DNS Service (the default Corefile; stub domains and upstream nameservers through
the forward plugin) and Using CoreDNS for Service Discovery. The Corefile is kubeadm's default
(cmd/kubeadm/app/phases/addons/dns/manifests.go, with the ``cache`` block that keeps the cluster
domain out of the cache, kubernetes/kubernetes#128359) with the settings applied. What CoreDNS
accepts (upstreams, zones, the cache TTL, the syntax) is ``kube.corefile``'s, shared with NodeLocal
DNSCache, whose node-cache is CoreDNS too.

Every cluster kubeadm (or EKS) made has the ConfigMap kube-system/coredns, so the Corefile is never
created: it is a server-side-apply patch of ``data.Corefile`` alone, taken over from whoever wrote it
(``pulumi.com/patchForce``). CoreDNS's ``reload`` plugin picks a change up within about two minutes
(the page). A Corefile CoreDNS cannot read is logged and the old one kept, until a pod restarts and
then fails to start: hence the checks here, before anything is written.

CoreDNS's replicas belong to the DNS autoscaler (``dns.autoscaler``): nothing here sets them. The
PodDisruptionBudget only bounds voluntary evictions (node drains) of the pods labelled
``k8s-app: kube-dns``. EKS's CoreDNS add-on ships its own PodDisruptionBudget kube-system/coredns
(v1.9.3-eksbuild.6, v1.10.1-eksbuild.3 and later, per EKS's "Manage CoreDNS" page): there, adopt it
(``pdb.onExisting: adopt``). A second budget over the same pods would make every eviction of them fail
("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support").

In a Pulumi program, a stub domain's servers and ``upstreamServers`` may come from other resources (a
Route 53 Resolver endpoint's IPs, a Consul server's private IP): each server an Output, or the whole
list one. What is plain is checked at once, as in a stack file; a list with an Output in it is checked
again, whole, when it resolves, with the same rules and messages, before the Corefile (then an Output
itself) is written. The domains stay plain: each is a server block, checked before anything deploys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypedDict, TypeGuard

import pulumi
import pulumi_kubernetes as k8s
from pydantic import (
    BaseModel,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
    field_validator,
)
from typing_extensions import Required

from ..kube.corefile import (
    MAX_TTL,
    RESOLV_CONF,
    Directive,
    normal_zone,
    plugin_directive,
    same_upstreams,
    upstream_warnings,
    zone_problem,
)
from ..kube.findings import Finding, Findings, prefixed, warning, warnings_of
from ..kube.lifecycle import OnExisting
from ..kube.manifest import Bundle, Manifest
from ..kube.paths import KeyPath
from .cluster import ClusterSpec
from .labels import object_meta, stack_environment
from .model import (
    Invalid,
    Model,
    args_for,
    checked_when_resolved,
    describe,
    field_place,
    raise_problems,
    yaml_text,
)
from .nodelocaldns import NodeLocalDnsArgs, StubDomains, UpstreamServers
from .register import AddOnChildren, child_name, register_patch

NAME = "coredns"
NAMESPACE = "kube-system"
SELECTOR = {"k8s-app": "kube-dns"}
"""The label on CoreDNS's pods, kept from kube-dns (the page)."""
DNS_PORT = 53
METRICS_PORT = 9153
DEFAULT_CACHE_TTL = 30
"""kubeadm's ``cache 30``."""
CACHE_DISABLE_SINCE = (1, 27)
"""The first Kubernetes minor whose kubeadm CoreDNS (1.10.1) reads ``cache { disable ... }`` (added in
CoreDNS 1.9.4, coredns/coredns#5540). Kubernetes 1.25 and 1.26 ship CoreDNS 1.9.3, which refuses the
whole Corefile over it ("Wrong argument count or unexpected line ending"): there the cache is written
as kubeadm wrote it then, ``cache 30``."""
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


def _minor(version: str) -> tuple[int, int]:
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


# --- Servers from other resources ----------------------------------------------------------------


Servers = tuple[str, ...] | pulumi.Output[tuple[str, ...]]
"""One forward plugin's servers: the list, or an Output of it that checks itself when it resolves."""
ServerList = Sequence[str | pulumi.Output[str]] | pulumi.Output[Sequence[str]]
"""Servers as a caller writes them: each a string or an Output of one, or the whole list an Output."""

_UPSTREAMS: TypeAdapter[tuple[str, ...]] = TypeAdapter(UpstreamServers)
_STUBS: TypeAdapter[dict[str, tuple[str, ...]]] = TypeAdapter(StubDomains)
_STAND_IN = "/dev/null/clusterstack-output-{}"
"""What an Output in a list stands for while the plain entries beside it are checked: a file path,
which every rule takes, and under /dev/null, which is no directory, so no server written in a list
can be the same one."""


def _holds_outputs(servers: object) -> TypeGuard[Sequence[Any]]:
    return isinstance(servers, Sequence) and not isinstance(servers, str) and any(isinstance(s, pulumi.Output) for s in servers)


def _waits(servers: object) -> TypeGuard[pulumi.Output[Any] | Sequence[Any]]:
    """Whether a server list is known only once an Output resolves: it is one, or holds one."""
    return isinstance(servers, pulumi.Output) or _holds_outputs(servers)


def _stand_ins(servers: object) -> object:
    """``servers`` with each Output in it, or the whole list when it is one, stood in for: the rules
    then run now on what is plain (each entry at its own index, and the count)."""
    if isinstance(servers, pulumi.Output):
        return (_STAND_IN.format(0),)
    if _holds_outputs(servers):
        return tuple(_STAND_IN.format(index) if isinstance(s, pulumi.Output) else s for index, s in enumerate(servers))
    return servers


def _checked_when_resolved(servers: pulumi.Output[Any] | Sequence[Any], at: KeyPath, domain: str | None = None) -> pulumi.Output[tuple[str, ...]]:
    """An Output of the list, checked whole when it resolves (every entry, at most 15, none twice) as
    ``upstreamServers``, or as the stub domain ``domain``'s servers; a problem fails the deployment at
    ``at`` and its place in the list, in the words a plain list gets (as ``model.deferred`` does for
    a single value)."""

    def validate(resolved: Any) -> tuple[str, ...]:
        return _UPSTREAMS.validate_python(resolved) if domain is None else _STUBS.validate_python({domain: resolved})[domain]

    whole = servers if isinstance(servers, pulumi.Output) else pulumi.Output.all(*servers)
    return checked_when_resolved(whole, validate, at)


def _check_plain_part(handler: ValidatorFunctionWrapHandler, stood_in: object) -> Any:
    """The rules on a value whose Outputs are stood in for, problems worded as for a plain value (and
    the stand-ins never shown, as pydantic's own error would show them)."""
    try:
        return handler(stood_in)
    except ValidationError as error:
        raise Invalid(describe(error, BaseModel)) from None


def _upstream_servers_input(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    if not _waits(value):
        return handler(value)
    if not isinstance(value, pulumi.Output):
        _check_plain_part(handler, _stand_ins(value))
    return _checked_when_resolved(value, field_place(info))


def _stub_domains_input(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    if isinstance(value, pulumi.Output):
        raise ValueError(
            "is an Output; give the map itself: each domain is a server block of its own, checked before anything is deployed "
            "(a domain's servers may be an Output, or hold Outputs)"
        )
    if not isinstance(value, Mapping) or not any(_waits(servers) for servers in value.values()):
        return handler(value)
    checked = _check_plain_part(handler, {domain: _stand_ins(servers) for domain, servers in value.items()})
    return {
        domain: _checked_when_resolved(given, field_place(info), domain) if _waits(given) else servers
        for (domain, servers), given in zip(checked.items(), value.values(), strict=True)
    }


if TYPE_CHECKING:
    UpstreamServersInput = Servers
    StubDomainsInput = dict[str, Servers]
else:
    UpstreamServersInput = Annotated[UpstreamServers, WrapValidator(_upstream_servers_input)]
    StubDomainsInput = Annotated[StubDomains, WrapValidator(_stub_domains_input)]
"""``UpstreamServers`` and ``StubDomains`` (NodeLocal DNSCache's too), taking Outputs where a program
has them. A list with an Output in it becomes one Output, checked whole when it resolves."""


def _known(servers: Servers) -> tuple[str, ...]:
    if isinstance(servers, pulumi.Output):
        raise TypeError("the servers are still an Output: render the args resolved() gives")
    return servers


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
        if pdb is not None and pdb.unhealthy_pod_eviction_policy is not None and _minor(cluster.kubernetes_version) < UNHEALTHY_POLICY_SINCE:
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
        if pdb is not None and pdb.unhealthy_pod_eviction_policy is not None and _minor(cluster.kubernetes_version) == UNHEALTHY_POLICY_SINCE:
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


def _reaches_coredns_past_node_local(zone: str, domain: str) -> bool:
    """NodeLocal DNSCache sends the cluster domain and the reverse zones to CoreDNS, the rest to its own upstreams."""
    return any(zone == root or zone.endswith(f".{root}") for root in (domain, "in-addr.arpa", "ip6.arpa"))


def bypassed_by_node_local(args: CoreDnsArgs, node_local: NodeLocalDnsArgs, domain: str) -> Findings:
    """Warnings where the stack's NodeLocal DNSCache, which forwards names outside the cluster domain
    itself, sends queries past what CoreDNS is configured to do with them."""
    bypass = "NodeLocal DNSCache sends names outside the cluster domain to its own upstreams, past CoreDNS"
    theirs = dict(node_local.stubs())
    for zone, servers in args.stubs():
        if isinstance(servers, pulumi.Output) or _reaches_coredns_past_node_local(zone, domain):
            continue
        if not same_upstreams(theirs.get(zone, ()), servers):
            yield warning(("stubDomains", zone), f"{bypass}: give dns.nodeLocal.stubDomains the same {zone} entry")
    upstreams = args.upstream_servers
    if upstreams is not None and not isinstance(upstreams, pulumi.Output) and not same_upstreams(node_local.upstream_servers or (), upstreams):
        yield warning(("upstreamServers",), f"{bypass}: give dns.nodeLocal.upstreamServers the same servers")
    for index, block in enumerate(args.server_blocks):
        if any(port == DNS_PORT and not _reaches_coredns_past_node_local(zone, domain) for zone, port in block.addresses()):
            yield warning(("serverBlocks", index), f"{bypass}: pods that use the cache never reach this block")


# --- Objects -------------------------------------------------------------------------------------


def render_corefile(args: CoreDnsArgs, cluster: ClusterSpec) -> str | pulumi.Output[str]:
    """kubeadm's Corefile with the settings applied, then the stub domains (sorted), then the extra
    server blocks (in order). With a server list that is an Output, an Output of the Corefile,
    rendered (every rule checked again) once the servers resolve."""
    raise_problems(args.on_cluster(cluster))
    known = resolved(args)
    if isinstance(known, pulumi.Output):
        return known.apply(lambda plain: render_corefile(plain, cluster))
    domain, ttl, line = cluster.domain, args.cache, plugin_directive
    upstreams = _known(args.upstream_servers) if args.upstream_servers is not None else (RESOLV_CONF,)
    # The kubernetes plugin keeps its own, always current, view of the cluster: caching its answers
    # only serves them stale (kubeadm's Corefile since kubernetes/kubernetes#128359), where the
    # cluster's CoreDNS reads the option.
    uncached = (line(f"disable success {domain}"), line(f"disable denial {domain}"))
    cache = Directive(("cache", str(ttl)), uncached if _minor(cluster.kubernetes_version) >= CACHE_DISABLE_SINCE else None)
    main = (
        line("errors"),
        Directive(("health",), (line("lameduck 5s"),)),
        line("ready"),
        Directive(("kubernetes", domain, "in-addr.arpa", "ip6.arpa"), (line("pods insecure"), line("fallthrough in-addr.arpa ip6.arpa"), line("ttl 30"))),
        line(f"prometheus :{METRICS_PORT}"),
        Directive(("forward", ".", *upstreams), (line("max_concurrent 1000"),)),
        cache,
        line("loop"),
        line("reload"),
        line("loadbalance"),
    )
    blocks = [Directive((f".:{DNS_PORT}",), main)]
    blocks += [
        Directive((f"{zone}:{DNS_PORT}",), (line("errors"), line(f"cache {ttl}"), Directive(("forward", ".", *_known(servers)))))
        for zone, servers in args.stubs()
    ]
    blocks += [Directive(tuple(f"{zone}:{port}" for zone, port in b.addresses()), tuple(map(line, b.plugins))) for b in args.server_blocks]
    return "".join(text + "\n" for block in blocks for text in block.lines())


@dataclass(frozen=True)
class CoreDnsObjects(Bundle):
    corefile: Manifest
    """The ConfigMap kube-system/coredns with only ``data.Corefile``: a patch of the cluster's own. The
    Corefile is an Output when a server list is one."""
    pdb: Manifest | None
    """The PodDisruptionBudget kube-system/coredns; None without ``pdb``."""


def build_coredns(args: CoreDnsArgs, cluster: ClusterSpec, environment: str | None = None) -> CoreDnsObjects:
    pdb: Manifest | None = None
    if args.pdb is not None:
        field, value = args.pdb.budget
        spec: dict[str, Any] = {field: value, "selector": {"matchLabels": dict(SELECTOR)}}
        if args.pdb.unhealthy_pod_eviction_policy is not None:
            spec["unhealthyPodEvictionPolicy"] = args.pdb.unhealthy_pod_eviction_policy
        pdb = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": object_meta(NAME, NAMESPACE, environment), "spec": spec}
    return CoreDnsObjects(
        corefile={
            "apiVersion": "v1",
            "kind": "ConfigMap",
            # Only the Corefile: the ConfigMap is the cluster's, not clusterstack's, so it gets none of
            # clusterstack's labels (which would claim it, and take them from whoever set them).
            "metadata": {"name": NAME, "namespace": NAMESPACE},
            "data": {"Corefile": render_corefile(args, cluster)},
        },
        pdb=pdb,
    )


class CoreDns(pulumi.ComponentResource):
    """The cluster's CoreDNS Corefile (always a patch of kube-system/coredns) and, optionally, a
    PodDisruptionBudget for its pods."""

    corefile: k8s.core.v1.ConfigMapPatch
    """The server-side-apply patch of the ConfigMap kube-system/coredns (``data.Corefile``), retained
    on delete: to go back to kubeadm's Corefile, apply ``dns.coredns: {}`` before removing it."""
    pdb: k8s.policy.v1.PodDisruptionBudget | k8s.policy.v1.PodDisruptionBudgetPatch | None
    """The PodDisruptionBudget, or with ``pdb.onExisting: adopt`` a patch of the cluster's own; None without ``pdb``."""
    corefile_text: pulumi.Output[str]
    """The Corefile as rendered (the component's one output)."""

    def __init__(
        self,
        resource_name: str,
        args: CoreDnsArgs | CoreDnsArgsDict,
        opts: pulumi.ResourceOptions | None = None,
        *,
        cluster: ClusterSpec | None = None,
        environment: str | None = None,
        node_local: NodeLocalDnsArgs | None = None,
    ) -> None:
        """Its children are named ``<resource_name>/coredns``. Inputs beside the Args, each a fact of
        the cluster or program that other components share, not a setting of CoreDNS:

        ``cluster``: the cluster's facts (its domain; kubeadm's defaults when omitted), one ``ClusterSpec``
        for every DNS component. ``node_local``: the sibling NodeLocal DNSCache's Args, if any, which
        sends names outside the cluster domain past CoreDNS: servers from Outputs that it does not share
        are warned about once they resolve (for plain ones, ``CoreDnsArgs.warnings()`` says it).
        ``environment``: the stack's name for the clusterstack.io/environment label (default: the running
        stack's), one value for a whole program, so not a setting of this component."""
        super().__init__("clusterstack:dns:CoreDns", resource_name, None, opts)
        spec = args_for(CoreDnsArgs, args, "CoreDns", resource_name)
        facts = cluster if cluster is not None else ClusterSpec()
        objects = build_coredns(spec, facts, stack_environment(environment))
        children = pulumi.ResourceOptions(parent=self)
        text = objects.corefile["data"]["Corefile"]
        corefile_object = objects.corefile
        if isinstance(text, pulumi.Output):
            # What the warnings passed over, said before the Corefile is written (the patch waits for it).
            text = pulumi.Output.all(text, resolved(spec)).apply(self._warning_of_outputs(spec, facts, node_local))
            corefile_object = {**objects.corefile, "data": {"Corefile": text}}

        # Deleting a patch releases its fields, and data.Corefile is clusterstack's alone once forced:
        # CoreDNS would be left with no Corefile, and fail to start at its next restart. Removing
        # dns.coredns (or a replacement of the patch) leaves the last Corefile in place instead.
        kept = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        corefile = register_patch(corefile_object, kept, child_name(resource_name, corefile_object))
        if not isinstance(corefile, k8s.core.v1.ConfigMapPatch):
            raise TypeError(f"the Corefile registered as {type(corefile).__name__}, not ConfigMapPatch")
        self.corefile = corefile
        self.pdb = None
        if spec.pdb is not None and objects.pdb is not None:
            child = AddOnChildren(resource_name, children, spec.pdb.on_existing).add
            self.pdb = child(objects.pdb, k8s.policy.v1.PodDisruptionBudget, k8s.policy.v1.PodDisruptionBudgetPatch)
        self.corefile_text = pulumi.Output.from_input(text)
        self.register_outputs({"corefile": self.corefile_text})

    def _warning_of_outputs(self, spec: CoreDnsArgs, cluster: ClusterSpec, node_local: NodeLocalDnsArgs | None) -> Callable[[list[Any]], str]:
        """Log the warnings the resolved servers bring (those ``spec.warnings()`` could not give), then pass the Corefile on."""
        said = set(_all_warnings(spec, cluster, node_local))

        def warn(values: list[Any]) -> str:
            text: str = values[0]
            plain: CoreDnsArgs = values[1]
            for found in _all_warnings(plain, cluster, node_local):
                if found not in said:
                    pulumi.log.warn(str(found), resource=self)
            return text

        return warn


def _all_warnings(args: CoreDnsArgs, cluster: ClusterSpec, node_local: NodeLocalDnsArgs | None) -> Findings:
    """Every warning a platform gives its CoreDNS: the cluster's, the model's own, the cache's."""
    yield from warnings_of(args.on_cluster(cluster))
    yield from args.warnings()
    if node_local is not None:
        yield from bypassed_by_node_local(args, node_local, cluster.domain)
