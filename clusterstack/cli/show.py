"""Plans and drift for people (Terraform-style symbols, grouped by component) and for machines (JSON)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import Any

import click

from ..engine.plan import MISSING, Change, Plan
from ..engine.run import Drift
from ..engine.secrets import is_secret, masked
from ..errors import listed
from ..kube.manifest import SHOWN
from ..kube.serialize import to_yaml

SYMBOLS = {"create": ("+", "green"), "update": ("~", "yellow"), "replace": ("-/+", "magenta"), "delete": ("-", "red")}
_SHORT = 60


def plan_text(the_plan: Plan, *, full: bool = False, drift: Iterable[Drift] = (), notes: Iterable[str] = ()) -> str:
    """The plan for people: drift, the changes by component, ``notes`` (such as the reachability the
    plan changes), then the summary."""
    lines: list[str] = []
    drift = list(drift)
    if drift:
        lines.append("Drift found by refresh (the target no longer matches state):")
        lines += [f"  {d.kind}: {d.key}" for d in drift]
        lines.append("")
    groups: dict[str, list[Change]] = {}
    for change in the_plan.changes:
        groups.setdefault(change.component, []).append(change)
    for component in sorted(groups):
        lines.append(click.style(component, bold=True))
        for change in groups[component]:
            lines += _change_lines(change, full)
        lines.append("")
    notes = list(notes)
    if notes:
        lines += [*notes, ""]
    if the_plan.namespace_deletions:
        names = listed(the_plan.namespace_deletions)
        lines.append(click.style(f"UNSAFE: deletes namespace(s) {names} and everything in them (up needs --allow-namespace-deletion).", fg="red", bold=True))
    if the_plan.protected_deletions:
        names = ", ".join(str(c.key) for c in the_plan.protected_deletions)
        refused = f"REFUSED: {names} is protected and cannot be deleted or replaced; release its protection first (the error says where it comes from)."
        lines.append(click.style(refused, fg="red", bold=True))
    lines.append(the_plan.summary())
    return "\n".join(lines)


PROTECTED_REFUSED = "protected: refused"


def change_notes(change: Change) -> list[str]:
    """What sets a change apart: a patch (of the cluster's own object), a protected or retained object
    (the terminal's plan and the pull-request comment say the same)."""
    notes = []
    if change.patch:
        notes.append("patch of the cluster's own object: only its fields" + ("; the object stays" if change.action == "delete" else ""))
    if change.action == "delete" and change.deletion == "retain":
        notes.append("retained: forgotten, left where it is")
    elif change.action == "replace" and change.replaced_deletion == "retain":
        notes.append("retained: the old object is left where it is, so one of the same name is there already (pulumi up fails: AlreadyExists)")
    elif change.refused_as_protected:
        notes.append(PROTECTED_REFUSED)
    return notes



def _notes(change: Change) -> str:
    notes = change_notes(change)
    return f"  [{'; '.join(notes)}]" if notes else ""


def _change_lines(change: Change, full: bool) -> list[str]:
    symbol, colour = SYMBOLS[change.action]
    head = f"  {click.style(symbol, fg=colour)} {change.key}{_notes(change)}"
    if change.replace_reasons:
        head += f"  ({', '.join(change.replace_reasons)} forces replacement"
        head += "; deleted first, as it is explicitly named)" if change.delete_before_replace else ")"
    lines = [head]
    if change.action in ("update", "replace"):
        for field in change.fields:
            if is_secret(field.before) or is_secret(field.after):
                lines.append(f"      {field.dotted}: {_secret_change(field.before, field.after)}")
            elif _is_text(field.before) and _is_text(field.after):
                lines.append(f"      {field.dotted}:")
                lines += [f"          {line}" for line in text_diff(field.before, field.after, full)]
            else:
                lines.append(f"      {field.dotted}: {_value(field.before, full)} → {_value(field.after, full)}")
    elif full:
        manifest = change.after if change.action == "create" else change.before
        sign = "+" if change.action == "create" else "-"
        lines += [f"      {sign} {line}" for line in to_yaml(masked(manifest or {})).splitlines()]
    return lines


def _secret_change(before: Any, after: Any) -> str:
    """A secret's change, without its values: both sides sealed differently is all a plan knows. A
    side that is not sealed is still not shown (state written before clusterstack sealed secrets
    holds the old value in plain text)."""
    return f"{secret_side(before)} → {secret_side(after)} (changed)"


def secret_side(value: Any) -> str:
    return MISSING if value == MISSING else SHOWN


def _is_text(value: Any) -> bool:
    """A multi-line string (a Corefile, a config file in a ConfigMap): shown as a line diff."""
    return isinstance(value, str) and "\n" in value.rstrip("\n")


def text_diff(before: str, after: str, full: bool) -> list[str]:
    """The changed lines (with three lines of context under ``--diff``), as ``diff -u`` marks them."""
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=3 if full else 0)
    return [line for line in diff if not line.startswith(("---", "+++"))]


def _value(value: Any, full: bool) -> str:
    if value == MISSING:
        return MISSING
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    if not full and len(text) > _SHORT:
        return text[: _SHORT - 1] + "…"
    return text


def plan_json(the_plan: Plan, stack: str, drift: Iterable[Drift] = ()) -> str:
    add, change, destroy = the_plan.counts()
    document = {
        "stack": stack,
        "changes": [_masked_change(c) for c in the_plan.changes],
        "summary": {"add": add, "change": change, "destroy": destroy, "unchanged": the_plan.unchanged},
        "unsafe": {"namespaceDeletions": the_plan.namespace_deletions},
        "drift": [{"identity": str(d.key), "kind": d.kind} for d in drift],
    }
    return json.dumps(document, indent=2, sort_keys=True)


def _masked_change(change: Change) -> dict[str, Any]:
    """A change as JSON, its secret values ``[secret]`` (a field that holds one says ``"secret": true``)."""
    document = change.to_json()
    for field in document["fields"]:
        if is_secret(field["before"]) or is_secret(field["after"]):
            field["secret"] = True
            field["before"], field["after"] = secret_side(field["before"]), secret_side(field["after"])
    if document["before"] is not None and document["after"] is not None:
        # A property secret now is not shown before either (older state may hold it in plain text).
        secret = [name for name, value in document["after"].items() if is_secret(value)]
        document["before"] = {**document["before"], **{name: SHOWN for name in secret if name in document["before"]}}
    return masked(document)  # type: ignore[no-any-return]  # a dict stays a dict


def applied_line(change: Change) -> str:
    verbs = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}
    verb = "forgotten (retained)" if change.action == "delete" and change.deletion == "retain" else verbs[change.action]
    symbol, colour = SYMBOLS[change.action]
    return f"{click.style(symbol, fg=colour)} {change.key}{' (patch)' if change.patch else ''}: {verb}"
