"""Network values as the API server checks them: CIDRs, ports, protocols, named ports."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

Protocol = Literal["TCP", "UDP", "SCTP"]
"""The protocols a port, a Service port and a NetworkPolicy port may name."""
_IANA_SVC_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_cidr(value: str) -> Network:
    """A CIDR, or a ValueError that says how to write one (a bare IP gets its /32 or /128)."""
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
    if len(name) > 15:
        return f"{name!r} is longer than 15 characters, the limit for a named port"
    if not _IANA_SVC_NAME.match(name) or "--" in name:
        return f"{name!r} is not a port name: lower-case letters, digits and single '-' (e.g. http, metrics)"
    if not re.search(r"[a-z]", name):
        return f"{name!r} is not a port name: it needs at least one letter"
    return None


def port_number_problem(port: int) -> str | None:
    if not 1 <= port <= 65535:
        return f"{port} is not a port: use 1-65535"
    return None
