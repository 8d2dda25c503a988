"""Saved plans: ``preview --out`` records a plan with the state it was made from; ``up --plan``
applies exactly it, and refuses it as stale once the state has moved on."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import ClusterstackError
from .plan import Change, Plan
from .state import State

SAVED_PLAN_FORMAT = 1


def save_plan(path: Path, stack: str, the_plan: Plan, state: State | None) -> None:
    document = {
        "format": SAVED_PLAN_FORMAT,
        "stack": stack,
        "stateExisted": state is not None,
        "lineage": state.lineage if state is not None else None,
        "serial": state.serial if state is not None else None,
        "changes": [change.to_json() for change in the_plan.changes],
    }
    try:
        # Secret values are in it only sealed (secrets.py); the file is its owner's all the same.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            os.fchmod(handle.fileno(), 0o600)  # (a plan saved over keeps its mode through O_TRUNC)
            handle.write(json.dumps(document, indent=1, sort_keys=True) + "\n")
    except OSError as error:
        raise ClusterstackError([f"--out {path}: the plan cannot be written there ({error.strerror})"]) from None


def load_saved_plan(path: Path, stack: str, state: State | None) -> Plan:
    """The saved plan, if it still applies to the state as it is now; otherwise a "stale" error."""
    try:
        document = json.loads(path.read_text())
        changes = tuple(Change.from_json(item) for item in document["changes"])
        saved_format = document["format"]
    except FileNotFoundError:
        raise ClusterstackError([f"{path}: no such plan file"]) from None
    except OSError as error:
        raise ClusterstackError([f"{path}: the plan cannot be read ({error.strerror})"]) from None
    except (ValueError, KeyError, TypeError) as error:
        raise ClusterstackError([f"{path}: not a clusterstack plan ({error})"]) from None
    if saved_format != SAVED_PLAN_FORMAT:
        raise ClusterstackError([f"{path}: not a clusterstack plan (format {saved_format}, not {SAVED_PLAN_FORMAT})"])
    if document["stack"] != stack:
        raise ClusterstackError([f"{path}: the plan is for stack {document['stack']}, not {stack}; it is stale for this stack"])
    if not document["stateExisted"]:
        if state is not None:
            raise ClusterstackError([f"{path}: the plan is stale: it was made before stack {stack} had state, and the state exists now; run preview again"])
    elif state is None or (state.lineage, state.serial) != (document["lineage"], document["serial"]):
        now = f"lineage {state.lineage} serial {state.serial}" if state is not None else "no state"
        made_from = f"lineage {document['lineage']} serial {document['serial']}"
        raise ClusterstackError([f"{path}: the plan is stale: it was made from state {made_from}, the state is now {now}; run preview again"])
    return Plan(changes)
