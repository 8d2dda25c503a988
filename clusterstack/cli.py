"""The ``clusterstack`` command: a thin shell over the engine. It parses, calls, prints.

A ClusterstackError (anything the user can fix) is printed as ``error: <file>: <key>: <what>`` lines
and exits 1, without a traceback.
"""

from __future__ import annotations

import json
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from components.cpa import ClusterSize, forecast

from . import engine, envdiff, schema, show
from .errors import ClusterstackError
from .evaluate import Evaluation, evaluate
from .project import Project
from .render import FORMATS, dump, table, to_yaml, write_files
from .schemas import check, supported_versions
from .spec import Loaded, load_platform
from .stackconfig import read_stack
from .state import STATE_DIR_ENV


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ClusterstackError as error:
            for problem in error.problems:
                click.echo(f"error: {problem}", err=True)
            ctx.exit(1)


stack_option = click.option("-s", "--stack", required=True, help="The stack (environment) name, e.g. dev.")
yes_option = click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
diff_option = click.option("--diff", "full", is_flag=True, help="Show full values, and whole objects for creates and deletes.")
namespace_deletion_option = click.option(
    "--allow-namespace-deletion", is_flag=True, help="Allow a plan that deletes Namespaces (and so everything in them)."
)
detailed_exitcode_option = click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 1 on error, 2 when there are changes."
)


@dataclass(frozen=True)
class _Options:
    project_dir: Path
    state_dir: Path | None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--project-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The Pulumi project (the directory holding Pulumi.yaml).",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=STATE_DIR_ENV,
    help=f"Where the engine keeps state (default: <project>/.clusterstack; env {STATE_DIR_ENV}).",
)
@click.pass_context
def cli(ctx: click.Context, project_dir: Path, state_dir: Path | None) -> None:
    """Declare a Kubernetes cluster's platform baseline per environment; preview it, apply it."""
    ctx.obj = _Options(project_dir, state_dir)


def _project(ctx: click.Context) -> Project:
    return Project.load(ctx.obj.project_dir)


def _stack(ctx: click.Context, name: str) -> engine.Stack:
    return engine.Stack.open(_project(ctx), name, ctx.obj.state_dir)


def _warn(loaded: Loaded) -> None:
    for warning in loaded.warnings:
        click.echo(f"warning: {warning}", err=True)


def _evaluate(ctx: click.Context, stack: str) -> Evaluation:
    evaluation = evaluate(_project(ctx), stack)
    _warn(evaluation.spec)
    return evaluation


@cli.command()
@click.pass_context
def stacks(ctx: click.Context) -> None:
    """List the stacks in the project's stack directory."""
    project = _project(ctx)
    for name in project.stacks():
        click.echo(name)


@cli.command()
@stack_option
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path), help="Write one file per object here instead of printing.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="yaml", show_default=True)
@click.pass_context
def render(ctx: click.Context, stack: str, output_dir: Path | None, fmt: str) -> None:
    """Print every object the stack declares, Namespaces first."""
    evaluation = _evaluate(ctx, stack)
    if output_dir is None:
        click.echo(dump((d.manifest for d in evaluation.objects), fmt), nl=False)
        return
    written = write_files(((d.key, d.manifest) for d in evaluation.objects), output_dir, fmt)
    click.echo(f"wrote {len(written)} files to {output_dir}", err=True)


@cli.command()
@stack_option
@click.option(
    "--kubernetes-version",
    help="Check against this Kubernetes minor version (default: the stack's cluster.kubernetesVersion).",
)
@click.pass_context
def validate(ctx: click.Context, stack: str, kubernetes_version: str | None) -> None:
    """Validate the stack's spec and check every object against the Kubernetes schemas (strict)."""
    evaluation = _evaluate(ctx, stack)
    version = kubernetes_version if kubernetes_version is not None else evaluation.spec.args.cluster.kubernetes_version
    if version not in supported_versions():
        raise ClusterstackError(
            [f"Kubernetes {version} has no bundled schemas; choose one of {', '.join(supported_versions())}"]
        )
    failures = check(((d.key, d.manifest) for d in evaluation.objects), version)
    if failures:
        raise ClusterstackError(failures)
    click.echo(f"{stack}: {len(evaluation.objects)} objects valid against the Kubernetes {version} schemas (strict)")


@cli.command()
@stack_option
@diff_option
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan, for up --plan.")
@click.option("--refresh", "with_refresh", is_flag=True, help="Read the target first, and plan against what it holds.")
@detailed_exitcode_option
@click.pass_context
def preview(ctx, stack, full, as_json, out, with_refresh, detailed_exitcode) -> None:
    """Show what up would change: + create, ~ update, -/+ replace, - delete."""
    target = _stack(ctx, stack)
    the_plan, state, drift, evaluation = engine.make_plan(target, with_refresh=with_refresh)
    _warn(evaluation.spec)
    click.echo(show.plan_json(the_plan, stack, drift) if as_json else show.plan_text(the_plan, full=full, drift=drift))
    if out is not None:
        engine.save_plan(out, target, the_plan, state)
        if not as_json:
            click.echo(f"Saved the plan to {out}: apply exactly it with clusterstack up -s {stack} --plan {out}")
    if detailed_exitcode and the_plan.changes:
        ctx.exit(2)


