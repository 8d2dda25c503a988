"""Commands on a stack's files and what they declare: stacks, render, validate, schema."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import FIELD_DOCS_ENV
from ..engine.layout import write_files
from ..engine.store import state_directory
from ..errors import ClusterstackError
from ..kube.serialize import FORMATS, dump
from .app import cli, no_cache_option, options, stack_option, warn

if TYPE_CHECKING:
    from ..kube.kinds import ObjectKey
    from ..program.evaluate import Declared, Evaluation

# Each command imports what it runs on when it runs, so --help and the other commands start fast.


def evaluate(ctx: click.Context, stack: str, *, cache: bool = True) -> Evaluation:
    """Read and validate the stack, run the program on it (or take its cached evaluation), and print
    the stack's warnings."""
    from ..program.evaluate import evaluate_stack

    opts = options(ctx)
    project = opts.project()
    evaluation = evaluate_stack(project, stack, state_directory(project, opts.state_dir) if cache else None)
    warn(evaluation.warnings)
    return evaluation


def secret_manifests(objects: Iterable[Declared], show: bool) -> tuple[list[tuple[ObjectKey, dict[str, Any], bool]], list[str]]:
    """What render prints: each object with whether it holds secret values; those, with their values
    in plain text when ``show``, else left out (and named, second)."""
    kept: list[tuple[ObjectKey, dict[str, Any], bool]] = []
    left_out = []
    for declared in objects:
        if not declared.secret_values:
            kept.append((declared.key, declared.manifest, False))
        elif show:
            kept.append((declared.key, {**declared.manifest, **declared.secret_values}, True))
        else:
            left_out.append(str(declared.key))
    return kept, left_out


@cli.command()
@click.pass_context
def stacks(ctx: click.Context) -> None:
    """List the stacks in the project's stack directory."""
    for name in options(ctx).project().stacks():
        click.echo(name)


@cli.command()
@stack_option
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path), help="Write one file per object here instead of printing.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="yaml", show_default=True)
@click.option(
    "--show-secrets", is_flag=True, help="Include objects holding values the program marks secret, in plain text (files 0600); without it they are left out."
)
@no_cache_option
@click.pass_context
def render(ctx: click.Context, stack: str, output_dir: Path | None, fmt: str, show_secrets: bool, no_cache: bool) -> None:
    """Print every object the stack declares, Namespaces first."""
    evaluation = evaluate(ctx, stack, cache=not no_cache)
    # Left out rather than shown as [secret]: kubectl would apply the placeholder as the Secret's data.
    objects, left_out = secret_manifests(evaluation.objects, show_secrets)
    if left_out:
        click.echo(
            f"note: left out, as they hold values the program marks secret: {', '.join(left_out)}; "
            "deliver them with SOPS, Sealed Secrets or External Secrets, or pass --show-secrets",
            err=True,
        )
    if output_dir is None:
        click.echo(dump((manifest for _, manifest, _ in objects), fmt), nl=False)
        return
    written = write_files(objects, output_dir, fmt)
    click.echo(f"wrote {len(written)} files to {output_dir}", err=True)


@cli.command()
@stack_option
@click.option(
    "--kubernetes-version",
    help="Check against this Kubernetes minor version (default: the stack's cluster.kubernetesVersion).",
)
@no_cache_option
@click.pass_context
def validate(ctx: click.Context, stack: str, kubernetes_version: str | None, no_cache: bool) -> None:
    """Validate the stack's spec and check every object against the Kubernetes schemas (strict)."""
    from ..analysis.kubeschema import check, require_supported

    evaluation = evaluate(ctx, stack, cache=not no_cache)
    version = kubernetes_version if kubernetes_version is not None else evaluation.kubernetes_version
    require_supported(version)
    failures = check(((d.key, {**d.manifest, **d.secret_values}) for d in evaluation.objects), version)
    if failures:
        raise ClusterstackError(failures)
    click.echo(f"{stack}: {len(evaluation.objects)} objects valid against the Kubernetes {version} schemas (strict)")


@cli.command("schema")
@click.option("--stack-file", is_flag=True, help="The schema of a whole stack file (for editors), not of the values.")
def schema_command(stack_file: bool) -> None:
    """Print the JSON Schema of a stack's clusterstack: values (published as stacks/clusterstack.schema.json)."""
    os.environ[FIELD_DOCS_ENV] = "1"  # the descriptions are the fields' docstrings (main turns them off for the rest)
    from ..stack import schema

    click.echo(schema.dumps(schema.stack_file_schema() if stack_file else schema.values_schema()), nl=False)
