"""The ``clusterstack`` command group, its shared options, and what every command needs: the
project, its stacks, warnings printed, questions asked. Commands live beside it by area."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..engine.state import STATE_DIR_ENV
from ..errors import ClusterstackError, Problem
from ..stack.project import Project


class _Group(click.Group):
    """Turns a ClusterstackError (anything the user can fix) into ``error:`` lines and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ClusterstackError as error:
            for problem in error.problems:
                click.echo(f"error: {problem}", err=True)
            ctx.exit(1)


stack_option = click.option("-s", "--stack", required=True, help="The stack (environment) name, e.g. dev.")
yes_option = click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
diff_option = click.option("--diff", "full", is_flag=True, help="Show full values, and whole objects for creates and deletes.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
namespace_deletion_option = click.option(
    "--allow-namespace-deletion", is_flag=True, help="Allow a plan that deletes Namespaces (and so everything in them)."
)
no_cache_option = click.option(
    "--no-cache", is_flag=True, help="Run the program even when nothing it read has changed since the cached evaluation."
)
detailed_exitcode_option = click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 1 on error, 2 when there are changes."
)


@dataclass(frozen=True)
class Options:
    project_dir: Path
    state_dir: Path | None

    def project(self) -> Project:
        return Project.load(self.project_dir)


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
    ctx.obj = Options(project_dir, state_dir)


def options(ctx: click.Context) -> Options:
    found = ctx.find_object(Options)
    if found is None:
        raise click.UsageError("clusterstack's options are missing")
    return found


def warn(warnings: Iterable[Problem]) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


def confirm(question: str) -> None:
    """Ask on the terminal; anything but "yes" cancels. With no terminal, refuse rather than hang."""
    if not sys.stdin.isatty():
        raise ClusterstackError(["no terminal to confirm on: pass --yes, or apply a saved plan with --plan"])
    answer = click.prompt(f"{question} Only 'yes' will be accepted", default="", show_default=False)
    if answer.strip() != "yes":
        raise ClusterstackError(["cancelled: nothing was changed"])
