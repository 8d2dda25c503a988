"""Commands that answer questions about stacks without applying them: diff, dns forecast, admit,
reach, capacity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..analysis.table import table
from ..errors import ClusterstackError, Problem
from .app import cli, json_option, no_cache_option, options, stack_option, warn
from .stack_commands import evaluate

if TYPE_CHECKING:
    from ..analysis.pictures import Picture
    from ..analysis.reach import Facts, Flow

# Each command imports what it runs on when it runs, so --help and the other commands start fast.


@cli.command("diff")
@click.argument("first")
@click.argument("second")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@no_cache_option
@click.pass_context
def diff_command(ctx: click.Context, first: str, second: str, as_json: bool, no_cache: bool) -> None:
    """How two stacks (environments) differ: objects only in one, and field differences of the rest."""
    from ..analysis import envdiff

    difference = envdiff.compare(evaluate(ctx, first, cache=not no_cache), evaluate(ctx, second, cache=not no_cache))
    click.echo(envdiff.as_json(difference) if as_json else envdiff.as_text(difference))


@cli.group()
def dns() -> None:
    """The cluster DNS add-ons."""


@dns.command("forecast")
@stack_option
@click.option("--nodes", type=click.IntRange(min=0), help="Nodes in the cluster (all of them).")
@click.option("--cores", type=click.IntRange(min=0), help="Cores in the cluster (all of them).")
@click.option("--schedulable-nodes", type=click.IntRange(min=0), help="Nodes that are not cordoned (default: --nodes).")
@click.option("--schedulable-cores", type=click.IntRange(min=0), help="Cores on those nodes (default: --cores).")
@click.option("--cores-per-node", type=click.IntRange(min=1), default=4, show_default=True, help="For the table: cores of each node.")
@json_option
@click.pass_context
def dns_forecast(
    ctx: click.Context,
    stack: str,
    nodes: int | None,
    cores: int | None,
    schedulable_nodes: int | None,
    schedulable_cores: int | None,
    cores_per_node: int,
    as_json: bool,
) -> None:
    """How many DNS replicas the stack's autoscaler chooses for a cluster size (or a table of sizes)."""
    from ..analysis.forecast import COLUMNS, replica_forecast, table_sizes
    from ..components.cpa import ClusterSize
    from ..program.evaluate import Evaluator

    stack_read = Evaluator(options(ctx).project(), stack)  # read and validated as every command does; no program run
    warn(stack_read.warnings)
    assert stack_read.spec is not None, "validated, not cached"
    autoscaler = stack_read.spec.args.dns.autoscaler
    if autoscaler is None:
        raise ClusterstackError([f"stack {stack} has no clusterstack:dns.autoscaler; nothing to forecast"])
    if nodes is None and cores is None:
        answer = replica_forecast(autoscaler, table_sizes(cores_per_node))
        body: dict[str, object] = {"rows": answer.rows}
    elif nodes is not None and cores is not None:
        answer = replica_forecast(autoscaler, [ClusterSize.of(nodes, cores, schedulable_nodes, schedulable_cores)])
        body = dict(answer.rows[0])
    else:
        raise click.UsageError("give both --nodes and --cores, or neither for a table")
    if as_json:
        click.echo(json.dumps({"stack": stack, "mode": answer.mode, "params": answer.params, **body}, indent=2))
        return
    click.echo(f"{stack}: {answer.mode} {autoscaler.params.to_json()}")
    click.echo(table(list(COLUMNS.values()), [[row[key] for key in COLUMNS] for row in answer.rows]))


NO_NODE_POOLS = (
    "is not set or empty, so there is no cluster to set the quotas against; list the cluster's node pools, e.g. "
    "nodePools: [{name: general, count: 3, cpu: 8, memory: 32Gi}] (kubeReserved, systemReserved and evictionHard as the kubelets have them)"
)


