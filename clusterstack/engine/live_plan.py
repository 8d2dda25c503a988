"""``preview --live``: the plan against what a cluster has (a dump of it) instead of the engine's state.

What ``pulumi up`` would change on that cluster: each object the program declares is compared with
the dump's object of the same identity, both normalised (kube/live.py: what the API server added
and every default it filled in are left out of both), with the same rules for the kind of a change
as the engine's own plan (plan.py, replace.py). An object the dump lacks is a create. An object of
the dump the program does not declare is no change: Pulumi deletes only what its state recorded,
so it is a delete only when the stack's state recorded it (the engine applied it) and the dump
still has it. A server-side-apply patch (``onExisting: adopt``) is compared on the fields it sets
only: the rest of the object is someone else's.

Pure in the middle (``live_plan``); ``make_live_plan`` evaluates the program and reads the state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ..errors import ClusterstackError, Problem
from ..kube.fields import QUANTITY_FIELDS, QUANTITY_MAPS
from ..kube.kinds import ObjectKey
from ..kube.live import normalised
from ..kube.manifest import SHOWN
from ..kube.paths import dotted
from ..kube.quantity import Quantity, QuantityError
from .plan import Options, Plan, Settings, plan
from .replace import ProviderSettings
from .run import Planned, Stack
from .state import Entry, State


class Dumped(Protocol):
    """One object of a dump and where it was read (adopt/dump.py's LiveObject is one)."""

    @property
    def source(self) -> str: ...

    @property
    def body(self) -> dict[str, Any]: ...


def live_plan(
    desired: Mapping[ObjectKey, Entry],
    dumped: Sequence[Dumped],
    recorded: State | None = None,
    settings: Settings | None = None,
    options: Options | None = None,
    secret_properties: Mapping[ObjectKey, Sequence[str]] | None = None,
) -> tuple[Plan, State]:
    """The plan from the dump to ``desired``, and the dump as the state it was planned against.

    ``recorded`` is the stack's state: of the objects the program no longer declares, those it holds
    and the dump still has are deletes. ``secret_properties`` names, per object, the top-level
    properties the program marks secret: the plan shows them as ``[secret]`` on both sides, so their
    values are never compared or printed. A ClusterstackError names every dumped object the plan
    cannot compare (a malformed quantity), with its file; nothing is planned in part."""
    by_identity = _match(desired, dumped)
    secrets = secret_properties if secret_properties is not None else {}
    problems = [p for key, live in by_identity.items() for p in _quantity_problems(live, key)]
    if problems:
        raise ClusterstackError(problems)
    wanted: dict[ObjectKey, Entry] = {}
    current = State("live", 0)
    for key, entry in desired.items():
        wanted[key] = dataclasses.replace(entry, manifest=normalised(entry.manifest))
        live = by_identity.get(key)
        if live is None:
            continue
        body = normalised(live.body)
        for name in secrets.get(key, ()):
            if name in body:
                body[name] = SHOWN
        if entry.patch:
            body = _restricted(body, wanted[key].manifest)
        current.entries[key] = Entry(key, entry.component, body, entry.patch, entry.deletion)
    if recorded is not None:
        in_dump = {_identity(ObjectKey.of(d.body)): d for d in dumped}
        for key, entry in recorded.entries.items():
            live = in_dump.get(_identity(key))
            if key not in desired and live is not None:
                body = _restricted(normalised(live.body), normalised(entry.manifest)) if entry.patch else normalised(live.body)
                current.entries[key] = Entry(key, entry.component, body, entry.patch, entry.deletion)
    return plan(wanted, current, settings, options), current


def _identity(key: ObjectKey) -> tuple[str, str, str, str]:
    """A dump is one cluster's: its objects answer to the program's objects of any one cluster."""
    return (key.group, key.kind, key.namespace, key.name)


def _match(desired: Mapping[ObjectKey, Entry], dumped: Sequence[Dumped]) -> dict[ObjectKey, Dumped]:
    """Each desired object's dumped counterpart. A program that declares one object in two clusters
    cannot be planned against one dump: which cluster's would it be?"""
    clusters: dict[tuple[str, str, str, str], list[ObjectKey]] = {}
    for key in desired:
        clusters.setdefault(_identity(key), []).append(key)
    twice = sorted({f"{keys[0]} (clusters {', '.join(repr(k.cluster) for k in keys)})" for keys in clusters.values() if len(keys) > 1})
    if twice:
        more = f" and {len(twice) - 1} more object(s)" if len(twice) > 1 else ""
        message = (
            f"preview --live compares with one cluster's dump, and the program declares {twice[0]}{more} in more than one cluster; "
            "preview each cluster with a program or stack that targets it alone"
        )
        raise ClusterstackError([message])
    found: dict[ObjectKey, Dumped] = {}
    for item in dumped:
        keys = clusters.get(_identity(ObjectKey.of(item.body)))
        if keys is not None:
            found[keys[0]] = item
    return found


def _restricted(live: Any, wanted: Any) -> Any:
    """``live`` cut to the fields ``wanted`` sets (a map's other keys go; a list or value is whole):
    what a server-side-apply patch of ``wanted`` would compare with."""
    if isinstance(live, dict) and isinstance(wanted, dict):
        return {k: _restricted(v, wanted[k]) for k, v in live.items() if k in wanted}
    return live


def _quantity_problems(live: Dumped, key: ObjectKey) -> list[Problem]:
    """A quantity the plan would compare by value that is not one: named by file, object and path."""
    found: list[Problem] = []

    def walk(value: Any, path: tuple[str | int, ...], in_map: bool) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, (*path, name), name in QUANTITY_MAPS)
                if (in_map or name in QUANTITY_FIELDS) and not isinstance(item, (dict, list)):
                    check(item, (*path, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*path, index), False)

    def check(value: Any, path: tuple[str | int, ...]) -> None:
        if path and path[0] == "status":
            return  # what the cluster reports is not compared
        try:
            Quantity.parse(value)
        except QuantityError as error:
            found.append(Problem(live.source, f"{key} {dotted(path)}", f"{error}; the cluster cannot hold this: is the dump edited by hand?"))

    walk(live.body, (), False)
    return found


def make_live_plan(stack: Stack, dumped: Sequence[Dumped]) -> Planned:
    """Evaluate the program and plan it against ``dumped``, with the stack's state for deletes."""
    evaluation = stack.evaluate()
    recorded = stack.store.load()
    settings = {cluster: ProviderSettings.from_config(values) for cluster, values in evaluation.providers.items()}
    secrets = {d.key: sorted(d.secret_values) for d in evaluation.objects if d.secret_values}
    # The manifests as evaluated, each secret property [secret] (not sealed, as state keeps them): the
    # dump's side is masked alike, so secret values are neither compared nor shown.
    desired = {d.key: Entry(d.key, str(d.component), d.manifest, d.patch, d.deletion) for d in evaluation.objects}
    the_plan, live = live_plan(desired, dumped, recorded, settings, evaluation.replace_options(), secrets)
    return Planned(the_plan, live, [], evaluation)
