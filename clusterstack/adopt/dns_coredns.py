"""The cluster's CoreDNS back to ``dns.coredns``: the Corefile in kube-system/coredns (upstreams, stub
domains, further server blocks, the cache TTL) and the PodDisruptionBudget kube-system/coredns; the
inverse of components/coredns_corefile.py.

The mapping reads the Corefile, takes the settings out of it, renders the Corefile those settings
give (``render_corefile``, the stack's own renderer) and compares the two, server block by server
block and directive by directive: what the cluster has that the stack's Corefile would not, or the
other way round, is a note. The order of directives in a block is not compared: CoreDNS runs its
plugins in the order its build fixes (plugin.cfg), whatever order the Corefile lists them in.

A Corefile that is the distribution's (one server block, ``.:53``, forwarding to the node's
/etc/resolv.conf, caching 30 seconds) is adopted: ``dns.coredns`` stays unset, so the stack leaves it
as the cluster has it (EKS's, AKS's with its ``import`` lines, kubeadm's of any release).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..components.cluster import ClusterSpec
from ..components.coredns import NAME, NAMESPACE, SELECTOR, CoreDnsArgs, render_corefile
from ..components.coredns_args import DEFAULT_CACHE_TTL, DNS_PORT
from ..kube.corefile import RESOLV_CONF, Directive, normal_zone, parse_directives
from ..kube.findings import errors_of
from .dump import LiveObject
from .fitting import checked, dumped, find, leftover, note, on_existing, ours, unreadable
from .report import Note

Address = tuple[str, int]
"""A server block's zone (lower-case, no trailing dot) and port."""

MAX_DEPTH = 16
"""How deep a Corefile's braces may nest before it is refused unread: CoreDNS's own go two deep (a
server block, a plugin's block); the cap keeps a hostile one from exhausting Python's recursion."""

_VERSIONS = ("1.26", "1.34")
"""kubeadm's two main blocks: ``cache 30`` alone (before 1.27) and with its ``disable`` lines."""


def addresses(block: Directive) -> list[Address] | str:
    """A server block's keys as (zone, port), or why one is not a plain DNS key (another transport,
    a port that is no number)."""
    found: list[Address] = []
    for key in block.words:
        scheme, separator, rest = key.partition("://")
        if separator and scheme != "dns":
            return f"{key} serves {scheme}://"
        text = rest if separator else key
        match = re.fullmatch(r"(.*?)(?::([0-9]+))?", text)
        if match is None or not match.group(1):
            return f"{key} is no zone"
        found.append((normal_zone(match.group(1)), int(match.group(2)) if match.group(2) else DNS_PORT))
    return found


def parsed(text: str) -> tuple[Directive, ...]:
    """``parse_directives``, refusing first (ValueError) a Corefile nested deeper than MAX_DEPTH."""
    depth = deepest = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise ValueError(f"nests {deepest} levels of braces deep; CoreDNS's go two deep")
    return parse_directives(text)


def texts(directives: Sequence[Directive]) -> Counter[str]:
    """Each directive as the Corefile lays it out, counted: blocks compared whatever their order."""
    return Counter("\n".join(d.lines()) for d in directives)


def differences(live: Sequence[Directive], stack: Sequence[Directive]) -> list[str]:
    """What differs between a block as the cluster has it and as the stack would write it."""
    have, want = texts(live), texts(stack)
    dropped, added = sorted((have - want).elements()), sorted((want - have).elements())
    changed = []
    for text in list(dropped):
        # One directive written otherwise (forward with max_concurrent, health with lameduck): one change, not two.
        same = [other for other in added if other.split()[0] == text.split()[0]]
        if len(same) == 1 and sum(1 for d in dropped if d.split()[0] == text.split()[0]) == 1:
            changed.append(f"changes {text!r} to {same[0]!r}")
            dropped.remove(text)
            added.remove(same[0])
    return [*changed, *(f"drops {text!r}" for text in dropped), *(f"adds {text!r}" for text in added)]


