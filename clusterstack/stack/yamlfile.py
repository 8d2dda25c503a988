"""Reading a YAML file a user wrote (Pulumi.yaml, common.yaml, a stack file): the one way every command
reads one.

bytes -> UTF-8 -> one YAML document, composed into nodes -> the nodes checked before any value is
built -> the values. Every refusal is a Problem naming the file, the key path and the line, and
saying what would be valid. (A file with nothing to refuse is read in one pass from the parser's
events instead, yamlstream.py, without the node tree and its positions, which only messages need;
the first doubt sends it the way above.)

- at most 64 MiB, UTF-8 (a byte that is not names its offset);
- keys are strings and appear once per map (YAML would let the last of two silently win, and reads
  ``no:``, ``1:`` or ``~:`` as a boolean, a number or null);
- values are strings, numbers, booleans, null, lists and maps: what a stack can hold and a Kubernetes
  object can carry (no ``!!binary``, dates, sets, merge keys or custom tags); numbers finite and of
  at most 20 digits;
- at most 64 levels deep, and once aliases are expanded at most 100,000 values and 4 MiB of text
  (keys and scalar values, UTF-8), or twice the file's size in bytes of each where that is more: an
  "alias bomb" is refused at once, not after expanding it. The text bound is what holds the output
  in proportion to the input: a few thousand aliases of one long string stay under the value count
  yet would write hundreds of megabytes to target, state and cache.

The bounds are on what aliases add, not on the honest file: written out, a file can hold neither more
values nor more text than it has bytes (each value takes at least a byte, a key or scalar at least
its own text, and no escape is more than 1.5 times as long as it is written), so twice the file's size
never refuses a file without aliases, while a few aliases still cannot multiply it. A 10,000-namespace
stack is about 6 MB and 500,000 values, all of it admitted. The file itself is capped at 64 MiB, room
for about 100,000 tenant namespaces written out: the cap is only there so a file that is not a stack
(a log, a disk image) is refused before it is read into memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import ClusterstackError, Problem
from ..kube.findings import Finding, Findings
from ..kube.paths import KeyPath, dotted
from ..kube.serialize import Loader
from .yamlstream import UNSURE, read_values

MAX_BYTES = 64 << 20
MAX_DEPTH = 64
MAX_VALUES = 100_000
"""The least bound on expanded values; a larger file's is twice its size in bytes (``value_bound``)."""
MAX_EXPANDED_BYTES = 4 << 20
"""The least bound on expanded text; a larger file's is twice its size (``text_bound``)."""
EXPANSION = 2
MAX_DIGITS = 20

_TAG = "tag:yaml.org,2002:"
_SCALARS = {f"{_TAG}str", f"{_TAG}int", f"{_TAG}float", f"{_TAG}bool", f"{_TAG}null"}
_COLLECTIONS = {f"{_TAG}seq", f"{_TAG}map"}
_WHAT_IS = {f"{_TAG}bool": "a boolean", f"{_TAG}int": "a number", f"{_TAG}float": "a number", f"{_TAG}null": "null"}

# libyaml's parser when PyYAML was built with it (the wheels are): ten times faster on large stacks.
_LOADER: type[yaml.SafeLoader] = Loader

def read_yaml(path: Path, display: str, where: Any = None) -> Any:
    """The file's one YAML document as plain values; a ClusterstackError listing what is wrong.
    ``where`` turns a key path (a tuple) into the text a message shows (default: dotted)."""
    return parse_yaml(read_bounded(path), display, where)


def read_bounded(path: Path) -> bytes:
    """The file's bytes, but never more than the cap and the one byte that shows it is passed: a
    stack file that is a link to /dev/zero or a 10 GB log is refused by parse_yaml, not read."""
    with path.open("rb") as file:
        return file.read(MAX_BYTES + 1)


def value_bound(size: int) -> int:
    """How many values a file of ``size`` bytes may expand to through its aliases."""
    return max(MAX_VALUES, EXPANSION * size)


def text_bound(size: int) -> int:
    """How many bytes of keys and scalar text a file of ``size`` bytes may expand to."""
    return max(MAX_EXPANDED_BYTES, EXPANSION * size)


