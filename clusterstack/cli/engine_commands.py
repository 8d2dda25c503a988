"""The embedded engine's commands: preview, up, destroy, refresh, and state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..engine import run
from ..engine.lock import LockHolder
from ..engine.plan import Plan
from ..engine.secrets import masked
from ..engine.state import State
from ..errors import ClusterstackError
from ..files import write_atomic
from ..kube.serialize import to_yaml
from ..program.evaluate import Evaluation
from . import show
from .app import (
    cli,
    confirm,
    detailed_exitcode_option,
    diff_option,
    namespace_deletion_option,
    no_cache_option,
    options,
    refresh_option,
    stack_option,
    warn,
    yes_option,
)
from .progress import Progress

if TYPE_CHECKING:
    from ..adopt.dump import LiveObject
    from ..analysis.reach import Flow


def open_stack(ctx: click.Context, name: str, *, cache: bool = True) -> run.Stack:
    opts = options(ctx)
    stack = run.Stack.open(opts.project(), name, opts.state_dir, cache=cache)
    warn(stack.warnings)
    return stack


@cli.command()
@stack_option
@diff_option
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (as --format json).")
@click.option(
    "--format", "form", type=click.Choice(["text", "json", "markdown"]), default=None,
    help="text (default), json, or markdown: a pull-request comment (docs/engine/pull-requests.md).",
)  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan, for up --plan.")
@click.option("--out-markdown", type=click.Path(dir_okay=False, path_type=Path), help="Also write the plan as a pull-request comment (Markdown) to this file.")
@click.option("--full-plan-url", help="Where the whole plan is (a CI run's page): the Markdown links it when it leaves sections out.")
@refresh_option
@detailed_exitcode_option
@no_cache_option
@click.option(
    "--live", "live", multiple=True, type=click.Path(path_type=Path),
    help="Plan against a dump of the cluster (kubectl get -o yaml, or a directory of manifests) instead of the state: what pulumi up would change there.",
)  # fmt: skip
@click.pass_context
def preview(
    ctx: click.Context, stack: str, full: bool, as_json: bool, form: str | None, out: Path | None, out_markdown: Path | None, full_plan_url: str | None,
    with_refresh: bool, detailed_exitcode: bool, no_cache: bool, live: tuple[Path, ...],
) -> None:  # fmt: skip
    """Show what up would change: + create, ~ update, -/+ replace, - delete."""
    if as_json and form not in (None, "json"):
        raise ClusterstackError([f"--json and --format {form} ask for two formats; give one"])
    form = "json" if as_json else form if form is not None else "text"
    for option, path in (("--out", out), ("--out-markdown", out_markdown)):
        if path is not None and not path.parent.is_dir():
            raise ClusterstackError([f"{option} {path}: the directory {path.parent} does not exist"])
    if out is not None and out_markdown is not None and out.resolve() == out_markdown.resolve():
        raise ClusterstackError([f"--out and --out-markdown both name {out}: the saved plan and the comment need a file each"])
    refresh_given = ctx.get_parameter_source("with_refresh") == click.core.ParameterSource.COMMANDLINE
    if live and (out is not None or refresh_given):
        refused = (
            "--live plans against a cluster's dump, for reading: it takes neither --out (up applies to the stack's target, "
            "not to that cluster; pulumi up does) nor --refresh (the dump is what the cluster has)"
        )
        raise ClusterstackError([refused])
    target = open_stack(ctx, stack, cache=not no_cache)
    if live:
        from ..adopt.dump import load
        from ..engine.live_plan import make_live_plan

        planned = make_live_plan(target, load(live))
    else:
        planned = run.make_plan(target, with_refresh=with_refresh)
    wanted = form != "json" or out_markdown is not None  # (JSON has no place for them)
    opened, closed = _flow_changes(planned.plan, planned.state, planned.evaluation) if wanted else ([], [])

    def comment() -> str:
        from . import markdown  # only for a pull-request comment: not on every preview's path

        return markdown.plan_markdown(planned.plan, stack, drift=planned.drift, flows=markdown.flow_changes(opened, closed), full=full, full_plan=full_plan_url)

    if form == "json":
        click.echo(show.plan_json(planned.plan, stack, planned.drift))
    elif form == "markdown":
        click.echo(comment(), nl=False)
    else:
        notes = _reachability_notes(opened, closed)
        click.echo(show.plan_text(planned.plan, full=full, drift=planned.drift, notes=notes))
    if not live:
        _note_relayout(target, planned.state)
    if out_markdown is not None:
        write_atomic(out_markdown, comment().encode())
    if out is not None:
        from ..engine import saved  # a saved plan's format: only for --out (and up --plan), not on every preview's path

        document = saved.plan_document(target.project, stack, planned.plan, planned.state, planned.evaluation.to_json(), refreshed=with_refresh)
        saved.save_plan(out, document)
        if form == "text":
            click.echo(f"Saved the plan to {out}: apply exactly it with clusterstack up -s {stack} --plan {out}")
    if detailed_exitcode and planned.plan.changes:
        ctx.exit(2)


def _flow_changes(the_plan: Plan, state: State | None, evaluation: Evaluation) -> tuple[list[Flow], list[Flow]]:
    """The flows a plan opens and closes, when it changes the NetworkPolicies of namespaces the target
    already holds (clusterstack reach computes them, looking at those namespaces only)."""
    touched = {c.key.namespace for c in the_plan.changes if c.key.kind == "NetworkPolicy" and not c.key.cluster}
    if state is None or not touched:  # (first: a no-op plan's state is not even decoded, run.make_plan)
        return [], []
    touched &= {e.key.name for e in state.entries.values() if e.key.kind == "Namespace" and not e.key.cluster}
    if not touched:
        return [], []
    from ..analysis import reach as reachability

    before = reachability.facts_of([e.manifest for e in state.entries.values() if not e.key.cluster], evaluation.config)
    after = reachability.facts_of([d.manifest for d in evaluation.objects if not d.key.cluster], evaluation.config)
    return reachability.changes(before, after, touched)


def _reachability_changes(the_plan: Plan, state: State | None, evaluation: Evaluation) -> list[str]:
    return _reachability_notes(*_flow_changes(the_plan, state, evaluation))


def _reachability_notes(opened: list[Flow], closed: list[Flow]) -> list[str]:
    if not opened and not closed:
        return []
    return ["Reachability changes:", *(f"  + {f}" for f in opened), *(f"  - {f}" for f in closed)]


def _note_relayout(stack: run.Stack, state: State | None) -> None:
    if state is None:
        return
    if state.layout != stack.target.layout:
        click.echo(f"The target's layout changes from {state.layout} to {stack.target.layout}: up rewrites every file of {stack.target.describe()}.", err=True)
    elif state.naming != stack.target.naming:
        click.echo(f"The target's files get their new, unambiguous names: up renames them in {stack.target.describe()}.", err=True)


def _secret_notices(stack: run.Stack) -> None:
    for notice in stack.target.secrets.notices(stack.target.describe()):
        click.echo(notice, err=True)


def _apply(stack: run.Stack, the_plan: Plan, state: State | None) -> None:
    progress = Progress(len(the_plan.changes), "applying")
    try:
        run.apply(stack, the_plan, state, on_change=lambda change: progress.step(show.applied_line(change)))
    finally:
        progress.close()
    _secret_notices(stack)
    add, change, destroy = the_plan.counts()
    click.echo(
        f"Apply complete! Resources: {add} added, {change} changed, {destroy} destroyed in {progress.elapsed():.1f}s. "
        f"Target: {stack.target.describe()}"
    )


@cli.command()
@stack_option
@yes_option
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path), help="Apply exactly this saved plan, without asking.")
@namespace_deletion_option
@diff_option
@refresh_option
@no_cache_option
@click.option(
    "--adopt", "adopt", multiple=True, type=click.Path(path_type=Path),
    help="First record what this dump of the cluster (kubectl get -o yaml, or manifests) holds of the stack in state, as applied.",
)  # fmt: skip
@click.pass_context
def up(
    ctx: click.Context, stack: str, yes: bool, plan_file: Path | None, allow_namespace_deletion: bool, full: bool, with_refresh: bool, no_cache: bool,
    adopt: tuple[Path, ...],
) -> None:
    """Preview, confirm, then apply change by change, recording state after each. With --plan: evaluate
    and plan again, and apply only if that is exactly the saved plan (else refuse, naming what differs).
    With --adopt: first record what the cluster's dump holds of the stack, then plan the rest."""
    if adopt and plan_file is not None:
        raise ClusterstackError(["--adopt changes the state a saved plan was made against; adopt first (clusterstack up --adopt), then preview --out again"])
    target = open_stack(ctx, stack, cache=not no_cache)
    from ..engine import saved  # (not at the top: a preview without --out has no use for it)

    reviewed = saved.read_plan(plan_file, target.project, stack) if plan_file is not None else None
    target.evaluate()  # before the lock: a program that fails leaves nothing behind, not even the state directory
    dumped = _dump(adopt) if adopt else None  # read whole before the lock: a bad dump leaves nothing behind
    with target.store.lock("up", took_over):
        if dumped is not None:
            _adopt(target, dumped, yes)
        if reviewed is not None:
            with_refresh = reviewed.refreshed  # as preview planned it, so drift since then shows as a difference
        planned = run.make_plan(target, with_refresh=with_refresh)
        the_plan, state, drift = planned.plan, planned.state, planned.drift
        if reviewed is not None:
            saved.check_state(reviewed, stack, state)
            saved.check_reviewed(reviewed, stack, planned.evaluation.to_json(), the_plan)
        notes = _reachability_changes(the_plan, state, planned.evaluation)
        click.echo(show.plan_text(the_plan, full=full, drift=drift, notes=notes))
        _note_relayout(target, state)
        the_plan.check_safe(allow_namespace_deletion)
        if not the_plan.changes:
            run.settle(target, state, planned.recorded)
            _secret_notices(target)
            return
        if not yes and reviewed is None:
            confirm("Do you want to apply these changes?")
        _apply(target, the_plan, state)


