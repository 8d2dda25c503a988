"""The base every component's Args builds on: frozen pydantic models that validate themselves.

Stack files spell keys in camelCase (``podSecurity``, ``defaultRequest``), Python callers may use
either spelling. Unknown keys are errors. A cross-field rule that fails raises ``Invalid`` with the
relative key path of each problem, so a stack file error can name the exact key
(``limits.container.default.cpu``) rather than the model that holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema, model_validator
from pydantic.alias_generators import to_camel
from typing_extensions import Self

from .kube import names
from .kube.quantity import Quantity

KeyPath = tuple[str | int, ...]
"""Where a problem is, relative to the model that found it: ("container", "default", "cpu")."""
Problems = Iterable[tuple[KeyPath, str]]
"""(key path, message) for each problem a rule finds."""


class Invalid(ValueError):
    """One or more cross-field problems, each at a key path relative to the model that found them."""

    def __init__(self, problems: Iterable[tuple[KeyPath, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{_dotted(path)}: {message}" if path else message for path, message in self.problems))


def raise_problems(problems: Problems) -> None:
    found = list(problems)
    if found:
        raise Invalid(found)


def _dotted(path: KeyPath) -> str:
    return ".".join(str(part) for part in path)


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        strict=False,
        validate_default=True,
        use_attribute_docstrings=True,
    )

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Self:
        raise_problems(self._problems())
        return self

    def _problems(self) -> Problems:
        """Rules across fields, checked once every field is valid: (relative key path, message) each."""
        return ()


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


def check_label_keys(labels: Mapping[str, Any], where: str, reserved: Iterable[str]) -> Problems:
    """Labels a component sets itself may not also be given by hand: the two would fight."""
    for key in sorted(set(labels) & set(reserved)):
        yield (where, key), f"is set by clusterstack; remove it from {where}"
