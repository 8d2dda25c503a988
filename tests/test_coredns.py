"""CoreDns: the Corefile it renders, read back server block by server block with a Corefile parser of
this module's own (so the test does not trust the renderer's idea of the syntax); the objects against
the strict Kubernetes schemas; every rejection, with its key path; the warnings; and the component
under Pulumi's mocks (the Corefile always a ConfigMapPatch, the PodDisruptionBudget created or adopted).

The facts checked come from kubeadm's Corefile (cmd/kubeadm/app/phases/addons/dns/manifests.go), the
"Customizing DNS Service" page (a stub domain's block: errors, cache, forward) and CoreDNS's source
(coredns/coredns): plugin/forward/setup.go and plugin/pkg/parse/{host,transport}.go for upstreams (at
most 15; IP, IP:port, [IPv6]:port, dns:// and tls://, a resolv.conf file), plugin/cache/setup.go for
the TTL (above 0, no ceiling), core/dnsserver for zones (case and trailing dot do not matter). The
rules for upstreams are shared with NodeLocal DNSCache: a test here holds both to the same words.
The PodDisruptionBudget's fields follow the bundled OpenAPI schemas per Kubernetes version.

In a program, servers may come from other resources (Outputs): they reach the Corefile byte for byte
as plain ones would, and fail the deployment, once resolved, with the message a plain value gets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

import pulumi
import pytest
import yaml
from pydantic import ValidationError

from clusterstack.components import ClusterPlatform
from clusterstack.components.cluster import ClusterSpec
from clusterstack.components.coredns import (
    CoreDns,
    CoreDnsArgs,
    DisruptionBudget,
    ServerBlock,
    build_coredns,
    bypassed_by_node_local,
    render_corefile,
)
from clusterstack.components.model import Invalid
from clusterstack.components.nodelocaldns import NodeLocalDnsArgs
from clusterstack.components.pydantic_errors import describe
from clusterstack.kube.findings import errors_of, warnings_of
from clusterstack.kube.paths import KeyPath, dotted
from clusterstack.kube.schema import schema_problems
from clusterstack.testing import Recording, run
from tests.helpers import STACK_FILE, load
from tests.helpers import problems as stack_problems
from tests.test_engine import cs

T = TypeVar("T")

KUBEADM_COREFILE = """\
.:53 {
    errors
    health {
        lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
        max_concurrent 1000
    }
    cache 30 {
        disable success cluster.local
        disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
"""
"""kubeadm's Corefile for cluster.local, laid out with 4 spaces a level."""


# --- A Corefile reader of this module's own -------------------------------------------------------


@dataclass
class Plugin:
    name: str
    args: list[str]
    block: list[Plugin] | None

    def option(self, name: str) -> list[str]:
        """The arguments of the one line ``name`` in this plugin's block."""
        [found] = [p for p in self.block or [] if p.name == name]
        return found.args


@dataclass
class Server:
    keys: list[str]
    plugins: list[Plugin]

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [(zone, int(port)) for zone, _, port in (key.rpartition(":") for key in self.keys)]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.plugins]

    def plugin(self, name: str) -> Plugin:
        [found] = [p for p in self.plugins if p.name == name]
        return found


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[^\s"#]+')


def parse_corefile(text: str) -> list[Server]:
    """Server blocks as CoreDNS reads them: keys then ``{``, one directive a line (its arguments on
    that line), ``{`` ending the line that opens a block, ``}`` alone on its line; and, as kubeadm
    lays it out, 4 spaces of indentation a level."""
    tokens: list[tuple[str, int]] = []
    depth = 0
    for number, line in enumerate(text.splitlines()):
        words = _TOKEN.findall(line)
        if not words:
            continue
        if words == ["}"]:
            depth -= 1
        assert line == "    " * depth + " ".join(words), f"line {number + 1} is not laid out at depth {depth}: {line!r}"
        assert "{" not in words[:-1], f"line {number + 1} opens a block before its end: {line!r}"
        assert "}" not in words or words == ["}"], f"line {number + 1} closes a block beside other words: {line!r}"
        if words[-1] == "{":
            depth += 1
        tokens += [(word, number) for word in words]
    assert depth == 0, "braces do not balance"

    position = 0

    def block() -> list[Plugin]:
        nonlocal position
        plugins: list[Plugin] = []
        while tokens[position][0] != "}":
            name, line = tokens[position]
            position += 1
            args: list[str] = []
            while position < len(tokens) and tokens[position][1] == line and tokens[position][0] != "{":
                args.append(tokens[position][0])
                position += 1
            inner = None
            if position < len(tokens) and tokens[position] == ("{", line):
                position += 1
                inner = block()
            plugins.append(Plugin(name, args, inner))
        position += 1
        return plugins

    servers: list[Server] = []
    while position < len(tokens):
        keys = []
        while tokens[position][0] != "{":
            keys.append(tokens[position][0])
            position += 1
        position += 1
        servers.append(Server(keys, block()))
    return servers


def rendered(args: CoreDnsArgs, cluster: ClusterSpec | None = None) -> str:
    """The Corefile of plain args: a string, never an Output."""
    text = render_corefile(args, cluster if cluster is not None else ClusterSpec())
    assert isinstance(text, str)
    return text


def corefile(cluster: ClusterSpec | None = None, **spec: object) -> list[Server]:
    return parse_corefile(rendered(CoreDnsArgs.model_validate(spec), cluster))


def test_the_reader_reads_the_pages_stub_domain_block():
    [server] = parse_corefile("consul.local:53 {\n    errors\n    cache 30\n    forward . 10.150.0.1\n}\n")
    assert (server.addresses, server.names, server.plugin("forward").args) == ([("consul.local", 53)], ["errors", "cache", "forward"], [".", "10.150.0.1"])


# --- The Corefile ----------------------------------------------------------------------------------


def test_no_settings_give_kubeadms_corefile():
    assert render_corefile(CoreDnsArgs(), ClusterSpec()) == KUBEADM_COREFILE
    [main] = parse_corefile(KUBEADM_COREFILE)
    assert main.addresses == [(".", 53)]
    assert main.names == ["errors", "health", "ready", "kubernetes", "prometheus", "forward", "cache", "loop", "reload", "loadbalance"]
    assert main.plugin("kubernetes").args == ["cluster.local", "in-addr.arpa", "ip6.arpa"]
    assert main.plugin("forward").args == [".", "/etc/resolv.conf"]


def test_the_cluster_domain_goes_into_the_kubernetes_plugin_and_out_of_the_cache():
    [main] = corefile(ClusterSpec(domain="corp.internal"))
    assert main.plugin("kubernetes").args == ["corp.internal", "in-addr.arpa", "ip6.arpa"]
    assert main.plugin("kubernetes").option("fallthrough") == ["in-addr.arpa", "ip6.arpa"]
    disables = [p.args for p in main.plugin("cache").block or [] if p.name == "disable"]
    assert disables == [["success", "corp.internal"], ["denial", "corp.internal"]]


def test_upstream_servers_replace_resolv_conf_and_keep_kubeadms_forward_options():
    [main] = corefile(upstreamServers=["172.16.0.1", "172.16.0.2:5353", "[fd00::53]:53", "fd00::54"])
    forward = main.plugin("forward")
    assert forward.args == [".", "172.16.0.1", "172.16.0.2:5353", "[fd00::53]:53", "fd00::54"]
    assert forward.option("max_concurrent") == ["1000"]


def test_upstreams_take_the_forward_plugins_transports_and_a_resolv_conf_file():
    servers = ["tls://1.1.1.1", "dns://10.0.0.1", "10.0.0.2:5353", "[fd00::53]:53", "/etc/resolv.conf"]
    main, consul = corefile(upstreamServers=servers, stubDomains={"consul.local": ["tls://[fd00::1]:853", "/etc/resolv.conf"]})
    assert main.plugin("forward").args == [".", *servers]
    assert consul.plugin("forward").args == [".", "tls://[fd00::1]:853", "/etc/resolv.conf"]


def test_zones_are_written_lower_case_without_the_trailing_dot_as_coredns_matches_them():
    """CoreDNS lower-cases each query before it looks its zone up; before 1.14.7 it kept a server block
    key's case, so ``Consul.LOCAL:53`` would never answer (core/dnsserver, coredns/coredns#8320)."""
    servers = corefile(stubDomains={"Consul.LOCAL.": ["10.150.0.1"]}, serverBlocks=[{"zones": ["Example.Internal."], "plugins": ["errors"]}])
    assert [s.addresses for s in servers] == [[(".", 53)], [("consul.local", 53)], [("example.internal", 53)]]


@pytest.mark.parametrize(("version", "cached"), [("1.25", True), ("1.26", True), ("1.27", False), ("1.34", False)])
def test_the_cluster_domain_leaves_the_cache_only_where_the_clusters_coredns_reads_disable(version, cached):
    """``cache { disable ... }`` came in CoreDNS 1.9.4; Kubernetes 1.25 and 1.26 ship 1.9.3, which
    refuses the whole Corefile over it (plugin/cache/setup.go: an unknown property is an argument error)."""
    [main] = corefile(ClusterSpec(kubernetes_version=version), cache=60)
    assert main.plugin("cache").args == ["60"]
    assert (main.plugin("cache").block is None) == cached


@pytest.mark.parametrize("ttl", [3601, 86400, 2147483647])
def test_a_cache_ttl_above_an_hour_is_taken(ttl):
    """CoreDNS only refuses a TTL of 0 or less; 3600 is merely its maximum when none is given."""
    main, consul = corefile(cache=ttl, stubDomains={"consul.local": ["10.150.0.1"]})
    assert main.plugin("cache").args == consul.plugin("cache").args == [str(ttl)]


def test_the_cache_ttl_applies_to_the_main_block_and_every_stub_domain():
    main, consul = corefile(cache=120, stubDomains={"consul.local": ["10.150.0.1"]})
    assert main.plugin("cache").args == ["120"]
    assert consul.plugin("cache").args == ["120"]


def test_stub_domains_are_the_pages_blocks_sorted_after_the_main_one():
    servers = corefile(stubDomains={"svc.example.org.": ["10.0.0.7"], "consul.local": ["10.150.0.1", "10.150.0.2:8600"]})
    assert [s.addresses for s in servers] == [[(".", 53)], [("consul.local", 53)], [("svc.example.org", 53)]]
    consul, other = servers[1:]
    assert consul.names == ["errors", "cache", "forward"]
    assert consul.plugin("forward").args == [".", "10.150.0.1", "10.150.0.2:8600"]
    assert other.plugin("forward").args == [".", "10.0.0.7"]


def test_server_blocks_come_last_in_their_order_with_their_plugins_laid_out():
    servers = corefile(
        stubDomains={"consul.local": ["10.150.0.1"]},
        serverBlocks=[
            {"zones": ["example.internal", "corp.example."], "plugins": ["errors", "forward . 10.0.0.2 { max_concurrent 100 }", 'log . "{remote} {type}"']},
            {"zones": ["."], "port": 5353, "plugins": ["errors", "hosts {\n  10.0.0.9 db.example.internal\n      fallthrough\n}  # pinned", "whoami"]},
        ],
    )
    assert [s.addresses for s in servers[2:]] == [[("example.internal", 53), ("corp.example", 53)], [(".", 5353)]]
    first, second = servers[2:]
    assert first.names == ["errors", "forward", "log"]
    assert first.plugin("forward").args == [".", "10.0.0.2"]
    assert first.plugin("forward").option("max_concurrent") == ["100"]
    assert first.plugin("log").args == [".", '"{remote} {type}"']
    assert second.names == ["errors", "hosts", "whoami"]
    assert second.plugin("hosts").block == [Plugin("10.0.0.9", ["db.example.internal"], None), Plugin("fallthrough", [], None)]


def test_the_corefile_is_the_same_bytes_for_the_same_settings():
    one = {"stubDomains": {"b.example": ["10.0.0.2"], "a.example": ["10.0.0.1"]}, "upstreamServers": ["172.16.0.1"]}
    other = {"upstreamServers": ["172.16.0.1"], "stubDomains": {"a.example": ["10.0.0.1"], "b.example": ["10.0.0.2"]}}
    assert render_corefile(CoreDnsArgs.model_validate(one), ClusterSpec()) == render_corefile(CoreDnsArgs.model_validate(other), ClusterSpec())


# --- The objects -----------------------------------------------------------------------------------


def test_the_corefile_configmap_holds_only_the_corefile():
    objects = build_coredns(CoreDnsArgs(), ClusterSpec(), "prod")
    assert objects.corefile == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "coredns", "namespace": "kube-system"},  # none of clusterstack's labels: the ConfigMap is the cluster's
        "data": {"Corefile": KUBEADM_COREFILE},
    }
    assert objects.pdb is None
    assert objects.all() == [objects.corefile]