def _terminate_cleanly() -> None:
    """SIGTERM unwinds like Ctrl-C: the change in flight completes or not, state is recorded, the lock released."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def _confirm(question: str) -> None:
    if not sys.stdin.isatty():
        raise ClusterstackError(["no terminal to confirm on: pass --yes, or apply a saved plan with --plan"])
    answer = click.prompt(f"{question} Only 'yes' will be accepted", default="", show_default=False)
    if answer.strip() != "yes":
        raise ClusterstackError(["cancelled: nothing was changed"])


def _apply(target: engine.Stack, the_plan, state) -> None:
    engine.apply(target, the_plan, state, on_change=lambda change: click.echo(show.applied_line(change)))
    add, change, destroy = the_plan.counts()
    click.echo(f"Apply complete! Resources: {add} added, {change} changed, {destroy} destroyed. Target: {target.target.describe()}")


@cli.command()
@stack_option
@yes_option
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=Path), help="Apply exactly this saved plan, without asking.")
@namespace_deletion_option
@diff_option
@click.pass_context
def up(ctx, stack, yes, plan_file, allow_namespace_deletion, full) -> None:
    """Preview, confirm, then apply change by change, recording state after each."""
    target = _stack(ctx, stack)
    _terminate_cleanly()
    with target.store.lock("up"):
        if plan_file is not None:
            state = target.store.load()
            the_plan = engine.load_saved_plan(plan_file, target, state)
        else:
            the_plan, state, _, evaluation = engine.make_plan(target)
            _warn(evaluation.spec)
        click.echo(show.plan_text(the_plan, full=full))
        engine.guard(the_plan, allow_namespace_deletion)
        if not the_plan.changes:
            if state is not None:
                target.target.finalize(state.entries)
                target.store.fold(state)
            return
        if not yes and plan_file is None:
            _confirm("Do you want to apply these changes?")
        _apply(target, the_plan, state)


@cli.command()
@stack_option
@yes_option
@namespace_deletion_option
@click.pass_context
def destroy(ctx, stack, yes, allow_namespace_deletion) -> None:
    """Delete everything the stack's state holds from its target."""
    target = _stack(ctx, stack)
    _terminate_cleanly()
    with target.store.lock("destroy"):
        the_plan, state = engine.make_destroy_plan(target)
        click.echo(show.plan_text(the_plan))
        engine.guard(the_plan, allow_namespace_deletion)
        if not the_plan.changes:
            return
        if not yes:
            _confirm("Do you really want to destroy all objects of this stack?")
        _apply(target, the_plan, state)


@cli.command()
@stack_option
@detailed_exitcode_option
@click.pass_context
def refresh(ctx, stack, detailed_exitcode) -> None:
    """Read the target back and record what drifted from state (files edited or deleted by hand)."""
    target = _stack(ctx, stack)
    with target.store.lock("refresh"):
        state = target.store.load()
        refreshed, drift = engine.refresh(target, state)
        if state is None:
            click.echo(f"Stack {stack} has no state yet: nothing to refresh.")
            return
        for item in drift:
            click.echo(f"drift: {item.key}: {item.kind} in {target.target.describe()}")
        for name in target.target.unmanaged(state.entries):
            click.echo(f"note: {name} is in the target but not in state; clusterstack leaves it alone")
        if not drift:
            click.echo("No drift: the target matches state.")
            return
        engine.write_refreshed(target, refreshed, drift)
        click.echo(f"Recorded {len(drift)} drifted object(s) in state; up restores what the stack declares.")
    if detailed_exitcode:
        ctx.exit(2)


@cli.group("state")
def state_group() -> None:
    """Inspect the engine's state, or remove a stale lock."""


@state_group.command("list")
@stack_option
@click.pass_context
def state_list(ctx, stack) -> None:
    """Every object in the stack's state, in apply order."""
    state = _stack(ctx, stack).store.load()
    if state is None:
        click.echo(f"Stack {stack} has no state yet.")
        return
    for key in sorted(state.entries, key=lambda k: k.sort_key()):
        click.echo(f"{key}  [{state.entries[key].component}]")


