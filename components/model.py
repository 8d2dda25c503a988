"""The base every component's Args builds on: frozen pydantic models that validate themselves.

Stack files spell keys in camelCase (``podSecurity``, ``defaultRequest``); Python callers pass
keyword arguments in snake_case and nested settings as dicts in the stack files' spelling. Unknown
keys are errors. A cross-field rule that fails raises ``Invalid`` with the relative key path of each
problem, so a stack file error can name the exact key (``limits.container.default.cpu``) rather
than the model that holds it.

Where a Pulumi program would pass an Output (a namespace name from another resource, a selector
from a Deployment), the field is an ``...Input`` type: a plain value is validated at once, as
always; an Output is validated when it resolves, inside ``apply``, and fails the deployment with
the same message. Nothing here formats an Output into a string.

An Args is declared once, as its model's fields. What type checkers see of it as a caller writes it,
its ``…ArgsDict`` and its keyword-only constructor, is generated from those fields into its module
(``args_fronts.py``); at run time the constructor is pydantic's own.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails
from typing_extensions import Self

from ..kube import names
from ..kube.quantity import Quantity
from . import FIELD_DOCS_ENV

KeyPath = tuple[str | int, ...]
"""Where a problem is, relative to the model that found it: ("container", "default", "cpu")."""
Problems = Iterable[tuple[KeyPath, str]]
"""(key path, message) for each problem a rule finds."""


class Invalid(ValueError):
    """One or more cross-field problems, each at a key path relative to the model that found them."""

    def __init__(self, problems: Iterable[tuple[KeyPath, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{dotted(path)}: {message}" if path else message for path, message in self.problems))


def raise_problems(problems: Problems) -> None:
    found = list(problems)
    if found:
        raise Invalid(found)


def dotted(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        strict=False,
        validate_default=True,
        use_attribute_docstrings=os.environ.get(FIELD_DOCS_ENV) != "0",
    )

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Self:
        raise_problems(self._problems())
        return self

    def _problems(self) -> Problems:
        """Rules across fields, checked once every field is valid: (relative key path, message) each."""
        return ()


M = TypeVar("M", bound=BaseModel)


class ArgsError(ValueError):
    """Args a component cannot take: each problem on a line naming the component, its instance and the
    field path, worded as stack files' problems are (with the key a typo meant)."""


def args_for(model: type[M], args: Any, component: str, name: str) -> M:
    """``args`` as ``model`` (a dict in the stack files' spelling is validated), or an ArgsError."""
    if isinstance(args, model):
        return args
    try:
        return model.model_validate(args)
    except ValidationError as error:
        lines = [f'{component} "{name}": {dotted(path) if path else "args"}: {message}' for path, message in describe(error, model)]
        raise ArgsError("\n".join(lines)) from None


# --- pydantic's findings in the project's words -------------------------------------------------


def describe(error: ValidationError, model: type[BaseModel]) -> list[tuple[KeyPath, str]]:
    """Every problem in ``error``, at its key path (in the stack files' spelling), worded as a fix."""
    problems: list[tuple[KeyPath, str]] = []
    for detail in error.errors():
        # pydantic marks an invalid mapping key with a trailing "[key]"; the key itself is the place.
        loc = tuple(part for part in detail["loc"] if part != "[key]")
        cause = (detail.get("ctx") or {}).get("error")
        if isinstance(cause, Invalid):
            problems += [(loc + tuple(path), message) for path, message in cause.problems]
        else:
            problems.append((loc, _message(detail, model)))
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


# --- Plain values -----------------------------------------------------------------------------


def _parse_quantity(value: Any) -> Quantity:
    if isinstance(value, Quantity):
        return value
    quantity = Quantity.parse(value)
    if quantity.value < 0:
        raise ValueError(f"{quantity.text} is negative; quantities here must be 0 or more")
    return quantity


QuantityValue = Annotated[
    Quantity,
    BeforeValidator(_parse_quantity),
    PlainSerializer(lambda q: q.text, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$"},
                {"type": "number", "minimum": 0},
            ],
            "description": "A Kubernetes quantity: 500m, 2, 1.5, 128Mi, 1Gi, 1e3",
        }
    ),
]
"""A non-negative Kubernetes quantity; YAML numbers (``cpu: 1``) are read as their text."""


