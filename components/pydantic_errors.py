"""pydantic's findings in the project's words: each problem of a ValidationError at its key path in the
stack files' spelling, worded as a fix (an unknown key with the key a typo meant, a value as YAML wrote
it), so a stack file's error and a component's ArgsError read alike.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..kube.findings import Finding, Invalid, prefixed


def describe(error: ValidationError, model: type[BaseModel]) -> list[Finding]:
    """Every problem in ``error``, at its key path (in the stack files' spelling), worded as a fix."""

    problems: list[Finding] = []
    for detail in error.errors():
        # pydantic marks an invalid mapping key with a trailing "[key]"; the key itself is the place.
        loc = tuple(part for part in detail["loc"] if part != "[key]")
        cause = (detail.get("ctx") or {}).get("error")
        if isinstance(cause, Invalid):
            problems += prefixed(loc, cause.problems)
        else:
            problems.append(Finding(loc, _message(detail, model)))
    return list(dict.fromkeys(problems))


def _message(detail: ErrorDetails, model: type[BaseModel]) -> str:
    kind, message, given_value = detail["type"], detail["msg"], detail.get("input")
    if kind == "extra_forbidden":
        return f"unknown key{_suggest(str(detail['loc'][-1]), known_keys(model, detail['loc'][:-1]))}"
    if kind == "missing":
        return "is required"
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind == "string_type" and isinstance(given_value, (bool, int, float)):
        return f'{yaml_text(given_value)} is not a string; quote it in YAML ("{yaml_text(given_value)}")'
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a map, not {yaml_text(given_value)}"
    context = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in (detail.get("ctx") or {}).items()}
    worded = _WORDING.get(kind)
    if worded is not None:
        return worded.format(**context, given=yaml_text(given_value))
    return f"{message} (got {yaml_text(given_value)})"


_WORDING = {
    "tuple_type": "must be a list, not {given}",
    "list_type": "must be a list, not {given}",
    "set_type": "must be a list, not {given}",
    "string_type": "must be a string, not {given}",
    "int_type": "must be a whole number, not {given}",
    "int_parsing": "must be a whole number, not {given}",
    "int_from_float": "must be a whole number, not {given}",
    "float_type": "must be a number, not {given}",
    "float_parsing": "must be a number, not {given}",
    "finite_number": "must be a finite number, not {given}",
    "bool_type": "must be true or false, not {given}",
    "bool_parsing": "must be true or false, not {given}",
    "literal_error": "must be one of {expected}, not {given}",
    "enum": "must be one of {expected}, not {given}",
    "greater_than": "must be more than {gt}, not {given}",
    "greater_than_equal": "must be at least {ge}, not {given}",
    "less_than": "must be less than {lt}, not {given}",
    "less_than_equal": "must be at most {le}, not {given}",
    "too_short": "must have at least {min_length} item(s), not {actual_length}",
    "too_long": "must have at most {max_length} item(s), not {actual_length}",
    "string_too_short": "must have at least {min_length} character(s)",
    "string_too_long": "must have at most {max_length} character(s)",
    "none_required": "must be null, not {given}",
}
"""pydantic's error types, in the words of a fix (and pydantic's own words for the rest)."""


def yaml_text(value: Any, limit: int = 80) -> str:
    """A value as the stack file wrote it: true, null, 'text', 3, a map, a list; a long one cut."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list, tuple)):
        return "a map" if isinstance(value, dict) else "a list"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else f"{text[: limit - 25]}…({len(text):,} characters)"


def _suggest(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.5)
    if close:
        return f"; did you mean {close[0]}?"
    return f" (known keys: {', '.join(sorted(known))})" if known else ""


def known_keys(model: type, loc: tuple[str | int, ...]) -> list[str]:
    """The keys a stack file may write at ``loc``, found by walking the model's field types."""
    node: Any = model
    for part in loc:
        node = _step(node, part)
        if node is None:
            return []
    node = _unwrap(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        return [field.alias or name for name, field in node.model_fields.items()]
    return []


def _step(node: Any, part: str | int) -> Any:
    node = _unwrap(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        for name, field in node.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    origin, args = typing.get_origin(node), typing.get_args(node)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin in (list, tuple) and args:
        return args[0]
    return None


def _unwrap(node: Any) -> Any:
    """Optional[X] -> X; Annotated[X, ...] -> X; a union of a model and others -> the model."""
    while True:
        origin = typing.get_origin(node)
        if origin is typing.Annotated:
            node = typing.get_args(node)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(node) if a is not type(None)]
            models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
            node = models[0] if models else options[0]
        else:
            return node
