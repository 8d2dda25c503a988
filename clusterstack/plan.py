"""The plan: a pure function from the desired objects and the state to an ordered list of typed changes.

Equal things never show as changes: manifests are normalised before they are compared (quantities
by value, integer-or-string ports, empty versus absent maps and lists, key order). A change to a
field the API server will not update in place is a replacement, as pulumi-kubernetes decides it,
and says which field forces it. Creates and updates run in kind order (Namespaces and RBAC before
what uses them), deletes in reverse. Deleting a Namespace deletes everything in it, so a plan that
does is marked unsafe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from deepdiff import DeepDiff

from components.kube.kinds import ObjectKey
from components.kube.quantity import Quantity, QuantityError

from .state import Entry, State

Action = Literal["create", "update", "replace", "delete"]

# Maps whose values are quantities (resources.requests/limits, quota hard, LimitRange bounds, capacity).
_QUANTITY_MAPS = frozenset({"requests", "limits", "hard", "min", "max", "default", "defaultRequest", "maxLimitRequestRatio", "capacity", "allocatable", "used"})
_QUANTITY_FIELDS = frozenset({"sizeLimit", "storage"})
_PORT_FIELDS = frozenset({"port", "targetPort", "containerPort", "nodePort", "hostPort", "endPort"})

# Fields the API server will not change in place, by kind: what pulumi-kubernetes replaces on.
IMMUTABLE_FIELDS: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "Deployment": (("spec", "selector"),),
    "DaemonSet": (("spec", "selector"),),
    "ReplicaSet": (("spec", "selector"),),
    "StatefulSet": (("spec", "selector"), ("spec", "serviceName"), ("spec", "volumeClaimTemplates"), ("spec", "podManagementPolicy")),
    "Service": (("spec", "clusterIP"), ("spec", "clusterIPs")),
    "RoleBinding": (("roleRef",),),
    "ClusterRoleBinding": (("roleRef",),),
    "ResourceQuota": (("spec", "scopes"),),
    "PersistentVolumeClaim": (("spec", "accessModes"), ("spec", "storageClassName"), ("spec", "selector"), ("spec", "volumeName")),
    "Job": (("spec", "template"), ("spec", "selector")),
}


@dataclass(frozen=True)
class FieldChange:
    path: tuple[str | int, ...]
    before: Any
    after: Any
    """``MISSING`` on the side where the field is absent."""

    @property
    def dotted(self) -> str:
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        return text


MISSING = "(absent)"


@dataclass(frozen=True)
class Change:
    action: Action
    key: ObjectKey
    component: str
    before: dict | None
    after: dict | None
    fields: tuple[FieldChange, ...] = ()
    replace_reasons: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "action": self.action,
            "key": self.key._asdict(),
            "identity": str(self.key),
            "component": self.component,
            "before": self.before,
            "after": self.after,
            "fields": [{"path": f.dotted, "keys": list(f.path), "before": f.before, "after": f.after} for f in self.fields],
            "replaceReasons": list(self.replace_reasons),
        }

    @classmethod
    def from_json(cls, data: dict) -> Change:
        fields = tuple(FieldChange(tuple(f["keys"]), f["before"], f["after"]) for f in data["fields"])
        return cls(data["action"], ObjectKey(**data["key"]), data["component"], data["before"], data["after"], fields, tuple(data["replaceReasons"]))


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    unchanged: int = 0

    @property
    def namespace_deletions(self) -> list[str]:
        """Namespaces the plan deletes (or replaces): everything in them goes too."""
        return sorted(c.key.name for c in self.changes if c.key.kind == "Namespace" and c.key.group == "" and c.action in ("delete", "replace"))

    @property
    def unsafe(self) -> bool:
        return bool(self.namespace_deletions)

    def counts(self) -> tuple[int, int, int]:
        """Terraform's summary: a replacement counts as one to add and one to destroy."""
        add = sum(c.action in ("create", "replace") for c in self.changes)
        change = sum(c.action == "update" for c in self.changes)
        destroy = sum(c.action in ("delete", "replace") for c in self.changes)
        return add, change, destroy

    def summary(self) -> str:
        if not self.changes:
            return "No changes."
        add, change, destroy = self.counts()
        return f"Plan: {add} to add, {change} to change, {destroy} to destroy."


