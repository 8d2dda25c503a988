"""NodeLocal DNSCache back to ``dns.nodeLocal``: the node-cache's Corefile (kube-system/node-local-dns)
and its DaemonSet; the inverse of components/nodelocaldns.py.

The Corefile holds every setting: the cluster zone's block binds the cache's link-local IP and, with
kube-proxy in iptables mode, the kube-dns ClusterIP too (in IPVS mode only the link-local IP, and
the cluster zones forward to the kube-dns ClusterIP itself); its ``cache`` block holds the capacities
and TTLs, its ``forward`` the protocol; the root block's ``forward`` the upstreams (the node-cache
fills ``__PILLAR__UPSTREAM__SERVERS__`` from the node's /etc/resolv.conf: none set); every other
block a stub domain. The settings found are rendered again with the stack's own ``corefile`` and the
two compared block by block: each difference is a note. The cluster facts the Corefile reveals (the
domain, the kube-dns IP, kube-proxy's mode) come back beside it, for ``cluster``.

The upstream sample (kubernetes/kubernetes cluster/addons/dns/nodelocaldns/nodelocaldns.yaml) holds
``__PILLAR__LOCAL__DNS__``, ``__PILLAR__DNS__SERVER__`` and ``__PILLAR__DNS__DOMAIN__`` until the
page's sed fills them: a Corefile with one of those left is no running cache's, and not imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..components.cluster import ClusterSpec
from ..components.nodelocaldns import (
    CLUSTER_DNS_PLACEHOLDER,
    DEFAULT_IMAGE,
    NAME,
    NAMESPACE,
    UPSTREAM_PLACEHOLDER,
    NodeLocalDnsArgs,
    build_node_local_dns,
    corefile,
)
from ..kube.corefile import Directive, parse_directives
from .dns_coredns import addresses, differences, parsed
from .dump import LiveObject
from .fitting import bundle_notes, checked, containers, dig, dumped, find, note, on_existing, unreadable
from .report import Note

_UNFILLED = ("__PILLAR__LOCAL__DNS__", "__PILLAR__DNS__SERVER__", "__PILLAR__DNS__DOMAIN__")
_REVERSE = ("in-addr.arpa", "ip6.arpa")


def map_node_local(objects: Sequence[LiveObject], notes: list[Note]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """``dns.nodeLocal`` and the cluster facts its Corefile gives (domain, dnsServiceIP, kubeProxyMode)."""
    config_map = find(objects, "ConfigMap", NAMESPACE, NAME)
    daemon_set = find(objects, "DaemonSet", NAMESPACE, NAME)
    if config_map is None:
        if daemon_set is not None:
            notes.append(note(daemon_set, "", "unfit", f"the dump has no ConfigMap {NAMESPACE}/{NAME}, the cache's Corefile: dns.nodeLocal is not imported"))
        return None, {}
    data = config_map.body.get("data")
    text = data.get("Corefile") if isinstance(data, dict) else None
    if not isinstance(text, str):
        notes.append(note(config_map, "data.Corefile", "unfit", "is missing: the cache has no configuration to import"))
        return None, {}
    left = [placeholder for placeholder in _UNFILLED if placeholder in text]
    if left:
        notes.append(note(config_map, "data.Corefile", "unfit", f"still holds {', '.join(left)}: the upstream sample, before the page's sed fills it in"))
        return None, {}
    try:
        blocks = parsed(text)
    except (ValueError, RecursionError) as error:
        notes.append(note(config_map, "data.Corefile", "unfit", f"the node-cache would refuse it: the Corefile {unreadable(error)}"))
        return None, {}
    found = _read(config_map, blocks, notes)
    if found is None:
        return None, {}
    values, facts = found
    if daemon_set is not None:
        values.update(_daemon_set(daemon_set, notes))
    values.update(on_existing(daemon_set if daemon_set is not None else config_map, notes, "NodeLocal DNSCache, which the cluster runs"))
    args = checked(NodeLocalDnsArgs, values, config_map, "", notes)
    if args is None:
        return None, facts
    cluster = checked(ClusterSpec, facts, config_map, "data.Corefile", notes)
    if cluster is None:  # a bind or forward address that is no IP: the note names it
        return None, {}
    _compare(config_map, blocks, corefile(args, cluster), notes)
    try:
        rendered = build_node_local_dns(args, cluster).all()
    except ValueError as error:  # the cluster facts the Corefile gives refuse the cache (its IP is kube-dns's)
        notes.append(note(config_map, "data.Corefile", "unfit", f"the stack refuses this cache on this cluster: {unreadable(error)}"))
        return None, {}  # the facts are what is wrong: none is taken from it
    # Every flag, toleration, probe, limit or Service port the stack's cache writes otherwise.
    bundle_notes(objects, rendered, notes)
    return dumped(args), facts


def _read(live: LiveObject, blocks: Sequence[Directive], notes: list[Note]) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The settings and the cluster facts, from the blocks' zones, ``bind``, ``forward`` and ``cache``."""
    zones: dict[str, Directive] = {}
    for block in blocks:
        keys = addresses(block)
        if isinstance(keys, str) or block.block is None or len(keys) != 1:
            notes.append(note(live, "data.Corefile", "unfit", f"{' '.join(block.words)!r} is not a block of one zone the stack's cache writes"))
            continue
        zones[keys[0][0]] = block
    cluster_zone = [zone for zone, block in zones.items() if _plugin(block, "health") is not None]
    if len(cluster_zone) != 1 or "." not in zones:
        notes.append(note(live, "data.Corefile", "unfit", "has no cluster-zone block (the one with health) or no root block (.:53): not the cache's Corefile"))
        return None
    domain = cluster_zone[0]
    main = zones[domain]
    bind = _plugin(main, "bind")
    forward = _plugin(main, "forward")
    if bind is None or forward is None or len(bind.words) not in (2, 3) or len(forward.words) != 3:
        notes.append(note(live, "data.Corefile", "unfit", f"the {domain} block has no bind of one or two addresses, or no forward to one server"))
        return None
    values: dict[str, Any] = {"localIP": bind.words[1]}
    facts = {"domain": domain}
    if len(bind.words) == 3:
        facts.update(kubeProxyMode="iptables", dnsServiceIP=bind.words[2])
        if forward.words[2] != CLUSTER_DNS_PLACEHOLDER:
            reason = f"the {domain} block forwards to {forward.words[2]}, not {CLUSTER_DNS_PLACEHOLDER} (kube-dns-upstream)"
            notes.append(note(live, "data.Corefile", "unfit", reason))
    else:
        facts.update(kubeProxyMode="ipvs", dnsServiceIP=forward.words[2])
    options = [d.words for d in forward.block or ()]
    if options in ([("prefer_udp",)], [("force_tcp",)]):
        values["clusterProtocol"] = options[0][0]
    elif options:
        values["clusterProtocol"] = "prefer_udp"  # neither: the stack writes one; the comparison notes the rest
    cache = _plugin(main, "cache")
    settings = {d.name: d.words[1:] for d in (cache.block or ())} if cache is not None else {}
    values["cache"] = {
        f"{kind}{field}": int(words[index])
        for kind in ("success", "denial")
        for index, field in ((0, "Capacity"), (1, "TTL"))
        for words in [settings.get(kind, ())]
        if len(words) > index and words[index].isdigit()
    }
    root = _plugin(zones["."], "forward")
    if root is not None and root.words[2:] != (UPSTREAM_PLACEHOLDER,):
        values["upstreamServers"] = list(root.words[2:])
    stubs = {zone: _plugin(block, "forward") for zone, block in zones.items() if zone not in (domain, ".", *_REVERSE)}
    values["stubDomains"] = {zone: list(forward.words[2:]) for zone, forward in stubs.items() if forward is not None}
    return values, facts