def test_the_disruption_budget_defaults_to_one_pod_at_a_time_and_never_sets_replicas():
    objects = build_coredns(CoreDnsArgs(pdb={}), ClusterSpec(), "prod")
    assert objects.pdb == {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {
            "name": "coredns",
            "namespace": "kube-system",
            "labels": {"app.kubernetes.io/managed-by": "clusterstack", "clusterstack.io/environment": "prod"},
        },
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"k8s-app": "kube-dns"}}},
    }
    assert not any(o["kind"] == "Deployment" or "replicas" in o.get("spec", {}) for o in objects.all())


@pytest.mark.parametrize(
    ("pdb", "spec"),
    [
        ({"minAvailable": "50%"}, {"minAvailable": "50%"}),
        ({"minAvailable": 2, "unhealthyPodEvictionPolicy": "IfHealthyBudget"}, {"minAvailable": 2}),
        ({"maxUnavailable": "33%"}, {"maxUnavailable": "33%"}),
    ],
)
def test_the_disruption_budget_sets_exactly_the_bound_given(pdb, spec):
    built = build_coredns(CoreDnsArgs(pdb=pdb), ClusterSpec()).pdb
    assert built is not None
    assert {k: v for k, v in built["spec"].items() if k in ("minAvailable", "maxUnavailable")} == spec