def _dump(paths: tuple[Path, ...]) -> list[LiveObject]:
    from ..adopt.dump import load

    return load(paths)


def _adopt(stack: run.Stack, dumped: list[LiveObject], yes: bool) -> None:
    """Record what the dump holds of the stack (engine/adopted.py), after showing it and, unless
    --yes, asking."""
    from ..engine.adopted import plan_adoption

    planned, state = plan_adoption(stack, dumped)
    if not planned.changes:
        click.echo("Nothing to adopt: the state holds every object of the stack the dump has.")
        return
    click.echo(f"Adopting {len(planned.changes)} object(s) the cluster has, recorded in state as applied (nothing is sent to the cluster):")
    for change in planned.changes:
        click.echo(f"  = {change.key}")
    if not yes:
        confirm("Do you want to record them as applied?")
    run.apply(stack, planned, state)
    click.echo(f"Adopted {len(planned.changes)} object(s) into the state of stack {stack.name}.")


@cli.command()
@stack_option
@yes_option
@namespace_deletion_option
@click.pass_context
def destroy(ctx: click.Context, stack: str, yes: bool, allow_namespace_deletion: bool) -> None:
    """Delete everything the stack's state holds from its target."""
    target = open_stack(ctx, stack)
    with target.store.lock("destroy", took_over):
        the_plan, state = run.make_destroy_plan(target)
        click.echo(show.plan_text(the_plan))
        the_plan.check_safe(allow_namespace_deletion)
        if not the_plan.changes:
            return
        if not yes:
            confirm("Do you really want to destroy all objects of this stack?")
        _apply(target, the_plan, state)


