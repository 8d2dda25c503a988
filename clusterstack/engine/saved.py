"""Saved plans: ``preview --out`` records a plan with everything it was made from; ``up --plan``
applies exactly it, or nothing.

A saved plan records the project (its name and a digest of its directory's path), the stack, the
state's lineage and serial, whether the target was read back first, a digest of the evaluation it
came from (the desired objects, the target, the provider settings) and a digest of its own content.

What binds the plan to what was reviewed is not the content digest: anyone who can edit the file
can recompute it. It only names accidental damage precisely. ``up --plan`` evaluates the program
again and plans again against the same state, and applies only when that evaluation has the
recorded digest and that plan is, change for change, the one in the file; otherwise it refuses and
names what differs. So an edited value, an appended object or a flipped ``deletion`` is refused even
with a matching content digest, and a protected Namespace stays protected.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ClusterstackError
from ..files import write_atomic
from ..stack.project import Project
from .plan import Change, Plan
from .state import State

SAVED_PLAN_FORMAT = 2
_SHOWN = 8
"""How many differences a refusal names before it counts the rest."""


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _digest(value: Any) -> str:
    return "sha256:" + hashlib.sha256(_canonical(value)).hexdigest()


def project_identity(project: Project) -> dict[str, str]:
    """The project as a plan names it: its name, and a digest of its directory's resolved path (the
    path itself is not needed to recognise it, and a plan may be passed around)."""
    return {"name": project.name, "root": _digest(str(project.root.resolve()))}


def evaluation_digest(evaluation_json: dict[str, Any]) -> str:
    """What a plan is made from, besides state: the desired objects (with how they are held and
    replaced), the target and the provider settings; not warnings or the program's outputs."""
    return _digest({key: evaluation_json.get(key) for key in ("objects", "target", "providers")})


@dataclass(frozen=True)
class SavedPlan:
    """A saved plan as read back, before it is checked against the program and state."""

    path: Path
    document: dict[str, Any]
    plan: Plan

    @property
    def refreshed(self) -> bool:
        """Whether preview read the target back first: up --plan does the same, so drift since then shows."""
        return bool(self.document["refresh"])


def plan_document(
    project: Project, stack: str, the_plan: Plan, state: State | None, evaluation_json: dict[str, Any], *, refreshed: bool
) -> dict[str, Any]:
    document = {
        "format": SAVED_PLAN_FORMAT,
        "project": project_identity(project),
        "stack": stack,
        "state": {"existed": state is not None, "lineage": state.lineage if state is not None else None, "serial": state.serial if state is not None else None},
        "refresh": refreshed,
        "evaluation": evaluation_digest(evaluation_json),
        "changes": [change.to_json() for change in the_plan.changes],
    }
    return {**document, "digest": _digest(document)}