@pytest.mark.parametrize("version", ["1.25", "1.26", "1.30", "1.34"])
def test_every_object_passes_the_strict_schemas(version):
    cluster = ClusterSpec(kubernetes_version=version)
    policy = {"unhealthyPodEvictionPolicy": "AlwaysAllow"} if version != "1.25" else {}
    args = CoreDnsArgs.model_validate(
        {
            "stubDomains": {"consul.local": ["10.150.0.1"]},
            "upstreamServers": ["172.16.0.1"],
            "serverBlocks": [{"zones": ["example.internal"], "plugins": ["errors", "forward . 10.0.0.2"]}],
            "pdb": {"minAvailable": "50%", **policy},
        }
    )
    for obj in [*build_coredns(args, cluster, "prod").all(), *build_coredns(CoreDnsArgs(pdb={}), cluster).all()]:
        assert list(schema_problems(obj, version)) == []


def test_the_eviction_policy_is_written_only_when_set():
    """Unset, the API server's default applies (IfHealthyBudget): nothing is written, so the budget is
    valid on every Kubernetes version, the ones without the field included."""
    for policy in ("AlwaysAllow", "IfHealthyBudget"):
        built = build_coredns(CoreDnsArgs(pdb={"unhealthyPodEvictionPolicy": policy}), ClusterSpec()).pdb
        assert built is not None
        assert built["spec"]["unhealthyPodEvictionPolicy"] == policy
    bare = build_coredns(CoreDnsArgs(pdb={}), ClusterSpec(kubernetes_version="1.25")).pdb
    assert bare is not None
    assert "unhealthyPodEvictionPolicy" not in bare["spec"]
    assert list(schema_problems(bare, "1.25")) == []


def test_the_args_publish_a_json_schema():
    schema = CoreDnsArgs.model_json_schema(by_alias=True)
    assert set(schema["properties"]) == {"stubDomains", "upstreamServers", "cache", "serverBlocks", "pdb"}


def test_python_callers_write_snake_case_and_models():
    args = CoreDnsArgs(
        stub_domains={"consul.local": ["10.150.0.1"]},
        server_blocks=[ServerBlock(zones=["example.internal"], plugins=["errors"])],
        pdb=DisruptionBudget(min_available=1, on_existing="adopt"),
    )
    assert args.pdb is not None
    assert args.pdb.budget == ("minAvailable", 1)
    assert args.server_blocks[0].port == 53


# --- Rejections ------------------------------------------------------------------------------------


DNS1123 = "must be a DNS-1123 subdomain: lower case letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. 'example.com')"
UPSTREAM_FORMS = (
    "an IP address, IP:port or [IPv6]:port (after dns:// or tls://, or neither) or a resolv.conf path "
    "(e.g. 10.150.0.1, 10.150.0.1:8600, [fd00::53]:53, tls://1.1.1.1, /etc/resolv.conf)"
)
HOST_NAMES = "CoreDNS's forward takes IP addresses (before CoreDNS 1.14.4 it reads a host name as a file name, and refuses the Corefile): give its IP"
CACHE_TTLS = "CoreDNS's cache takes 1 to 2147483647 seconds (it refuses 0 and below; no DNS answer carries a longer TTL, RFC 2181)"


def problems(spec: dict) -> list[str]:
    """Every problem in ``spec``, as the stack loader words them: ``<key path>: <message>``."""
    with pytest.raises(ValidationError) as caught:
        CoreDnsArgs.model_validate(spec)
    return [f"{dotted(found.path)}: {found.message}" for found in describe(caught.value, CoreDnsArgs)]


def cluster_problems(args: CoreDnsArgs, cluster: ClusterSpec) -> list[tuple[KeyPath, str]]:
    """The errors ``cluster``'s facts make of ``args``."""
    return [(found.path, found.message) for found in errors_of(args.on_cluster(cluster))]


