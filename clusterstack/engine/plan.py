"""The plan: a pure function from the desired objects and the state to an ordered list of typed changes.

Equal things never show as changes: manifests are normalised before they are compared (quantities
by value, integer-or-string ports, empty versus absent maps and lists, key order). A change to a
field the API server will not update in place is a replacement, as pulumi-kubernetes decides it,
and says which field forces it; so is a change the program's ``replaceOnChanges`` option covers, as
the Pulumi engine decides it. Creates and updates run in kind order (Namespaces and RBAC before
what uses them), deletes in reverse. Deleting a Namespace deletes everything in it, so a plan that
does is marked unsafe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from ..errors import ClusterstackError, listed
from ..kube.fields import PORT_FIELDS, QUANTITY_FIELDS, QUANTITY_MAPS
from ..kube.kinds import ObjectKey
from ..kube.lifecycle import Deletion
from ..kube.manifest import Manifest
from ..kube.paths import dotted
from ..kube.quantity import Quantity, QuantityError
from ..program.options import ReplaceOptions, replace_on_changes_reasons
from .replace import ProviderSettings, replace_reasons
from .state import Entry, State

Action = Literal["create", "update", "replace", "delete"]
ACTIONS: tuple[Action, ...] = get_args(Action)
_SIDES = {
    "create": "an object after and none before",
    "update": "an object before and after",
    "replace": "an object before and after",
    "delete": "an object before and none after",
}


class UnsafePlan(ClusterstackError):
    """The plan deletes something whose loss is not recoverable (a Namespace and all it holds); it
    needs an explicit override to apply."""


@dataclass(frozen=True)
class FieldChange:
    path: tuple[str | int, ...]
    before: Any
    after: Any
    """``MISSING`` on the side where the field is absent."""

    @property
    def dotted(self) -> str:
        return dotted(self.path)


MISSING = "(absent)"


@dataclass(frozen=True)
class Change:
    action: Action
    key: ObjectKey
    component: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    fields: tuple[FieldChange, ...] = ()
    replace_reasons: tuple[str, ...] = ()
    delete_before_replace: bool = False
    """The old object goes before the new one comes: pulumi-kubernetes asks for it when its own rules
    replace an explicitly named object, the program when it sets ``deleteBeforeReplace``."""
    patch: bool = False
    """A server-side-apply patch of an object the cluster already has: applying it sets only its
    fields; deleting it releases them and leaves the object."""
    deletion: Deletion = "delete"
    """How the object is held (after the change): a ``delete`` of a ``protect``ed one is refused, of a
    ``retain``ed one forgets it."""
    replaced_deletion: Deletion | None = None
    """A replacement's: how the object it replaces was held. The replacement is refused only when it
    is protected and stays so (step_generator.go: "we do allow unprotecting and replacing to happen
    in a single update cycle"); state records ``deletion``, the new holding."""

    @property
    def refused_as_protected(self) -> bool:
        """It deletes a protected object, or replaces one that stays protected."""
        if self.action == "delete":
            return self.deletion == "protect"
        return self.action == "replace" and self.replaced_deletion == "protect" and self.deletion == "protect"

    @property
    def held_before(self) -> Deletion:
        """How the object this change removes (a deleted or replaced one) was held."""
        return self.replaced_deletion if self.replaced_deletion is not None else self.deletion

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "key": self.key.to_json(),
            "identity": str(self.key),
            "component": self.component,
            "before": self.before,
            "after": self.after,
            "fields": [{"path": f.dotted, "keys": list(f.path), "before": f.before, "after": f.after} for f in self.fields],
            "replaceReasons": list(self.replace_reasons),
            "deleteBeforeReplace": self.delete_before_replace,
            "patch": self.patch,
            "deletion": self.deletion,
            "replacedDeletion": self.replaced_deletion,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        """A change as ``to_json`` wrote it; a ValueError when it is not one (a hand-edited saved plan)."""
        action = data["action"]
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        before, after = data["before"], data["after"]
        if (action == "delete") != (after is None) or (action == "create") != (before is None):
            raise ValueError(f"a {action} of {data.get('identity', data['key'])} must have {_SIDES[action]}")
        fields = tuple(FieldChange(tuple(f["keys"]), f["before"], f["after"]) for f in data["fields"])
        return cls(
            action,
            ObjectKey.from_json(data["key"]),
            data["component"],
            before,
            after,
            fields,
            tuple(data["replaceReasons"]),
            bool(data.get("deleteBeforeReplace", False)),
            bool(data.get("patch", False)),
            data.get("deletion", "delete"),
            data.get("replacedDeletion"),
        )


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    unchanged: int = 0

    @property
    def namespace_deletions(self) -> list[str]:
        """Namespaces the plan deletes (or replaces): everything in them goes too. A retained one is
        only forgotten, and a patch's deletion releases its fields, so neither counts."""
        return sorted(
            str(c.key.name if not c.key.cluster else f"{c.key.cluster}: {c.key.name}")
            for c in self.changes
            if c.key.kind == "Namespace" and c.key.group == "" and c.action in ("delete", "replace") and not c.patch and c.held_before != "retain"
        )

    @property
    def protected_deletions(self) -> list[Change]:
        """Changes that delete (or replace) a protected object: refused, whatever the flags say."""
        return [c for c in self.changes if c.refused_as_protected]

    @property
    def unsafe(self) -> bool:
        return bool(self.namespace_deletions) or bool(self.protected_deletions)

    def check_safe(self, allow_namespace_deletion: bool) -> None:
        """Raise UnsafePlan when the plan deletes a protected object (never allowed: release it first,
        as Pulumi refuses it), or deletes namespaces without ``allow_namespace_deletion``."""
        problems = [f"{c.key} is protected and cannot be {c.action}d: {protection_source(c)}" for c in self.protected_deletions]
        deleted = [name for name in self.namespace_deletions if not any(c.key.name == name for c in self.protected_deletions)]
        if deleted and not allow_namespace_deletion:
            names = listed(deleted)
            problems.append(
                f"the plan deletes namespace(s) {names}, and with them everything inside (workloads, secrets, volumes); "
                "pass --allow-namespace-deletion if that is intended"
            )
        if problems:
            raise UnsafePlan(problems)

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


def protection_source(change: Change) -> str:
    """Where a refused change's protection comes from, and how to release it. The program registered
    the object with Pulumi's ``protect`` option; a tenant's ``deletion: protect`` sets it on the
    tenant's Namespace only, and a ``protect`` given to a component reaches every child (the SDK's
    ``Resource.__init__`` passes it down), so only a tenant's Namespace can owe it to either."""
    component = change.component
    tenant = change.key.kind == "Namespace" and change.key.group == "" and component.startswith("TenantNamespace ")
    holder = f"{component} (or a component around it)" if component != "(program)" else "it"
    if tenant:
        source = (
            f"the tenant's deletion: protect (in a stack file, clusterstack:namespaces.{change.key.name}.deletion or clusterstack:namespaceDeletion) "
            f"or the protect option given to {holder}"
        )
        release = "set the tenant's deletion to delete, or drop that protect option"
    else:
        source = f"the protect option given to {holder}"
        release = "drop that protect option (protect=False)"
    return (
        f"its protection comes from {source}; release it first: {release}, keeping the object in the program, and apply that; "
        "then it can go (Pulumi refuses it the same way)"
    )


Settings = Mapping[str, ProviderSettings]
"""The pulumi-kubernetes provider settings of each cluster ("" for the program's default provider)."""
Options = Mapping[ObjectKey, ReplaceOptions]
"""The resource options the program registered each desired object with (those that set any)."""
_NO_OPTIONS = ReplaceOptions()


def plan(desired: Mapping[ObjectKey, Entry], state: State | None, settings: Settings | None = None, options: Options | None = None) -> Plan:
    """What must change for the target to hold exactly ``desired``, in the order to apply it; a change
    that pulumi-kubernetes would make by replacing the object (with the cluster's provider
    ``settings``), or that the program's ``replaceOnChanges`` covers (its ``options``), is a
    replacement here too.

    Only the new program's options count, as in the Pulumi engine (step_generator.go applies the
    goal's ``ReplaceOnChanges``), so state never holds them: removing the option from the program
    makes the next change to that field an update again."""
    current = state.entries if state is not None else {}
    changes: list[Change] = []
    unchanged = 0
    for key, wanted in desired.items():
        have = current.get(key)
        if have is None:
            changes.append(Change("create", key, wanted.component, None, wanted.manifest, patch=wanted.patch, deletion=wanted.deletion))
            continue
        same_holding = (have.patch, have.deletion) == (wanted.patch, wanted.deletion)
        if same_holding and have.manifest == wanted.manifest:  # the usual case, without normalising either
            unchanged += 1
            continue
        before, after = normalize(have.manifest), normalize(wanted.manifest)
        if before == after and same_holding:
            unchanged += 1
            continue
        fields = diff_fields(before, after, have.manifest, wanted.manifest)
        changed = [f.path for f in fields]  # the properties Pulumi diffs: not how the object is held
        if have.deletion != wanted.deletion:
            fields = (*fields, FieldChange(("(deletion)",), have.deletion, wanted.deletion))
        if have.patch != wanted.patch:
            # Two different Pulumi resources (ConfigMap, ConfigMapPatch): the old one goes, the new one comes.
            reasons: tuple[str, ...] = ("onExisting (a patch of the cluster's own object)" if wanted.patch else "onExisting (the object itself, not a patch)",)
            delete_first = True
        else:
            # A patch is updated in place: only its name or namespace would make the provider replace it.
            provider = (settings or {}).get(key.cluster, ProviderSettings())
            forced = () if wanted.patch else replace_reasons(key, wanted.manifest, changed, provider)
            requested = (options or {}).get(key, _NO_OPTIONS)
            reasons = tuple(dict.fromkeys((*forced, *replace_on_changes_reasons(requested.replace_on_changes, changed))))
            # The provider asks to delete first only for its own reasons; the program's option, when set, overrides it.
            delete_first = requested.delete_before_replace if requested.delete_before_replace is not None else bool(forced)
        action: Action = "replace" if reasons else "update"
        changes.append(
            Change(
                action, key, wanted.component, have.manifest, wanted.manifest, fields, reasons,
                delete_before_replace=bool(reasons) and delete_first, patch=wanted.patch, deletion=wanted.deletion,
                replaced_deletion=have.deletion if reasons else None,
            )
        )  # fmt: skip
    for key, have in current.items():
        if key not in desired:
            changes.append(Change("delete", key, have.component, have.manifest, None, patch=have.patch, deletion=have.deletion))
    return Plan(tuple(order(changes)), unchanged)


def destroy_plan(state: State | None) -> Plan:
    return plan({}, state)


def order(changes: list[Change]) -> list[Change]:
    """Creates, updates and replacements in kind order; then deletes in reverse kind order."""
    forward = sorted((c for c in changes if c.action != "delete"), key=lambda c: c.key.sort_key())
    backward = sorted((c for c in changes if c.action == "delete"), key=lambda c: c.key.sort_key(), reverse=True)
    return forward + backward


def normalize(value: Any, key: str | None = None) -> Any:
    """The manifest as compared: quantities and ports by value, empty containers dropped."""
    if isinstance(value, dict):
        quantities = key in QUANTITY_MAPS
        result = {}
        for name, item in value.items():
            is_scalar = isinstance(item, (str, int, float)) and not isinstance(item, bool)
            compared = _quantity(item) if quantities and is_scalar else normalize(item, name)
            if compared in ({}, [], None):
                continue
            result[name] = compared
        return result
    if isinstance(value, list):
        return [normalize(item) for item in value]
    if key in PORT_FIELDS and isinstance(value, str) and value.isdigit():
        return int(value)
    if key in QUANTITY_FIELDS and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return _quantity(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _quantity(value: str | int | float) -> Any:
    try:
        return Quantity.parse(value).canonical()
    except QuantityError:
        return value


def diff_fields(before: Manifest, after: Manifest, raw_before: Manifest, raw_after: Manifest) -> tuple[FieldChange, ...]:
    """The changed leaves between two normalised manifests, as typed field changes (never raw DeepDiff),
    each showing the values as written (``4`` → ``4500m``, not their canonical forms)."""
    from deepdiff import DeepDiff  # here, not at the top: a plan without updates never needs it, and it is slow to import

    tree = DeepDiff(before, after, view="tree", ignore_order=False)
    changes = []
    for category, levels in tree.items():
        for level in levels:
            path = tuple(level.path(output_format="list"))
            old = MISSING if category.endswith("_added") else _lookup(raw_before, path, level.t1)
            new = MISSING if category.endswith("_removed") else _lookup(raw_after, path, level.t2)
            changes.append(FieldChange(path, old, new))
    return tuple(sorted(changes, key=lambda c: [str(p) for p in c.path]))


def _lookup(manifest: Any, path: tuple[str | int, ...], fallback: Any) -> Any:
    for part in path:
        try:
            manifest = manifest[part]
        except (KeyError, IndexError, TypeError):
            return fallback
    return manifest
