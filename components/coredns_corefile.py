"""The Corefile of the cluster's CoreDNS, rendered from ``CoreDnsArgs``.

Pages: Customizing DNS Service (the default Corefile; stub domains and upstream nameservers through
the forward plugin) and Using CoreDNS for Service Discovery. The Corefile is kubeadm's default
(cmd/kubeadm/app/phases/addons/dns/manifests.go, with the ``cache`` block that keeps the cluster
domain out of the cache, kubernetes/kubernetes#128359) with the settings applied. What CoreDNS
accepts (upstreams, zones, the cache TTL, the syntax) is ``kube.corefile``'s, shared with NodeLocal
DNSCache, whose node-cache is CoreDNS too.
"""

from __future__ import annotations

import pulumi

from ..kube.corefile import RESOLV_CONF, Directive, plugin_directive
from .cluster import ClusterSpec
from .coredns_args import DNS_PORT, METRICS_PORT, CoreDnsArgs, minor_version, resolved
from .coredns_servers import Servers
from .model import raise_problems

CACHE_DISABLE_SINCE = (1, 27)
"""The first Kubernetes minor whose kubeadm CoreDNS (1.10.1) reads ``cache { disable ... }`` (added in
CoreDNS 1.9.4, coredns/coredns#5540). Kubernetes 1.25 and 1.26 ship CoreDNS 1.9.3, which refuses the
whole Corefile over it ("Wrong argument count or unexpected line ending"): there the cache is written
as kubeadm wrote it then, ``cache 30``."""


def _known(servers: Servers) -> tuple[str, ...]:
    if isinstance(servers, pulumi.Output):
        raise TypeError("the servers are still an Output: render the args resolved() gives")
    return servers


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
    cache = Directive(("cache", str(ttl)), uncached if minor_version(cluster.kubernetes_version) >= CACHE_DISABLE_SINCE else None)
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
