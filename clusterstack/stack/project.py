"""The Pulumi project on disk: Pulumi.yaml, its program, and its stack files."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ClusterstackError, Problem
from .yamlfile import parse_yaml

COMMON_FILE = "common.yaml"
_STACK_FILE = re.compile(r"^Pulumi\.(?P<stack>[^.]+(?:\.[^.]+)*)\.yaml$")


@dataclass(frozen=True)
class Project:
    root: Path
    name: str
    main: Path
    """The program both engines run (Pulumi.yaml ``main``, default ``__main__.py``)."""
    stack_dir: Path
    """Pulumi.yaml ``stackConfigDir``, default the project root."""
    digest: str = ""
    """The SHA-256 of Pulumi.yaml as read."""

    @classmethod
    def load(cls, root: Path | str) -> Project:
        root = Path(root).resolve()
        manifest = root / "Pulumi.yaml"
        if not manifest.is_file():
            raise ClusterstackError(
                [f"{root}: no Pulumi.yaml here; run clusterstack in the project directory or pass --project-dir"]
            )
        raw = manifest.read_bytes()
        data = parse_yaml(raw, "Pulumi.yaml") or {}
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise ClusterstackError([Problem("Pulumi.yaml", "name", "is required: the project's name")])
        main = root / str(data.get("main", "."))
        if main.is_dir():
            main = main / "__main__.py"
        stack_dir = root / str(data.get("stackConfigDir", "."))
        return cls(root=root, name=data["name"], main=main, stack_dir=stack_dir, digest=hashlib.sha256(raw).hexdigest())

    @classmethod
    def find(cls, start: Path) -> Project:
        """The project holding ``start``: the nearest directory upwards with a Pulumi.yaml."""
        here = start.resolve()
        for directory in (here, *here.parents):
            if (directory / "Pulumi.yaml").is_file():
                return cls.load(directory)
        raise ClusterstackError([f"{here}: no Pulumi.yaml here or in any directory above; run clusterstack in a project, or pass --project-dir"])

    def stack_file(self, stack: str) -> Path:
        return self.stack_dir / f"Pulumi.{stack}.yaml"

    @property
    def common_file(self) -> Path:
        return self.stack_dir / COMMON_FILE

    def stacks(self) -> list[str]:
        if not self.stack_dir.is_dir():
            return []
        found = (_STACK_FILE.match(path.name) for path in self.stack_dir.iterdir())
        return sorted(match["stack"] for match in found if match)

    def display(self, path: Path) -> str:
        """A path as messages show it: relative to the project (``stacks/Pulumi.dev.yaml``)."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def require_stack(self, stack: str) -> Path:
        path = self.stack_file(stack)
        if not path.is_file():
            known = ", ".join(self.stacks()) or "none"
            raise ClusterstackError(
                [Problem(self.display(path), "", f"no such stack file; stacks in {self.display(self.stack_dir)}/: {known}")]
            )
        return path