@cli.command()
@stack_option
@json_option
@click.pass_context
def capacity(ctx: click.Context, stack: str, as_json: bool) -> None:
    """The node pools' allocatable (capacity less the kubelets' reservations) against the tenants'
    quotas: per resource, how far the quotas together overcommit the cluster, and which tenants no
    quota bounds. LimitRanges no node could satisfy are errors, as in validate."""
    from ..analysis.capacity import capacity_report
    from ..program.evaluate import Evaluator

    stack_read = Evaluator(options(ctx).project(), stack)  # read and validated as every command does; no program run
    warn(stack_read.warnings)
    if stack_read.spec is None:
        raise RuntimeError("the stack was read from the evaluation cache, which capacity does not use")
    args = stack_read.spec.args
    if not args.cluster.node_pools:
        raise ClusterstackError([Problem(stack_read.config.stack_layer.file, "clusterstack:cluster.nodePools", NO_NODE_POOLS)])
    report = capacity_report(args)
    click.echo(json.dumps(report.to_json(stack), indent=2) if as_json else report.as_text(stack))


@cli.command()
@stack_option
@click.option(
    "-f",
    "--filename",
    "files",
    multiple=True,
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Manifests to admit, in order (repeatable).",
)
@click.option(
    "--usage",
    type=click.Path(dir_okay=False, path_type=Path),
    help="ResourceQuotas with status.used (kubectl get resourcequota -A -o yaml): what the namespaces already use.",
)
@json_option
@no_cache_option
@click.pass_context
def admit(ctx: click.Context, stack: str, files: tuple[Path, ...], usage: Path | None, as_json: bool, no_cache: bool) -> None:
    """Would the API server admit these objects into the stack's namespaces? LimitRanger's defaults and
    checks, then ResourceQuota, as if applied one after another. Exit 0 when all are admitted.

    Creates only: not updates or deletes (an object with metadata.resourceVersion is refused as input),
    not usage that depends on status (terminated pods, resizes), not the limitedResources admission
    configuration. Held to upstream's LimitRanger and ResourceQuota tests (tests/conformance)."""
    from ..analysis import admission
    from ..stack.spec import load_spec

    evaluation = evaluate(ctx, stack, cache=not no_cache)
    documents = [(path, document) for path in files for document in _manifests(path)]
    used = _manifests(usage) if usage is not None else []
    try:
        objects = [d.manifest for d in evaluation.objects]
        classes = admission.classes_of(objects, load_spec(evaluation.config).args.cluster.existing.priority_classes)
        admitter = admission.Admission(admission.namespaces_of(objects, _items(used)), classes)
    except admission.BadObject as error:
        raise ClusterstackError([str(error)]) from None
    verdicts = []
    for path, document in documents:
        try:
            verdicts.append(admitter.admit(document))
        except admission.BadObject as error:  # the file it came from, then the object and key
            raise ClusterstackError([f"{path}: {error}"]) from None
    if as_json:
        click.echo(json.dumps([v.to_json() for v in verdicts], indent=2))
    else:
        for verdict in verdicts:
            click.echo(_verdict_text(verdict))
    if not all(v.admitted for v in verdicts):
        ctx.exit(1)


