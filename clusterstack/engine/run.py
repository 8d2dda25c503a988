"""The embedded engine: desired set -> plan -> apply to a target, recording state as it goes.

``plan`` is pure (plan.py); this module does the I/O around it: evaluating the program, loading and
writing state, refreshing from the target, and applying change by change.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem
from ..kube.kinds import ObjectKey
from ..program.evaluate import Evaluation, Evaluator
from ..stack.project import Project
from ..stack.target import GitOps
from . import noop
from .faults import fault
from .gitops import annotated
from .plan import Change, Plan, destroy_plan, normalize, plan
from .replace import ProviderSettings
from .secrets import Sealer, SecretWriting
from .state import Entry, State
from .store import StateStore, state_directory
from .target import Target, open_target


@dataclass(frozen=True)
class Stack:
    """A stack as the engine works on it: its project, its config read and validated once (or its
    evaluation answered from the cache), its state store and its target."""

    project: Project
    evaluator: Evaluator
    store: StateStore
    target: Target

    @property
    def name(self) -> str:
        return self.evaluator.stack

    @property
    def warnings(self) -> list[Problem]:
        return self.evaluator.warnings

    @classmethod
    def open(cls, project: Project, name: str, state_dir: Path | None = None, *, cache: bool = True) -> Stack:
        """Read and validate the stack's files (its target is in them), and open its state store;
        with ``cache``, an evaluation of it whose inputs are all unchanged is reused (and the stack's
        files, read, are not parsed: the evaluation holds their target and warnings)."""
        directory = state_directory(project, state_dir)
        evaluator = Evaluator(project, name, directory if cache else None, guarded=directory)
        target = open_target(evaluator.target, project.root, name, project.name, index=directory / f"{name}.index")
        target.secrets = SecretWriting(evaluator.target.secrets, Sealer(directory))
        return cls(project, evaluator, StateStore(directory, name), target)

    def evaluate(self) -> Evaluation:
        evaluation = self.evaluator.evaluate()
        # The plain secret values stay in memory, with the target: it writes them only if the stack opted in.
        self.target.secrets.values = evaluation.secret_values()
        return evaluation

    def desired(self, evaluation: Evaluation) -> dict[ObjectKey, Entry]:
        return desired(evaluation, self.target.secrets.sealer, self.evaluator.target.gitops)


def desired(evaluation: Evaluation, sealer: Sealer | None = None, gitops: GitOps = "none") -> dict[ObjectKey, Entry]:
    """The objects as state records them: each secret property sealed (secrets.py) with ``sealer``,
    and annotated for the GitOps controller that reads the target (gitops.py)."""
    entries = {}
    for d in evaluation.objects:
        manifest = annotated(d.manifest, d.patch, gitops, d.deletion)
        if d.secret_values:
            if sealer is None:
                raise ValueError(f"{d.key} holds secret values: they are planned sealed, with a state directory's key")
            manifest = sealer.sealed(manifest, d.secret_values)
        entries[d.key] = Entry(d.key, str(d.component), manifest, d.patch, d.deletion)
    return entries


@dataclass(frozen=True)
class Drift:
    key: ObjectKey
    kind: str
    """"deleted" (the file is gone) or "modified" (its content differs from state)."""


def refresh(stack: Stack, state: State | None) -> tuple[State | None, list[Drift]]:
    """State as the target holds it now, and what drifted. Pure on ``state``: returns a new one."""
    if state is None:
        return None, []
    refreshed = State(state.lineage, state.serial, dict(state.entries), state.layout, state.naming)
    drift = []
    target = stack.target.laid_out(state.layout, state.naming)  # where the objects were written, before any change
    for key, entry in sorted(state.entries.items(), key=lambda item: item[0].sort_key()):
        try:
            actual = target.read(entry)
        except OSError as error:
            raise fault(error, f"read {key} back from the target", _where(stack)) from None
        if actual is None:
            del refreshed.entries[key]
            drift.append(Drift(key, "deleted"))
        elif actual is not entry.manifest and normalize(actual) != normalize(entry.manifest):
            refreshed.entries[key] = dataclasses.replace(entry, manifest=actual, written="")
            drift.append(Drift(key, "modified"))
    return refreshed, drift


@dataclass(frozen=True)
class Planned:
    """A plan with what it was made from: the state it was planned against, the drift a refresh
    found, and the evaluation of the program."""

    plan: Plan
    state: State | None
    drift: list[Drift]
    evaluation: Evaluation
    recorded: noop.Known | None = None
    """The record the plan was answered from, without decoding the state (noop.py), if it was."""


def make_plan(stack: Stack, *, with_refresh: bool = False) -> Planned:
    """The plan of the stack's evaluation against its state (refreshed from the target first, with
    ``with_refresh``).

    ``plan`` is a pure function of the desired objects, the state, the provider settings and the
    program's options, and all but the state come from the evaluation (the desired objects seal
    secret values, but an evaluation from the cache holds none). So when the cache has an evaluation
    that a plan found equal to a state file of these very bytes (their SHA-256), with no journal
    beside it and nothing drifted, the plan is again "No changes", every state object unchanged:
    it is answered without decoding the evaluation's objects or comparing any. And when a record of
    that state file's files (noop.py) finds the target as it was written, it is answered without
    decoding the state either."""
    evaluation = stack.evaluate()
    before = _state_file(stack.store)
    cache = stack.evaluator.cache
    recalled = None
    if before is not None and cache is not None and stack.evaluator.unchanged_against(before[0]):
        recalled = noop.recall(cache, stack.target, before[0])
        if recalled is not None and (not with_refresh or noop.target_holds(stack.target, recalled)) and _still_file(stack.store, before[1]):
            known_state = stack.store.deferred(before[2], recalled.lineage, recalled.serial, recalled.layout, recalled.naming)
            return Planned(Plan((), recalled.count), known_state, [], evaluation, recalled)
    state = stack.store.load()
    known = before[0] if before is not None and state is not None and _still_file(stack.store, before[1]) else None
    drift: list[Drift] = []
    if with_refresh:
        state, drift = refresh(stack, state)
    if state is not None and known is not None and not drift and stack.evaluator.unchanged_against(known):
        if recalled is None and cache is not None:
            noop.remember(cache, stack.target, state, known)
        return Planned(Plan((), len(state.entries)), state, drift, evaluation)
    settings = {cluster: ProviderSettings.from_config(values) for cluster, values in evaluation.providers.items()}
    the_plan = plan(stack.desired(evaluation), state, settings, evaluation.replace_options())
    if state is not None and known is not None and not drift and not the_plan.changes:
        stack.evaluator.remember_unchanged(known)
        if cache is not None and stack.evaluator.unchanged_against(known):  # (kept: the evaluation is the cache's)
            noop.remember(cache, stack.target, state, known)
    return Planned(the_plan, state, drift, evaluation)


_Identity = tuple[int, int, int, int, int]


def _identity(status: os.stat_result) -> _Identity:
    """What changes whenever a file is written or replaced (the store replaces its file on each write)."""
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def _state_file(store: StateStore) -> tuple[str, _Identity, bytes] | None:
    """The SHA-256 of the stack's state file, what identifies the file, and its bytes, read before the
    store loads it; None when there is none, a journal adds to it, or it cannot be read (the store says why)."""
    try:
        if store.journal_path.exists():
            return None
        with store.path.open("rb") as handle:
            identity = _identity(os.fstat(handle.fileno()))
            data = handle.read()
            return hashlib.sha256(data).hexdigest(), identity, data
    except OSError:
        return None


def _still_file(store: StateStore, identity: _Identity) -> bool:
    """Whether the state the store loaded was the file digested: the same file, unchanged, and still
    no journal (a write or a replacement in between changes the identity)."""
    try:
        return _identity(store.path.stat()) == identity and not store.journal_path.exists()
    except OSError:
        return False


def make_destroy_plan(stack: Stack) -> tuple[Plan, State | None]:
    state = stack.store.load()
    return destroy_plan(state), state


def apply(stack: Stack, the_plan: Plan, state: State | None, on_change: Callable[[Change], None] = lambda change: None) -> State:
    """Apply change by change, recording state after each, so a killed run leaves state matching the target."""
    stack.target.prepare(the_plan.changes, state.entries if state is not None else {})
    if state is None:
        state = stack.store.create(stack.target.layout, stack.target.naming)
    try:
        _relayout(stack, state)
        _withdraw_plaintext(stack, state)
        with stack.store.journal():
            for change in stack.target.apply(the_plan.changes, state.entries):
                if change.after is None:
                    stack.store.record_delete(state, change.key)
                else:
                    written = stack.target.written(change.key, change.patch)
                    stack.store.record_put(state, Entry(change.key, change.component, change.after, change.patch, change.deletion, written))
                on_change(change)
        stack.target.finalize(state.entries.values())
    except OSError as error:
        # The journal holds every change that landed: the next run loads it and converges.
        raise fault(error, "write the target", _where(stack)) from None
    stack.store.write(state)
    return state


def settle(stack: Stack, state: State | None, recorded: noop.Known | None = None) -> None:
    """After a plan with no changes: the target's index lists exactly the state's objects, and a
    journal left by an interrupted run is folded into the state file. With ``recorded``, the record the
    plan was answered from (noop.py): nothing to do when the target's kustomizations and claim are
    the very ones this would leave (the record's state has no journal, and is laid out as the target)."""
    if state is not None and not (recorded is not None and noop.settled(stack.target, recorded)):
        stack.target.prepare([], state.entries)
        try:
            if _relayout(stack, state) | _withdraw_plaintext(stack, state):
                stack.store.write(state)
            stack.target.finalize(state.entries.values())
        except OSError as error:
            raise fault(error, "write the target", _where(stack)) from None
        stack.store.fold(state)


def _where(stack: Stack) -> str:
    """The target as a fault names it when the error names no file: its directory, if it has one."""
    root = getattr(stack.target, "root", None)
    return str(root) if root is not None else stack.target.describe()


def _relayout(stack: Stack, state: State) -> bool:
    """When the stack's target layout or file naming is not the one the state's objects were written
    in, rewrite them in the new one; True if it did."""
    if (state.layout, state.naming) == (stack.target.layout, stack.target.naming):
        return False
    stack.target.relayout(state.entries.values(), state.layout, state.naming)
    state.layout, state.naming = stack.target.layout, stack.target.naming
    return True


def _withdraw_plaintext(stack: Stack, state: State) -> bool:
    """When the stack no longer opts in to secrets in plain text, the files that hold some (recorded
    with a keyed digest: target.py) are rewritten without them, or removed; True if any were."""
    if stack.target.secrets.mode == "plaintext":
        return False
    held = [e for e in state.entries.values() if e.written.startswith("hmac-sha256:")]
    changes = [Change("update", e.key, e.component, e.manifest, e.manifest, patch=e.patch, deletion=e.deletion) for e in held]
    for change in stack.target.apply(changes, state.entries):
        state.entries[change.key] = dataclasses.replace(state.entries[change.key], written=stack.target.written(change.key, change.patch))
    return bool(held)


def write_refreshed(stack: Stack, refreshed: State, drift: list[Drift]) -> None:
    """Record a refresh: the drifted objects as the target holds them (one journal entry each), then fold."""
    for item in drift:
        if item.kind == "deleted":
            stack.store.record_delete(refreshed, item.key)
        else:
            stack.store.record_put(refreshed, refreshed.entries[item.key])
    stack.store.write(refreshed)
