"""Pulumi resource options that decide how the embedded engine makes a change.

The program adds its own rules with Pulumi's ``replaceOnChanges`` resource option, which the Pulumi
engine, not the provider, applies (pkg/resource/deploy/step_generator.go, ``applyReplaceOnChanges``):
a changed property at or below one of the option's property paths makes the change a replacement
(``*`` matches any one key or index, so ``replace_on_changes=["*"]`` replaces on any change). The
provider never sees the option (a DiffRequest does not carry it), so its delete-before-replace
decision stays its own: a replacement the option alone asks for creates the new object before
deleting the old one, unless the program also sets ``deleteBeforeReplace`` (step_generator.go: the
option overrides the provider).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..kube.paths import dotted

_INDEX = re.compile(r"[+-]?[0-9]+\Z")
"""An index as Go's strconv.ParseInt reads it."""

PropertyPath = tuple[str | int, ...]
"""A Pulumi property path, parsed: keys and list indices; the key ``*`` matches any key or index."""


@dataclass(frozen=True)
class ReplaceOptions:
    """The resource options of the program's registration that decide how a change is made."""

    replace_on_changes: tuple[str, ...] = ()
    """``replaceOnChanges``: Pulumi property paths (``value``, ``spec.selector``, ``data["a.b"]``, ``*``)."""
    delete_before_replace: bool | None = None
    """``deleteBeforeReplace``: True, a replacement deletes the old object before it creates the new
    one; False, it creates the new one first; None (unset), as the provider asks (step_generator.go:
    the program's option, when defined, overrides the provider's DeleteBeforeReplace)."""


def parse_property_path(text: str) -> PropertyPath:
    """A property path as the Pulumi engine parses it (sdk/go/common/resource/properties_path.go,
    ``parsePropertyPath``): names up to the next ``.`` or ``[``, ``[0]`` indices, ``["quoted"]``
    keys and ``[*]``. A ValueError, worded as the engine's, when it is not one."""
    if text.startswith("."):
        raise ValueError("expected property path to start with a name or index")
    elements: list[str | int] = []
    rest = text
    while rest:
        if rest[0] == ".":
            rest = rest[1:]
            if not rest:
                raise ValueError("expected property path to end with a name or index")
            continue
        element: str | int
        if rest.startswith('["'):
            element, rest = _quoted_key(rest)
        elif rest[0] == "[":
            element, rest = _index(rest)
        else:
            end = min((i for i in (rest.find("."), rest.find("[")) if i != -1), default=len(rest))
            element, rest = rest[:end], rest[end:]
        elements.append(element)
    return tuple(elements)


def _quoted_key(rest: str) -> tuple[str, str]:
    """``["a.b"]`` at the start of ``rest``: the key (``\\"`` an escaped quote) and what follows."""
    key, i = [], 2
    while True:
        if i >= len(rest):
            raise ValueError("missing closing quote in property name")
        if rest[i] == '"':
            i += 1
            break
        if rest[i] == "\\" and rest[i + 1 : i + 2] == '"':
            key.append('"')
            i += 2
        else:
            key.append(rest[i])
            i += 1
    if rest[i : i + 1] != "]":
        raise ValueError("missing closing bracket in property access")
    return "".join(key), rest[i + 1 :]


def _index(rest: str) -> tuple[str | int, str]:
    """``[0]`` or ``[*]`` at the start of ``rest``: the index (``*`` any) and what follows."""
    close = rest.find("]")
    if close == -1:
        raise ValueError("missing closing bracket in array index")
    segment = rest[1:close]
    if segment == "*":
        return "*", rest[close + 1 :]
    if _INDEX.match(segment):
        return int(segment), rest[close + 1 :]
    raise ValueError(f"invalid array index: {segment!r}")


def contains(pattern: PropertyPath, path: tuple[str | int, ...]) -> bool:
    """``path`` is at or below ``pattern`` (``PropertyPath.Contains``, properties_path.go): each
    element equal, the key ``*`` matching any key or index. A change above the pattern (a whole map
    that holds it added) is not contained, as in the engine."""
    if len(path) < len(pattern):
        return False
    for want, part in zip(pattern, path, strict=False):
        if want == "*":
            continue
        if isinstance(want, int) != isinstance(part, int) or want != part:
            return False
    return True


def replace_on_changes_reasons(paths: Sequence[str], changed: Sequence[tuple[str | int, ...]]) -> tuple[str, ...]:
    """The changed fields a ``replaceOnChanges`` path covers, each named down to the depth of the
    path that covers it (``*`` names the top-level field), in the order of ``changed``."""
    patterns = [parse_property_path(path) for path in paths]
    reasons = []
    for path in changed:
        for pattern in patterns:
            if contains(pattern, path):
                reasons.append(dotted(path[: len(pattern)]))
    return tuple(dict.fromkeys(reasons))
