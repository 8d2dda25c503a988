"""Manifests as text: multi-document YAML or JSON, byte-identical for the same input."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from .components.kube.kinds import ObjectKey

FORMATS = ("yaml", "json")


# libyaml's emitter when PyYAML has it (the wheels do): the same text, many times faster.
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[valid-type,misc]  # chosen at import: libyaml's or PyYAML's
    """Block style, sorted keys, multi-line strings (a Corefile) as literal blocks, and no anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(manifest: Mapping[str, Any]) -> str:
    return yaml.dump(manifest, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True, width=1000)


def to_json(manifest: Mapping[str, Any]) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def dump(manifests: Iterable[Mapping[str, Any]], fmt: str) -> str:
    manifests = list(manifests)
    if fmt == "json":
        return to_json({"apiVersion": "v1", "kind": "List", "items": manifests})
    return "---\n".join(to_yaml(m) for m in manifests)


def file_name(key: ObjectKey, fmt: str = "yaml") -> str:
    """A stable file name per object: ``<kind>[-<group>]--[<namespace>--]<name>.<ext>``."""
    parts = [key.kind.lower() + (f"-{key.group}" if key.group else "")]
    if key.namespace:
        parts.append(key.namespace)
    parts.append(key.name)
    stem = "--".join(re.sub(r"[^A-Za-z0-9._-]", "_", part) for part in parts)
    return f"{stem}.{fmt}"


def relative_path(key: ObjectKey, fmt: str = "yaml") -> Path:
    """Where an object's file goes in a directory: ``<file name>``, or ``<cluster>/<file name>`` for
    a program that declares objects for several clusters."""
    name = file_name(key, fmt)
    return Path(re.sub(r"[^A-Za-z0-9._-]", "_", key.cluster)) / name if key.cluster else Path(name)


def write_files(objects: Iterable[tuple[ObjectKey, Mapping[str, Any]]], directory: Path, fmt: str) -> list[Path]:
    written = []
    for key, manifest in objects:
        path = directory / relative_path(key, fmt)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(to_json(manifest) if fmt == "json" else to_yaml(manifest))
        written.append(path)
    return written


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A plain text table, numbers right-aligned."""
    cells = [headers] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=False)) for row in cells]
    return "\n".join(lines)
