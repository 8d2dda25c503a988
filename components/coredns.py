"""CoreDns: the cluster's own CoreDNS, customised: stub domains, upstream servers, the cache TTL,
extra server blocks, and a PodDisruptionBudget for its pods.

Pages: Customizing DNS Service (the default Corefile; stub domains and upstream nameservers through
the forward plugin) and Using CoreDNS for Service Discovery. The Corefile is kubeadm's default
(cmd/kubeadm/app/phases/addons/dns/manifests.go, with the ``cache`` block that keeps the cluster
domain out of the cache, kubernetes/kubernetes#128359) with the settings applied. CoreDNS's plugin
READMEs give the limits: forward takes at most 15 upstreams, cache a TTL above 0 (3600 s is its own
ceiling).

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
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypedDict

import pulumi
import pulumi_kubernetes as k8s
from pydantic import Field, PlainValidator, WithJsonSchema, field_validator

from .bundle import Bundle, Manifest
from .cluster import ClusterSpec
from .kube.names import dns1123_subdomain
from .kube.network import parse_ip
from .labels import object_meta
from .lifecycle import OnExisting
from .model import KeyPath, Model, Problems, given, raise_problems, typed_init, yaml_text
from .nodelocaldns import NodeLocalDnsArgs
from .register import AddOnChildren, child_name, register_patch

NAME = "coredns"
NAMESPACE = "kube-system"
SELECTOR = {"k8s-app": "kube-dns"}
"""The label on CoreDNS's pods, kept from kube-dns (the page)."""
DNS_PORT = 53
METRICS_PORT = 9153
DEFAULT_CACHE_TTL = 30
"""kubeadm's ``cache 30``."""
MAX_CACHE_TTL = 3600
"""The cache plugin's own ceiling when no TTL is given (its README)."""
MAX_UPSTREAMS = 15
"""The forward plugin's limit on upstreams (``const max = 15`` in plugin/forward/setup.go)."""
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


# --- Corefile syntax (CoreDNS's Caddyfile dialect) ---------------------------------------------


@dataclass(frozen=True)
class _Token:
    text: str
    raw: str
    """As written, quotes included: what goes back into the Corefile."""
    line: int
    end_line: int


@dataclass(frozen=True)
class Directive:
    """One Corefile directive: its words (the plugin's name, then its arguments, as written) and its
    ``{ ... }`` block, if it has one."""

    words: tuple[str, ...]
    block: tuple[Directive, ...] | None = None

    @property
    def name(self) -> str:
        return self.words[0]

    def lines(self, depth: int = 0) -> list[str]:
        """The directive laid out as kubeadm does: ``{`` ending its line, 4 spaces a level, ``}`` alone."""
        head = "    " * depth + " ".join(self.words)
        if self.block is None:
            return [head]
        inner = [line for child in self.block for line in child.lines(depth + 1)]
        return [f"{head} {{", *inner, "    " * depth + "}"]


def _tokens(text: str) -> list[_Token]:
    """Split as CoreDNS's lexer does: whitespace between words, ``"..."`` one word (``\\"`` a quote
    in it), ``#`` a comment to the end of the line."""
    tokens: list[_Token] = []
    i, line = 0, 0
    while i < len(text):
        char = text[i]
        if char == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        if char.isspace():
            if char == "\n":
                line += 1
            i += 1
            continue
        start, start_line = i, line
        if char == '"':
            value: list[str] = []
            escaped, i = False, i + 1
            while True:
                if i >= len(text):
                    raise ValueError(f"has a quote that is never closed: {text[start:].splitlines()[0]}")
                char, i = text[i], i + 1
                if char == "\\" and not escaped:
                    escaped = True
                    continue
                if char == '"' and not escaped:
                    break
                if char == "\n":
                    line += 1
                value.append(("\\" if escaped and char != '"' else "") + char)
                escaped = False
            tokens.append(_Token("".join(value), text[start:i], start_line, line))
        else:
            while i < len(text) and not text[i].isspace() and text[i] != "#":
                i += 1
            tokens.append(_Token(text[start:i], text[start:i], start_line, line))
    return tokens