def _check(check: Callable[[str], list[str]], what: str) -> AfterValidator:
    def validate(value: str) -> str:
        reasons = check(value)
        if reasons:
            raise ValueError(f"{value!r} is not a valid {what}: {'; '.join(reasons)}")
        return value

    return AfterValidator(validate)


DnsLabel = Annotated[str, _check(names.dns1123_label, "name")]
DnsSubdomain = Annotated[str, _check(names.dns1123_subdomain, "name")]
LabelKey = Annotated[str, _check(names.qualified_name, "label key")]
LabelValue = Annotated[str, _check(names.label_value, "label value")]
AnnotationKey = Annotated[str, _check(names.qualified_name, "annotation key")]


ANNOTATIONS_LIMIT = 256 * 1024
"""The API server's limit on all of an object's annotations together, keys and values, in bytes
(TotalAnnotationSizeLimitB, k8s.io/apimachinery/pkg/api/validation/objectmeta.go)."""


def _annotations_size(annotations: dict[str, Any]) -> dict[str, Any]:
    total = sum(len(key.encode()) + len(value.encode()) for key, value in annotations.items() if isinstance(value, str))
    if total > ANNOTATIONS_LIMIT:
        raise ValueError(f"Too long: must have at most {ANNOTATIONS_LIMIT} bytes, keys and values together (these are {total})")
    return annotations


# --- Pulumi Inputs ------------------------------------------------------------------------------


def field_place(info: ValidationInfo) -> KeyPath:
    """Where a deployment's error names a field: the Args class and the field ("TenantNamespaceArgs", "name")."""
    return tuple(part for part in ((info.config or {}).get("title"), info.field_name) if part)


def checked_when_resolved(value: pulumi.Output[Any], validate: Callable[[Any], Any], at: KeyPath) -> pulumi.Output[Any]:
    """``value`` validated by ``validate`` when it resolves: a problem fails the deployment at ``at``
    and its own place, in the words a plain value gets."""

    def check(resolved: Any) -> Any:
        try:
            return validate(resolved)
        except ValidationError as error:
            raise Invalid([((*at, *path), message) for path, message in describe(error, BaseModel)]) from None

    return value.apply(check)


def deferred(plain: Any) -> WrapValidator:
    """Validate a plain value now; an Output when it resolves, with the same rules and message."""
    adapter: TypeAdapter[Any] = TypeAdapter(plain)

    def wrap(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        if not isinstance(value, pulumi.Output):
            return handler(value)
        return checked_when_resolved(value, adapter.validate_python, field_place(info))

    return WrapValidator(wrap)


if TYPE_CHECKING:
    DnsLabelInput = str | pulumi.Output[str]
    LabelValueInput = str | pulumi.Output[str]
    AnnotationValueInput = str | pulumi.Output[str]
    LabelsInput = Mapping[str, str | pulumi.Output[str]] | pulumi.Output[Mapping[str, str]]
    AnnotationsInput = Mapping[str, str | pulumi.Output[str]] | pulumi.Output[Mapping[str, str]]
    QuantityInput = Quantity | pulumi.Output[Quantity]
else:
    DnsLabelInput = Annotated[DnsLabel, deferred(DnsLabel)]
    LabelValueInput = Annotated[LabelValue, deferred(LabelValue)]
    AnnotationValueInput = Annotated[str, deferred(str)]
    LabelsInput = Annotated[dict[LabelKey, LabelValueInput], deferred(dict[LabelKey, LabelValue])]
    Annotations = Annotated[dict[AnnotationKey, str], AfterValidator(_annotations_size)]
    AnnotationsInput = Annotated[dict[AnnotationKey, AnnotationValueInput], AfterValidator(_annotations_size), deferred(Annotations)]
    QuantityInput = Annotated[QuantityValue, deferred(QuantityValue)]
"""Fields a program may fill from another resource's outputs. Each holds either the plain, validated
value or an Output that validates itself when it resolves."""

QuantityText = str | int | float
"""A quantity as a caller writes it: "500m", "1Gi", 2, 0.5."""


def check_label_keys(labels: Mapping[str, Any], where: str, reserved: Iterable[str]) -> Problems:
    """Labels a component sets itself may not also be given by hand: the two would fight."""
    for key in sorted(set(labels) & set(reserved)):
        yield (where, key), f"is set by clusterstack; remove it from {where}"