def warnings(args: CoreDnsArgs, cluster: ClusterSpec, node_local: NodeLocalDnsArgs | None = None) -> list[tuple[KeyPath, str]]:
    """What a stack's dns.coredns is warned of, in the platform's order: those on ``cluster``, its own, those beside ``node_local``."""
    found = [*warnings_of(args.on_cluster(cluster)), *args.warnings()]
    found += bypassed_by_node_local(args, node_local, cluster.domain) if node_local is not None else []
    return [(finding.path, finding.message) for finding in found]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"stubDomains": {"consul.local": ["10.150.0.300"]}}, f"stubDomains.consul.local[0]: '10.150.0.300' is not {UPSTREAM_FORMS}"),
        ({"stubDomains": {"consul.local": ["ns.consul.example"]}}, f"stubDomains.consul.local[0]: 'ns.consul.example' is a host name; {HOST_NAMES}"),
        ({"stubDomains": {"consul.local": ["10.150.0.1:0"]}}, "stubDomains.consul.local[0]: '10.150.0.1:0' has port '0'; ports are 1-65535"),
        ({"stubDomains": {"consul.local": []}}, "stubDomains.consul.local: lists no servers"),
        ({"stubDomains": {"consul.local": ["10.0.0.1", "10.0.0.1"]}}, "stubDomains.consul.local[1]: 10.0.0.1 is listed twice"),
        (
            {"stubDomains": {"consul.local": ["10.0.0.1", "dns://10.0.0.1:53"]}},
            "stubDomains.consul.local[1]: dns://10.0.0.1:53 is 10.0.0.1 again (the same server and port): list each upstream once",
        ),
        (
            {"stubDomains": {"consul.local": ["10.0.0.1"], "Consul.Local.": ["10.0.0.2"]}},
            "stubDomains.Consul.Local.: is consul.local again (DNS names ignore case and the trailing dot): keep one",
        ),
        ({"upstreamServers": ["[fd00::53]"]}, "upstreamServers[0]: '[fd00::53]' has brackets but no port, which CoreDNS refuses: write [fd00::53]:53 or fd00::53"),
        (
            {"upstreamServers": ["https://1.1.1.1"]},
            (
                "upstreamServers[0]: 'https://1.1.1.1' uses https://, which CoreDNS's forward plugin does not take: use dns:// (plain DNS, the default) "
                "or tls:// (DNS over TLS)"
            ),
        ),
        (
            {"upstreamServers": ["etc/resolv.conf"]},
            "upstreamServers[0]: 'etc/resolv.conf' is a relative path, read from CoreDNS's working directory: give an absolute one (e.g. /etc/resolv.conf)",
        ),
        (
            {"upstreamServers": ["tls:///etc/resolv.conf"]},
            "upstreamServers[0]: 'tls:///etc/resolv.conf' puts tls:// before a file, whose nameservers are always plain DNS: write /etc/resolv.conf",
        ),
        ({"stubDomains": {".": ["10.0.0.1"]}}, "stubDomains..: is the root zone, the main server block's: set upstreamServers instead"),
        (
            {"stubDomains": {"consul_dc1.local": ["10.0.0.1"]}},
            f"stubDomains.consul_dc1.local: is not a DNS domain: {DNS1123}",
        ),
        (
            {"upstreamServers": [f"10.0.0.{i}" for i in range(1, 17)]},
            "upstreamServers: lists 16 servers; CoreDNS's forward plugin takes at most 15 (more than 15 TOs configured)",
        ),
        ({"upstreamServers": []}, "upstreamServers: is empty; list servers, or remove it to use the node's /etc/resolv.conf"),
        (
            {"upstreamServers": ["fe80::1%eth0"]},
            (
                "upstreamServers[0]: 'fe80::1%eth0' has a %-suffix, which CoreDNS's forward reads as an IPv6 zone before 1.13.2 and as a TLS "
                "server name from 1.13.2 on: write fe80::1"
            ),
        ),
        ({"upstreamServers": ["[fd00::55"]}, "upstreamServers[0]: '[fd00::55' is not [IPv6]:port (e.g. [fd00::53]:53)"),
        ({"cache": 0}, f"cache: 0 is not a cache TTL: {CACHE_TTLS}"),
        ({"cache": -30}, f"cache: -30 is not a cache TTL: {CACHE_TTLS}"),
        ({"cache": 2147483648}, f"cache: 2147483648 is not a cache TTL: {CACHE_TTLS}"),
        ({"cache": "30"}, "cache: must be a whole number, not '30'"),
        ({"pdb": {"minAvailable": 1, "maxUnavailable": 1}}, "pdb: sets both minAvailable and maxUnavailable; a PodDisruptionBudget takes one of them: remove the other"),
        ({"pdb": {"maxUnavailable": "150%"}}, "pdb.maxUnavailable: 150% is more than 100%"),
        ({"pdb": {"maxUnavailable": "1"}}, "pdb.maxUnavailable: '1' is neither a whole number nor a percentage like '25%' (a number goes unquoted: 1)"),
        ({"pdb": {"minAvailable": -1}}, "pdb.minAvailable: -1 is negative; use 0 or more"),
        (
            {"pdb": {"minAvailable": 2147483648}},
            (
                "pdb.minAvailable: 2147483648 is more than 2147483647: the API holds it as an int32, and the API server refuses the object "
                "(cannot unmarshal number 2147483648 into Go value of type int32)"
            ),
        ),
        ({"pdb": {"unhealthyPodEvictionPolicy": "Always"}}, "pdb.unhealthyPodEvictionPolicy: must be one of 'IfHealthyBudget' or 'AlwaysAllow', not 'Always'"),
        ({"pdb": {"onExisting": "replace"}}, "pdb.onExisting: must be one of 'fail' or 'adopt', not 'replace'"),
        ({"serverBlocks": [{"zones": ["a.internal"], "plugins": ["forward . 10.0.0.1 {"]}]}, "serverBlocks[0].plugins[0]: has a { that is never closed by a }"),
        ({"serverBlocks": [{"zones": ["a.internal"], "plugins": ["errors }"]}]}, "serverBlocks[0].plugins[0]: has a } that closes no {"),
        (
            {"serverBlocks": [{"zones": ["a.internal"], "plugins": ["forward . 10.0.0.1\n{\n    max_concurrent 10\n}"]}]},
            "serverBlocks[0].plugins[0]: has a { that opens no directive: put it at the end of its directive's line (forward . 10.0.0.1 {)",
        ),
        ({"serverBlocks": [{"zones": ["a.internal"], "plugins": ["forward . 10.0.0.1{"]}]}, "serverBlocks[0].plugins[0]: has '10.0.0.1{': separate the { with a space"),
        ({"serverBlocks": [{"zones": ["a.internal"], "plugins": ['log "{remote}']}]}, 'serverBlocks[0].plugins[0]: has a quote that is never closed: "{remote}'),
        (
            {"serverBlocks": [{"zones": ["a.internal"], "plugins": ["errors\ncache 30"]}]},
            "serverBlocks[0].plugins[0]: holds 2 directives (errors, cache); give each plugin its own list item",
        ),
        (
            {"serverBlocks": [{"zones": ["a.internal:53"], "plugins": ["errors"]}]},
            f"serverBlocks[0].zones[0]: 'a.internal:53' is not a DNS domain: {DNS1123}; give the port in port, not in the zone",
        ),
        ({"serverBlocks": [{"zones": ["a.internal"], "port": 9153, "plugins": ["errors"]}]}, "serverBlocks[0].port: 9153 is CoreDNS's prometheus port in kubeadm's Corefile; choose another"),
        ({"serverBlocks": [{"zones": ["a.internal"]}]}, "serverBlocks[0].plugins: is required"),
        ({"serverBlocks": [{"zones": ["."], "plugins": ["errors"]}]}, "serverBlocks[0].zones[0]: .:53 is already the main server block (.:53)"),
        (
            {"stubDomains": {"consul.local": ["10.0.0.1"]}, "serverBlocks": [{"zones": ["CONSUL.local."], "plugins": ["errors"]}]},
            "serverBlocks[0].zones[0]: consul.local:53 is already stub domain consul.local",
        ),
        (
            {"serverBlocks": [{"zones": ["a.internal"], "plugins": ["errors"]}, {"zones": ["b.internal", "a.internal"], "plugins": ["errors"]}]},
            "serverBlocks[1].zones[1]: a.internal:53 is already serverBlocks[0]",
        ),
        ({"stubdomains": {}}, "stubdomains: unknown key; did you mean stubDomains?"),
    ],
)
def test_rejections(spec, expected):
    assert problems(spec) == [expected]


