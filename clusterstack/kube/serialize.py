"""Manifests as text: multi-document YAML or JSON, byte-identical for the same input."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

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


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(_BaseLoader):  # type: ignore[valid-type,misc]  # chosen at import: libyaml's or PyYAML's
    """PyYAML's safe loader (libyaml's parser when it has it), except that a value whose explicit tag
    its text cannot be read as (``!!int x``, ``!!bool maybe``, ``!!timestamp soon``) is a YAMLError
    saying so, at its line: PyYAML's own constructors let Python's ValueError, KeyError or
    AttributeError out, which every reader of YAML here would have to know about. Every YAML the
    project reads (stack files, manifests, dumps, target files) is read with it."""


def _tagged(tag: str) -> None:
    construct = Loader.yaml_constructors[tag]

    def checked(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, KeyError, TypeError, AttributeError):
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise yaml.constructor.ConstructorError(None, None, f"{node.value!r} is not a {shown} value", node.start_mark) from None

    Loader.add_constructor(tag, checked)


for _tag in ("int", "float", "bool", "timestamp"):
    _tagged(f"tag:yaml.org,2002:{_tag}")


def to_yaml(manifest: Mapping[str, Any]) -> str:
    return yaml.dump(manifest, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True, width=1000)


def to_json(manifest: Mapping[str, Any]) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def dump(manifests: Iterable[Mapping[str, Any]], fmt: str) -> str:
    manifests = list(manifests)
    if fmt == "json":
        return to_json({"apiVersion": "v1", "kind": "List", "items": manifests})
    return "---\n".join(to_yaml(m) for m in manifests)