@cli.command()
@stack_option
@detailed_exitcode_option
@click.pass_context
def refresh(ctx: click.Context, stack: str, detailed_exitcode: bool) -> None:
    """Read the target back and record what drifted from state (files edited or deleted by hand)."""
    target = open_stack(ctx, stack)
    with target.store.lock("refresh", took_over):
        state = target.store.load()
        if state is None:
            click.echo(f"Stack {stack} has no state yet: nothing to refresh.")
            return
        refreshed, drift = run.refresh(target, state)
        for item in drift:
            click.echo(f"drift: {item.key}: {item.kind} in {target.target.describe()}")
        for name in target.target.unmanaged(state.entries.values()):
            click.echo(f"note: {name} is in the target but not in state; clusterstack leaves it alone")
        if refreshed is None or not drift:
            click.echo("No drift: the target matches state.")
            return
        run.write_refreshed(target, refreshed, drift)
        click.echo(f"Recorded {len(drift)} drifted object(s) in state; up restores what the stack declares.")
    if detailed_exitcode:
        ctx.exit(2)


@cli.group("state")
def state_group() -> None:
    """Inspect the engine's state, remove a lock whose holder is gone, or repair a damaged journal."""


def took_over(holder: LockHolder) -> None:
    click.echo(f"warning: took over the lock of {holder.describe()}: that run ended without releasing it", err=True)


