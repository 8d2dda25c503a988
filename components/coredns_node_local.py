"""What NodeLocal DNSCache in front of CoreDNS makes doubtful: names it forwards itself, past what
``dns.coredns`` is configured to do with them.
"""

from __future__ import annotations

import pulumi

from ..kube.corefile import same_upstreams
from ..kube.findings import Findings, warning
from .coredns_args import DNS_PORT, CoreDnsArgs
from .nodelocaldns import NodeLocalDnsArgs


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