@state_group.command("show")
@stack_option
@click.argument("identity", required=False)
@click.pass_context
def state_show(ctx, stack, identity) -> None:
    """The state's lineage, serial and size; or one object, named as state list prints it."""
    target = _stack(ctx, stack)
    state = target.store.load()
    if state is None:
        raise ClusterstackError([f"stack {stack} has no state yet"])
    if identity is None:
        summary = {"stack": stack, "file": str(target.store.path), "lineage": state.lineage, "serial": state.serial, "objects": len(state.entries)}
        click.echo(json.dumps(summary, indent=2))
        return
    matches = [entry for key, entry in state.entries.items() if str(key).lower() == identity.lower()]
    if not matches:
        raise ClusterstackError([f"{identity!r} is not in the state of stack {stack}; clusterstack state list -s {stack} names them"])
    click.echo(f"# {matches[0].key}  [{matches[0].component}]")
    click.echo(to_yaml(matches[0].manifest), nl=False)


@state_group.command("unlock")
@stack_option
@yes_option
@click.pass_context
def state_unlock(ctx, stack, yes) -> None:
    """Remove the lock left by a process that is gone."""
    store = _stack(ctx, stack).store
    holder = store.holder()
    if holder is None:
        click.echo(f"Stack {stack} is not locked.")
        return
    if holder.is_running_here():
        raise ClusterstackError([f"the lock is held by {holder.describe()}, which is still running; let it finish"])
    if not yes:
        _confirm(f"Remove the lock held by {holder.describe()}?")
    store.lock_path.unlink(missing_ok=True)
    click.echo(f"Removed the lock held by {holder.describe()}.")


@cli.command("diff")
@click.argument("first")
@click.argument("second")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@click.pass_context
def diff_command(ctx, first, second, as_json) -> None:
    """How two stacks (environments) differ: objects only in one, and field differences of the rest."""
    project = _project(ctx)
    difference = envdiff.compare(evaluate(project, first), evaluate(project, second))
    click.echo(envdiff.as_json(difference) if as_json else envdiff.as_text(difference))


@cli.command("schema")
@click.option("--stack-file", is_flag=True, help="The schema of a whole stack file (for editors), not of the values.")
def schema_command(stack_file) -> None:
    """Print the JSON Schema of a stack's clusterstack: values (published as stacks/clusterstack.schema.json)."""
    click.echo(schema.dumps(schema.stack_file_schema() if stack_file else schema.values_schema()), nl=False)


@cli.group()
def dns() -> None:
    """The cluster DNS add-ons."""


# Cluster sizes for the forecast table when no size is given: from one node to a thousand.
_TABLE_NODES = (1, 2, 3, 5, 10, 16, 25, 50, 100, 250, 500, 1000)


@dns.command("forecast")
@stack_option
@click.option("--nodes", type=click.IntRange(min=0), help="Nodes in the cluster (all of them).")
@click.option("--cores", type=click.IntRange(min=0), help="Cores in the cluster (all of them).")
@click.option("--schedulable-nodes", type=click.IntRange(min=0), help="Nodes that are not cordoned (default: --nodes).")
@click.option("--schedulable-cores", type=click.IntRange(min=0), help="Cores on those nodes (default: --cores).")
@click.option("--cores-per-node", type=click.IntRange(min=1), default=4, show_default=True, help="For the table: cores of each node.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def dns_forecast(ctx, stack, nodes, cores, schedulable_nodes, schedulable_cores, cores_per_node, as_json) -> None:
    """How many DNS replicas the stack's autoscaler chooses for a cluster size (or a table of sizes)."""
    loaded = load_platform(read_stack(_project(ctx), stack))
    _warn(loaded)
    autoscaler = loaded.args.dns.autoscaler
    if autoscaler is None:
        raise ClusterstackError([f"stack {stack} has no clusterstack:dns.autoscaler; nothing to forecast"])
    if (nodes is None) != (cores is None):
        raise click.UsageError("give both --nodes and --cores, or neither for a table")
    if nodes is not None:
        sizes = [ClusterSize.of(nodes, cores, schedulable_nodes, schedulable_cores)]
    else:
        sizes = [ClusterSize.of(n, n * cores_per_node) for n in _TABLE_NODES]
    rows = []
    for size in sizes:
        answer = forecast(autoscaler.params, size)
        rows.append(
            {
                "nodes": size.nodes,
                "cores": size.cores,
                "schedulableNodes": size.schedulable_nodes,
                "schedulableCores": size.schedulable_cores,
                "fromCores": answer.from_cores,
                "fromNodes": answer.from_nodes,
                "replicas": answer.replicas,
            }
        )
    if as_json:
        body = rows[0] if nodes is not None else {"rows": rows}
        click.echo(json.dumps({"stack": stack, "mode": autoscaler.mode, "params": json.loads(autoscaler.params.to_json()), **body}, indent=2))
        return
    click.echo(f"{stack}: {autoscaler.mode} {autoscaler.params.to_json()}")
    headers = ["nodes", "cores", "schedulable nodes", "schedulable cores", "from cores", "from nodes", "replicas"]
    click.echo(table(headers, [list(row.values()) for row in rows]))


def main() -> None:
    cli(prog_name="clusterstack")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
