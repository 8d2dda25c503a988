"""A stack file's values straight from the YAML parser's events, in one pass: what yamlfile.py's
compose, check and construct give for a file they find nothing wrong with, without the node tree.

The node tree is what made reading a large stack expensive: every key and value of a 10,000-namespace
stack (6 MB, 500,000 values) became a node with two position marks, about 190 MiB held until the
values were built beside it, and the walks over it took most of the two seconds. Here each event
becomes its value at once, and positions are never kept: they only serve messages, and a file with
anything to say about it is read again the careful way (``parse_yaml``), which finds and words every
problem as before. So this reader need not word anything; it only has to be sure. It answers
``UNSURE`` for anything the careful way could refuse (a tag, a key that is not a string or appears
twice, a merge key, a number of too many digits or not finite, nesting near the bound, an anchor named
twice, an alias to no value or to one not yet complete, the expanded size past its bound, another
document, a YAML error) and for
anything it would build differently; everything else it builds exactly as PyYAML's SafeConstructor
does, an alias being the same object as its anchor's value.

Each distinct string is kept once (a stack repeats ``cpu``, ``memory`` and ``4Gi`` thousands of
times), and so is each number, boolean and null, so the values cost what they hold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from yaml.events import AliasEvent, DocumentEndEvent, MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent, StreamEndEvent

UNSURE: Any = object()
"""What ``read_values`` answers for a document the careful reader must see."""

_TAG = "tag:yaml.org,2002:"
_STR = f"{_TAG}str"
_MAP = f"{_TAG}map"
_SEQ = f"{_TAG}seq"
_OTHER_SCALARS = frozenset({f"{_TAG}int", f"{_TAG}float", f"{_TAG}bool", f"{_TAG}null"})
_NO_KEY: Any = object()
"""The open mapping's next scalar is a key."""


class _Unsure(Exception):
    """The careful reader must see this document."""


def read_values(text: str, loader: type[yaml.SafeLoader], most: tuple[int, int] | None, max_depth: int, max_digits: int) -> Any:
    """The one document of ``text`` as plain values, or UNSURE. ``most``: how many values and how many
    bytes of keys and scalar text it may expand to through its aliases (None: it holds no alias,
    so it expands to what it writes and is not counted); ``max_depth``, ``max_digits``: yamlfile's bounds."""
    parser = loader(text)
    try:
        return _Reader(parser, most, max_depth, max_digits).document()
    except (_Unsure, yaml.YAMLError):
        return UNSURE
    finally:
        parser.dispose()