SERVER_LISTS = [
    ["10.150.0.1", "10.150.0.1"],
    ["10.150.0.1", "dns://10.150.0.1:53", "[fd00::53]:53", "fd00::0053"],
    [f"10.0.0.{i}" for i in range(1, 17)],
    ["ns.consul.example"],
    ["10.150.0.300", "10.150.0.1:0"],
    ["[fd00::53]", "[fd00::55"],
    ["https://1.1.1.1", "fe80::1%eth0"],
    ["resolv/conf", "tls:///etc/resolv.conf"],
    [],
]


def dns_problems(dns: dict, cluster: dict | None = None) -> list[str]:
    """The stack's errors under clusterstack:dns, without the stack file's name."""
    prefix = f"{STACK_FILE}: clusterstack:dns."
    found = stack_problems(None, dns=dns, **({"cluster": cluster} if cluster is not None else {}))
    assert all(p.startswith(prefix) for p in found), found
    return [p[len(prefix):] for p in found]


@pytest.mark.parametrize("servers", SERVER_LISTS)
def test_coredns_and_nodelocal_dns_refuse_the_same_upstreams_in_the_same_words(servers):
    """node-local-dns is CoreDNS with the same forward plugin: one rule, whichever of the two it feeds."""
    for key, value in (("upstreamServers", servers), ("stubDomains", {"consul.local": servers})):
        coredns = dns_problems({"coredns": {key: value}})
        node_local = dns_problems({"nodeLocal": {key: value}})
        assert coredns, (key, servers)
        assert [p.removeprefix("coredns.") for p in coredns] == [p.removeprefix("nodeLocal.") for p in node_local]


def test_coredns_and_nodelocal_dns_take_the_same_upstreams():
    servers = ["tls://1.1.1.1", "dns://10.0.0.1", "10.0.0.2:5353", "[fd00::53]:53", "fd00::54", "/etc/resolv.conf", *[f"10.1.0.{i}" for i in range(9)]]
    assert len(servers) == 15
    for part in ("coredns", "nodeLocal"):
        assert dns_problems({part: {"upstreamServers": servers, "stubDomains": {"Consul.LOCAL.": servers}}}) == []


@pytest.mark.parametrize(("version", "refused"), [("1.25", True), ("1.26", False), ("1.34", False)])
def test_the_eviction_policy_is_refused_where_the_clusters_kubernetes_has_no_such_field(version, refused):
    missing = (
        "coredns.pdb.unhealthyPodEvictionPolicy: Kubernetes 1.25 (cluster.kubernetesVersion) has no PodDisruptionBudget "
        "unhealthyPodEvictionPolicy: it arrived in policy/v1 in 1.26 and is on by default from 1.27; remove it (the budget "
        "then keeps IfHealthyBudget's behaviour)"
    )
    found = dns_problems({"coredns": {"pdb": {"unhealthyPodEvictionPolicy": "AlwaysAllow"}}}, {"kubernetesVersion": version})
    assert found == ([missing] if refused else [])
    assert dns_problems({"coredns": {"pdb": {}}}, {"kubernetesVersion": version}) == []


def test_validate_against_kubernetes_1_25_takes_a_budget_without_a_policy(make_project):
    root = make_project({"dev": {"config": {"clusterstack:dns": {"coredns": {"pdb": {"maxUnavailable": 1}}}}}})
    result = cs(root, "validate", "-s", "dev", "--kubernetes-version", "1.25")
    assert result.exit_code == 0, result.output


def test_a_zone_on_another_port_is_not_a_duplicate():
    args = CoreDnsArgs.model_validate({"stubDomains": {"consul.local": ["10.0.0.1"]}, "serverBlocks": [{"zones": ["consul.local"], "port": 5353, "plugins": ["errors"]}]})
    assert [b.addresses() for b in args.server_blocks] == [[("consul.local", 5353)]]


@pytest.mark.parametrize(
    ("spec", "where", "message"),
    [
        ({"stubDomains": {"cluster.local": ["10.0.0.1"]}}, ("stubDomains", "cluster.local"), "cluster.local is the cluster domain (cluster.domain)"),
        ({"stubDomains": {"svc.cluster.local.": ["10.0.0.1"]}}, ("stubDomains", "svc.cluster.local."), "where the kubernetes plugin answers for Services"),
        ({"stubDomains": {"in-addr.arpa": ["10.0.0.1"]}}, ("stubDomains", "in-addr.arpa"), "would take every reverse lookup away from the kubernetes plugin"),
        ({"serverBlocks": [{"zones": ["x.pod.cluster.local"], "plugins": ["errors"]}]}, ("serverBlocks", 0, "zones", 0), "answers for Pods"),
    ],
)
def test_a_zone_that_would_shadow_the_kubernetes_plugin_is_refused(spec, where, message):
    args = CoreDnsArgs.model_validate(spec)
    [(path, found)] = list(cluster_problems(args, ClusterSpec()))
    assert (path, message in found) == (where, True)
    with pytest.raises(Invalid, match=re.escape(message)):
        build_coredns(args, ClusterSpec())


