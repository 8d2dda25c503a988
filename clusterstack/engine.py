"""The embedded engine: desired set -> plan -> apply to a target, recording state as it goes.

``plan`` is pure (clusterstack/plan.py); this module does the I/O around it: evaluating the
program, loading and writing state, refreshing from the target, applying change by change, and
saved plans.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from components.kube.kinds import ObjectKey

from .errors import ClusterstackError
from .evaluate import Evaluation, evaluate
from .plan import Change, Plan, destroy_plan, normalize, plan
from .project import Project
from .spec import load_platform
from .stackconfig import read_stack
from .state import STATE_DIR_ENV, Entry, State, StateStore
from .targets import DirectoryTarget, open_target

SAVED_PLAN_FORMAT = 1


@dataclass(frozen=True)
class Stack:
    """A stack's engine context: its project, state store and target."""

    project: Project
    name: str
    store: StateStore
    target: DirectoryTarget

    @classmethod
    def open(cls, project: Project, name: str, state_dir: Path | None = None) -> Stack:
        """The stack's store and target; the stack file is validated on the way (its target is in it)."""
        loaded = load_platform(read_stack(project, name))
        directory = state_dir if state_dir is not None else Path(os.environ.get(STATE_DIR_ENV, project.root / ".clusterstack"))
        return cls(project, name, StateStore(Path(directory), name), open_target(loaded.args.target, project.root, name))


def desired(evaluation: Evaluation) -> dict[ObjectKey, Entry]:
    return {d.key: Entry(d.key, str(d.component), d.manifest) for d in evaluation.objects}


@dataclass(frozen=True)
class Drift:
    key: ObjectKey
    kind: str
    """"deleted" (the file is gone) or "modified" (its content differs from state)."""


def refresh(stack: Stack, state: State | None) -> tuple[State | None, list[Drift]]:
    """State as the target holds it now, and what drifted. Pure on ``state``: returns a new one."""
    if state is None:
        return None, []
    refreshed = State(state.lineage, state.serial, dict(state.entries))
    drift = []
    for key, entry in sorted(state.entries.items(), key=lambda item: item[0].sort_key()):
        actual = stack.target.read(key)
        if actual is None:
            del refreshed.entries[key]
            drift.append(Drift(key, "deleted"))
        elif normalize(actual) != normalize(entry.manifest):
            refreshed.entries[key] = Entry(key, entry.component, actual)
            drift.append(Drift(key, "modified"))
    return refreshed, drift


def make_plan(stack: Stack, *, with_refresh: bool = False) -> tuple[Plan, State | None, list[Drift], Evaluation]:
    evaluation = evaluate(stack.project, stack.name)
    state = stack.store.load()
    drift: list[Drift] = []
    if with_refresh:
        state, drift = refresh(stack, state)
    return plan(desired(evaluation), state), state, drift, evaluation


def make_destroy_plan(stack: Stack) -> tuple[Plan, State | None]:
    state = stack.store.load()
    return destroy_plan(state), state


def guard(the_plan: Plan, allow_namespace_deletion: bool) -> None:
    if the_plan.unsafe and not allow_namespace_deletion:
        names = ", ".join(the_plan.namespace_deletions)
        raise ClusterstackError(
            [
                f"the plan deletes namespace(s) {names}, and with them everything inside (workloads, secrets, volumes); "
                "pass --allow-namespace-deletion if that is intended"
            ]
        )


def apply(stack: Stack, the_plan: Plan, state: State | None, on_change: Callable[[Change], None] = lambda change: None) -> State:
    """Apply change by change, recording state after each, so a killed run leaves state matching the target."""
    if state is None:
        state = stack.store.create()
    for change in the_plan.changes:
        stack.target.apply(change)
        if change.action == "delete":
            stack.store.record_delete(state, change.key)
        else:
            stack.store.record_put(state, Entry(change.key, change.component, change.after))
        on_change(change)
    stack.target.finalize(state.entries)
    stack.store.write(state)
    return state


def write_refreshed(stack: Stack, refreshed: State, drift: list[Drift]) -> None:
    """Record a refresh: the drifted objects as the target holds them (one journal entry each), then fold."""
    for item in drift:
        if item.kind == "deleted":
            stack.store.record_delete(refreshed, item.key)
        else:
            stack.store.record_put(refreshed, refreshed.entries[item.key])
    stack.store.write(refreshed)


# --- Saved plans ---------------------------------------------------------------------------------


def save_plan(path: Path, stack: Stack, the_plan: Plan, state: State | None) -> None:
    document = {
        "format": SAVED_PLAN_FORMAT,
        "stack": stack.name,
        "stateExisted": state is not None,
        "lineage": state.lineage if state is not None else None,
        "serial": state.serial if state is not None else None,
        "changes": [change.to_json() for change in the_plan.changes],
    }
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")


def load_saved_plan(path: Path, stack: Stack, state: State | None) -> Plan:
    """The saved plan, if it still applies to the state as it is now; otherwise a "stale" error."""
    try:
        document = json.loads(path.read_text())
        changes = tuple(Change.from_json(item) for item in document["changes"])
        if document["format"] != SAVED_PLAN_FORMAT:
            raise ValueError(f"format {document['format']}")
    except FileNotFoundError:
        raise ClusterstackError([f"{path}: no such plan file"]) from None
    except (ValueError, KeyError, TypeError) as error:
        raise ClusterstackError([f"{path}: not a clusterstack plan ({error})"]) from None
    if document["stack"] != stack.name:
        raise ClusterstackError([f"{path}: the plan is for stack {document['stack']}, not {stack.name}; it is stale for this stack"])
    if not document["stateExisted"]:
        if state is not None:
            raise ClusterstackError([f"{path}: the plan is stale: it was made before stack {stack.name} had state, and the state exists now; run preview again"])
    elif state is None or (state.lineage, state.serial) != (document["lineage"], document["serial"]):
        now = f"lineage {state.lineage} serial {state.serial}" if state is not None else "no state"
        raise ClusterstackError(
            [f"{path}: the plan is stale: it was made from state lineage {document['lineage']} serial {document['serial']}, the state is now {now}; run preview again"]
        )
    return Plan(changes)
