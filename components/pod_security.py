"""Pod Security Admission labels for a namespace (Enforcing Pod Security Standards with namespace labels)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, TypedDict, get_args

from pydantic import GetJsonSchemaHandler, field_validator, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from .model import Model, Problems

Level = Literal["privileged", "baseline", "restricted"]
LEVELS: tuple[Level, ...] = get_args(Level)
Mode = Literal["enforce", "audit", "warn"]
MODES: tuple[Mode, ...] = get_args(Mode)
LABEL_PREFIX = "pod-security.kubernetes.io/"
_LABEL_CONFLICT = (
    "conflicts with podSecurity, which sets the Pod Security labels (a level per mode, and each mode's version "
    "with version, enforceVersion, auditVersion, warnVersion); remove one of them"
)
_VERSION = re.compile(r"^(latest|v1\.[0-9]+)$")


class PodSecurityArgsDict(TypedDict, total=False):
    """``podSecurity`` as a dict: a level per mode, and the version they pin."""

    enforce: Level
    audit: Level
    warn: Level
    version: str
    enforceVersion: str
    auditVersion: str
    warnVersion: str


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
    """The standard's version each set mode pins, unless the mode's own version says otherwise:
    ``latest`` or ``v1.N`` (the admission plugin's format)."""
    enforce_version: str | None = None
    """The version ``enforce`` applies; None: ``version``. The page's advice: pin it to the cluster's
    minor (``v1.34``), so an upgrade cannot start rejecting pods, and audit and warn at ``latest``."""
    audit_version: str | None = None
    """The version ``audit`` applies; None: ``version``."""
    warn_version: str | None = None
    """The version ``warn`` applies; None: ``version``."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            if data not in LEVELS:
                raise ValueError(f"{data!r} is not a Pod Security level: use privileged, baseline or restricted")
            return dict.fromkeys(MODES, data)
        return data

    @field_validator("version", "enforce_version", "audit_version", "warn_version")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        if value is not None and not _VERSION.match(value):
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
                labels[f"{LABEL_PREFIX}{mode}-version"] = self.version_of(mode)
        return labels

    def version_of(self, mode: Mode) -> str:
        own: str | None = getattr(self, f"{mode}_version")
        return own if own is not None else self.version

    def _problems(self) -> Problems:
        for mode in MODES:
            if getattr(self, mode) is None and getattr(self, f"{mode}_version") is not None:
                yield (f"{mode}Version",), f"{mode} sets no level, so there is nothing for its version to pin; set {mode} or remove {mode}Version"


def label_conflicts(labels: Mapping[str, Any], pod_security: PodSecurity | None) -> Problems:
    """Pod Security labels written by hand next to ``podSecurity``, which sets them: the two would fight."""
    if pod_security is None:
        return
    for key in sorted(k for k in labels if k.startswith(LABEL_PREFIX)):
        yield ("labels", key), _LABEL_CONFLICT