def test_names_inside_the_cluster_domain_but_outside_its_zones_and_other_ports_are_allowed():
    args = CoreDnsArgs.model_validate(
        {"stubDomains": {"legacy.cluster.local": ["10.0.0.1"]}, "serverBlocks": [{"zones": ["cluster.local"], "port": 5353, "plugins": ["errors"]}]}
    )
    assert list(cluster_problems(args, ClusterSpec())) == []
    assert list(cluster_problems(CoreDnsArgs(stub_domains={"cluster.local": ["10.0.0.1"]}), ClusterSpec(domain="corp.internal"))) == []


@pytest.mark.parametrize(("distribution", "message"), [("gke", "GKE runs kube-dns, not CoreDNS"), ("aks", "coredns-custom ConfigMap")])
def test_offerings_whose_corefile_is_not_ours_to_write_are_refused(distribution, message):
    with pytest.raises(Invalid, match=message):
        render_corefile(CoreDnsArgs(), ClusterSpec(distribution=distribution))


# --- Warnings --------------------------------------------------------------------------------------


def warned(args: dict, cluster: ClusterSpec | None = None, node_local: NodeLocalDnsArgs | None = None) -> dict[str, str]:
    found = warnings(CoreDnsArgs.model_validate(args), cluster if cluster is not None else ClusterSpec(), node_local)
    return {dotted(path): message for path, message in found}


def test_on_eks_the_add_ons_own_budget_is_to_be_adopted():
    found = warned({"pdb": {}}, ClusterSpec(distribution="eks"))
    assert found["pdb.onExisting"] == (
        "EKS's CoreDNS add-on ships PodDisruptionBudget kube-system/coredns: creating this one fails with AlreadyExists; set onExisting: adopt"
    )
    assert "resolveConflicts OVERWRITE" in found[""]
    assert "pdb.onExisting" not in warned({"pdb": {"onExisting": "adopt"}}, ClusterSpec(distribution="eks"))


@pytest.mark.parametrize(("pdb", "where"), [({"maxUnavailable": 0}, "pdb.maxUnavailable"), ({"maxUnavailable": "0%"}, "pdb.maxUnavailable"), ({"minAvailable": "100%"}, "pdb.minAvailable")])
def test_a_budget_that_lets_nothing_go_warns(pdb, where):
    assert warned({"pdb": pdb})[where].endswith("lets no CoreDNS pod be evicted: every node drain that meets one waits forever")


def test_a_plugin_outside_coredns_default_build_and_a_port_the_service_does_not_send_warn():
    found = warned({"serverBlocks": [{"zones": ["example.internal"], "port": 5353, "plugins": ["errors", "k8s_gateway example.com"]}]})
    assert found == {
        "serverBlocks[0].port": "the kube-dns Service sends only port 53 to CoreDNS: nothing reaches 5353 without a Service of your own",
        "serverBlocks[0].plugins[1]": "'k8s_gateway' is not a plugin of CoreDNS's default build: an image without it fails to start",
    }


def test_upstreams_that_may_not_work_warn_in_coredns_and_nodelocal_dns_alike():
    servers = ["tls://9.9.9.9", "/etc/resolv.conf", "/etc/coredns/upstreams.conf"]
    expected = {
        "upstreamServers[0]": (
            "tls://9.9.9.9 gets no tls_servername, so CoreDNS checks the server's certificate against the IP 9.9.9.9: it fails unless "
            "the certificate lists that IP (Cloudflare's 1.1.1.1 does, Quad9's 9.9.9.9 does not)"
        ),
        "upstreamServers[2]": (
            "CoreDNS reads /etc/coredns/upstreams.conf when it starts and refuses the Corefile if the file is missing: only "
            "/etc/resolv.conf is in every DNS pod, so mount it yourself"
        ),
    }
    assert warned({"upstreamServers": servers}) == expected
    for part in ("coredns", "nodeLocal"):
        found = {str(w) for w in load(None, dns={part: {"stubDomains": {"consul.local": servers}}}).warnings}
        assert {f"{STACK_FILE}: clusterstack:dns.{part}.stubDomains.consul.local{k.removeprefix('upstreamServers')}: {m}" for k, m in expected.items()} <= found


def test_on_kubernetes_1_26_the_eviction_policy_warns_that_its_gate_is_off_by_default():
    found = warned({"pdb": {"unhealthyPodEvictionPolicy": "AlwaysAllow"}}, ClusterSpec(kubernetes_version="1.26"))
    assert found == {
        "pdb.unhealthyPodEvictionPolicy": (
            "Kubernetes 1.26 keeps unhealthyPodEvictionPolicy only with the alpha feature gate PDBUnhealthyPodEvictionPolicy on "
            "(off by default): without it the API server drops the field"
        )
    }
    assert warned({"pdb": {"unhealthyPodEvictionPolicy": "AlwaysAllow"}}, ClusterSpec(kubernetes_version="1.27")) == {}


def test_with_nodelocal_dns_what_it_sends_past_coredns_warns_unless_it_says_the_same():
    args = {
        "stubDomains": {"consul.local": ["10.150.0.1"], "150.10.in-addr.arpa": ["10.150.0.1"]},
        "upstreamServers": ["172.16.0.1"],
        "serverBlocks": [{"zones": ["example.internal"], "plugins": ["errors"]}, {"zones": ["legacy.cluster.local"], "plugins": ["errors"]}],
    }
    assert set(warned(args, node_local=NodeLocalDnsArgs())) == {"stubDomains.consul.local", "upstreamServers", "serverBlocks[0]"}
    same = NodeLocalDnsArgs(stub_domains={"Consul.Local.": ["10.150.0.1:53"]}, upstream_servers=["dns://172.16.0.1"])
    assert set(warned(args, node_local=same)) == {"serverBlocks[0]"}
    assert warned(args) == {}


# --- Under Pulumi mocks ----------------------------------------------------------------------------


