"""The annotated field types an Args is written with: Kubernetes names, label keys and values,
annotations and quantities, each checked by the API server's rules when a model is built; and their
``...Input`` forms, where a Pulumi program may pass an Output: a plain value is validated at once, an
Output when it resolves, inside ``apply``, failing the deployment with the same message.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)

from ..kube import names
from ..kube.findings import Invalid, prefixed
from ..kube.paths import KeyPath
from ..kube.quantity import Quantity
from .pydantic_errors import describe

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
            raise Invalid(prefixed(at, describe(error, BaseModel))) from None

    return value.apply(check)


def deferred(plain: Any) -> WrapValidator:
    """Validate a plain value now; an Output when it resolves, with the same rules and message."""
    # Built on the first Output only: a stack file never passes one, and each adapter is a schema
    # and a validator built when the module loads, on every command's path.
    @functools.cache
    def adapter() -> TypeAdapter[Any]:
        return TypeAdapter(plain)

    def wrap(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        if not isinstance(value, pulumi.Output):
            return handler(value)
        return checked_when_resolved(value, adapter().validate_python, field_place(info))

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