def plan(desired: Mapping[ObjectKey, Entry], state: State | None) -> Plan:
    """What must change for the target to hold exactly ``desired``, in the order to apply it."""
    current = state.entries if state is not None else {}
    changes: list[Change] = []
    unchanged = 0
    for key, wanted in desired.items():
        have = current.get(key)
        if have is None:
            changes.append(Change("create", key, wanted.component, None, wanted.manifest))
            continue
        before, after = normalize(have.manifest), normalize(wanted.manifest)
        if before == after:
            unchanged += 1
            continue
        fields = diff_fields(before, after, have.manifest, wanted.manifest)
        reasons = _replace_reasons(key.kind, fields)
        action: Action = "replace" if reasons else "update"
        changes.append(Change(action, key, wanted.component, have.manifest, wanted.manifest, fields, reasons))
    for key, have in current.items():
        if key not in desired:
            changes.append(Change("delete", key, have.component, have.manifest, None))
    return Plan(tuple(order(changes)), unchanged)


def destroy_plan(state: State | None) -> Plan:
    return plan({}, state)


def order(changes: list[Change]) -> list[Change]:
    """Creates, updates and replacements in kind order; then deletes in reverse kind order."""
    forward = sorted((c for c in changes if c.action != "delete"), key=lambda c: c.key.sort_key())
    backward = sorted((c for c in changes if c.action == "delete"), key=lambda c: c.key.sort_key(), reverse=True)
    return forward + backward


def _replace_reasons(kind: str, fields: tuple[FieldChange, ...]) -> tuple[str, ...]:
    reasons = []
    for immutable in IMMUTABLE_FIELDS.get(kind, ()):
        if any(f.path[: len(immutable)] == immutable for f in fields):
            reasons.append(".".join(immutable))
    return tuple(reasons)


def normalize(value: Any, key: str | None = None) -> Any:
    """The manifest as compared: quantities and ports by value, empty containers dropped."""
    if isinstance(value, dict):
        quantities = key in _QUANTITY_MAPS
        result = {}
        for name, item in value.items():
            if quantities and isinstance(item, (str, int, float)) and not isinstance(item, bool):
                item = _quantity(item)
            else:
                item = normalize(item, name)
            if item in ({}, [], None):
                continue
            result[name] = item
        return result
    if isinstance(value, list):
        return [normalize(item) for item in value]
    if key in _PORT_FIELDS and isinstance(value, str) and value.isdigit():
        return int(value)
    if key in _QUANTITY_FIELDS and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return _quantity(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _quantity(value: str | int | float) -> Any:
    try:
        return Quantity.parse(value).canonical()
    except QuantityError:
        return value


def diff_fields(before: dict, after: dict, raw_before: dict, raw_after: dict) -> tuple[FieldChange, ...]:
    """The changed leaves between two normalised manifests, as typed field changes (never raw DeepDiff),
    each showing the values as written (``4`` → ``4500m``, not their canonical forms)."""
    tree = DeepDiff(before, after, view="tree", ignore_order=False)
    changes = []
    for category, levels in tree.items():
        for level in levels:
            path = tuple(level.path(output_format="list"))
            old = MISSING if category.endswith("_added") else _lookup(raw_before, path, level.t1)
            new = MISSING if category.endswith("_removed") else _lookup(raw_after, path, level.t2)
            changes.append(FieldChange(path, old, new))
    return tuple(sorted(changes, key=lambda c: [str(p) for p in c.path]))


def _lookup(manifest: Any, path: tuple, fallback: Any) -> Any:
    for part in path:
        try:
            manifest = manifest[part]
        except (KeyError, IndexError, TypeError):
            return fallback
    return manifest
