"""The ``clusterstack`` command group, its shared options, and what every command needs: the
project, its stacks, warnings printed, questions asked. Commands live beside it by area."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..engine.faults import Interrupted, fault
from ..engine.store import STATE_DIR_ENV
from ..errors import ClusterstackError, Problem
from ..program.failure import DEBUG_ENV, print_details
from ..stack.project import Project


class _Group(click.Group):
    """Turns a ClusterstackError (anything the user can fix) into ``error:`` lines and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ClusterstackError as error:
            print_details(error)
            for problem in error.problems:
                click.echo(f"error: {problem}", err=True)
            ctx.exit(1)
        except Interrupted as interrupted:
            stopped = "stopped cleanly; no lock or temporary file left, state holds every change applied before it"
            click.echo(f"error: interrupted by {interrupted.name}: {stopped}", err=True)
            raise
        except OSError as error:
            if error.errno == errno.EPIPE:
                raise  # stdout closed by its reader (| head): click's own handling is the right one
            # A fault no layer below named more precisely: still one line, naming the file.
            click.echo(f"error: {fault(error, f'run {ctx.invoked_subcommand}').problems[0]}", err=True)
            ctx.exit(1)

    def main(
        self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None, standalone_mode: bool = True, **extra: Any
    ) -> Any:
        """Exit codes: 0 done, 1 any error (a mistyped option too: click's 2 means "changes present"
        under --detailed-exitcode), 2 only for that."""
        run = super().main
        if not standalone_mode:
            return run(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = run(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as error:
            error.show()
            sys.exit(1)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


stack_option = click.option("-s", "--stack", required=True, help="The stack (environment) name, e.g. dev.")
yes_option = click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
diff_option = click.option("--diff", "full", is_flag=True, help="Show full values, and whole objects for creates and deletes.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
namespace_deletion_option = click.option(
    "--allow-namespace-deletion", is_flag=True, help="Allow a plan that deletes Namespaces (and so everything in them)."
)
refresh_option = click.option(
    "--refresh",
    "with_refresh",
    type=click.BOOL,
    default=True,
    is_flag=False,
    flag_value=True,
    show_default=True,
    help="Read the target back first, so what was edited or deleted by hand shows in the plan (--refresh=false: plan against state alone).",
)
no_cache_option = click.option(
    "--no-cache", is_flag=True, help="Run the program even when nothing it read has changed since the cached evaluation."
)
detailed_exitcode_option = click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 1 on error, 2 when there are changes."
)


@dataclass
class Options:
    project_dir: Path | None
    """Given with --project-dir; None: the nearest directory upwards holding Pulumi.yaml, as git finds .git."""
    state_dir: Path | None

    def project(self) -> Project:
        return Project.load(self.project_dir) if self.project_dir is not None else Project.find(Path.cwd())


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """--project-dir and --state-dir given after the command name: as if given before it."""
    if value is None:
        return
    found = ctx.find_object(Options)
    if found is not None and param.name is not None:
        setattr(found, param.name, value)


PROJECT_DIR_HELP = "The Pulumi project (the directory holding Pulumi.yaml); default: the nearest one upwards from here."
STATE_DIR_HELP = f"Where the engine keeps state (default: <project>/.clusterstack; env {STATE_DIR_ENV})."


def shared_options() -> list[click.Option]:
    """--project-dir and --state-dir, for every command, after its name too."""
    path = click.Path(file_okay=False, path_type=Path)
    return [
        click.Option(["--project-dir"], type=path, expose_value=False, is_eager=False, callback=_remember, help=PROJECT_DIR_HELP),
        click.Option(["--state-dir"], type=path, expose_value=False, callback=_remember, help=STATE_DIR_HELP),
        click.Option(["--debug"], is_flag=True, expose_value=False, callback=_debug, help=DEBUG_HELP),
    ]


DEBUG_HELP = f"When the program fails, print the whole traceback too (env {DEBUG_ENV}=1)."


def _debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        os.environ[DEBUG_ENV] = "1"


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--project-dir", type=click.Path(file_okay=False, path_type=Path), help=PROJECT_DIR_HELP)
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), envvar=STATE_DIR_ENV, help=STATE_DIR_HELP)
@click.option("--debug", is_flag=True, expose_value=False, callback=_debug, help=DEBUG_HELP)
@click.pass_context
def cli(ctx: click.Context, project_dir: Path | None, state_dir: Path | None) -> None:
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
