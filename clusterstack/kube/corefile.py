"""What CoreDNS accepts in a Corefile: its syntax, the zones of server blocks, the forward plugin's
upstreams and the cache plugin's TTL. One set of rules for every Corefile clusterstack writes: the
cluster's own CoreDNS (``dns.coredns``) and NodeLocal DNSCache (``dns.nodeLocal``), whose node-cache is
CoreDNS with the same plugins.

The rules hold for every CoreDNS a supported cluster runs, from 1.9.3 (kubeadm's for Kubernetes 1.25,
the oldest bundled schema) on; where a later CoreDNS accepts more, the messages say from which release.
From coredns/coredns:

- plugin/forward/setup.go: ``const max = 15`` ("more than 15 TOs configured"); only the ``dns`` and
  ``tls`` transports ("'%s' is not supported as a destination protocol in forward"; ``https`` only
  from 1.14.5); from 1.13.2 a ``%`` suffix is a TLS server name (``splitZone``), before it an IPv6 zone.
- plugin/pkg/parse/transport.go (``Transport``): ``dns://`` and ``tls://`` prefixes, none meaning dns.
- plugin/pkg/parse/host.go (``HostPortOrFile``): each TO is an IP, IP:port or [IPv6]:port, or else a
  file read as resolv.conf when CoreDNS starts ("not an IP address or file"); a bare IP gets port 53,
  853 after ``tls://``. Host names are resolved only from 1.14.4 (``expandAndDedup``); before, they
  are file names that do not exist. A file's nameservers count towards the 15.
- core/dnsserver/register.go: a server block's zone is made fully qualified and, from 1.14.7
  (#8320), lower-cased; queries are lower-cased before the zone lookup (core/dnsserver/server.go), so
  before 1.14.7 a key such as ``Consul.LOCAL`` never matched: zones are written here lower-case,
  without the trailing dot.
- plugin/cache/setup.go: "cache TTL can not be zero or negative"; no ceiling (3600 is only the default
  maximum TTL when none is given, per its README).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .findings import Finding, Findings, prefixed, warning
from .names import dns1123_subdomain

"""(key path relative to the list or map checked, message)."""

MAX_UPSTREAMS = 15
"""The forward plugin's limit on TO addresses (``const max = 15``, plugin/forward/setup.go)."""
MAX_TTL = 2_147_483_647
"""The largest TTL a DNS record carries (2^31 - 1, RFC 2181 section 8): a longer cache TTL caps nothing."""
RESOLV_CONF = "/etc/resolv.conf"
"""The one file every CoreDNS pod has (its dnsPolicy is Default: the node's resolver configuration)."""
EMPTY_UPSTREAMS = "is empty; list servers, or remove it to use the node's /etc/resolv.conf"
_PORTS = {"dns": 53, "tls": 853}
_UPSTREAM_FORMS = "an IP address, IP:port or [IPv6]:port (after dns:// or tls://, or neither) or a resolv.conf path"
_EXAMPLES = "e.g. 10.150.0.1, 10.150.0.1:8600, [fd00::53]:53, tls://1.1.1.1, /etc/resolv.conf"


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


# --- Zones ---------------------------------------------------------------------------------------


def normal_zone(domain: str) -> str:
    """A server block's zone as written into a Corefile: lower-case, no trailing dot ("." stays the root)."""
    return domain if domain == "." else domain.rstrip(".").lower()


def zone_problem(domain: str) -> str | None:
    """Why ``domain`` is no zone for a server block (case and a trailing dot do not matter)."""
    if domain == ".":
        return None
    reasons = dns1123_subdomain(normal_zone(domain))
    return f"is not a DNS domain: {'; '.join(reasons)}" if reasons else None


def stub_domains_problems(stubs: Mapping[str, Sequence[str]]) -> Findings:
    """A stub domain each a zone of its own (one server block each), and valid upstreams for it."""
    seen: dict[str, str] = {}
    for domain, servers in stubs.items():
        problem = zone_problem(domain)
        if normal_zone(domain) == ".":
            yield Finding((domain,), "is the root zone, the main server block's: set upstreamServers instead")
        elif problem is not None:
            yield Finding((domain,), problem)
        elif normal_zone(domain) in seen:
            yield Finding((domain,), f"is {seen[normal_zone(domain)]} again (DNS names ignore case and the trailing dot): keep one")
        seen.setdefault(normal_zone(domain), domain)
        yield from prefixed((domain,), upstreams_problems(servers))


# --- The forward plugin's upstreams (TO) --------------------------------------------------------