def _manifests(path: Path) -> list[dict[str, object]]:
    import yaml

    from ..kube.serialize import Loader

    try:
        documents = [d for d in yaml.load_all(path.read_text(), Loader=Loader) if d is not None]
    except OSError as error:
        raise ClusterstackError([f"{path}: cannot be read ({error.strerror})"]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ClusterstackError([f"{path}: is not valid YAML ({' '.join(str(error).split())[:200]})"]) from None
    bad = [i for i, d in enumerate(documents) if not isinstance(d, dict) or "kind" not in d]
    if bad:
        raise ClusterstackError([f"{path}: document {bad[0] + 1} is not a Kubernetes object (no kind)"])
    return documents


def _items(documents: list[dict[str, object]]) -> list[dict[str, object]]:
    """Objects, with kubectl's List (what ``kubectl get -o yaml`` prints) opened up."""
    found: list[dict[str, object]] = []
    for document in documents:
        items = document.get("items")
        if document.get("kind") == "List" and isinstance(items, list):
            found += [item for item in items if isinstance(item, dict)]
        else:
            found.append(document)
    return found


def _verdict_text(verdict: object) -> str:
    from ..analysis.admission import Verdict

    assert isinstance(verdict, Verdict)
    where = f"{verdict.kind} {verdict.namespace}/{verdict.name}"
    if not verdict.admitted:
        return f"{click.style('✗', fg='red')} {where}: refused\n" + "\n".join(f"    {reason}" for reason in verdict.reasons)
    lines = [f"{click.style('✓', fg='green')} {where}: admitted"]
    for container, resources in verdict.defaulted.items():
        parts = [f"{which} {', '.join(f'{k}={v}' for k, v in values.items())}" for which, values in resources.items() if values]
        lines.append(f"    {container}: {'; '.join(parts) if parts else 'no requests or limits'}")
    return "\n".join(lines)


REACH_FORMATS = ["text", "mermaid", "dot", "svg", "html", "matrix", "csv"]


@cli.command()
@stack_option
@click.option("--from", "source", help="A namespace, NS/key=value,... for pods with those labels, or an IP.")
@click.option("--to", "destination", help="As --from; or kube-system/k8s-app=kube-dns for the cluster DNS.")
@click.option("--port", type=click.IntRange(1, 65535), help="The destination port (with --from and --to).")
@click.option("--protocol", type=click.Choice(["TCP", "UDP", "SCTP"]), default="TCP", show_default=True)
@click.option("--diff", "other", help="Another stack: the flows it opens and closes against this one.")
@click.option(
    "--format",
    "output",
    type=click.Choice(REACH_FORMATS),
    default="text",
    show_default=True,
    help="mermaid, dot: a graph to embed; svg, html: a picture to open; matrix, csv: namespaces × destinations with the ports.",
)
@click.option(
    "--only",
    "only_patterns",
    multiple=True,
    metavar="NAMESPACE",
    help="Just the flows from or to these namespaces (repeatable; a shell pattern such as 'team-00*' matches several).",
)
@json_option
@no_cache_option
@click.pass_context
def reach(
    ctx: click.Context,
    stack: str,
    source: str | None,
    destination: str | None,
    port: int | None,
    protocol: str,
    other: str | None,
    output: str,
    only_patterns: tuple[str, ...],
    as_json: bool,
    no_cache: bool,
) -> None:
    """Who can talk to whom under the stack's NetworkPolicies: every allowed flow between its namespaces,
    to DNS, to the CIDRs it names, to the internet and to the cloud metadata address; or one question
    (--from, --to, --port: exit 0 allowed, 1 denied); or what another stack changes (--diff). --format
    draws it (with --diff: the other stack's flows, what it opens and closes highlighted)."""
    from ..analysis import reach as reachability

    question = source is not None or destination is not None or port is not None
    if output != "text" and (as_json or question):
        raise click.UsageError(f"--format {output} draws every flow of the stack: it goes with neither --json nor a question (--from, --to, --port)")
    if only_patterns and question:
        raise click.UsageError("--only narrows the flows listed or drawn: a question (--from, --to, --port) names its own namespaces")
    evaluation = evaluate(ctx, stack, cache=not no_cache)
    facts = reachability.facts_of([d.manifest for d in evaluation.objects], evaluation.config)
    after = None
    if other is not None:
        second = evaluate(ctx, other, cache=not no_cache)
        after = reachability.facts_of([d.manifest for d in second.objects], second.config)
    try:
        # With --diff, a namespace only the other stack has is one to ask about too.
        known = [*facts.namespaces, *(after.namespaces if after is not None else ())]
        only = reachability.namespaces_matching(known, only_patterns) if only_patterns else None
    except ValueError as error:
        raise ClusterstackError([str(error)]) from None
    if output != "text":
        click.echo(_reach_drawn(output, stack, facts, other, after, only), nl=False)
        return
    if question:
        if source is None or destination is None or port is None:
            raise click.UsageError("a question needs --from, --to and --port")
        try:
            decision = facts.decide(reachability.endpoint(source, facts), reachability.endpoint(destination, facts), port, protocol)
        except ValueError as error:
            raise ClusterstackError([str(error)]) from None
        if as_json:
            click.echo(json.dumps({"allowed": decision.allowed, "because": decision.because}))
        else:
            because = ", ".join(decision.because) or "no policy selects either end"
            click.echo(f"{source} → {destination} {protocol} {port}: {'allowed' if decision.allowed else 'denied'} ({because})")
        if not decision.allowed:
            ctx.exit(1)
        return
    if after is not None:
        opened, closed = reachability.changes(facts, after, only)
        if as_json:
            click.echo(json.dumps({"opens": [str(f) for f in opened], "closes": [str(f) for f in closed]}, indent=2))
        else:
            click.echo("\n".join([f"+ {f}" for f in opened] + [f"- {f}" for f in closed]) or f"{other} allows exactly what {stack} allows.")
        return
    flows = reachability.matrix(facts, only)
    denied = reachability.denied_specials(facts, flows, only)
    if as_json:
        click.echo(json.dumps({"flows": [str(f) for f in flows], "denied": denied}, indent=2))
        return
    for flow_source, targets in reachability.grouped(flows):
        click.echo(flow_source)
        for flow_destination, ports in targets:
            click.echo(f"  → {flow_destination}: {ports}")
    if denied:
        click.echo("\nDenied:")
        click.echo("\n".join(f"  {line}" for line in denied))


def _reach_drawn(output: str, stack: str, facts: Facts, other: str | None, after: Facts | None, only: set[str] | None) -> str:
    """The stack's flows in a drawn format (``only``: those from or to these namespaces); with
    ``other`` (whose facts are ``after``), its flows, and what it opens and closes against this one highlighted. A
    Mermaid chart Mermaid would not draw, or a matrix too large to read, is an error that says so."""
    from ..analysis import drawing, flowmatrix, pictures
    from ..analysis import reach as reachability

    endpoints, title = pictures.endpoints(facts, only), f"clusterstack reach: {stack}"
    _refuse_too_large(output, pictures.picture((), (), (), endpoints))  # before the flows: at 10,000 namespaces they take seconds
    flows = reachability.matrix(facts, only)
    opened: list[Flow] = []
    closed: list[Flow] = []
    if other is not None and after is not None:
        before, flows = flows, reachability.matrix(after, only)  # each matrix once: a large stack's takes long
        opened, closed = reachability.difference(before, flows)
        endpoints, title = endpoints + pictures.endpoints(after, only), f"clusterstack reach: {stack} → {other}"
    picture = pictures.picture(flows, opened, closed, endpoints)
    _refuse_too_large(output, picture)
    if output == "mermaid":
        text = pictures.mermaid_text(picture)
        why = pictures.mermaid_too_large(picture, text)
        if why is not None:
            raise ClusterstackError([f"reach --format mermaid: the chart has {why}; narrow it with --only NAMESPACE, or draw it with --format svg or dot"])
        return text
    writers = {
        "dot": lambda: pictures.dot_text(picture),
        "svg": lambda: drawing.svg(picture, title),
        "html": lambda: drawing.html_page(picture, title),
        "matrix": lambda: flowmatrix.as_text(picture),
        "csv": lambda: flowmatrix.as_csv(picture),
    }
    return writers[output]()


def _refuse_too_large(output: str, picture: Picture) -> None:
    from ..analysis import flowmatrix

    if output in ("matrix", "csv") and (why := flowmatrix.too_large(picture)) is not None:
        raise ClusterstackError([f"reach --format {output}: the matrix would have {why}; narrow it with --only NAMESPACE (a shell pattern matches several)"])