def _load_state(target: run.Stack) -> State:
    state = target.store.load()
    if state is None:
        raise ClusterstackError([f"stack {target.name} has no state yet"])
    return state


@state_group.command("list")
@stack_option
@click.pass_context
def state_list(ctx: click.Context, stack: str) -> None:
    """Every object in the stack's state, in apply order."""
    state = open_stack(ctx, stack).store.load()
    if state is None:
        click.echo(f"Stack {stack} has no state yet.")
        return
    for key in sorted(state.entries, key=lambda k: k.sort_key()):
        click.echo(f"{key}  [{state.entries[key].component}]")


@state_group.command("show")
@stack_option
@click.argument("identity", required=False)
@click.pass_context
def state_show(ctx: click.Context, stack: str, identity: str | None) -> None:
    """The state's lineage, serial and size; or one object, named as state list prints it."""
    target = open_stack(ctx, stack)
    state = _load_state(target)
    if identity is None:
        summary = {"stack": stack, "file": str(target.store.path), "lineage": state.lineage, "serial": state.serial, "objects": len(state.entries)}
        click.echo(json.dumps(summary, indent=2))
        return
    matches = [entry for key, entry in state.entries.items() if str(key).lower() == identity.lower()]
    if not matches:
        raise ClusterstackError([f"{identity!r} is not in the state of stack {stack}; clusterstack state list -s {stack} names them"])
    click.echo(f"# {matches[0].key}  [{matches[0].component}]")
    click.echo(to_yaml(masked(matches[0].manifest)), nl=False)


@state_group.command("unlock")
@stack_option
@yes_option
@click.pass_context
def state_unlock(ctx: click.Context, stack: str, yes: bool) -> None:
    """Remove the lock left by a process that is gone."""
    store = open_stack(ctx, stack).store
    holder = store.releasable_holder()
    if holder is None:
        click.echo(f"Stack {stack} is not locked.")
        return
    if not yes:
        confirm(f"Remove the lock held by {holder.describe()}?")
    removed = store.unlock()
    if removed is not None:
        click.echo(f"Removed the lock held by {removed.describe()}.")


@state_group.command("repair")
@stack_option
@yes_option
@click.pass_context
def state_repair(ctx: click.Context, stack: str, yes: bool) -> None:
    """Recover a stack whose journal is damaged (a full disk, then a kill): keep every recorded change
    before the damage, set the journal aside, and write the state. Then refresh: preview and up read
    the target, and restore what the lost changes left behind."""
    target = open_stack(ctx, stack)
    if not yes:
        confirm(f"Repair the state of stack {stack} (the damaged journal is kept aside, not deleted)?")
    with target.store.lock("repair", took_over):
        state, kept, aside = target.store.repair()
    where = f"; the journal is now {aside}" if aside is not None else ""
    click.echo(f"Repaired stack {stack}: {len(state.entries)} objects, {kept} journal records kept{where}.")
