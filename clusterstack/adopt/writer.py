"""Writing imported values into a stack file the way a person would: its comments, key order, flow
or block style and quoting kept (ruamel.yaml's round trip, which PyYAML cannot make), new keys added
after the existing ones, values already there kept unless ``overwrite``.

New scalars are quoted exactly when the project's own reader (PyYAML, YAML 1.1) would read them as
something other than the text they are: ``"8"`` stays a quantity's text, ``"no"`` a label's value, a
date-like string a string. ruamel.yaml speaks YAML 1.2, where ``no`` is plain text, so it cannot be
left to decide.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from ..errors import ClusterstackError, Problem
from ..kube.serialize import Loader
from ..stack.files import PREFIX

HEADER = "# yaml-language-server: $schema=stack-file.schema.json\n"
"""What every shipped stack file starts with: editors complete and check it (docs/stack-files.md)."""
_FLOW_WIDTH = 100
"""A map or list of scalars shorter than this, written out, goes on one line ({team: payments}), as
the shipped stack files write labels, quotas and port lists."""


@dataclass
class Merged:
    """The stack file's new text, and the paths whose value in the file was kept over the imported one."""

    text: str
    kept: list[str] = field(default_factory=list)


def merge(text: str | None, values: Mapping[str, Any], display: str, *, overwrite: bool = False, header: str = "") -> Merged:
    """``text`` (a stack file; None: none yet) with ``values`` (``clusterstack:`` keys without the
    prefix) merged in. Maps merge key by key; a value the file has (a scalar, a list) is kept unless
    ``overwrite``."""
    document = _load(text if text is not None else f"{HEADER}{header}config:\n", display)
    if document is None:
        document = CommentedMap()
    if not isinstance(document, CommentedMap):
        raise ClusterstackError([Problem(display, "", "must be a map with a config: key (a Pulumi stack file)")])
    config = document.get("config")
    if config is None:
        config = document["config"] = CommentedMap()
    if not isinstance(config, CommentedMap):
        raise ClusterstackError([Problem(display, "config", "must be a map of namespace:key to value")])
    result = Merged("")
    for key, value in values.items():
        # A bare key is the project's own (Pulumi reads ``namespaces:`` as ``clusterstack:namespaces``).
        where = key if key in config and f"{PREFIX}{key}" not in config else f"{PREFIX}{key}"
        _merge(config, where, value, overwrite, where, result.kept)
    result.text = _dump(document)
    return result


def _load(text: str, display: str) -> Any:
    try:
        return _yaml().load(text)
    except YAMLError as error:
        raise ClusterstackError([Problem(display, "", f"is not valid YAML: {' '.join(str(error).split())}")]) from None


def _yaml() -> YAML:
    handler = YAML(typ="rt")
    handler.preserve_quotes = True
    handler.width = 4096  # never fold a long line the user wrote on one
    handler.indent(mapping=2, sequence=4, offset=2)  # as the shipped stack files: "key:\n  - item"
    # [{port: 80}] as written, not ruamel.yaml's default [port: 80] (the same value, which no one writes).
    handler.brace_single_entry_mapping_in_flow_sequence = True
    return handler


def _dump(document: Any) -> str:
    out = io.StringIO()
    _yaml().dump(document, out)
    return out.getvalue()


def _merge(parent: CommentedMap, key: str, value: Any, overwrite: bool, path: str, kept: list[str]) -> None:
    if key not in parent:
        parent[key] = styled(value)
        return
    current = parent[key]
    if isinstance(current, Mapping) and isinstance(value, Mapping):
        for inner, item in value.items():
            _merge(current, inner, item, overwrite, f"{path}.{inner}", kept)  # type: ignore[arg-type]  # a CommentedMap, as loaded
        return
    if _plain(current) == _plain(value):
        return
    if overwrite:
        parent[key] = styled(value)
    else:
        kept.append(path)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


def styled(value: Any) -> Any:
    """``value`` as ruamel.yaml should write it: short maps and lists of scalars on one line, every
    string PyYAML would misread quoted."""
    if isinstance(value, Mapping):
        node = CommentedMap((_scalar(str(k)), styled(v)) for k, v in value.items())
        if value and all(_is_scalar(v) for v in value.values()) and _short(value):
            node.fa.set_flow_style()
        else:
            node.fa.set_block_style()
        return node
    if isinstance(value, (list, tuple)):
        seq = CommentedSeq(styled(v) for v in value)
        if value and all(_is_scalar(v) or _flat_pairs(v) for v in value) and _short(value):
            seq.fa.set_flow_style()
        else:
            seq.fa.set_block_style()
        return seq
    return _scalar(value) if isinstance(value, str) else value


def _flat_pairs(value: Any) -> bool:
    """A map of scalars: written in a flow list as {port: 443, protocol: TCP}."""
    return isinstance(value, Mapping) and bool(value) and all(_is_scalar(x) for x in value.values())


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (Mapping, list, tuple))


def _short(value: Any) -> bool:
    return len(yaml.safe_dump(_plain(value), default_flow_style=True, width=10_000)) < _FLOW_WIDTH


def _scalar(text: str) -> str:
    """``text`` double-quoted when PyYAML would not read it back, plain, as this very string."""
    if _plain_reads_back(text):
        return text
    quoted: str = DoubleQuotedScalarString(text)
    return quoted


@functools.lru_cache(maxsize=4096)
def _plain_reads_back(text: str) -> bool:
    try:
        read = yaml.load(text, Loader=_LOADER) if text.strip() == text and text and "\n" not in text else None
    except yaml.YAMLError:
        return False
    return read == text and isinstance(read, str) and not text.startswith(("*", "&", "!", "@", "`", "%", "'", '"'))


# libyaml's parser when PyYAML was built with it, as the project's reader uses (stack/yamlfile.py).
_LOADER: type[yaml.SafeLoader] = Loader
