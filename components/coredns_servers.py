"""CoreDNS's forward servers given as Pulumi Outputs: the types a caller writes, and the validators
that check what is plain at once and what is an Output when it resolves.

In a Pulumi program, a stub domain's servers and ``upstreamServers`` may come from other resources (a
Route 53 Resolver endpoint's IPs, a Consul server's private IP): each server an Output, or the whole
list one. What is plain is checked at once, as in a stack file; a list with an Output in it is checked
again, whole, when it resolves, with the same rules and messages, before the Corefile (then an Output
itself) is written. The domains stay plain: each is a server block, checked before anything deploys.
NodeLocal DNSCache takes plain servers only, so these serve ``dns.coredns`` alone.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, TypeGuard

import pulumi
from pydantic import (
    BaseModel,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from ..kube.paths import KeyPath
from .model import Invalid, checked_when_resolved, describe, field_place
from .nodelocaldns import StubDomains, UpstreamServers

Servers = tuple[str, ...] | pulumi.Output[tuple[str, ...]]
"""One forward plugin's servers: the list, or an Output of it that checks itself when it resolves."""
ServerList = Sequence[str | pulumi.Output[str]] | pulumi.Output[Sequence[str]]
"""Servers as a caller writes them: each a string or an Output of one, or the whole list an Output."""


# Built on the first list that waits on an Output (never, for a stack file): each is a schema and a
# validator, which every command would otherwise build when the module loads.
@functools.cache
def _upstreams() -> TypeAdapter[tuple[str, ...]]:
    return TypeAdapter(UpstreamServers)


@functools.cache
def _stubs() -> TypeAdapter[dict[str, tuple[str, ...]]]:
    return TypeAdapter(StubDomains)


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
        return _upstreams().validate_python(resolved) if domain is None else _stubs().validate_python({domain: resolved})[domain]

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