@pytest.mark.pulumi(project="p", stack="s")
@pulumi.runtime.test
def test_the_component_patches_the_corefile_and_creates_the_budget(pulumi_mocks):
    dns = CoreDns("coredns", {"stubDomains": {"consul.local": ["10.150.0.1"]}, "pdb": {}}, environment="s")
    assert dns.pdb is not None

    def check(values):
        urns, text = values[:2], values[2]
        by_urn = {r.urn: r for r in pulumi_mocks.recording().resources}
        corefile, pdb = (by_urn[urn] for urn in urns)
        assert (corefile.type, corefile.name) == ("kubernetes:core/v1:ConfigMapPatch", "coredns/coredns")
        assert (pdb.type, pdb.name) == ("kubernetes:policy/v1:PodDisruptionBudget", "coredns/coredns")
        assert corefile.inputs["metadata"]["annotations"] == {"pulumi.com/patchForce": "true", "pulumi.com/patchFieldManager": "clusterstack"}
        assert corefile.inputs["data"] == {"Corefile": text}
        assert (corefile.retain_on_delete, pdb.retain_on_delete) == (True, False)
        assert [s.addresses for s in parse_corefile(text)] == [[(".", 53)], [("consul.local", 53)]]
        assert pdb.inputs["spec"]["selector"] == {"matchLabels": {"k8s-app": "kube-dns"}}

    return pulumi.Output.all(dns.corefile.urn, dns.pdb.urn, dns.corefile_text).apply(check)


@pytest.mark.pulumi(project="p", stack="s")
@pulumi.runtime.test
def test_the_component_adopts_an_existing_budget_and_makes_none_without_pdb(pulumi_mocks):
    adopted = CoreDns("eks-dns", CoreDnsArgs(pdb=DisruptionBudget(on_existing="adopt")), cluster=ClusterSpec(distribution="eks"))
    bare = CoreDns("dns", CoreDnsArgs())
    assert bare.pdb is None
    assert adopted.pdb is not None

    def check(urns):
        by_urn = {r.urn: r for r in pulumi_mocks.recording().resources}
        assert [(by_urn[u].type, by_urn[u].name) for u in urns] == [
            ("kubernetes:policy/v1:PodDisruptionBudgetPatch", "eks-dns/coredns"),
            ("kubernetes:core/v1:ConfigMapPatch", "dns/coredns"),
        ]

    return pulumi.Output.all(adopted.pdb.urn, bare.corefile.urn).apply(check)


def test_the_component_refuses_a_stub_domain_that_is_the_cluster_domain(pulumi_mocks):
    with pytest.raises(Invalid, match=r"stubDomains\.corp\.internal: corp\.internal is the cluster domain"):
        CoreDns("dns", {"stubDomains": {"corp.internal": ["10.0.0.1"]}}, cluster=ClusterSpec(domain="corp.internal"))


def test_a_corefile_edit_is_planned_as_an_update_of_the_patch_shown_line_by_line(make_project):
    """pulumi-kubernetes replaces a Patch resource only when its name or namespace changes
    (provider/pkg/provider/provider.go, "Update Patch resources rather than replacing", #2429), so a
    Corefile edit is an update; the plan shows the lines that change, not the whole file on one line."""
    def stack(server: str) -> dict:
        return {"config": {"clusterstack:dns": {"coredns": {"stubDomains": {"consul.local": [server]}}}}}

    root = make_project({"dev": stack("10.150.0.1")})
    assert cs(root, "up", "-s", "dev", "--yes").exit_code == 0
    (root / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack("10.150.0.2")))
    preview = cs(root, "preview", "-s", "dev")
    assert preview.exit_code == 0, preview.output
    assert "  ~ ConfigMap kube-system/coredns  [patch of the cluster's own object: only its fields]\n      data.Corefile:\n" in preview.stdout
    assert "          -    forward . 10.150.0.1\n          +    forward . 10.150.0.2\n" in preview.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in preview.stdout


# --- Servers from other resources (Outputs) --------------------------------------------------------


def output(value: T) -> pulumi.Output[T]:
    """A value another resource gives (a Route 53 Resolver endpoint's IP, a Consul server's private IP)."""
    return pulumi.Output.from_input(value)


def patched_corefile(recording: Recording) -> str:
    [patch] = recording.of_type("kubernetes:core/v1:ConfigMapPatch")
    return patch.inputs["data"]["Corefile"]


PLAIN_SERVERS = {
    "stubDomains": {"consul.local": ["10.150.0.1", "10.150.0.2:8600"], "corp.example": ["10.0.0.2", "10.0.0.3"]},
    "upstreamServers": ["172.16.0.1", "[fd00::53]:53"],
}


def test_servers_from_other_resources_reach_the_corefile_as_plain_ones_would():
    """Each server an Output, or the whole list one; the Corefile is then an Output, and the same bytes."""
    built = []

    def program() -> None:
        args = CoreDnsArgs(
            stub_domains={"consul.local": [output("10.150.0.1"), "10.150.0.2:8600"], "corp.example": output(["10.0.0.2", "10.0.0.3"])},
            upstream_servers=output(["172.16.0.1", "[fd00::53]:53"]),
        )
        built.append(build_coredns(args, ClusterSpec()).corefile["data"]["Corefile"])
        CoreDns("dns", args)

    text = patched_corefile(run(program))
    main, consul, corp = parse_corefile(text)
    assert main.plugin("forward").args == [".", "172.16.0.1", "[fd00::53]:53"]
    assert main.plugin("forward").option("max_concurrent") == ["1000"]
    assert (consul.addresses, consul.names, consul.plugin("forward").args) == ([("consul.local", 53)], ["errors", "cache", "forward"], [".", "10.150.0.1", "10.150.0.2:8600"])
    assert (corp.addresses, corp.plugin("forward").args) == ([("corp.example", 53)], [".", "10.0.0.2", "10.0.0.3"])
    assert text == rendered(CoreDnsArgs.model_validate(PLAIN_SERVERS))
    assert [type(t) for t in built] == [pulumi.Output]


def test_a_platforms_coredns_takes_servers_from_other_resources():
    recording = run(lambda: ClusterPlatform("platform", {"dns": {"coredns": {"upstreamServers": [output("172.16.0.1")]}}}))
    [main] = parse_corefile(patched_corefile(recording))
    assert main.plugin("forward").args == [".", "172.16.0.1"]


HOST_NAME = f"'ns.consul.example' is a host name; {HOST_NAMES}"


