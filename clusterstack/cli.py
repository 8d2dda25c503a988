"""The ``clusterstack`` command: a thin shell over the engine. It parses, calls, prints.

A ClusterstackError (anything the user can fix) is printed as ``error: <file>: <key>: <what>`` lines
and exits 1, without a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from components.cpa import ClusterSize, forecast

from .errors import ClusterstackError
from .evaluate import Evaluation, evaluate
from .project import Project
from .render import FORMATS, dump, table, write_files
from .schemas import check, supported_versions
from .spec import Loaded, load_platform
from .stackconfig import read_stack


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ClusterstackError as error:
            for problem in error.problems:
                click.echo(f"error: {problem}", err=True)
            ctx.exit(1)


stack_option = click.option("-s", "--stack", required=True, help="The stack (environment) name, e.g. dev.")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--project-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The Pulumi project (the directory holding Pulumi.yaml).",
)
@click.pass_context
def cli(ctx: click.Context, project_dir: Path) -> None:
    """Declare a Kubernetes cluster's platform baseline per environment; render, validate and apply it."""
    ctx.obj = project_dir


def _project(ctx: click.Context) -> Project:
    return Project.load(ctx.obj)


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
