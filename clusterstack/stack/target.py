"""``clusterstack:target`` as the engine uses it: plain values, readable without the models (a cached
evaluation carries them, and the engine opens its target from them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

Layout = Literal["object", "namespace"]
Secrets = Literal["omit", "plaintext"]
"""How a directory target lays its objects out in files (engine/target.py)."""


@dataclass(frozen=True)
class TargetSettings:
    path: str | None = None
    """The directory, relative to the project; None for deploy/<stack>."""
    layout: Layout = "object"
    kustomization: bool = True
    secrets: Secrets = "omit"
    """``plaintext``: the directory target writes objects holding secret values, 0600; ``omit``: it does not."""

    def directory(self, project_root: Path, stack: str) -> Path:
        """Where the target is: ``path`` (relative to the project), or deploy/<stack>."""
        path = Path(self.path) if self.path is not None else Path("deploy") / stack
        return path if path.is_absolute() else project_root / path

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TargetSettings:
        secrets: Secrets = "plaintext" if data.get("secrets") == "plaintext" else "omit"
        return cls(data.get("path"), data.get("layout", "object"), bool(data.get("kustomization", True)), secrets=secrets)
