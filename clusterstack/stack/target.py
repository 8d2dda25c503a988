"""``clusterstack:target`` as the engine uses it: plain values, readable without the models (a cached
evaluation carries them, and the engine opens its target from them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Layout = Literal["object", "namespace"]
"""How a directory target lays its objects out in files (engine/target.py)."""


@dataclass(frozen=True)
class TargetSettings:
    path: str | None = None
    """The directory, relative to the project; None for deploy/<stack>."""
    layout: Layout = "object"
    kustomization: bool = True

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TargetSettings:
        return cls(data.get("path"), data.get("layout", "object"), bool(data.get("kustomization", True)))
