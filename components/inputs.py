"""Pulumi Inputs inside the builders: values that may be Outputs are placed, merged and joined without
ever being formatted into a string.

A builder given only plain values returns plain dicts (what the tests and the engine compare); given
an Output, it places the Output (or an Output derived from it) where the value goes, and
pulumi-kubernetes resolves it at registration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import pulumi

from ..kube.findings import Finding
from .model import Invalid

T = TypeVar("T")


def is_output(value: object) -> bool:
    return isinstance(value, pulumi.Output)


def copied(mapping: Mapping[str, Any] | pulumi.Output[Any]) -> Any:
    """A plain mapping copied (so two objects never share one dict), or the Output as it is."""
    if isinstance(mapping, pulumi.Output):
        return mapping
    return dict(mapping)


def merged(*parts: Mapping[str, Any] | pulumi.Output[Any] | None, reserved: Iterable[str] = (), where: str = "labels") -> Any:
    """The mappings merged left to right. A mapping that is an Output is merged when it resolves;
    there, a key clusterstack sets itself (``reserved``) fails the deployment, as it fails
    validation when the mapping is plain."""
    present = [part for part in parts if part is not None]
    if not any(isinstance(part, pulumi.Output) for part in present):
        result: dict[str, Any] = {}
        for part in present:
            result.update(part)
        return result
    reserved_keys = frozenset(reserved)

    def merge(resolved: list[Mapping[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for index, part in enumerate(resolved):
            if isinstance(present[index], pulumi.Output):
                clash = sorted(set(part) & reserved_keys)
                if clash:
                    raise Invalid(Finding((where, key), f"is set by clusterstack; remove it from {where}") for key in clash)
            result.update(part)
        return result

    return pulumi.Output.all(*present).apply(merge)


def joined(*parts: str | pulumi.Output[str]) -> str | pulumi.Output[str]:
    """The parts as one string; an Output when any part is one (``allow-lb-`` + a Service name)."""
    if any(isinstance(part, pulumi.Output) for part in parts):
        return pulumi.Output.concat(*parts)
    return "".join(part for part in parts if isinstance(part, str))