@dataclass(frozen=True)
class Upstream:
    """One TO address as the forward plugin reads it: a server, or a resolv.conf-style file."""

    transport: str
    """``dns`` or ``tls``; ``file`` for a path."""
    host: str
    """The IP address, in its canonical form (``fd00::53``), or the file's path."""
    port: int = 0
    """The port, 53 or 853 when none is written; 0 for a file."""


def parse_upstream(text: str) -> Upstream:
    """``text`` as the forward plugin reads it, or a ValueError that says what it takes."""
    scheme, separator, rest = text.partition("://")
    if not separator:
        scheme, rest = "dns", text
    elif scheme not in _PORTS:
        raise ValueError(
            f"{text!r} uses {scheme}://, which CoreDNS's forward plugin does not take: use dns:// (plain DNS, the default) or tls:// (DNS over TLS)"
        )
    if "%" in rest:
        bare = re.sub(r"%[^\]:]*", "", text)
        raise ValueError(
            f"{text!r} has a %-suffix, which CoreDNS's forward reads as an IPv6 zone before 1.13.2 and as a TLS server name "
            f"from 1.13.2 on: write {bare}"
        )
    if "/" in rest:
        if separator:
            raise ValueError(f"{text!r} puts {scheme}:// before a file, whose nameservers are always plain DNS: write {rest}")
        if not rest.startswith("/"):
            raise ValueError(f"{text!r} is a relative path, read from CoreDNS's working directory: give an absolute one (e.g. {RESOLV_CONF})")
        return Upstream("file", rest)
    host, port = rest, None
    if rest.startswith("["):
        host, closed, after = rest[1:].partition("]")
        if not closed or (after and not after.startswith(":")):
            raise ValueError(f"{text!r} is not [IPv6]:port (e.g. [fd00::53]:53)")
        if not after:
            raise ValueError(f"{text!r} has brackets but no port, which CoreDNS refuses: write [{host}]:{_PORTS[scheme]} or {host}")
        port = after[1:]
    elif rest.count(":") == 1:
        host, port = rest.split(":")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host and not re.fullmatch(r"[0-9.]+", host) and not dns1123_subdomain(host.lower().rstrip(".")):
            raise ValueError(
                f"{text!r} is a host name; CoreDNS's forward takes IP addresses (before CoreDNS 1.14.4 it reads a host name "
                "as a file name, and refuses the Corefile): give its IP"
            ) from None
        raise ValueError(f"{text!r} is not {_UPSTREAM_FORMS} ({_EXAMPLES})") from None
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError(f"{text!r} has port {port!r}; ports are 1-65535")
    return Upstream(scheme, str(address), int(port) if port is not None else _PORTS[scheme])


def upstreams_problems(servers: Sequence[str]) -> Findings:
    """A forward plugin's TO list: 1 to 15 valid upstreams, none listed twice (however written)."""
    if not servers:
        yield Finding((), "lists no servers")
    if len(servers) > MAX_UPSTREAMS:
        yield Finding((), f"lists {len(servers)} servers; CoreDNS's forward plugin takes at most {MAX_UPSTREAMS} (more than {MAX_UPSTREAMS} TOs configured)")
    seen: dict[Upstream, str] = {}
    for index, server in enumerate(servers):
        try:
            upstream = parse_upstream(server)
        except ValueError as error:
            yield Finding((index,), str(error))
            continue
        first = seen.get(upstream)
        if first == server:
            yield Finding((index,), f"{server} is listed twice")
        elif first is not None:
            yield Finding((index,), f"{server} is {first} again (the same server and port): list each upstream once")
        seen.setdefault(upstream, server)


def upstream_warnings(servers: Sequence[str]) -> Findings:
    """What a valid TO list does that is probably not meant."""
    for index, server in enumerate(servers):
        upstream = parse_upstream(server)
        if upstream.transport == "tls":
            yield warning((index,), (
                f"{server} gets no tls_servername, so CoreDNS checks the server's certificate against the IP {upstream.host}: "
                "it fails unless the certificate lists that IP (Cloudflare's 1.1.1.1 does, Quad9's 9.9.9.9 does not)"
            ))
        elif upstream.transport == "file" and upstream.host != RESOLV_CONF:
            yield warning((index,), (
                f"CoreDNS reads {server} when it starts and refuses the Corefile if the file is missing: "
                f"only {RESOLV_CONF} is in every DNS pod, so mount it yourself"
            ))


def same_upstreams(one: Sequence[str], other: Sequence[str]) -> bool:
    """Whether two valid TO lists name the same upstreams, however each is written and ordered."""
    return {parse_upstream(s) for s in one} == {parse_upstream(s) for s in other}
