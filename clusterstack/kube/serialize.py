"""Manifests as text: multi-document YAML or JSON, byte-identical for the same input."""

from __future__ import annotations

import json
import re
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


_WIDTH = 1000
"""libyaml breaks a line only at a space past this column: a shorter line is never broken."""


def to_yaml(manifest: Mapping[str, Any]) -> str:
    """The manifest as block YAML, the very text of the YAML library's emitter (``_library_yaml``).

    A manifest of plain JSON-like values (the objects the engine writes) is laid out here, each string
    written as the library writes it (asked once per distinct string: ``_Scalars``), which is many
    times faster than its representer (9 of the 25 seconds of an ``up`` of 60,000 objects); anything
    else (a multi-line string, a line that could be folded, a type the library refuses) is left
    whole to the library."""
    if type(manifest) is dict and manifest:
        out: list[str] = []
        try:
            _mapping(manifest, "", "", out)
        except _Unusual:
            return _library_yaml(manifest)
        return "".join(out)
    return _library_yaml(manifest)


def _library_yaml(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True, width=_WIDTH)


class _Unusual(Exception):
    """A value ``to_yaml`` leaves to the YAML library."""


# Block style, as libyaml (emitter.c) lays it out with indent 2: a mapping's keys sorted, a nested
# mapping indented under its key, a sequence in a mapping not indented ("key:" then "- item"), a
# collection as a sequence item starting on the item's line ("- key: v", "- - v"), an empty one in
# flow style ("{}", "[]"). tests/test_serialize.py checks every shape against the library.


def _mapping(mapping: dict[Any, Any], indent: str, first: str, out: list[str]) -> None:
    """``first``: what the first line starts with (the indent, or the "- " of the item it is)."""
    try:
        keys = sorted(mapping)
    except TypeError:
        raise _Unusual from None
    prefix = first
    for key in keys:
        if type(key) is not str:
            raise _Unusual
        head = prefix + _SCALARS.key(key) + ":"
        prefix = indent
        value = mapping[key]
        if type(value) is dict and value:
            out.append(head + "\n")
            _mapping(value, indent + "  ", indent + "  ", out)
        elif type(value) is list and value:
            out.append(head + "\n")
            _sequence(value, indent, indent, out)
        else:
            _one_line(head, value, out)


def _sequence(items: list[Any], indent: str, first: str, out: list[str]) -> None:
    prefix = first
    for item in items:
        head = prefix + "-"
        prefix = indent
        if type(item) is dict and item:
            _mapping(item, indent + "  ", head + " ", out)
        elif type(item) is list and item:
            _sequence(item, indent + "  ", head + " ", out)
        else:
            _one_line(head, item, out)


def _one_line(head: str, value: Any, out: list[str]) -> None:
    """``head`` (a key's or an item's) and a scalar or an empty collection (flow style) on its line."""
    kind = type(value)
    line = head + (" {}" if kind is dict else " []" if kind is list else " " + _SCALARS.value(value))
    if len(line) > _WIDTH:
        raise _Unusual
    out.append(line + "\n")


_PLAIN = re.compile(r"[A-Za-z0-9_/][A-Za-z0-9_./-]*\Z")
"""Strings libyaml writes plain wherever they stand, unless they read as another type (``true``, ``1``):
no indicator, space, quote or line break (emitter.c ``yaml_emitter_analyze_scalar``)."""

_STR_TAG = "tag:yaml.org,2002:str"
_UNUSUAL = ""
"""What ``_Scalars`` records for a value it leaves to the library (no scalar is written as nothing)."""


class _Scalars:
    """Each scalar as the library writes it in block style, found once per distinct value: as a
    mapping's value (the same in a sequence) or as a key. A string that would span lines, a key the
    library writes as a complex key ("? "), a type it refuses: ``_Unusual``."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._keys: dict[str, str] = {}
        self._others: dict[tuple[type, str], str] = {}
        self._resolver = yaml.resolver.Resolver()

    def value(self, value: Any) -> str:
        kind = type(value)
        if kind is str:
            found = self._values.get(value)
            if found is None:
                found = self._values[value] = value if self._plain(value) else self._rendered({"a": value}, "a: ", "\n")
        elif kind is bool:
            found = "true" if value else "false"
        elif kind is int:
            found = str(value)
        elif value is None:
            found = "null"
        elif kind is float:
            known = (kind, repr(value))
            found = self._others.get(known)
            if found is None:
                found = self._others[known] = self._rendered({"a": value}, "a: ", "\n")
        else:
            raise _Unusual
        if not found:
            raise _Unusual
        return found

    def key(self, key: str) -> str:
        found = self._keys.get(key)
        if found is None:
            # (a key past 128 characters is a complex key: emitter.c yaml_emitter_check_simple_key)
            found = self._keys[key] = key if len(key) <= 100 and self._plain(key) else self._rendered({key: 0}, "", ": 0\n")
        if not found:
            raise _Unusual
        return found

    def _plain(self, value: str) -> bool:
        resolved = self._resolver.resolve(yaml.ScalarNode, value, (True, False)) if _PLAIN.match(value) is not None else None  # type: ignore[no-untyped-call]
        return resolved == _STR_TAG

    @staticmethod
    def _rendered(document: dict[Any, Any], before: str, after: str) -> str:
        """The scalar of a one-entry document as the library writes it, between ``before`` and
        ``after``; ``_UNUSUAL`` when it is not on that one line (any line break counts: libyaml also
        breaks at U+0085, U+2028 and U+2029)."""
        try:
            text = _library_yaml(document)
        except yaml.YAMLError:
            return _UNUSUAL
        if not (text.startswith(before) and text.endswith(after)) or len(text.splitlines()) != 1 or text.startswith("? "):
            return _UNUSUAL
        return text[len(before) : len(text) - len(after)]


_SCALARS = _Scalars()


def to_json(manifest: Mapping[str, Any]) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def dump(manifests: Iterable[Mapping[str, Any]], fmt: str) -> str:
    manifests = list(manifests)
    if fmt == "json":
        return to_json({"apiVersion": "v1", "kind": "List", "items": manifests})
    return "---\n".join(to_yaml(m) for m in manifests)