def map_coredns(objects: Sequence[LiveObject], notes: list[Note]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """``dns.coredns`` (None: the cluster's own Corefile, left as it is) and the cluster domain the
    Corefile's kubernetes plugin serves ({} when unknown)."""
    config_map = find(objects, "ConfigMap", NAMESPACE, NAME)
    budget = find(objects, "PodDisruptionBudget", NAMESPACE, NAME)
    if config_map is None:
        if budget is not None:
            notes.append(note(budget, "", "unfit", f"the dump has no ConfigMap {NAMESPACE}/{NAME}: dns.coredns, which this budget belongs to, is not imported"))
        return None, {}
    data = config_map.body.get("data")
    text = data.get("Corefile") if isinstance(data, dict) else None
    if isinstance(data, dict):
        leftover(config_map, data, ("Corefile",), "data.", notes)
    if not isinstance(text, str):
        notes.append(note(config_map, "data.Corefile", "unfit", "is missing: CoreDNS has no configuration to import"))
        return None, {}
    try:
        directives = parsed(text)
    except (ValueError, RecursionError) as error:
        notes.append(note(config_map, "data.Corefile", "unfit", f"CoreDNS would refuse it: the Corefile {unreadable(error)}"))
        return None, {}
    corefile = _Corefile(config_map, notes)
    values = corefile.read(directives)
    if values is None:
        return None, {}
    domain = corefile.domain
    facts = {"domain": domain} if domain is not None else {}
    default = set(values) <= {"cache"} and values.get("cache", DEFAULT_CACHE_TTL) == DEFAULT_CACHE_TTL and not corefile.extra
    if default and (budget is None or not ours(budget)):
        differs = "; ".join([*corefile.main_differences, *corefile.others])
        also = f"; setting dns.coredns would rewrite it: {differs}" if differs else ""
        notes.append(note(config_map, "data.Corefile", "adopted", f"the distribution's Corefile: dns.coredns stays unset, the stack leaves it as it is{also}"))
        if budget is not None:
            notes.append(note(budget, "", "adopted", "the distribution's budget for CoreDNS's pods: left as the cluster has it (dns.coredns is unset)"))
        return None, facts
    for difference in corefile.main_differences:
        notes.append(note(config_map, "data.Corefile", "unfit", f"the main server block (.:{DNS_PORT}): the stack's Corefile {difference}"))
    for difference in corefile.others:
        notes.append(note(config_map, "data.Corefile", "unfit", f"the stack's Corefile {difference}"))
    pdb = _pdb(budget, notes) if budget is not None else None
    if pdb is not None:
        values["pdb"] = pdb
    args = checked(CoreDnsArgs, values, config_map, "data.Corefile", notes)
    if args is None:
        return None, facts
    return dumped(args), facts


class _Corefile:
    """One Corefile read into ``dns.coredns``'s values, the notes it gives on the way."""

    def __init__(self, live: LiveObject, notes: list[Note]) -> None:
        self.live = live
        self.notes = notes
        self.domain: str | None = None
        self.main_differences: list[str] = []
        """How the main block differs from the one the settings render: ``drops ...``, ``adds ...``, ``changes ...``."""
        self.others: list[str] = []
        """What the Corefile has outside every server block (AKS's ``import custom/*.server``)."""
        self.extra = False
        """Whether the Corefile has any block besides the main one (stub domains, server blocks)."""

    def _unfit(self, reason: str) -> None:
        self.notes.append(note(self.live, "data.Corefile", "unfit", reason))

    def read(self, directives: Sequence[Directive]) -> dict[str, Any] | None:
        blocks: list[tuple[list[Address], Directive]] = []
        for directive in directives:
            keys = addresses(directive)
            if directive.block is None:
                self.others.append(f"drops {' '.join(directive.words)!r} (not a server block: an import)")
                continue
            if isinstance(keys, str):
                self.extra = True
                self._unfit(f"the server block {' '.join(directive.words)!r}: {keys}, which the stack's Corefile has no setting for")
                continue
            blocks.append((keys, directive))
        main = [block for keys, block in blocks if keys == [(".", DNS_PORT)]]
        if len(main) != 1:
            self._unfit(f"has {len(main)} server blocks for .:{DNS_PORT}; the stack's Corefile has one, kubeadm's")
            return None
        values = self._main(main[0])
        stubs: dict[str, list[str]] = {}
        server_blocks: list[dict[str, Any]] = []
        for keys, block in blocks:
            if block is main[0]:
                continue
            self.extra = True
            stub = self._stub(keys, block, values.get("cache", DEFAULT_CACHE_TTL))
            if stub is not None:
                stubs[stub[0]] = stub[1]
                continue
            if len({port for _, port in keys}) != 1:
                self._unfit(f"the server block {' '.join(block.words)!r} listens on several ports; the stack's serverBlocks take one port each")
                continue
            entry: dict[str, Any] = {"zones": [zone for zone, _ in keys], "plugins": ["\n".join(d.lines()) for d in block.block or ()]}
            if keys[0][1] != DNS_PORT:
                entry["port"] = keys[0][1]
            server_blocks.append(entry)
        if stubs:
            values["stubDomains"] = stubs
        if server_blocks:
            values["serverBlocks"] = server_blocks
        return self._shadowing_removed(values)

    def _main(self, block: Directive) -> dict[str, Any]:
        """The settings kubeadm's main block carries: where other names go, the cache TTL, and the
        cluster domain (the kubernetes plugin's first zone); then how the block differs from the one
        those settings render."""
        values: dict[str, Any] = {}
        plugins = block.block or ()
        for directive in plugins:
            if directive.name == "kubernetes" and len(directive.words) > 1:
                self.domain = normal_zone(directive.words[1])
            elif directive.name == "forward" and directive.words[1:2] == (".",) and len(directive.words) > 2:
                upstreams = list(directive.words[2:])
                if upstreams != [RESOLV_CONF]:
                    values["upstreamServers"] = upstreams
            elif directive.name == "cache" and len(directive.words) == 2 and directive.words[1].isdigit():
                values["cache"] = int(directive.words[1])
        candidates = []
        for version in _VERSIONS:
            try:
                rendered = render_corefile(CoreDnsArgs.model_validate(values), ClusterSpec(domain=self.domain or "cluster.local", kubernetes_version=version))
            except ValueError:
                return values  # the values' own notes come when the whole is checked
            assert isinstance(rendered, str)
            candidates.append(differences(plugins, parse_directives(rendered)[0].block or ()))
        self.main_differences = min(candidates, key=len)
        return values

    def _stub(self, keys: list[Address], block: Directive, ttl: int) -> tuple[str, list[str]] | None:
        """(zone, servers) where the block is exactly what the stack writes for a stub domain: one zone
        on port 53, ``errors``, the main block's cache TTL, and ``forward . <servers>`` alone."""
        if len(keys) != 1 or keys[0][1] != DNS_PORT:
            return None
        forward = [d for d in block.block or () if d.name == "forward" and d.block is None and d.words[1:2] == (".",) and len(d.words) > 2]
        if len(forward) != 1:
            return None
        servers = list(forward[0].words[2:])
        expected = parse_directives(f"errors\ncache {ttl}\nforward . {' '.join(servers)}\n")
        return (keys[0][0], servers) if not differences(block.block or (), expected) else None

    def _shadowing_removed(self, values: dict[str, Any]) -> dict[str, Any]:
        """The values less the blocks the stack refuses on this cluster (a zone that would take names
        away from the kubernetes plugin), each with its note."""
        try:
            args = CoreDnsArgs.model_validate(values)
        except ValueError:
            return values
        for finding in errors_of(args.on_cluster(ClusterSpec(domain=self.domain or "cluster.local"))):
            if finding.path[:1] == ("stubDomains",):
                values["stubDomains"].pop(finding.path[1], None)
                self._unfit(f"the stub domain {finding.path[1]}: {finding.message}")
            elif finding.path[:1] == ("serverBlocks",) and isinstance(finding.path[1], int):
                block = values["serverBlocks"][finding.path[1]]
                if block is not None:
                    self._unfit(f"the server block for {' '.join(block['zones'])}: {finding.message}")
                values["serverBlocks"][finding.path[1]] = None
        if "serverBlocks" in values:
            values["serverBlocks"] = [b for b in values["serverBlocks"] if b is not None]
        return {key: value for key, value in values.items() if value not in ({}, [])}


def _pdb(live: LiveObject, notes: list[Note]) -> dict[str, Any] | None:
    """``dns.coredns.pdb`` from the PodDisruptionBudget over CoreDNS's pods."""
    spec = live.body.get("spec")
    if not isinstance(spec, dict):
        notes.append(note(live, "spec", "unfit", "is missing"))
        return None
    selector = spec.get("selector")
    if selector != {"matchLabels": SELECTOR}:
        notes.append(note(live, "spec.selector", "unfit", f"selects {selector}; the stack's budget selects CoreDNS's pods by {SELECTOR}"))
    leftover(live, spec, ("minAvailable", "maxUnavailable", "unhealthyPodEvictionPolicy", "selector"), "spec.", notes)
    values = {key: spec[key] for key in ("minAvailable", "maxUnavailable", "unhealthyPodEvictionPolicy") if key in spec}
    if values.get("maxUnavailable") == 1 and "minAvailable" not in values:
        del values["maxUnavailable"]  # the stack's budget when neither bound is set
    values.update(on_existing(live, notes, "the budget for CoreDNS's pods, which the cluster has"))
    return values
