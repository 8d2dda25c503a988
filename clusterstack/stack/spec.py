"""From a stack's merged config to its validated spec, or to every problem found, each with its file and key."""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from pydantic_core import ErrorDetails

from components import ClusterPlatformArgs, Invalid
from components.model import Model

from ..errors import ClusterstackError, Problem
from .files import PREFIX, ConfigPath, StackConfig


class TargetSpec(Model):
    """``clusterstack:target``: where ``clusterstack up`` applies."""

    type: Literal["directory"] = "directory"
    path: str | None = None
    """The directory, relative to the project; default deploy/<stack>."""


class StackSpec(ClusterPlatformArgs):
    """A stack's whole ``clusterstack:`` config: the platform, and where the embedded engine applies it."""

    target: TargetSpec = Field(default_factory=TargetSpec)


@dataclass(frozen=True)
class Loaded:
    """A stack's validated spec and the warnings validating it found (valid settings that will hurt)."""

    args: StackSpec
    warnings: list[Problem]


def load_spec(config: StackConfig) -> Loaded:
    """The validated spec, or a ClusterstackError listing every problem found."""
    try:
        args = StackSpec.model_validate(config.platform_values())
    except ValidationError as error:
        raise ClusterstackError(_problems(error, config)) from None
    warnings = [config.problem(_config_path(path), message) for path, message in args.warnings()]
    return Loaded(args, warnings)


def _config_path(loc: tuple[str | int, ...]) -> ConfigPath:
    head, *rest = loc
    return (f"{PREFIX}{head}", *rest)


def _problems(error: ValidationError, config: StackConfig) -> list[Problem]:
    problems: list[Problem] = []
    for detail in error.errors():
        # pydantic marks an invalid mapping key with a trailing "[key]"; the key itself is the place.
        loc = tuple(part for part in detail["loc"] if part != "[key]")
        cause = (detail.get("ctx") or {}).get("error")
        if isinstance(cause, Invalid):
            for path, message in cause.problems:
                problems.append(config.problem(_config_path(loc + tuple(path)), message))
        else:
            problems.append(config.problem(_config_path(loc), _message(detail)))
    return list(dict.fromkeys(problems))


def _message(detail: ErrorDetails) -> str:
    kind, message, given = detail["type"], detail["msg"], detail.get("input")
    if kind == "extra_forbidden":
        known = _known_keys(StackSpec, detail["loc"][:-1])
        return f"unknown key{_suggest(str(detail['loc'][-1]), known)}"
    if kind == "missing":
        return "is required"
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind == "string_type" and isinstance(given, (bool, int, float)):
        return f'{_yaml(given)} is not a string; quote it in YAML ("{_yaml(given)}")'
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a map, not {_yaml(given)}"
    return f"{message} (got {_yaml(given)})"


def _yaml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return "a map" if isinstance(value, dict) else "a list"
    return repr(value) if isinstance(value, str) else str(value)


def _suggest(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.5)
    if close:
        return f"; did you mean {close[0]}?"
    return f" (known keys: {', '.join(sorted(known))})" if known else ""


def _known_keys(model: type, loc: tuple[str | int, ...]) -> list[str]:
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