def parse_directives(text: str) -> tuple[Directive, ...]:
    """The directives in ``text``; a ValueError says what CoreDNS would refuse (braces that do not
    match, a ``{`` that opens nothing). A block may be written on one line: it is laid out again."""
    tokens = _tokens(text)
    position = 0

    def block(depth: int) -> tuple[Directive, ...]:
        nonlocal position
        found: list[Directive] = []
        while position < len(tokens):
            first = tokens[position]
            if first.text == "}":
                if depth == 0:
                    raise ValueError("has a } that closes no {")
                position += 1
                return tuple(found)
            if first.text == "{":
                raise ValueError("has a { that opens no directive: put it at the end of its directive's line (forward . 10.0.0.1 {)")
            if first.raw.endswith("{"):
                raise ValueError(f"has {first.raw!r}: separate the {{ with a space")
            words, children, position = [first], None, position + 1
            while position < len(tokens) and tokens[position].line == words[-1].end_line and tokens[position].text != "}":
                token = tokens[position]
                position += 1
                if token.text == "{":
                    children = block(depth + 1)
                    break
                if token.raw.endswith("{"):
                    raise ValueError(f"has {token.raw!r}: separate the {{ with a space")
                if token.raw.endswith("}") and "{" not in token.raw:
                    raise ValueError(f"has {token.raw!r}: separate the }} with a space")
                words.append(token)
            found.append(Directive(tuple(t.raw for t in words), children))
        if depth > 0:
            raise ValueError("has a { that is never closed by a }")
        return tuple(found)

    return block(0)


def plugin_directive(text: str) -> Directive:
    """The one directive a plugin entry holds."""
    directives = parse_directives(text)
    if len(directives) != 1:
        named = ", ".join(d.name for d in directives)
        raise ValueError(f"holds {len(directives)} directives ({named}); give each plugin its own list item" if directives else "is empty")
    return directives[0]


# --- Values --------------------------------------------------------------------------------------


def _zone(domain: str) -> str:
    """A zone as CoreDNS compares them: no trailing dot ("." stays the root)."""
    return domain if domain == "." else domain.rstrip(".")


def _domain_problem(domain: str) -> str | None:
    if domain == ".":
        return None
    reasons = dns1123_subdomain(_zone(domain))
    if not reasons:
        return None
    hint = "; give the port in port, not in the zone" if ":" in domain else ""
    return f"is not a DNS domain: {'; '.join(reasons)}{hint}"


