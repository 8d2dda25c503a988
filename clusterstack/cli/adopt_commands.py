"""``clusterstack import``: a running cluster's baseline (a ``kubectl get -o yaml`` dump, or a
directory of manifests) into the stack's file, with a report of what did not fit; then the objects
the dump holds of the stack recorded in its state as applied (engine/adopted.py), so the next
``clusterstack preview`` shows no changes.

Order: the import is computed and validated first (a user's error writes nothing); then, under the
stack's state lock (as ``up`` takes it, so a held lock also writes nothing), the stack file is
written and the adoption recorded. The stack file is written before recording because the program
that says what to record is read from it. Should recording fail after that, the stack file is
valid and complete, the state holds what was recorded before the failure (each change is
journaled), and the error names the command that records the rest: ``up --adopt`` records only
what the state lacks, so running it is always safe.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import ClusterstackError
from .app import cli, options, stack_option

if TYPE_CHECKING:
    from ..adopt.dump import LiveObject
    from ..adopt.importer import Outcome


@cli.command("import")
@stack_option
@click.option(
    "--from", "sources", multiple=True, required=True, type=click.Path(path_type=Path),
    help="What kubectl get … -A -o yaml (or -o json) printed, or a directory of manifests; repeatable.",
)
@click.option("--overwrite", is_flag=True, help="Replace values the stack file already has with the imported ones (default: keep them).")
@click.option("--common", "suggest_common", is_flag=True, help="Also list imported values every other stack's file holds too: candidates for common.yaml.")
@click.option("--print", "to_stdout", is_flag=True, help="Print the stack file instead of writing it.")
@click.option("--strict", is_flag=True, help="Exit 1 when anything did not fit (the report's first part is not empty).")
@click.option(
    "--no-record", "no_record", is_flag=True,
    help="Write the stack file only: do not record the dump's objects in the stack's state (clusterstack up --adopt can, later).",
)  # fmt: skip
@click.pass_context
def import_command(
    ctx: click.Context, stack: str, sources: tuple[Path, ...], overwrite: bool, suggest_common: bool, to_stdout: bool, strict: bool, no_record: bool
) -> None:
    """Write a running cluster's baseline into the stack's file (stacks/Pulumi.<stack>.yaml, created if
    absent), and record the objects the dump holds of it in the stack's state as applied."""
    from ..adopt import importer, report

    project = options(ctx).project()
    outcome = importer.run(project, stack, sources, overwrite=overwrite, write=False)
    if to_stdout:
        click.echo(outcome.text, nl=False)
        _report(outcome, suggest_common, to_stdout=True)
    elif no_record:
        importer.save(project, stack, outcome)
        _report(outcome, suggest_common)
    else:
        _save_and_record(ctx, stack, outcome, suggest_common, sources)
    if strict and report.unfit(outcome.imported.notes):
        ctx.exit(1)


def _save_and_record(ctx: click.Context, stack: str, outcome: Outcome, suggest_common: bool, sources: tuple[Path, ...]) -> None:
    from ..adopt import importer
    from ..engine.store import StateStore, state_directory
    from .engine_commands import took_over

    project = options(ctx).project()
    store = StateStore(state_directory(project, options(ctx).state_dir), stack)
    with store.lock("import", took_over):
        importer.save(project, stack, outcome)
        _report(outcome, suggest_common)
        _record(ctx, stack, outcome.display, outcome.objects, sources)


def _record(ctx: click.Context, stack: str, display: str, objects: list[LiveObject], sources: tuple[Path, ...]) -> None:
    """Record in the stack's state what the dump holds of it (the caller holds the lock). On failure:
    the error, and what was written and what records the rest."""
    from ..engine.adopted import record_adopted
    from ..engine.faults import fault
    from .engine_commands import open_stack

    retry = f"clusterstack up -s {stack} " + " ".join(f"--adopt {shlex.quote(str(source))}" for source in sources)
    then = f"{display} is written and valid, but its objects are not all recorded in the stack's state; record them with: {retry}"
    try:
        recorded = record_adopted(open_stack(ctx, stack), objects)
    except ClusterstackError as error:
        raise ClusterstackError([*error.problems, then]) from None
    except OSError as error:
        raise ClusterstackError([*fault(error, f"record the imported objects of stack {stack}").problems, then]) from None
    if recorded:
        click.echo(f"recorded {len(recorded)} object(s) the cluster has in the state of stack {stack}, as applied (nothing is sent to the cluster)")
    else:
        click.echo(f"recorded nothing: the state of stack {stack} holds every object of it the dump has")


def _report(outcome: Outcome, suggest_common: bool, *, to_stdout: bool = False) -> None:
    """The report (on stderr when the stack file went to stdout)."""
    from ..adopt import report, writer

    click.echo(report.render(outcome.imported.notes, outcome.imported.objects, outcome.display), nl=False, err=to_stdout)
    for path in outcome.kept:
        click.echo(f"kept: {path}: the stack file's value stays (--overwrite takes the cluster's)", err=to_stdout)
    if suggest_common:
        if outcome.common:
            click.echo("every stack holds these too; move them to common.yaml:", err=to_stdout)
            click.echo(writer.merge("", outcome.common, "common.yaml").text, nl=False, err=to_stdout)
        else:
            click.echo("--common: no imported value is shared by every other stack's file", err=to_stdout)
