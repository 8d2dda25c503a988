"""What a program run records: each registration named as the Pulumi engine names it, the duplicates
the engine would refuse, and the run's result; how the engine spells URNs and error 2001.

The SDK's mock monitor names resources unlike the Pulumi engine (only the immediate parent's type in
a URN, a ``pulumi:pulumi:Stack$`` prefix on top-level ones). These records name them as the engine
does (sdk/go/common/resource/urn.go: the full chain of ancestor types, the root stack left out).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..evalpath import Mode
from . import pulumi_internals as internals

STACK_TYPE = "pulumi:pulumi:Stack"
NO_SECRETS: frozenset[str] = frozenset()
"""One for every registration without secrets (each ``frozenset()`` is an object of its own)."""


@dataclass(frozen=True, slots=True)
class AliasSpec:
    """An alias as the program declared it (``pulumi.Alias``); unset parts mean "as the resource is now"."""

    name: str = ""
    type: str = ""
    stack: str = ""
    project: str = ""
    parent: str = ""
    """The old parent's URN; "" for the current parent."""
    no_parent: bool = False
    """The resource used to have no parent (``parent=pulumi.ROOT_STACK_RESOURCE``)."""
    urn: str = ""
    """A whole old URN, when the alias was given as one."""


@dataclass(frozen=True, slots=True)
class Registration:
    """One resource the program registered, named as the Pulumi engine names it. (Slots: a run keeps
    one per resource, tens of thousands at scale.)"""

    urn: str
    type: str
    name: str
    parent: str
    """The parent's URN ("" for none, i.e. the stack)."""
    custom: bool
    inputs: dict[str, Any]
    """What the resource was created with, secrets unwrapped (see ``secrets``)."""
    provider: str = ""
    """The provider reference (``<provider URN>::<id>``); "" for the default provider."""
    aliases: tuple[AliasSpec, ...] = ()
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool | None = None
    """``deleteBeforeReplace`` as the program set it: None when it did not (the provider decides), an
    explicit False when it did (the engine then creates the new object first, whatever the provider says)."""
    replace_on_changes: tuple[str, ...] = ()
    """The ``replaceOnChanges`` property paths, as the engine receives them (a Python name the
    resource's input type knows, ``preemption_policy``, translated to ``preemptionPolicy``)."""
    ignore_changes: tuple[str, ...] = ()
    """The ``ignoreChanges`` property paths, as the engine receives them (translated like ``replace_on_changes``).
    Never inherited from a parent: neither the SDK nor the engine passes it down."""
    custom_timeouts: tuple[str, str, str] = ("", "", "")
    """``customTimeouts`` (create, update, delete; "" for unset). Never inherited from a parent."""
    import_id: str = ""
    """Pulumi's ``import`` option: the ID of the cluster's object the resource takes over ("" for none)."""
    secrets: frozenset[str] = frozenset()
    """The inputs that were secret (``pulumi.Output.secret``; pulumi-kubernetes makes a Secret's
    ``data`` and ``stringData`` secret), by top-level property name."""
    numbers: frozenset[str] | None = field(default=None, compare=False, repr=False)
    """The inputs whose value holds a number, by top-level property name, when the fast path knows
    them (from wiring them); None when not known. Not part of what was registered: a hint for
    ``collect``, which turns whole doubles back into integers only where there are numbers."""

    @property
    def qualified_type(self) -> str:
        """The type with its ancestors' types, as the URN holds it (``Parent$Child``)."""
        return self.urn.split("::")[2]


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Two registrations with one URN: the Pulumi engine refuses the second (error 2001)."""

    urn: str
    first: Registration
    second: Registration


@dataclass(frozen=True)
class ProgramRun:
    registrations: list[Registration]
    """Every resource but the stack itself, in the order the engine received them (not always the
    order the program declared them: registrations run concurrently)."""
    outputs: dict[str, Any]
    """The stack's exports, resolved."""
    duplicates: list[Duplicate]
    path: Mode = "sdk"
    """The path the program ran on."""
    declined: dict[str, int] = field(default_factory=dict)
    """On the fast path: why resources went the SDK's way instead, and how many."""


def urn_of(stack: str, project: str, qualified_type: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{qualified_type}::{name}"


@functools.lru_cache(maxsize=4096)
def _qualified_type(urn: str) -> str:
    """The qualified type a URN holds: asked of a parent's URN for each of its children."""
    return urn.split("::")[2]


def qualify(parent_urn: str, type_: str) -> str:
    """A child's qualified type: its parent's qualified type, ``$``, its own; the root stack is left out."""
    if not parent_urn:
        return type_
    parent_type = _qualified_type(parent_urn)
    return type_ if parent_type == STACK_TYPE else f"{parent_type}${type_}"


def parent_of(parent_urn: str) -> str:
    """The parent's URN, or "" when it is the root stack (which URNs leave out)."""
    return parent_urn if parent_urn and _qualified_type(parent_urn) != STACK_TYPE else ""


def declaration(registration: Registration, by_urn: Mapping[str, Registration]) -> str:
    """A resource and the components it sits in, outermost first: ``ClusterPlatform eu › DnsAutoscaler dns``."""
    chain = [f"{registration.type.rpartition(':')[2]} {registration.name}"]
    parent = by_urn.get(registration.parent)
    while parent is not None:
        chain.append(f"{parent.type.rpartition(':')[2]} {parent.name}")
        parent = by_urn.get(parent.parent)
    return " › ".join(reversed(chain))


def duplicate_message(duplicate: Duplicate, by_urn: Mapping[str, Registration]) -> str:
    """The engine's error 2001 (sdk/go/common/diag/errors.go), naming both declarations."""
    return (
        f"Duplicate resource URN '{duplicate.urn}'; try giving it a unique name: declared by {declaration(duplicate.first, by_urn)} "
        f"and by {declaration(duplicate.second, by_urn)}"
    )


def unwrap_secrets(inputs: dict[str, Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """``inputs`` with each secret's value in place of the SDK's secret marker, and which top-level
    properties held one. Inputs without secrets are returned as they are."""
    secrets = frozenset(key for key, value in inputs.items() if _holds_secret(value))
    if not secrets:
        return inputs, NO_SECRETS
    return {key: _unwrapped(value) if key in secrets else value for key, value in inputs.items()}, secrets


def _holds_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return internals.is_secret_marker(value) or any(_holds_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_secret(item) for item in value)
    return False


def _unwrapped(value: Any) -> Any:
    if isinstance(value, dict):
        if internals.is_secret_marker(value):
            return _unwrapped(internals.secret_value(value))
        return {key: _unwrapped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrapped(item) for item in value]
    return value
