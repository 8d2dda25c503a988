"""Network values as the API server checks them: CIDRs, ports, protocols, named ports; and the CIDRs
ip-masq-agent takes (Go's net.ParseCIDR, then the agent's alignment check)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any, Literal

from . import names
from .findings import Finding, Findings, prefixed

Protocol = Literal["TCP", "UDP", "SCTP"]
"""The protocols a port, a Service port and a NetworkPolicy port may name."""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ip(value: str, example: str = "10.96.0.10") -> Address:
    """An IP address as the API server reads one (no zone id: ``fe80::1%eth0`` is not an address to
    Kubernetes), or a ValueError that says how to write one."""
    if "%" in value:
        raise ValueError(f"{value!r} has a zone id (%...); Kubernetes takes plain addresses: {value.partition('%')[0]}")
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address (e.g. {example})") from None


def parse_cidr(value: str) -> Network:
    """A CIDR, or a ValueError that says how to write one (a bare IP gets its /32 or /128)."""
    if "%" in value:
        raise ValueError(f"{value!r} has a zone id (%...); Kubernetes takes plain CIDRs")
    if "/" not in value:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a CIDR (e.g. 10.0.0.0/16)") from None
        bits = 32 if address.version == 4 else 128
        raise ValueError(f"{value!r} is an address, not a CIDR; did you mean {value}/{bits}?")
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not a CIDR (e.g. 10.0.0.0/16)") from None


def port_name_problem(name: str) -> str | None:
    """Named ports are IANA service names: at most 15 lower-case letters, digits and '-', with a letter."""
    reasons = names.port_name(name)
    if not reasons:
        return None
    if len(name) > 15:
        return f"{name!r} is longer than 15 characters, the limit for a named port"
    if reasons == ["must contain at least one letter (a-z)"]:
        return f"{name!r} is not a port name: it needs at least one letter"
    return f"{name!r} is not a port name: lower-case letters, digits and single '-' (e.g. http, metrics)"


def port_number_problem(port: int) -> str | None:
    if not 1 <= port <= 65535:
        return f"{port} is not a port: use 1-65535"
    return None


_DIRECTIONS = ("Ingress", "Egress")
_PROTOCOLS = ("TCP", "UDP", "SCTP")


def raw_policy_problems(spec: dict[str, Any]) -> Findings:
    """What the API server's semantic checks of a NetworkPolicy spec refuse beyond its schema
    (pkg/apis/networking/validation/validation.go, ValidateNetworkPolicySpec): policyTypes values,
    port numbers and names, protocols, endPort, ipBlock CIDRs and their excepts."""
    types = spec.get("policyTypes") or []
    if isinstance(types, list):
        for index, value in enumerate(types):
            if value not in _DIRECTIONS:
                yield Finding(("policyTypes", index), f'Unsupported value: {value!r}: supported values: "Ingress", "Egress"')
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        rules = spec.get(direction) or []
        if not isinstance(rules, list):
            continue
        for index, rule in enumerate(rules):
            if not isinstance(rule, dict):
                continue
            for p_index, port in enumerate(rule.get("ports") or []):
                if isinstance(port, dict):
                    yield from prefixed((direction, index, "ports", p_index), _port_problems(port))
            for peer_index, peer in enumerate(rule.get(peers_key) or []):
                block = peer.get("ipBlock") if isinstance(peer, dict) else None
                if isinstance(block, dict):
                    yield from prefixed((direction, index, peers_key, peer_index, "ipBlock"), _block_problems(block))


def _port_problems(port: dict[str, Any]) -> Findings:
    protocol = port.get("protocol")
    if protocol is not None and protocol not in _PROTOCOLS:
        yield Finding(("protocol",), f'Unsupported value: {protocol!r}: supported values: "SCTP", "TCP", "UDP"')
    value = port.get("port")
    if isinstance(value, bool):
        yield Finding(("port",), f"{value!r} is not a port")
    elif isinstance(value, int):
        reason = port_number_problem(value)
        if reason:
            yield Finding(("port",), reason)
    elif isinstance(value, str):
        reason = port_name_problem(value)
        if reason:
            hint = f" (a number goes unquoted: port: {value})" if value.isdigit() else ""
            yield Finding(("port",), reason + hint)
    end = port.get("endPort")
    if end is not None:
        if not isinstance(value, int) or isinstance(value, bool):
            yield Finding(("endPort",), "may not be specified when port is not a number")
        elif isinstance(end, int) and end < value:
            yield Finding(("endPort",), f"{end} is below port {value}; endPort must be ≥ port")


def _block_problems(block: dict[str, Any]) -> Findings:
    cidr = block.get("cidr")
    try:
        network = parse_cidr(cidr) if isinstance(cidr, str) else None
    except ValueError as error:
        yield Finding(("cidr",), str(error))
        return
    for index, text in enumerate(block.get("except") or []):
        try:
            carved = parse_cidr(text) if isinstance(text, str) else None
        except ValueError as error:
            yield Finding(("except", index), str(error))
            continue
        if network is not None and carved is not None and not (carved.version == network.version and carved.subnet_of(network) and carved != network):  # type: ignore[arg-type]
            yield Finding(("except", index), f"{text} must be a strict subset of `cidr` {cidr}")


def cidr_problem(text: str) -> str | None:
    """Why the agent would refuse ``text`` as a non-masquerade CIDR (Go's net.ParseCIDR, then its
    alignment check), or None; worded with the fix."""
    address_text, slash, prefix = text.partition("/")
    if "%" in address_text:
        return f"{text!r} has a zone (%...); write a plain CIDR"
    try:
        address = ipaddress.ip_address(address_text)
    except ValueError:
        return f"{text!r} is not a CIDR (e.g. 10.0.0.0/8, fd00::/8)"
    bits = address.max_prefixlen
    if not slash:
        return f"{text!r} is an address, not a CIDR; did you mean {text}/{bits}?"
    if not (prefix.isascii() and prefix.isdigit()) or int(prefix) > bits:
        return f"{text!r} has prefix length {prefix!r}; write the number of bits, 0-{bits}"
    network = ipaddress.ip_network(f"{address}/{int(prefix)}", strict=False)
    if network.network_address != address:
        return f"{text!r} has host bits set, and the agent takes only CIDRs aligned to their block; did you mean {network}?"
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    if mapped is not None:
        # The agent sorts CIDRs by address family as Go prints the address: a mapped one reads as IPv4
        # and lands in the IPv4 rules, where iptables refuses it (and with it the whole rule set).
        hint = f"; write {mapped}/{int(prefix) - 96}" if int(prefix) >= 96 else ""
        return f"{text!r} is an IPv4-mapped IPv6 CIDR, which the agent puts in its IPv4 rules, where iptables refuses it{hint}"
    return None


def repeated_networks(cidrs: Sequence[object]) -> list[tuple[int, int]]:
    """(index, index of the earlier entry) for each entry naming a network listed already
    (10.0.0.0/8 twice). Entries that are not text (a Pulumi Output still to resolve) are skipped."""
    found: list[tuple[int, int]] = []
    seen: dict[ipaddress.IPv4Network | ipaddress.IPv6Network, int] = {}
    for index, cidr in enumerate(cidrs):
        if not isinstance(cidr, str):
            continue
        network = ipaddress.ip_network(cidr)
        if network in seen:
            found.append((index, seen[network]))
        seen.setdefault(network, index)
    return found
