"""``clusterstack import``: a running cluster's baseline (a ``kubectl get -o yaml`` dump, or a
directory of manifests) into the stack's file, with a report of what did not fit."""

from __future__ import annotations

from pathlib import Path

import click

from .app import cli, options, stack_option


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
@click.pass_context
def import_command(ctx: click.Context, stack: str, sources: tuple[Path, ...], overwrite: bool, suggest_common: bool, to_stdout: bool, strict: bool) -> None:
    """Write a running cluster's baseline into the stack's file (stacks/Pulumi.<stack>.yaml, created if absent)."""
    from ..adopt import importer, report, writer

    outcome = importer.run(options(ctx).project(), stack, sources, overwrite=overwrite, write=not to_stdout)
    if to_stdout:
        click.echo(outcome.text, nl=False)
    click.echo(report.render(outcome.imported.notes, outcome.imported.objects, outcome.display), nl=False, err=to_stdout)
    for path in outcome.kept:
        click.echo(f"kept: {path}: the stack file's value stays (--overwrite takes the cluster's)", err=to_stdout)
    if suggest_common:
        if outcome.common:
            click.echo("every stack holds these too; move them to common.yaml:", err=to_stdout)
            click.echo(writer.merge("", outcome.common, "common.yaml").text, nl=False, err=to_stdout)
        else:
            click.echo("--common: no imported value is shared by every other stack's file", err=to_stdout)
    if strict and report.unfit(outcome.imported.notes):
        ctx.exit(1)
