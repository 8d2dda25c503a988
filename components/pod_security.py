r"""Pod Security Admission labels for a namespace (Enforcing Pod Security Standards with namespace labels).

The admission plugin's rules for the labels (staging/src/k8s.io/pod-security-admission/api/helpers.go,
ParseLevel and ParseVersion, and admission/admission.go, which refuses a Namespace whose labels do
not parse): a level is privileged, baseline or restricted; a version is ``latest`` or ``v1.N`` with no
leading zero (``^v1\.([0-9]|[1-9][0-9]*)$``). A version newer than the cluster is evaluated as the
cluster's latest until the cluster reaches it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypedDict, get_args

from pydantic import GetJsonSchemaHandler, field_validator, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from ..kube.findings import Finding, Findings, warning
from . import labels as standard
from .inputs import merged
from .model import Model

Level = Literal["privileged", "baseline", "restricted"]
LEVELS: tuple[Level, ...] = get_args(Level)
Mode = Literal["enforce", "audit", "warn"]
MODES: tuple[Mode, ...] = get_args(Mode)
LABEL_PREFIX = "pod-security.kubernetes.io/"
_LABEL_CONFLICT = (
    "conflicts with podSecurity, which sets the Pod Security labels (a level per mode, and each mode's version "
    "with version, enforceVersion, auditVersion, warnVersion); remove one of them"
)
_VERSION = re.compile(r"latest|v1\.([0-9]|[1-9][0-9]*)")


# <generated from the fields of PodSecurity by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class PodSecurityArgsDict(TypedDict, total=False):
    """``PodSecurity`` as a dict, in the stack files' spelling."""

    enforce: Level
    audit: Level
    warn: Level
    version: str
    enforceVersion: str
    auditVersion: str
    warnVersion: str
# </generated>


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

    # <generated from the fields of PodSecurity by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, enforce: Level | None = None, audit: Level | None = None, warn: Level | None = None, version: str = "latest",
            enforce_version: str | None = None, audit_version: str | None = None, warn_version: str | None = None,
        ) -> None: ...
    # </generated>

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
        if value is not None and not _VERSION.fullmatch(value):
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

    def is_empty(self) -> bool:
        """No mode set: no label is written, so the cluster's admission default applies."""
        return all(getattr(self, mode) is None for mode in MODES)

    def version_of(self, mode: Mode) -> str:
        own: str | None = getattr(self, f"{mode}_version")
        return own if own is not None else self.version

    def _problems(self) -> Findings:
        for mode in MODES:
            if getattr(self, mode) is None and getattr(self, f"{mode}_version") is not None:
                yield Finding((f"{mode}Version",), f"{mode} sets no level, so there is nothing for its version to pin; set {mode} or remove {mode}Version")


def namespace_labels(labels: Any, pod_security: PodSecurity | None) -> Any:
    """A Namespace's labels: those given (a map, or an Output of one) and ``pod_security``'s, which
    neither the given ones nor clusterstack's own may set."""
    psa = pod_security.labels() if pod_security is not None else {}
    return merged(labels, psa, reserved=(*standard.RESERVED, *psa))


def label_problems(labels: Mapping[str, Any], pod_security: PodSecurity | None) -> Findings:
    """Pod Security labels written by hand: next to ``podSecurity``, which sets them, the two would
    fight; on their own, they must parse as the admission plugin parses them, or it refuses the
    Namespace (its wording: ``Invalid value: "strict": must be one of privileged, baseline, restricted``)."""
    for key in sorted(k for k in labels if k.startswith(LABEL_PREFIX)):
        if pod_security is not None:
            yield Finding(("labels", key), _LABEL_CONFLICT)
            continue
        value, mode = labels[key], key.removeprefix(LABEL_PREFIX)
        if not isinstance(value, str):
            continue  # an Output, or a type the label rules report
        if mode in MODES and value not in LEVELS:
            yield Finding(("labels", key), f'Invalid value: "{value}": must be one of privileged, baseline, restricted')
        elif mode.removesuffix("-version") in MODES and mode.endswith("-version") and not _VERSION.fullmatch(value):
            yield Finding(("labels", key), f'Invalid value: "{value}": must be "latest" or "v1.x"')


def pinned_ahead(pod_security: PodSecurity, kubernetes_version: str) -> Findings:
    """Versions newer than the cluster: a mode pinned to one is evaluated as the cluster's ``latest``
    until the cluster reaches it, so an upgrade on the way changes what it checks, which pinning is
    meant to stop. One finding per key (``version`` or a mode's own)."""
    minor = int(kubernetes_version.split(".")[1])
    ahead: dict[str, list[Mode]] = {}
    for mode in MODES:
        version = pod_security.version_of(mode)
        if getattr(pod_security, mode) is not None and version != "latest" and int(version.removeprefix("v1.")) > minor:
            key = f"{mode}Version" if getattr(pod_security, f"{mode}_version") is not None else "version"
            ahead.setdefault(key, []).append(mode)
    for key, modes in ahead.items():
        yield warning(
            (key,),
            (f"{pod_security.version_of(modes[0])} is newer than the cluster ({kubernetes_version}): {' and '.join(modes)} "
            f"{'applies' if len(modes) == 1 else 'apply'} the cluster's latest until the cluster reaches it, so upgrades on the way "
            f"change what is checked; pin v{kubernetes_version}"),
        )
