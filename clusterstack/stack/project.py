"""The Pulumi project on disk: Pulumi.yaml, its program, and its stack files."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ClusterstackError, Problem
from .yamlfile import parse_yaml, read_bounded

COMMON_FILE = "common.yaml"
_STACK_FILE = re.compile(r"Pulumi\.(?P<stack>[^.]+(?:\.[^.]+)*)\.yaml")
# Pulumi's project schema for one ``config:`` declaration (sdk/go/common/workspace/project.json,
# configTypeDeclaration: additionalProperties false; project.go, ProjectConfigType).
_CONFIG_TYPE_KEYS = ("type", "description", "items", "default", "value", "secret")


@dataclass(frozen=True)
class ProjectConfig:
    """One key of Pulumi.yaml's ``config:``: a value for stacks that do not set the key, or none."""

    key: str
    """``namespace:key``; a key without a namespace is the project's."""
    has_value: bool
    value: Any = None
    type: str | None = None
    """The declared ``type`` (string, integer, boolean, object, array), if any."""
    items: Any = None
    """An array's ``items`` declaration: ``{type:, items:}``."""
    secret: bool = False

    def problem(self, value: Any, secret: bool) -> str | None:
        """What is wrong with the stack's ``value`` for this declaration, as the CLI checks it (only
        when a ``type`` is declared: pkg/workspace/config.go, validateStackConfigValue)."""
        if self.type is None:
            return None
        if self.secret and not secret:
            return "is declared secret in Pulumi.yaml's config: but is plain text: set it with pulumi config set --secret"
        # The CLI checks the value as it holds it: a scalar as its text, a structure as parsed JSON.
        held = json.loads(json.dumps(value)) if isinstance(value, (dict, list)) else value if isinstance(value, str) else json.dumps(value)
        if _fits(self.type, self.items, held):
            return None
        return f"must be of type '{_type_name(self.type, self.items)}', as Pulumi.yaml's config: declares it"


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
        raw = read_bounded(manifest)
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
        found = (_STACK_FILE.fullmatch(path.name) for path in self.stack_dir.iterdir())
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
            type_name = entry.get("type")
            # mergeConfig: default wins over value when a declaration has both.
            given = entry.get("default") if entry.get("default") is not None else entry.get("value")
            declared.append(
                ProjectConfig(key, given is not None, given, str(type_name) if type_name is not None else None, entry.get("items"), entry.get("secret") is True)
            )
        elif entry is not None:
            declared.append(ProjectConfig(key, True, entry))
    if problems:
        raise ClusterstackError(problems)
    return tuple(declared)


def _fits(type_name: str, items: Any, value: Any) -> bool:
    """sdk/go/common/workspace/project.go, ValidateConfigValue."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        if isinstance(value, str):
            return re.fullmatch(r"[+-]?[0-9]+", value) is not None  # strconv.Atoi
        return not isinstance(value, bool) and isinstance(value, (int, float)) and float(value).is_integer()
    if type_name == "boolean":
        return value in ("true", "false") or isinstance(value, bool)
    if type_name == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or not isinstance(items, dict):
        return False
    return all(_fits(str(items.get("type")), items.get("items"), item) for item in value)


def _type_name(type_name: str, items: Any) -> str:
    """InferFullTypeName: ``array<string>`` for an array of strings."""
    if isinstance(items, dict):
        return f"array<{_type_name(str(items.get('type')), items.get('items'))}>"
    return type_name