def _server_problem(server: str) -> str | None:
    """Why ``server`` is not an upstream the forward plugin takes: an IP, IP:port or [IPv6]:port."""
    host, port = server, None
    if server.startswith("["):
        host, closed, rest = server[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            return f"{server!r} is not [IPv6]:port (e.g. [fd00::53]:53)"
        port = rest[1:] if rest else None
    elif server.count(":") == 1:
        host, port = server.split(":")
    try:
        parse_ip(host)
    except ValueError as error:
        if "%" in host:
            return str(error)
        if not re.fullmatch(r"[0-9.]+", host) and not dns1123_subdomain(host.lower().rstrip(".")):
            return f"{server!r} is a host name; CoreDNS takes no host names for stub domains and nameservers (the page): give its IP"
        return f"{server!r} is not an IP address, IP:port or [IPv6]:port (e.g. 10.150.0.1, 10.150.0.1:8600)"
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        return f"{server!r} has port {port!r}; ports are 1-65535"
    return None


def _servers_problems(servers: Sequence[str]) -> Iterator[tuple[KeyPath, str]]:
    if not servers:
        yield (), "lists no servers"
    if len(servers) > MAX_UPSTREAMS:
        yield (), f"lists {len(servers)} servers; CoreDNS's forward plugin takes at most {MAX_UPSTREAMS}"
    seen: set[str] = set()
    for index, server in enumerate(servers):
        problem = _server_problem(server)
        if problem is not None:
            yield (index,), problem
        elif server in seen:
            yield (index,), f"{server} is listed twice"
        seen.add(server)


def _int_or_percent(value: Any) -> int | str:
    """An IntOrString budget as the API server takes it: a whole number ≥ 0, or "N%" up to 100%."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{yaml_text(value)} is neither a whole number nor a percentage (e.g. 1 or 25%)")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value} is negative; use 0 or more")
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
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^[0-9]+%$"}]}),
]


# --- Args ----------------------------------------------------------------------------------------


class ServerBlockArgsDict(TypedDict, total=False):
    zones: Sequence[str]
    port: int
    plugins: Sequence[str]


class DisruptionBudgetArgsDict(TypedDict, total=False):
    minAvailable: int | str
    maxUnavailable: int | str
    unhealthyPodEvictionPolicy: UnhealthyPodEvictionPolicy
    onExisting: OnExisting


class CoreDnsArgsDict(TypedDict, total=False):
    """``CoreDnsArgs`` as a dict, in the stack files' spelling."""

    stubDomains: Mapping[str, Sequence[str]]
    upstreamServers: Sequence[str]
    cache: int
    serverBlocks: Sequence[ServerBlock | ServerBlockArgsDict]
    pdb: DisruptionBudget | DisruptionBudgetArgsDict


class ServerBlock(Model):
    """An extra server block, ``<zone>:<port> ... { <plugins> }``, after the stub domains."""

    zones: tuple[str, ...] = Field(min_length=1)
    """The zones it answers for (DNS domains, or "." for every name)."""
    port: Annotated[int, Field(ge=1, le=65535, strict=True)] = DNS_PORT
    """The port it listens on. Default: 53, the only port the kube-dns Service sends to CoreDNS."""
    plugins: tuple[str, ...] = Field(min_length=1)
    """One CoreDNS directive each, with its arguments and any ``{ ... }`` block: ``errors``,
    ``cache 30``, ``forward . 10.0.0.2``. Written out in order, one directive a line; comments dropped."""

    @typed_init
    def __init__(self, *, zones: Sequence[str], port: int | None = None, plugins: Sequence[str]) -> None:
        super().__init__(**given(locals()))

    @field_validator("zones")
    @classmethod
    def _zones(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        problems: list[tuple[KeyPath, str]] = []
        seen: set[str] = set()
        for index, zone in enumerate(value):
            problem = _domain_problem(zone)
            if problem is not None:
                problems.append(((index,), f"{zone!r} {problem}"))
            elif _zone(zone) in seen:
                problems.append(((index,), f"{zone} is listed twice"))
            seen.add(_zone(zone))
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
        problems: list[tuple[KeyPath, str]] = []
        for index, text in enumerate(value):
            try:
                plugin_directive(text)
            except ValueError as error:
                problems.append(((index,), str(error)))
        raise_problems(problems)
        return value

    def addresses(self) -> list[tuple[str, int]]:
        """(zone, port) for each zone: what CoreDNS refuses to see twice."""
        return [(_zone(zone), self.port) for zone in self.zones]


class DisruptionBudget(Model):
    """``pdb``: how many CoreDNS pods voluntary evictions (node drains) may take at once. Set
    ``minAvailable`` or ``maxUnavailable``, not both; neither: ``maxUnavailable: 1``."""

    min_available: IntOrPercent | None = None
    """How many CoreDNS pods must stay: a number, or a percentage of them ("50%")."""
    max_unavailable: IntOrPercent | None = None
    """How many CoreDNS pods may be evicted at once: a number, or a percentage of them ("33%")."""
    unhealthy_pod_eviction_policy: UnhealthyPodEvictionPolicy = "AlwaysAllow"
    """``AlwaysAllow``: a CoreDNS pod that is not ready (so serves nothing) may be evicted even when
    the budget is spent, so it never blocks the drain of its node (KEP-3017, GA in 1.31; the
    Kubernetes blog post that introduced it calls AlwaysAllow generally the better choice).
    ``IfHealthyBudget`` is the API's default."""
    on_existing: OnExisting = "fail"
    """When the cluster already has PodDisruptionBudget kube-system/coredns (EKS's add-on ships it):
    ``fail`` (``pulumi up`` stops with AlreadyExists) or ``adopt`` (patch clusterstack's fields onto
    it; set the same one of minAvailable/maxUnavailable it uses, or the API server refuses both)."""

    @typed_init
    def __init__(
        self,
        *,
        min_available: int | str | None = None,
        max_unavailable: int | str | None = None,
        unhealthy_pod_eviction_policy: UnhealthyPodEvictionPolicy | None = None,
        on_existing: OnExisting | None = None,
    ) -> None:
        super().__init__(**given(locals()))

    def _problems(self) -> Problems:
        if self.min_available is not None and self.max_unavailable is not None:
            yield (), "sets both minAvailable and maxUnavailable; a PodDisruptionBudget takes one of them: remove the other"

    @property
    def budget(self) -> tuple[str, int | str]:
        """The one bound the PodDisruptionBudget sets: (field, value)."""
        if self.min_available is not None:
            return "minAvailable", self.min_available
        return "maxUnavailable", self.max_unavailable if self.max_unavailable is not None else 1


class CoreDnsArgs(Model):
    """``clusterstack:dns.coredns``: changes to the cluster's own CoreDNS; every key is optional."""

    stub_domains: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Domain -> the DNS servers for it (IP, IP:port), each its own server block, as the page shows
    (e.g. consul.local: [10.150.0.1])."""
    upstream_servers: tuple[str, ...] | None = None
    """Where names outside the cluster and the stub domains go (IP, IP:port; at most 15). Unset: the
    node's /etc/resolv.conf, as kubeadm."""
    cache: Annotated[int, Field(strict=True)] = DEFAULT_CACHE_TTL
    """The cache plugin's TTL, in seconds (1-3600): the longest any answer is kept. Default: 30, as kubeadm."""
    server_blocks: tuple[ServerBlock, ...] = ()
    """Extra server blocks, after the stub domains, in this order."""
    pdb: DisruptionBudget | None = None
    """A PodDisruptionBudget for CoreDNS's pods; unset: none is made."""

    @typed_init
    def __init__(
        self,
        *,
        stub_domains: Mapping[str, Sequence[str]] | None = None,
        upstream_servers: Sequence[str] | None = None,
        cache: int | None = None,
        server_blocks: Sequence[ServerBlock | ServerBlockArgsDict] | None = None,
        pdb: DisruptionBudget | DisruptionBudgetArgsDict | None = None,
    ) -> None:
        super().__init__(**given(locals()))

    @field_validator("stub_domains")
    @classmethod
    def _stubs(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        problems: list[tuple[KeyPath, str]] = []
        for domain, servers in value.items():
            problem = _domain_problem(domain)
            if _zone(domain) == ".":
                problems.append(((domain,), "is the root zone, the main server block's: set upstreamServers instead"))
            elif problem is not None:
                problems.append(((domain,), problem))
            problems += [((domain, *path), message) for path, message in _servers_problems(servers)]
        raise_problems(problems)
        return value

    @field_validator("upstream_servers")
    @classmethod
    def _upstreams(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and not value:
            raise ValueError("is empty; list servers, or remove it to use the node's /etc/resolv.conf")
        if value is not None:
            raise_problems(_servers_problems(value))
        return value

    @field_validator("cache")
    @classmethod
    def _cache(cls, value: int) -> int:
        if not 1 <= value <= MAX_CACHE_TTL:
            raise ValueError(f"{value} is not a cache TTL: CoreDNS's cache takes 1 to {MAX_CACHE_TTL} seconds ({MAX_CACHE_TTL} is its own ceiling)")
        return value

    def _problems(self) -> Problems:
        # CoreDNS refuses to start when two server blocks claim one zone and port ("cannot serve
        # dns://example.org:53 - it is already defined").
        owners: dict[tuple[str, int], str] = {(".", DNS_PORT): "the main server block (.:53)"}
        for domain in self.stub_domains:
            key = (_zone(domain), DNS_PORT)
            if key in owners:
                yield ("stubDomains", domain), f"{key[0]}:{DNS_PORT} is already {owners[key]}"
            owners.setdefault(key, f"stub domain {domain}")
        for index, block in enumerate(self.server_blocks):
            for at, key in enumerate(block.addresses()):
                if key in owners:
                    yield ("serverBlocks", index, "zones", at), f"{key[0]}:{key[1]} is already {owners[key]}"
                owners.setdefault(key, f"serverBlocks[{index}]")

    def stubs(self) -> list[tuple[str, tuple[str, ...]]]:
        """The stub domains as zones, sorted."""
        return sorted((_zone(domain), servers) for domain, servers in self.stub_domains.items())


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


def cluster_problems(args: CoreDnsArgs, cluster: ClusterSpec) -> Problems:
    """What the cluster's facts make invalid: a zone that shadows the kubernetes plugin, and managed
    offerings whose CoreDNS is not configured through kube-system/coredns."""
    if cluster.distribution == "gke":
        yield (), "GKE runs kube-dns, not CoreDNS: configure its stub domains in kube-system/kube-dns (or use Cloud DNS), and remove dns.coredns"
    if cluster.distribution == "aks":
        yield (), "AKS does not let kube-system/coredns be changed: customise CoreDNS through its coredns-custom ConfigMap, and remove dns.coredns"
    for domain in args.stub_domains:
        reason = _shadowed(_zone(domain), cluster.domain)
        if reason is not None:
            yield ("stubDomains", domain), reason
    for index, block in enumerate(args.server_blocks):
        for at, (zone, port) in enumerate(block.addresses()):
            reason = _shadowed(zone, cluster.domain) if port == DNS_PORT else None
            if reason is not None:
                yield ("serverBlocks", index, "zones", at), reason


def warnings(args: CoreDnsArgs, cluster: ClusterSpec, node_local: NodeLocalDnsArgs | None = None) -> list[tuple[KeyPath, str]]:
    """What is valid but probably not meant. ``node_local``: the stack's NodeLocal DNSCache, which
    forwards names outside the cluster domain itself, past CoreDNS."""
    found: list[tuple[KeyPath, str]] = []
    if cluster.distribution == "eks":
        found.append(
            ((), "the EKS CoreDNS add-on owns its Corefile: an add-on update with resolveConflicts OVERWRITE puts its own back (use PRESERVE)")
        )
        if args.pdb is not None and args.pdb.on_existing == "fail":
            found.append(
                (
                    ("pdb", "onExisting"),
                    "EKS's CoreDNS add-on ships PodDisruptionBudget kube-system/coredns: creating this one fails with AlreadyExists; set onExisting: adopt",
                )
            )
    if args.pdb is not None and args.pdb.budget in (("maxUnavailable", 0), ("maxUnavailable", "0%"), ("minAvailable", "100%")):
        field, value = args.pdb.budget
        found.append((("pdb", field), f"{value} lets no CoreDNS pod be evicted: every node drain that meets one waits forever"))
    for index, block in enumerate(args.server_blocks):
        if block.port != DNS_PORT:
            found.append(
                (
                    ("serverBlocks", index, "port"),
                    f"the kube-dns Service sends only port {DNS_PORT} to CoreDNS: nothing reaches {block.port} without a Service of your own",
                )
            )
        for at, text in enumerate(block.plugins):
            name = plugin_directive(text).name
            if name not in KNOWN_PLUGINS:
                found.append(
                    (("serverBlocks", index, "plugins", at), f"{name!r} is not a plugin of CoreDNS's default build: an image without it fails to start")
                )
    if node_local is not None:
        found += _bypassed_by_node_local(args, node_local, cluster.domain)
    return found


def _reaches_coredns_past_node_local(zone: str, domain: str) -> bool:
    """NodeLocal DNSCache sends the cluster domain and the reverse zones to CoreDNS, the rest to its own upstreams."""
    return any(zone == root or zone.endswith(f".{root}") for root in (domain, "in-addr.arpa", "ip6.arpa"))


def _bypassed_by_node_local(args: CoreDnsArgs, node_local: NodeLocalDnsArgs, domain: str) -> Iterator[tuple[KeyPath, str]]:
    bypass = "NodeLocal DNSCache sends names outside the cluster domain to its own upstreams, past CoreDNS"
    theirs = {_zone(d): set(servers) for d, servers in node_local.stub_domains.items()}
    for zone, servers in args.stubs():
        if not _reaches_coredns_past_node_local(zone, domain) and theirs.get(zone) != set(servers):
            yield ("stubDomains", zone), f"{bypass}: give dns.nodeLocal.stubDomains the same {zone} entry"
    if args.upstream_servers is not None and set(node_local.upstream_servers or ()) != set(args.upstream_servers):
        yield ("upstreamServers",), f"{bypass}: give dns.nodeLocal.upstreamServers the same servers"
    for index, block in enumerate(args.server_blocks):
        if any(port == DNS_PORT and not _reaches_coredns_past_node_local(zone, domain) for zone, port in block.addresses()):
            yield ("serverBlocks", index), f"{bypass}: pods that use the cache never reach this block"


# --- Objects -------------------------------------------------------------------------------------


def render_corefile(args: CoreDnsArgs, cluster: ClusterSpec) -> str:
    """kubeadm's Corefile with the settings applied, then the stub domains (sorted), then the extra
    server blocks (in order)."""
    raise_problems(cluster_problems(args, cluster))
    domain, ttl, line = cluster.domain, args.cache, plugin_directive
    upstreams = args.upstream_servers if args.upstream_servers is not None else ("/etc/resolv.conf",)
    main = (
        line("errors"),
        Directive(("health",), (line("lameduck 5s"),)),
        line("ready"),
        Directive(("kubernetes", domain, "in-addr.arpa", "ip6.arpa"), (line("pods insecure"), line("fallthrough in-addr.arpa ip6.arpa"), line("ttl 30"))),
        line(f"prometheus :{METRICS_PORT}"),
        Directive(("forward", ".", *upstreams), (line("max_concurrent 1000"),)),
        # The kubernetes plugin keeps its own, always current, view of the cluster: caching its
        # answers only serves them stale (kubeadm's Corefile since kubernetes/kubernetes#128359).
        Directive(("cache", str(ttl)), (line(f"disable success {domain}"), line(f"disable denial {domain}"))),
        line("loop"),
        line("reload"),
        line("loadbalance"),
    )
    blocks = [Directive((f".:{DNS_PORT}",), main)]
    blocks += [
        Directive((f"{zone}:{DNS_PORT}",), (line("errors"), line(f"cache {ttl}"), Directive(("forward", ".", *servers))))
        for zone, servers in args.stubs()
    ]
    blocks += [Directive(tuple(f"{zone}:{port}" for zone, port in b.addresses()), tuple(map(line, b.plugins))) for b in args.server_blocks]
    return "".join(text + "\n" for block in blocks for text in block.lines())


@dataclass(frozen=True)
class CoreDnsObjects(Bundle):
    corefile: Manifest
    """The ConfigMap kube-system/coredns with only ``data.Corefile``: a patch of the cluster's own."""
    pdb: Manifest | None
    """The PodDisruptionBudget kube-system/coredns; None without ``pdb``."""


def build_coredns(args: CoreDnsArgs, cluster: ClusterSpec, environment: str | None = None) -> CoreDnsObjects:
    pdb: Manifest | None = None
    if args.pdb is not None:
        field, value = args.pdb.budget
        pdb = {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": object_meta(NAME, NAMESPACE, environment),
            "spec": {
                field: value,
                "selector": {"matchLabels": dict(SELECTOR)},
                "unhealthyPodEvictionPolicy": args.pdb.unhealthy_pod_eviction_policy,
            },
        }
    return CoreDnsObjects(
        corefile={
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": object_meta(NAME, NAMESPACE, environment),
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
    ) -> None:
        """``cluster``: the cluster's facts (its domain; kubeadm's defaults when omitted). Its children
        are named ``<resource_name>/coredns``."""
        super().__init__("clusterstack:dns:CoreDns", resource_name, None, opts)
        spec = args if isinstance(args, CoreDnsArgs) else CoreDnsArgs.model_validate(args)
        facts = cluster if cluster is not None else ClusterSpec()
        objects = build_coredns(spec, facts, environment)
        children = pulumi.ResourceOptions(parent=self)

        # Deleting a patch releases its fields, and data.Corefile is clusterstack's alone once forced:
        # CoreDNS would be left with no Corefile, and fail to start at its next restart. Removing
        # dns.coredns (or a replacement of the patch) leaves the last Corefile in place instead.
        kept = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        corefile = register_patch(objects.corefile, kept, child_name(resource_name, objects.corefile))
        if not isinstance(corefile, k8s.core.v1.ConfigMapPatch):
            raise TypeError(f"the Corefile registered as {type(corefile).__name__}, not ConfigMapPatch")
        self.corefile = corefile
        self.pdb = None
        if spec.pdb is not None and objects.pdb is not None:
            child = AddOnChildren(resource_name, children, spec.pdb.on_existing).add
            self.pdb = child(objects.pdb, k8s.policy.v1.PodDisruptionBudget, k8s.policy.v1.PodDisruptionBudgetPatch)
        self.corefile_text = pulumi.Output.from_input(objects.corefile["data"]["Corefile"])
        self.register_outputs({"corefile": self.corefile_text})
