"""The base every component's Args builds on: frozen pydantic models that validate themselves.

Stack files spell keys in camelCase (``podSecurity``, ``defaultRequest``); Python callers pass
keyword arguments in snake_case and nested settings as dicts in the stack files' spelling. Unknown
keys are errors. A cross-field rule that fails raises ``Invalid`` with the relative key path of each
problem, so a stack file error can name the exact key (``limits.container.default.cpu``) rather
than the model that holds it.

Where a Pulumi program would pass an Output (a namespace name from another resource, a selector
from a Deployment), the field is an ``...Input`` type (field_types.py): a plain value is validated at once, as
always; an Output is validated when it resolves, inside ``apply``, and fails the deployment with
the same message. Nothing here formats an Output into a string.

An Args is declared once, as its model's fields. What type checkers see of it as a caller writes it,
its ``…ArgsDict`` and its keyword-only constructor, is generated from those fields into its module
(``args_fronts.py``); at run time the constructor is pydantic's own.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ModelWrapValidatorHandler, ValidationError, model_validator
from pydantic.alias_generators import to_camel
from typing_extensions import Self

from .. import FIELD_DOCS_ENV
from ..kube.findings import Finding, Findings, Invalid, raise_problems
from ..kube.paths import dotted
from .field_types import (
    ANNOTATIONS_LIMIT,
    AnnotationKey,
    AnnotationsInput,
    AnnotationValueInput,
    DnsLabel,
    DnsLabelInput,
    DnsSubdomain,
    LabelKey,
    LabelsInput,
    LabelValue,
    LabelValueInput,
    QuantityInput,
    QuantityText,
    QuantityValue,
    checked_when_resolved,
    deferred,
    field_place,
)
from .pydantic_errors import describe, known_keys, yaml_text

__all__ = [  # re-exported while callers still import them from here (issue 22 moved them out)
    "ANNOTATIONS_LIMIT",
    "AnnotationKey",
    "AnnotationValueInput",
    "AnnotationsInput",
    "DnsLabel",
    "DnsLabelInput",
    "DnsSubdomain",
    "Invalid",
    "LabelKey",
    "LabelValue",
    "LabelValueInput",
    "LabelsInput",
    "QuantityInput",
    "QuantityText",
    "QuantityValue",
    "checked_when_resolved",
    "deferred",
    "describe",
    "field_place",
    "known_keys",
    "raise_problems",
    "yaml_text",
]

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

    # The finding protocol (tests/test_findings.py holds every model to it): a model says what is wrong
    # with itself in ``_problems`` (run when it is built, so a model that exists is valid) and what is
    # valid but probably not meant in ``warnings``; both are generators of Findings at key paths
    # relative to the model, and a holder prefixes its parts' findings with their keys. A block whose
    # rules read the cluster's facts (its domain, kube-proxy mode, distribution) also has
    # ``on_cluster(self, cluster)``, a generator of both kinds, run where block and cluster meet.

    def _problems(self) -> Findings:
        """Rules across fields, checked once every field is valid: errors, each at its relative key path."""
        yield from ()

    def warnings(self) -> Findings:
        """What is valid but probably not meant: warnings, each at its relative key path."""
        yield from ()


M = TypeVar("M", bound=BaseModel)

_VALIDATED: contextvars.ContextVar[dict[tuple[type, str], Any] | None] = contextvars.ContextVar("clusterstack_validated", default=None)


@contextmanager
def validating_once() -> Iterator[None]:
    """While it is open, a model that validates through ``validated_once`` is validated once for each
    input: a stack of a thousand tenants written alike validates one and shares it (models are frozen).
    A stack file's values are plain (str, numbers, booleans, None, lists, maps, or what YAML's safe
    loader builds, each of which its ``repr`` spells out whole), so two inputs with one ``repr`` are
    equal, of the same types and in the same order: they validate to equal models, with the same
    findings. Only a model that validated is kept; a failing input fails where it is, each time."""
    token = _VALIDATED.set({})
    try:
        yield
    finally:
        _VALIDATED.reset(token)


def validated_once(model: type[M], data: Any, handler: ModelWrapValidatorHandler[M]) -> M:
    """``handler(data)``, or inside ``validating_once``, the model an equal input validated to there."""
    validated = _VALIDATED.get()
    if validated is None or type(data) is not dict:
        return handler(data)
    key = (model, repr(data))
    known = validated.get(key)
    if known is None:
        known = validated[key] = handler(data)
    return known


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
        lines = [f'{component} "{name}": {dotted(found.path) if found.path else "args"}: {found.message}' for found in describe(error, model)]
        raise ArgsError("\n".join(lines)) from None


def check_label_keys(labels: Mapping[str, Any], where: str, reserved: Iterable[str]) -> Findings:
    """Labels a component sets itself may not also be given by hand: the two would fight."""
    for key in sorted(set(labels) & set(reserved)):
        yield Finding((where, key), f"is set by clusterstack; remove it from {where}")
