"""The Pulumi project on disk: Pulumi.yaml, its program, and its stack files."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ClusterstackError, Problem
from .yamlfile import parse_yaml

COMMON_FILE = "common.yaml"
_STACK_FILE = re.compile(r"^Pulumi\.(?P<stack>[^.]+(?:\.[^.]+)*)\.yaml$")
# Pulumi's project schema for one ``config:`` entry (sdk/go/common/workspace/project.go, ProjectConfigType).
_CONFIG_TYPE_KEYS = ("type", "description", "items", "default", "value", "secret")


@dataclass(frozen=True)
class ProjectConfig:
    """One key of Pulumi.yaml's ``config:``: a value for stacks that do not set the key, or none."""

    key: str
    """``namespace:key``; a key without a namespace is the project's."""
    has_value: bool
    value: Any = None


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
    config: tuple[ProjectConfig, ...] = field(default=(), compare=False)
    """Pulumi.yaml's ``config:``, by key."""

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
        config = _project_config(data["name"], data.get("config"))
        return cls(root=root, name=data["name"], main=main, stack_dir=stack_dir, digest=hashlib.sha256(raw).hexdigest(), config=config)

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


def _project_config(name: str, section: Any) -> tuple[ProjectConfig, ...]:
    """Pulumi.yaml's ``config:`` as the Pulumi CLI reads it (sdk/go/common/workspace/project.go,
    RewriteShorthandConfigValues; pkg/workspace/config.go, mergeConfig): a plain value or a list is
    shorthand for a value; a map is a declaration whose ``default`` (else ``value``) a stack without
    the key gets; a declaration with neither is required of every stack when it is the project's."""
    if section is None:
        return ()
    if not isinstance(section, dict):
        raise ClusterstackError([Problem("Pulumi.yaml", "config", "must be a map of config keys to values or declarations ({type:, default:, secret:})")])
    declared = []
    problems = []
    for raw_key, entry in sorted(section.items()):
        key = raw_key if ":" in raw_key else f"{name}:{raw_key}"
        if isinstance(entry, dict):
            unknown = sorted(set(entry) - set(_CONFIG_TYPE_KEYS))
            if unknown:
                known = ", ".join(_CONFIG_TYPE_KEYS)
                problems.append(Problem("Pulumi.yaml", f"config.{raw_key}.{unknown[0]}", f"is not a config declaration key (known: {known})"))
                continue
            # mergeConfig: default wins over value when a declaration has both.
            for field_name in ("default", "value"):
                if entry.get(field_name) is not None:
                    declared.append(ProjectConfig(key, True, entry[field_name]))
                    break
            else:
                declared.append(ProjectConfig(key, False))
        elif entry is not None:
            declared.append(ProjectConfig(key, True, entry))
    if problems:
        raise ClusterstackError(problems)
    return tuple(declared)