class _Reader:
    def __init__(self, parser: yaml.SafeLoader, most: tuple[int, int] | None, max_depth: int, max_digits: int) -> None:
        self.parser = parser
        self.most = most
        self.max_depth = max_depth
        self.max_digits = max_digits
        self.plain_tags: dict[str, str] = {}
        """The tag YAML's implicit resolution gives each plain scalar (the same text, the same tag)."""
        self.strings: dict[str, str] = {}
        self.others: dict[tuple[str, str], Any] = {}
        """Numbers, booleans and nulls by tag and text, built once."""

    def document(self) -> Any:
        get: Callable[[], Any] = self.parser.get_event
        get()  # the stream's start
        if type(get()) is StreamEndEvent:
            return None  # an empty file, as yaml.compose reads it
        value = self._values()
        if type(get()) is not StreamEndEvent:
            raise _Unsure  # another document
        return value

    def _values(self) -> Any:
        """The document's root value, from the event after its start to its end (consumed)."""
        get: Callable[[], Any] = self.parser.get_event
        resolve: Callable[[type[yaml.Node], str, tuple[bool, bool]], str] = self.parser.resolve
        plain_tags, strings = self.plain_tags, self.strings
        counting = self.most is not None
        max_depth = self.max_depth
        # ``node``: the open collection values go into (None outside the root), ``key``: the key its next
        # value goes under; ``enclosing``: per open collection, what ``node``, ``key`` and ``in_map``
        # were outside it (so its length is how deep a value is nested).
        enclosing: list[tuple[Any, Any, bool]] = []
        node: Any = None
        key: Any = _NO_KEY
        in_map = False
        root: Any = None
        value: Any
        # Only with aliases: values and text so far (aliases expanded), and depths, for the bounds.
        count = size = deepest = 0
        anchors: dict[str, tuple[Any, int, int, int] | None] = {}
        """Each anchor's value, its expanded values and text, and its height; None while it is open
        (and when not counting: then only its name matters, which a second anchor may not reuse)."""
        opened: list[tuple[str | None, int, int, int]] = []
        """Per open collection: its anchor, the count and size before it, and ``deepest`` outside it."""
        while True:
            event = get()
            kind = type(event)
            if kind is ScalarEvent:
                text = event.value
                tag = event.tag
                if tag is None or tag == "!":
                    if event.implicit[0]:
                        tag = plain_tags.get(text)
                        if tag is None:
                            tag = plain_tags[text] = resolve(yaml.ScalarNode, text, event.implicit)
                    else:
                        tag = _STR
                if tag == _STR:
                    value = strings.setdefault(text, text)
                elif in_map and key is _NO_KEY:
                    raise _Unsure  # a key that is not a string
                else:
                    value = self._other(tag, text)
                own = 0
                if counting:
                    own = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
                    count += 1
                    size += own
                anchor = event.anchor
                if anchor is not None:
                    if anchor in anchors:
                        raise _Unsure  # an anchor defined twice: yaml.compose refuses it
                    anchors[anchor] = (value, 1, own, 0) if counting else None
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.tag is not None and event.tag not in ("!", _MAP if kind is MappingStartEvent else _SEQ):
                    raise _Unsure
                depth = len(enclosing)
                if depth >= max_depth:
                    raise _Unsure  # its values would be nested past the bound (or it is at the bound)
                value = {} if kind is MappingStartEvent else []
                anchor = event.anchor
                if anchor is not None:
                    if anchor in anchors:
                        raise _Unsure
                    anchors[anchor] = None
                if counting:
                    opened.append((anchor, count, size, deepest))
                    count += 1
                    deepest = depth + 1  # as deep as its values may be; what is outside comes back at its end
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                done = node
                node, key, in_map = enclosing.pop()
                if counting:
                    anchor, count_before, size_before, deepest_outside = opened.pop()
                    if anchor is not None:
                        depth = len(enclosing)
                        anchors[anchor] = (done, count - count_before, size - size_before, deepest - depth)
                    deepest = max(deepest, deepest_outside)
                continue
            elif kind is AliasEvent:
                target = anchors.get(event.anchor) if counting else None
                if target is None:
                    raise _Unsure  # undefined, or still open: a value that holds itself
                value, values, text_size, height = target
                depth = len(enclosing)
                if depth + height > max_depth:
                    raise _Unsure
                count += values
                size += text_size
                deepest = max(deepest, depth + height)
            elif kind is DocumentEndEvent:
                break
            else:
                raise _Unsure
            # ``value`` goes where the open collection expects it.
            if in_map:
                if key is _NO_KEY:
                    if kind is not ScalarEvent or tag != _STR or value in node:
                        raise _Unsure  # a key that is not a string, or one seen before in this map
                    key = value
                else:
                    node[key] = value
                    key = _NO_KEY
            elif node is not None:
                node.append(value)
            else:
                root = value
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                enclosing.append((node, key, in_map))
                node, key, in_map = value, _NO_KEY, kind is MappingStartEvent
        if counting:
            assert self.most is not None
            if count > self.most[0] or size > self.most[1]:
                raise _Unsure
        return root

    def _other(self, tag: str, text: str) -> Any:
        """A number, boolean or null, as SafeConstructor builds it; UNSURE for anything else."""
        known = self.others.get((tag, text), _NO_KEY)
        if known is not _NO_KEY:
            return known
        if tag not in _OTHER_SCALARS:
            raise _Unsure
        if tag == f"{_TAG}int" and sum(c.isdigit() for c in text) > self.max_digits:
            raise _Unsure
        if tag == f"{_TAG}float" and text.lower().lstrip("+-") in (".inf", ".nan"):
            raise _Unsure
        try:
            construct: Callable[[yaml.SafeLoader, yaml.ScalarNode], Any] = self.parser.yaml_constructors[tag]
            value = construct(self.parser, yaml.ScalarNode(tag, text))
        except Exception:  # noqa: BLE001 - whatever building it raises, the careful reader raises too
            raise _Unsure from None
        self.others[(tag, text)] = value
        return value
