"""An alias as the program declared it: what the monitor and the fast path both record (their own
module, so neither imports the other for it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
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