def parse_yaml(data: bytes, display: str, where: Any = None) -> Any:
    show = where if where is not None else dotted
    if len(data) > MAX_BYTES:
        raise ClusterstackError(
            [
                Problem(
                    display,
                    "",
                    f"is more than {MAX_BYTES:,} bytes (64 MiB), the most a stack file may hold (room for about 100,000 tenant "
                    "namespaces written out); split the platform into several stacks",
                )
            ]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ClusterstackError(
            [Problem(display, "", f"is not UTF-8 text (byte {error.start}: 0x{data[error.start]:02x}); save it as UTF-8")]
        ) from None
    # Without a '*' the file has no alias, so what it expands to is what it writes: its size bounds that,
    # and the count is skipped.
    most = (value_bound(len(data)), text_bound(len(data))) if "*" in text else None
    values = read_values(text, _LOADER, most, MAX_DEPTH, MAX_DIGITS)
    if values is not UNSURE:
        return values
    # Something in the file may be wrong: read it again as nodes, which know their lines, and say what.
    return _read_carefully(text, len(data), display, show)


def _read_carefully(text: str, size: int, display: str, show: Any) -> Any:
    """The document read through a node tree and checked node by node: every problem, each with its
    key path and line; or, when there is none, the values (what ``read_values`` gives, had it been sure)."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as error:
        raise ClusterstackError([Problem(display, "", f"is not valid YAML: {_one_line(error)}")]) from None
    if root is None:
        return None
    problems = [Problem(display, show(found.path), found.message) for found in _check(root, size, "*" in text)]
    if problems:
        raise ClusterstackError(problems)
    return _LOADER("").construct_document(root)


def _one_line(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark is not None else " ".join(str(error).split())


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _check(root: yaml.Node, file_size: int, aliased: bool = True) -> Findings:
    """Every problem in the node tree, each with the key path it is at; each distinct node once.
    ``aliased``: the text may hold an alias (else what it expands to is what it writes)."""
    most_values, most_text = value_bound(file_size), text_bound(file_size)
    size = _expanded_size(root, most_values, most_text) if aliased else (0, 0)
    if size is None:
        yield Finding((), "holds a value that contains itself through a YAML alias (an anchor used inside its own value); write the values out")
        return
    values, text = size
    if values > most_values:
        why = "" if most_values == MAX_VALUES else f", twice the file's {file_size:,} bytes"
        yield Finding((), f"expands to {values:,} values through its YAML aliases (at most {most_values:,}{why}); write the values out")
        return
    if text > most_text:
        why = "4 MiB" if most_text == MAX_EXPANDED_BYTES else f"twice the file's {file_size:,} bytes"
        yield Finding((), (
            f"expands to {text:,} bytes of text through its YAML aliases (at most {most_text:,}, {why}); "
            "use fewer aliases of long values, or write the values out"
        ))
        return
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, KeyPath, int]] = [(root, (), 0)]
    while stack:
        node, at, depth = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if depth > MAX_DEPTH:
            yield Finding(at, f"is nested more than {MAX_DEPTH} levels deep (line {_line(node)})")
            continue
        if isinstance(node, yaml.ScalarNode):
            problem = _scalar_problem(node)
            if problem:
                yield Finding(at, problem)
        elif isinstance(node, yaml.MappingNode):
            if node.tag != f"{_TAG}map":
                yield Finding(at, _tag_problem(node))
                continue
            first: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if key_node.tag == f"{_TAG}merge":
                    yield Finding(at, f"uses a YAML merge key (<<, line {_line(key_node)}); write the keys out")
                    continue
                if not isinstance(key, str) or key_node.tag != f"{_TAG}str":
                    yield Finding(at, _key_problem(key_node))
                    continue
                if key in first:
                    yield Finding(
                        (*at, key), f"appears twice in one map (lines {first[key]} and {_line(key_node)}); YAML would silently keep the second: keep one"
                    )
                    continue
                first[key] = _line(key_node)
                stack.append((value_node, (*at, key), depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            if node.tag != f"{_TAG}seq":
                yield Finding(at, _tag_problem(node))
                continue
            for index, item in enumerate(node.value):
                stack.append((item, (*at, index), depth + 1))


def _expanded_size(root: yaml.Node, most_values: int, most_text: int) -> tuple[int, int] | None:
    """How many values, and how many bytes of keys and scalars, the document holds with every alias
    expanded: counted without expanding, each distinct node once (an alias is the same node object);
    stops as soon as either passes its bound. None for a node that contains itself (infinite)."""
    sizes: dict[int, tuple[int, int]] = {}
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if children_done or not children:
            own = len(node.value.encode("utf-8", "surrogatepass")) if isinstance(node, yaml.ScalarNode) else 0
            parts = [sizes[id(child)] for child in children]
            size = (1 + sum(v for v, _ in parts), own + sum(b for _, b in parts))
            sizes[id(node)] = size
            if size[0] > most_values or size[1] > most_text:
                return size
            continue
        if id(node) in entered:
            return None  # reached again below itself before it was counted: it contains itself
        entered.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _scalar_problem(node: yaml.ScalarNode) -> str | None:
    if node.tag not in _SCALARS:
        return _tag_problem(node)
    if node.tag == f"{_TAG}int" and sum(c.isdigit() for c in node.value) > MAX_DIGITS:
        return f"is a number of {sum(c.isdigit() for c in node.value)} digits (line {_line(node)}); no setting takes more than {MAX_DIGITS}"
    if node.tag == f"{_TAG}float" and node.value.lower().lstrip("+-") in (".inf", ".nan"):
        return f"is {node.value} (line {_line(node)}); a setting takes a finite number"
    if node.tag in _WHAT_IS and node.tag != f"{_TAG}null":
        # Only an explicit tag gets here with text its type cannot read (``!!int x``, ``!!bool maybe``):
        # YAML resolves plain text to int, float or bool only when it reads as one.
        try:
            _LOADER("").construct_object(node)
        except (ValueError, KeyError, TypeError, yaml.YAMLError):
            tag = node.tag.replace(_TAG, "!!")
            return f"is tagged {tag}, but {node.value!r} is not {_WHAT_IS[node.tag]} (line {_line(node)}); write {_WHAT_IS[node.tag]}, or drop the tag"
    return None


def _tag_problem(node: yaml.Node) -> str:
    tag = node.tag.replace(_TAG, "!!")
    kind = {"!!timestamp": "a date", "!!binary": "binary data", "!!set": "a set", "!!omap": "an ordered map", "!!pairs": "pairs"}.get(tag, f"a {tag} value")
    return (
        f"is {kind} (line {_line(node)}); a stack holds strings, numbers, booleans, null, lists and maps"
        + (": quote it to make it a string" if isinstance(node, yaml.ScalarNode) else "")
    )


def _key_problem(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode) and node.tag in _WHAT_IS:
        return f"has the key {node.value!r} (line {_line(node)}), which YAML reads as {_WHAT_IS[node.tag]}; quote it: '{node.value}'"
    return f"has a key that is not a string (line {_line(node)}); keys are names: write a plain or quoted string"