def _plugin(block: Directive, name: str) -> Directive | None:
    return next((d for d in block.block or () if d.name == name), None)


def _daemon_set(live: LiveObject, notes: list[Note]) -> dict[str, Any]:
    """The image and the memory limit, from the node-cache container."""
    found = containers(live, "node-cache")
    if len(found) != 1:
        notes.append(note(live, "spec.template.spec.containers", "unfit", "has no container named node-cache: its image and memory limit are not read"))
        return {}
    container = found[0]
    values: dict[str, Any] = {}
    if container.get("image") != DEFAULT_IMAGE:
        values["image"] = container.get("image")
    limits = dig(container, "resources", "limits")
    if "memory" in limits:
        values["memoryLimit"] = str(limits["memory"])
    return values


def _compare(live: LiveObject, blocks: Sequence[Directive], rendered: str, notes: list[Note]) -> None:
    """A note for each block the stack's Corefile would write otherwise, or not at all."""
    have = {_key(block): block for block in blocks}
    want = {_key(block): block for block in parse_directives(rendered)}
    for key in sorted(set(have) | set(want)):
        if key not in want:
            notes.append(note(live, "data.Corefile", "unfit", f"the block {key}: the stack's Corefile has none"))
        elif key not in have:
            notes.append(note(live, "data.Corefile", "unfit", f"the block {key}: the stack's Corefile adds it"))
        else:
            for difference in differences(have[key].block or (), want[key].block or ()):
                notes.append(note(live, "data.Corefile", "unfit", f"the block {key}: the stack's Corefile {difference}"))


def _key(block: Directive) -> str:
    """A block by its zones and ports, however its keys are written (``cluster.local.``, ``dns://``, no port)."""
    keys = addresses(block)
    return " ".join(block.words) if isinstance(keys, str) else " ".join(f"{zone}:{port}" for zone, port in keys)
