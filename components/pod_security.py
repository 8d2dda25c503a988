"""Pod Security Admission labels for a namespace (Enforcing Pod Security Standards with namespace labels)."""

from __future__ import annotations

import re
from typing import Any, Literal, TypedDict, get_args

from pydantic import GetJsonSchemaHandler, field_validator, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from .model import Model

Level = Literal["privileged", "baseline", "restricted"]
LEVELS: tuple[Level, ...] = get_args(Level)
Mode = Literal["enforce", "audit", "warn"]
MODES: tuple[Mode, ...] = get_args(Mode)
LABEL_PREFIX = "pod-security.kubernetes.io/"
_VERSION = re.compile(r"^(latest|v1\.[0-9]+)$")


class PodSecurityArgsDict(TypedDict, total=False):
    """``podSecurity`` as a dict: a level per mode, and the version they pin."""

    enforce: Level
    audit: Level
    warn: Level
    version: str


class PodSecurity(Model):
    """Which Pod Security Standard each admission mode applies; a mode left unset is not labelled.

    A plain level (``podSecurity: restricted``) sets all three modes to it.
    """

    enforce: Level | None = None
    """Pods that violate the level are rejected."""
    audit: Level | None = None
    """Violations are recorded in the audit log."""
    warn: Level | None = None
    """Violations are returned to the user as warnings."""
    version: str = "latest"
    """The standard's version each set mode pins: ``latest`` or ``v1.N`` (the admission plugin's format)."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            if data not in LEVELS:
                raise ValueError(f"{data!r} is not a Pod Security level: use privileged, baseline or restricted")
            return dict.fromkeys(MODES, data)
        return data

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not _VERSION.match(value):
            raise ValueError(f"{value!r} is not a Pod Security version: use latest or v1.N (e.g. v1.34)")
        return value

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # The plain-level shorthand is accepted too (the before-validator above turns it into a model).
        return {"anyOf": [{"type": "string", "enum": list(LEVELS)}, handler(core_schema)]}

    def labels(self) -> dict[str, str]:
        labels = {}
        for mode in MODES:
            level = getattr(self, mode)
            if level is not None:
                labels[f"{LABEL_PREFIX}{mode}"] = level
                labels[f"{LABEL_PREFIX}{mode}-version"] = self.version
        return labels
