"""Adoption in the embedded engine: the objects a cluster already has, recorded in the stack's state
as applied, so the engine's plan shows only what would really change on that cluster.

After ``clusterstack import``, the stack declares what the cluster has; ``pulumi up`` takes the
objects over (``onExisting: adopt``: pulumi-kubernetes' ``import`` option for a tenant's objects and
classes, a server-side-apply patch for an add-on's). The embedded engine's state must say the same,
or its first plan would create them all. ``record_adopted`` writes, for each object the program
declares and the dump has (and the state does not hold yet), the object as the cluster has it: the
program's own manifest where the two mean the same (kube/live.py's normalisation: what the API
server added and its defaults do not count), with the cluster's values where they differ, so
``clusterstack preview`` then shows exactly what ``preview --live`` of that dump shows. It is an
apply like any other (the target gets the files, state is journaled, under the stack's lock).

An object the program marks secret is not adopted (the dump's values would have to be written in
plain text): the plan creates it as usual.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from ..kube.kinds import ObjectKey
from ..kube.live import normalised
from .live_plan import Dumped, live_plan
from .plan import MISSING, Change, FieldChange, Plan, diff_fields, normalize, order
from .run import Stack, apply
from .state import Entry, State


def adopted_plan(desired: Mapping[ObjectKey, Entry], dumped: Sequence[Dumped], state: State | None) -> Plan:
    """The creates that record each desired object the dump has and ``state`` does not, as the
    cluster has it (in apply order); pure."""
    held = state.entries if state is not None else {}
    candidates = {key: entry for key, entry in desired.items() if key not in held}
    _, live = live_plan(candidates, dumped)  # the dump's objects, matched, normalised (a patch cut to its fields)
    changes = []
    for key, have in live.entries.items():
        entry = candidates[key]
        wanted = normalised(entry.manifest)
        before, after = normalize(have.manifest), normalize(wanted)
        manifest = entry.manifest if before == after else overlay(entry.manifest, diff_fields(before, after, have.manifest, wanted))
        changes.append(Change("create", key, entry.component, None, manifest, patch=entry.patch, deletion=entry.deletion))
    return Plan(tuple(order(changes)))


def overlay(manifest: Mapping[str, Any], fields: Sequence[FieldChange]) -> dict[str, Any]:
    """``manifest`` with each changed field set back to its ``before`` (removed where that is
    ``MISSING``): the program's object, with the cluster's values where the cluster differs."""
    result: dict[str, Any] = copy.deepcopy(dict(manifest))
    sets = [f for f in fields if f.before is not MISSING]
    removals = [f for f in fields if f.before is MISSING]
    for field in sorted(sets, key=_path_order):  # a list's items in index order, so an added one appends
        _set(result, field.path, field.before)
    for field in sorted(removals, key=_path_order, reverse=True):  # from a list's end, so earlier indices stay valid
        _set(result, field.path, MISSING)
    return result


def _path_order(field: FieldChange) -> list[tuple[int, int, str]]:
    return [(0, part, "") if isinstance(part, int) else (1, 0, part) for part in field.path]


def _set(target: Any, path: tuple[str | int, ...], value: Any) -> None:
    for part, following in itertools.pairwise(path):
        if isinstance(target, dict):
            target = target.setdefault(part, [] if isinstance(following, int) else {})
        elif isinstance(target, list) and isinstance(part, int) and part < len(target):
            target = target[part]
        else:
            return
    last = path[-1]
    if value is MISSING:
        if isinstance(target, dict):
            target.pop(last, None)
        elif isinstance(target, list) and isinstance(last, int) and last < len(target):
            del target[last]
    elif isinstance(target, dict):
        target[last] = copy.deepcopy(value)
    elif isinstance(target, list) and isinstance(last, int):
        if last < len(target):
            target[last] = copy.deepcopy(value)
        else:
            target.append(copy.deepcopy(value))


def plan_adoption(stack: Stack, objects: Sequence[Dumped]) -> tuple[Plan, State | None]:
    """What ``record_adopted`` would record, and the state it was planned against."""
    evaluation = stack.evaluate()
    state = stack.store.load()
    desired = {d.key: Entry(d.key, str(d.component), d.manifest, d.patch, d.deletion) for d in evaluation.objects if not d.secret_values}
    return adopted_plan(desired, objects, state), state


def record_adopted(stack: Stack, objects: Sequence[Dumped]) -> list[ObjectKey]:
    """Record in ``stack``'s state (and its target) every object the program declares that the dump
    ``objects`` holds and the state does not: what the cluster has, taken over. The caller holds the
    stack's lock. Returns what was recorded, in apply order."""
    the_plan, state = plan_adoption(stack, objects)
    if the_plan.changes:
        apply(stack, the_plan, state)
    return [change.key for change in the_plan.changes]
