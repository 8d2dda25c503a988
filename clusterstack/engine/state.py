"""What the engine has applied to a stack's target: a State (its lineage, a UUID fixed when it is
created; its serial, raised by every recorded change; the target layout and file naming it was written
with) and an Entry per object (the manifest, the component that declared it, how it is held). Where
and how it is kept on disk (the state file, its backup, the journal, the lock) is ``store.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..kube.kinds import ObjectKey
from ..kube.lifecycle import Deletion
from ..stack.target import Layout

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Entry:
    """One object: its identity, the component that declared it, its manifest, and how it is held."""

    key: ObjectKey
    component: str
    manifest: dict[str, Any]
    patch: bool = False
    """A server-side-apply patch of an object the cluster already has (onExisting: adopt), not the object."""
    deletion: Deletion = "delete"
    """What removing it does: delete it, refuse (protect), or forget it and leave it (retain)."""
    written: str = field(default="", compare=False)
    """The SHA-256 of the file the target wrote it in, when it did: a refresh that finds the same bytes
    there need not read the object back ("" to always read it)."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key.to_json(), "component": self.component, "manifest": self.manifest}
        if self.patch:
            data["patch"] = True
        if self.deletion != "delete":
            data["deletion"] = self.deletion
        if self.written:
            data["written"] = self.written
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        written = data.get("written", "")
        return cls(
            ObjectKey.from_json(data["key"]),
            data["component"],
            data["manifest"],
            bool(data.get("patch", False)),
            data.get("deletion", "delete"),
            written if isinstance(written, str) else "",
        )


@dataclass
class State:
    lineage: str
    serial: int
    entries: dict[ObjectKey, Entry] = field(default_factory=dict)
    layout: Layout = "object"
    """The target layout the objects were written in (a stack that changes it is rewritten)."""
    naming: int = 1
    """The file naming they were written with (render.NAMING; 1, the first, when the file says none)."""

    @classmethod
    def new(cls, layout: Layout = "object", naming: int = 1) -> State:
        return cls(lineage=str(uuid.uuid4()), serial=0, layout=layout, naming=naming)

    def to_json(self, stack: str) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": FORMAT_VERSION,
            "stack": stack,
            "lineage": self.lineage,
            "serial": self.serial,
            "objects": [self.entries[key].to_json() for key in sorted(self.entries, key=ObjectKey.sort_key)],
        }
        if self.layout != "object":
            data["layout"] = self.layout
        if self.naming != 1:
            data["naming"] = self.naming
        return data


class DeferredState(State):
    """A state whose objects are decoded when first asked for (``StateStore.deferred``): a plan known
    to be "No changes" (engine/noop.py) needs only its lineage, serial, layout and naming, and what
    asks for more gets exactly the objects of the state file that plan was made against."""

    def __init__(self, lineage: str, serial: int, decode: Callable[[], dict[ObjectKey, Entry]], layout: Layout, naming: int) -> None:
        super().__init__(lineage, serial, {}, layout, naming)
        self._decode: Callable[[], dict[ObjectKey, Entry]] | None = decode

    @property
    def entries(self) -> dict[ObjectKey, Entry]:
        if self._decode is not None:
            self._entries = self._decode()
            self._decode = None
        return self._entries

    @entries.setter
    def entries(self, value: dict[ObjectKey, Entry]) -> None:
        self._decode = None
        self._entries = value