def save_plan(path: Path, document: dict[str, Any]) -> None:
    """Write the plan atomically: a run interrupted at any moment leaves the previous plan whole."""
    data = (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
    try:
        write_atomic(path, data, 0o600, sync_directory=True)
    except OSError as error:
        raise ClusterstackError([f"--out {path}: cannot write the plan there ({error.strerror}); the previous file, if any, is unchanged"]) from None


def read_plan(path: Path, project: Project, stack: str) -> SavedPlan:
    """The saved plan at ``path``, checked for what needs no evaluation: it is whole, unedited by its
    digest, and made in this project for this stack."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ClusterstackError([f"{path}: no such plan file"]) from None
    except OSError as error:
        raise ClusterstackError([f"{path}: cannot read the plan ({error.strerror})"]) from None
    try:
        document = json.loads(raw)
    except ValueError as error:
        problem = "it is cut short (truncated)" if raw.strip() and _cut_short(raw) else f"it is not JSON ({error})"
        raise ClusterstackError([f"{path}: not a whole clusterstack plan: {problem}; run clusterstack preview -s {stack} --out {path} again"]) from None
    again = f"run clusterstack preview -s {stack} --out {path} again"
    if not isinstance(document, dict) or document.get("format") != SAVED_PLAN_FORMAT:
        found = document.get("format") if isinstance(document, dict) else None
        raise ClusterstackError([f"{path}: not a clusterstack plan of format {SAVED_PLAN_FORMAT} (format {found!r}); {again}"])
    try:
        changes = tuple(Change.from_json(item) for item in document["changes"])
        recorded, made_in, for_stack = document["digest"], document["project"], document["stack"]
        shaped = isinstance(document["state"]["existed"], bool) and isinstance(document["refresh"], bool) and isinstance(document["evaluation"], str)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ClusterstackError([f"{path}: not a clusterstack plan ({error!r})"]) from None
    if not shaped:
        raise ClusterstackError([f"{path}: not a clusterstack plan (state.existed, refresh or evaluation is missing or of the wrong type)"])
    if recorded != _digest({k: v for k, v in document.items() if k != "digest"}):
        raise ClusterstackError([f"{path}: the plan was changed after preview wrote it (its content digest does not match); it is refused: {again}"])
    here = project_identity(project)
    if made_in != here:
        where = "another project" if made_in.get("name") != here["name"] else "a copy of this project in another directory"
        made = f"project {made_in.get('name')!r}"
        raise ClusterstackError([f"{path}: the plan was made in {where} ({made}), not in project {here['name']!r} at {project.root}; it is refused"])
    if for_stack != stack:
        raise ClusterstackError([f"{path}: the plan is for stack {for_stack}, not {stack}; it is refused"])
    return SavedPlan(path, document, Plan(changes))


def _cut_short(raw: bytes) -> bool:
    """Whether a plan that is not JSON looks cut short: preview ends every plan with its closing brace."""
    return not raw.rstrip().endswith(b"}")


def check_state(saved: SavedPlan, stack: str, state: State | None) -> None:
    """The state must be the one the plan was made from (same lineage and serial), or still absent."""
    made = saved.document["state"]
    path = saved.path
    if not made["existed"]:
        if state is not None:
            raise ClusterstackError([f"{path}: the plan is stale: it was made before stack {stack} had state, and the state exists now; run preview again"])
    elif state is None or (state.lineage, state.serial) != (made["lineage"], made["serial"]):
        now = f"lineage {state.lineage} serial {state.serial}" if state is not None else "no state"
        then = f"lineage {made['lineage']} serial {made['serial']}"
        raise ClusterstackError([f"{path}: the plan is stale: it was made from state {then}, the state is now {now}; run preview again"])


def check_reviewed(saved: SavedPlan, stack: str, evaluation_json: dict[str, Any], now: Plan) -> None:
    """Refuse unless the program evaluates as it did and the plan made again now is the saved one,
    change for change; the refusal names what differs."""
    differences = plan_differences(saved.plan.changes, now.changes)
    program_changed = evaluation_digest(evaluation_json) != saved.document["evaluation"]
    if not program_changed and not differences:
        return
    again = f"run clusterstack preview -s {stack} --out {saved.path} again and review it"
    if program_changed:
        cause = "the program or its stack files now declare something else than when the plan was made"
        if not differences:
            differences = ["its changes are the same, but not what they apply with (the target or the provider settings)"]
    elif saved.refreshed:
        cause = "the plan file differs from the plan made again now (it was edited, or the target changed since preview read it)"
    else:
        cause = "the plan file differs from the plan made again now: it was edited after preview wrote it"
    raise ClusterstackError([f"{saved.path}: refused: {cause}: {'; '.join(differences)}; {again}"])


def plan_differences(saved: Iterable[Change], now: Iterable[Change]) -> list[str]:
    """Each object whose change differs between the saved plan and the one made now, named."""
    before = {str(c.key): c for c in saved}
    after = {str(c.key): c for c in now}
    found = []
    for identity in sorted(before.keys() | after.keys()):
        was, is_ = before.get(identity), after.get(identity)
        if was is None and is_ is not None:
            found.append(f"{identity}: the plan file has no change for it, now it is {_a(is_.action)}")
        elif is_ is None and was is not None:
            found.append(f"{identity}: the plan file has {_a(was.action)} of it, now there is none")
        elif was is not None and is_ is not None and _canonical(was.to_json()) != _canonical(is_.to_json()):
            found.append(f"{identity}: {_how_it_differs(was, is_)}")
    if len(found) > _SHOWN:
        found = [*found[:_SHOWN], f"and {len(found) - _SHOWN} more"]
    return found


def _a(action: str) -> str:
    return f"an {action}" if action == "update" else f"a {action}"


def _how_it_differs(was: Change, is_: Change) -> str:
    if was.action != is_.action:
        return f"{_a(was.action)} in the plan file, {_a(is_.action)} now"
    if was.deletion != is_.deletion:
        return f"deletion: {was.deletion} in the plan file, {is_.deletion} now"
    paths = _differing_paths(was.after, is_.after, "") or _differing_paths(was.before, is_.before, "(before) ")
    if not paths:
        return "how it is held or replaced differs"
    shown = ", ".join(paths[:4]) + (f" and {len(paths) - 4} more" if len(paths) > 4 else "")
    return f"{shown} differ{'s' if len(paths) == 1 else ''} from the plan file"


def _differing_paths(saved: Any, now: Any, prefix: str) -> list[str]:
    """The dotted paths where two manifests differ (the leaves, or where their shapes part)."""
    if isinstance(saved, dict) and isinstance(now, dict):
        found = []
        for key in sorted(saved.keys() | now.keys(), key=str):
            found += _differing_paths(saved.get(key), now.get(key), f"{prefix}{key}." if key in saved and key in now else f"{prefix}{key}")
        return [path.rstrip(".") for path in found]
    if isinstance(saved, list) and isinstance(now, list) and len(saved) == len(now):
        return [p for index, (a, b) in enumerate(zip(saved, now, strict=True)) for p in _differing_paths(a, b, f"{prefix.rstrip('.')}[{index}].")]
    return [] if _canonical(saved) == _canonical(now) else [prefix.rstrip(".") or "(the object)"]