@pytest.mark.parametrize(
    ("given", "plain", "plain_at", "output_at"),
    [
        (
            lambda: {"upstreamServers": ["10.0.0.1", output("ns.consul.example")]},
            {"upstreamServers": ["10.0.0.1", "ns.consul.example"]},
            "upstreamServers[1]",
            "CoreDnsArgs.upstream_servers[1]",
        ),
        (lambda: {"upstreamServers": output(["ns.consul.example"])}, {"upstreamServers": ["ns.consul.example"]}, "upstreamServers[0]", "CoreDnsArgs.upstream_servers[0]"),
        (
            lambda: {"stubDomains": {"consul.local": [output("ns.consul.example")]}},
            {"stubDomains": {"consul.local": ["ns.consul.example"]}},
            "stubDomains.consul.local[0]",
            "CoreDnsArgs.stub_domains.consul.local[0]",
        ),
        (
            lambda: {"stubDomains": {"consul.local": output(["10.0.0.1", "ns.consul.example"])}},
            {"stubDomains": {"consul.local": ["10.0.0.1", "ns.consul.example"]}},
            "stubDomains.consul.local[1]",
            "CoreDnsArgs.stub_domains.consul.local[1]",
        ),
    ],
)
def test_a_host_name_from_an_output_fails_the_deployment_as_a_plain_one_fails_validation(given, plain, plain_at, output_at):
    """The plain value's message; for the Output, at the place model.deferred names (the Args class and
    field, as a program spells it) followed by the domain and the entry."""
    assert problems(plain) == [f"{plain_at}: {HOST_NAME}"]
    with pytest.raises(ValueError, match=re.escape(f"{output_at}: {HOST_NAME}")):
        run(lambda: CoreDns("dns", given()))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            lambda: {"upstreamServers": [output("10.0.0.1"), "dns://10.0.0.1:53"]},
            "CoreDnsArgs.upstream_servers[1]: dns://10.0.0.1:53 is 10.0.0.1 again (the same server and port): list each upstream once",
        ),
        (
            lambda: {"upstreamServers": output([f"10.0.0.{i}" for i in range(1, 17)])},
            "CoreDnsArgs.upstream_servers: lists 16 servers; CoreDNS's forward plugin takes at most 15 (more than 15 TOs configured)",
        ),
        (lambda: {"upstreamServers": output([])}, "CoreDnsArgs.upstream_servers: is empty; list servers, or remove it to use the node's /etc/resolv.conf"),
        (lambda: {"upstreamServers": output("10.0.0.1")}, "CoreDnsArgs.upstream_servers: must be a list, not '10.0.0.1'"),
        (lambda: {"stubDomains": {"consul.local": output([])}}, "CoreDnsArgs.stub_domains.consul.local: lists no servers"),
        (lambda: {"stubDomains": {"consul.local": ["10.0.0.1", output("10.0.0.1")]}}, "CoreDnsArgs.stub_domains.consul.local[1]: 10.0.0.1 is listed twice"),
    ],
)
def test_the_list_rules_run_on_the_resolved_servers(given, expected):
    with pytest.raises(ValueError, match=re.escape(expected)):
        run(lambda: CoreDns("dns", given()))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (lambda: {"upstreamServers": [output("10.0.0.1"), "ns.consul.example"]}, f"upstreamServers[1]: {HOST_NAME}"),
        (lambda: {"stubDomains": {"consul.local": ["ns.consul.example", output("10.0.0.1")]}}, f"stubDomains.consul.local[0]: {HOST_NAME}"),
        (lambda: {"stubDomains": {"consul.local": [output("10.0.0.1"), 53]}}, 'stubDomains.consul.local[1]: 53 is not a string; quote it in YAML ("53")'),
        (
            lambda: {"upstreamServers": [output("10.0.0.1")] * 16},
            "upstreamServers: lists 16 servers; CoreDNS's forward plugin takes at most 15 (more than 15 TOs configured)",
        ),
        (
            lambda: {"stubDomains": {".": [output("10.0.0.1")]}},
            "stubDomains..: is the root zone, the main server block's: set upstreamServers instead",
        ),
    ],
)
def test_what_is_plain_beside_an_output_is_checked_at_once(given, expected):
    """A plain server, the count and the domains need nothing resolved: they fail validation, as in a stack file."""

    def program() -> None:
        with pytest.raises(ValidationError) as caught:
            CoreDnsArgs.model_validate(given())
        assert [f"{dotted(found.path)}: {found.message}" for found in describe(caught.value, CoreDnsArgs)] == [expected]
        assert "/dev/null" not in str(caught.value)

    run(program)


def test_a_stub_domain_that_shadows_the_cluster_domain_is_refused_before_its_servers_resolve():
    with pytest.raises(Invalid, match=r"stubDomains\.cluster\.local: cluster\.local is the cluster domain"):
        run(lambda: CoreDns("dns", {"stubDomains": {"cluster.local": output(["10.0.0.1"])}}))


def test_the_stub_domains_map_itself_is_plain():
    with pytest.raises(ValidationError, match="stubDomains\n  Value error, is an Output; give the map itself"):
        run(lambda: CoreDnsArgs.model_validate({"stubDomains": output({"consul.local": ["10.0.0.1"]})}))


def test_warnings_pass_over_outputs_and_the_component_says_them_once_they_resolve(monkeypatch):
    said: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, resource=None, **_: said.append(message))
    given: dict = {}

    def program() -> None:
        given["args"] = CoreDnsArgs.model_validate(
            {
                "stubDomains": {"consul.local": [output("tls://9.9.9.9")], "corp.example": ["10.0.0.2"]},
                "upstreamServers": output(["172.16.0.1"]),
                "serverBlocks": [{"zones": ["example.internal"], "port": 5353, "plugins": ["errors"]}],
            }
        )
        CoreDns("dns", given["args"], node_local=NodeLocalDnsArgs())

    run(program)
    bypass = "NodeLocal DNSCache sends names outside the cluster domain to its own upstreams, past CoreDNS"
    known = {dotted(path) for path, _ in warnings(given["args"], ClusterSpec(), NodeLocalDnsArgs())}
    assert known == {"stubDomains.corp.example", "serverBlocks[0].port"}
    assert sorted(said) == [
        f"stubDomains.consul.local: {bypass}: give dns.nodeLocal.stubDomains the same consul.local entry",
        (
            "stubDomains.consul.local[0]: tls://9.9.9.9 gets no tls_servername, so CoreDNS checks the server's certificate against the IP "
            "9.9.9.9: it fails unless the certificate lists that IP (Cloudflare's 1.1.1.1 does, Quad9's 9.9.9.9 does not)"
        ),
        f"upstreamServers: {bypass}: give dns.nodeLocal.upstreamServers the same servers",
    ]
