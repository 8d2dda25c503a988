"""Reachability as a picture: the flows of clusterstack/analysis/reach.py as a graph of namespaces and
the special destinations (cluster DNS, CIDRs, the internet, the cloud metadata address), and that graph
as Mermaid and Graphviz DOT text for embedding (svg.py draws it as SVG).

Call ``mermaid(flows, opened=..., closed=..., endpoints=...)`` or ``dot(...)`` with ``reach.Flow``s:

- ``flows``: the allowed flows to draw (``reach.matrix(facts)``), each as it stands;
- ``opened`` / ``closed``: flows a change opens and closes (``reach.changes(before, after)``); drawn
  highlighted, whether or not they are also in ``flows``. ``mermaid((), opened=o, closed=c)`` is the
  picture of a change alone;
- ``endpoints``: labels to draw as nodes even when no drawn flow touches them (``endpoints(facts)``:
  every namespace and destination of the stack), so a namespace that reaches nothing still shows.
  Denied flows are never drawn: denied-by-default shows as the absence of an edge.

One node per namespace: the representative pods of a namespace (``NS/app=x``) are folded into it, and
an edge's label says which pods a port is allowed between when it is not all of them (``TCP 8080 to
app=payments-api``). A port allowed between the namespaces' pods in general is not repeated for their
labelled pods. ``clusterstack reach`` in text is the exact list. The output is deterministic: nodes by
kind then name, edges by their ends, identifiers numbered in that order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ..kube.flows import Pod
from .reach import Facts, Flow

Kind = Literal["namespace", "dns", "cidr", "internet", "metadata"]
Status = Literal["kept", "opened", "closed"]
KINDS: tuple[Kind, ...] = ("namespace", "dns", "cidr", "internet", "metadata")
STATUSES: tuple[Status, ...] = ("kept", "opened", "closed")
KIND_NAMES: dict[Kind, str] = {
    "namespace": "namespace",
    "dns": "cluster DNS (kube-dns, NodeLocal DNSCache)",
    "cidr": "CIDR a policy names",
    "internet": "the internet",
    "metadata": "cloud metadata address",
}
STATUS_MARKS: dict[Status, str] = {"kept": "", "opened": "+ ", "closed": "- "}
"""Opened and closed read without colour too (a printed page, a colour-blind reviewer)."""
COLOURS: dict[str, str] = {
    # GitHub's Primer palette: readable on its light and dark themes.
    "namespace": "#ddf4ff",
    "dns": "#fff8c5",
    "cidr": "#f6f8fa",
    "internet": "#ffebe9",
    "metadata": "#fbefff",
    "kept": "#57606a",
    "opened": "#1a7f37",
    "closed": "#cf222e",
}
NODE_STROKE = "#57606a"
LEGEND_DENIED = "no edge: denied (by default or by a policy)"

_PREFIXES: tuple[tuple[str, Kind], ...] = (
    # The labels reach.Facts.targets() gives its special destinations (tests/test_pictures.py holds them).
    ("kube-dns (", "dns"),
    ("kube-dns ClusterIP ", "dns"),
    ("node-local-dns ", "dns"),
    ("the internet (", "internet"),
    ("cloud metadata ", "metadata"),
)


@dataclass(frozen=True, order=True)
class Node:
    rank: int
    name: str
    kind: Kind


@dataclass(frozen=True)
class Edge:
    source: Node
    destination: Node
    status: Status
    ports: tuple[str, ...]
    """What is allowed: the ports, one group per pair of pod label sets (qualified where not all pods)."""

    @property
    def label(self) -> str:
        return STATUS_MARKS[self.status] + "; ".join(self.ports)


@dataclass(frozen=True)
class Picture:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    @property
    def changed(self) -> bool:
        return any(edge.status != "kept" for edge in self.edges)

    def ids(self) -> dict[Node, str]:
        return {node: f"n{index}" for index, node in enumerate(self.nodes)}


def endpoints(facts: Facts, only: set[str] | None = None) -> list[str]:
    """Every source and destination of the stack, to draw even where no flow touches it; ``only``: of
    its namespaces, just these."""
    return [t.label for t in facts.targets() if only is None or not isinstance(t.endpoint, Pod) or t.endpoint.namespace in only]


MERMAID_MAX_EDGES = 500
"""The most edges Mermaid draws in a flowchart unless the page that renders it raises ``maxEdges``
(mermaid 11.17's default configuration; past it the flowchart's database throws "Edge limit
exceeded"). GitHub and GitLab render with the defaults, and a chart cannot raise it: Mermaid says
"it is a secure config"."""
MERMAID_MAX_TEXT = 50_000
"""The most characters of a diagram Mermaid reads by default (mermaid 11.17's ``maxTextSize``); past
it, it draws "Maximum text size in diagram exceeded" instead."""


def mermaid_too_large(drawn: Picture, text: str) -> str | None:
    """Why Mermaid's defaults would not draw ``text`` (the chart of ``drawn``), or None when they would."""
    if len(drawn.edges) > MERMAID_MAX_EDGES:
        return f"{len(drawn.edges):,} edges, and Mermaid draws at most {MERMAID_MAX_EDGES} (its maxEdges)"
    if len(text) > MERMAID_MAX_TEXT:
        return f"{len(text):,} characters, and Mermaid reads at most {MERMAID_MAX_TEXT:,} (its maxTextSize)"
    return None


def node_of(label: str) -> tuple[Node, str]:
    """The node a flow's end belongs to, and the pods' labels within it ("" for none or not a namespace).
    A namespace's name and label selectors hold no space (DNS-1123 names, label syntax); every special
    destination's label does."""
    if " " not in label:
        namespace, _, selector = label.partition("/")
        return Node(0, namespace, "namespace"), selector
    for prefix, kind in _PREFIXES:
        if label.startswith(prefix):
            return Node(KINDS.index(kind), label, kind), ""
    return Node(KINDS.index("cidr"), label, "cidr"), ""


def picture(flows: Iterable[Flow], opened: Iterable[Flow] = (), closed: Iterable[Flow] = (), endpoints: Iterable[str] = ()) -> Picture:
    opened, closed = set(opened), set(closed)
    drawn: dict[Flow, Status] = {flow: ("opened" if flow in opened else "closed" if flow in closed else "kept") for flow in [*flows, *opened, *closed]}
    nodes = {node_of(label)[0] for label in endpoints}
    entries: dict[tuple[Node, Node, Status], set[tuple[str, str, Flow]]] = {}
    for flow, status in drawn.items():
        source, source_pods = node_of(flow.source)
        destination, destination_pods = node_of(flow.destination)
        nodes |= {source, destination}
        entries.setdefault((source, destination, status), set()).add((source_pods, destination_pods, flow))
    edges = [Edge(source, destination, status, _ports(found)) for (source, destination, status), found in entries.items()]
    edges.sort(key=lambda edge: (edge.source, edge.destination, STATUSES.index(edge.status)))
    return Picture(tuple(sorted(nodes)), tuple(edges))


def _ports(found: set[tuple[str, str, Flow]]) -> tuple[str, ...]:
    """One entry per port, dropping those a broader entry covers: the same port (or any port) allowed
    from all the source namespace's pods covers it from its labelled ones, and likewise at the other end."""

    def covers(wider: tuple[str, str, Flow], narrower: tuple[str, str, Flow]) -> bool:
        return (
            wider[0] in ("", narrower[0])
            and wider[1] in ("", narrower[1])
            and wider[2].ports in ("any port", narrower[2].ports)
        )

    kept = [entry for entry in found if not any(other != entry and covers(other, entry) and not covers(entry, other) for other in found)]
    groups: dict[tuple[str, str], dict[str, tuple[bool, str, int]]] = {}
    for source_pods, destination_pods, flow in kept:
        order = (flow.port is not None, flow.protocol, flow.port if flow.port is not None else 0)
        ports = groups.setdefault((source_pods, destination_pods), {})
        ports[flow.ports] = min(order, ports.get(flow.ports, order))
    return tuple(
        ", ".join(sorted(ports, key=lambda text: (ports[text], text)))
        + (f" from {source_pods}" if source_pods else "")
        + (f" to {destination_pods}" if destination_pods else "")
        for (source_pods, destination_pods), ports in sorted(groups.items())
    )


def mermaid(flows: Iterable[Flow], opened: Iterable[Flow] = (), closed: Iterable[Flow] = (), endpoints: Iterable[str] = ()) -> str:
    """A Mermaid flowchart (https://mermaid.js.org/syntax/flowchart.html): one node per namespace and
    special destination, shaped and coloured by kind; an edge per allowed pair labelled with its ports;
    opened edges thick and green with ``+``, closed ones dotted and red with ``-``, and a legend then."""
    return mermaid_text(picture(flows, opened, closed, endpoints))


def mermaid_text(drawn: Picture) -> str:
    ids = drawn.ids()
    lines = ["flowchart LR"]
    shapes: dict[Kind, tuple[str, str]] = {
        "namespace": ("[", "]"),
        "dns": ("([", "])"),
        "cidr": ("[/", "/]"),
        "internet": ("((", "))"),
        "metadata": ("{{", "}}"),
    }
    for node in drawn.nodes:
        opening, closing = shapes[node.kind]
        lines.append(f"  {ids[node]}{opening}{_mermaid_string(node.name)}{closing}")
    arrows: dict[Status, str] = {"kept": "-->", "opened": "==>", "closed": "-.->"}
    for edge in drawn.edges:
        lines.append(f"  {ids[edge.source]} {arrows[edge.status]}|{_mermaid_string(edge.label)}| {ids[edge.destination]}")
    if drawn.changed:
        lines.append('  subgraph legend["legend"]')
        lines.append(f"    legend_opened[{_mermaid_string('+ opened by the change')}]:::opened")
        lines.append(f"    legend_closed[{_mermaid_string('- closed by the change')}]:::closed")
        lines.append("  end")
    for kind in KINDS:
        lines.append(f"  classDef {kind} fill:{COLOURS[kind]},stroke:{NODE_STROKE},color:#1f2328")
    for status in ("opened", "closed"):
        lines.append(f"  classDef {status} fill:#ffffff,stroke:{COLOURS[status]},stroke-width:2px,color:{COLOURS[status]}")
    for kind in KINDS:
        members = [ids[node] for node in drawn.nodes if node.kind == kind]
        if members:
            lines.append(f"  class {','.join(members)} {kind}")
    for status in ("opened", "closed"):
        # One linkStyle per status: the edges are numbered in the order they were declared.
        numbers = [str(index) for index, edge in enumerate(drawn.edges) if edge.status == status]
        if numbers:
            dashes = ",stroke-dasharray:4 4" if status == "closed" else ""
            lines.append(f"  linkStyle {','.join(numbers)} stroke:{COLOURS[status]},stroke-width:2px,color:{COLOURS[status]}{dashes}")
    return "\n".join(lines) + "\n"


_MERMAID_LOOKALIKES = str.maketrans({'"': "'", "`": "'", "<": "‹", ">": "›", "&": "＆", "#": "＃", "|": "¦"})
"""Characters no name Kubernetes accepts holds, which a quoted Mermaid string cannot carry as they
are: '"' ends the string, '#…;' is taken for an entity code (which Mermaid 11.17 then prints as its
internal placeholder, "ﬂ°°35¶ß"), '<', '>' and '&' are HTML to its label renderer, a backtick opens
a Markdown string, '|' ends an edge's text. Each becomes a look-alike, so a hostile value reads almost
as written and cannot leave its label."""


def _mermaid_string(text: str) -> str:
    """A quoted Mermaid string (flow.jison's STR: anything but '"'), with the look-alikes above and
    control characters as spaces."""
    return '"' + "".join(" " if ord(char) < 32 or char == "\x7f" else char for char in text.translate(_MERMAID_LOOKALIKES)) + '"'


def dot(flows: Iterable[Flow], opened: Iterable[Flow] = (), closed: Iterable[Flow] = (), endpoints: Iterable[str] = ()) -> str:
    """A Graphviz digraph (https://graphviz.org/doc/info/lang.html), for ``dot -Tsvg``: the same nodes
    and edges as ``mermaid``, opened edges bold green, closed ones dashed red, and a legend cluster."""
    return dot_text(picture(flows, opened, closed, endpoints))


def dot_text(drawn: Picture) -> str:
    ids = drawn.ids()
    shapes: dict[Kind, str] = {"namespace": "box", "dns": "ellipse", "cidr": "parallelogram", "internet": "doublecircle", "metadata": "octagon"}
    lines = [
        "digraph reach {",
        "  rankdir=LR;",
        '  node [style=filled, fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for node in drawn.nodes:
        lines.append(f"  {ids[node]} [label={_dot_string(node.name)}, shape={shapes[node.kind]}, fillcolor={_dot_string(COLOURS[node.kind])}];")
    styles: dict[Status, str] = {"kept": "solid", "opened": "bold", "closed": "dashed"}
    for edge in drawn.edges:
        colour, label = _dot_string(COLOURS[edge.status]), _dot_string(edge.label)
        lines.append(f"  {ids[edge.source]} -> {ids[edge.destination]} [label={label}, color={colour}, fontcolor={colour}, style={styles[edge.status]}];")
    lines.append("  subgraph cluster_legend {")
    lines.append('    label="legend"; fontname="Helvetica"; fontsize=10;')
    for kind in KINDS:
        lines.append(f"    legend_{kind} [label={_dot_string(KIND_NAMES[kind])}, shape={shapes[kind]}, fillcolor={_dot_string(COLOURS[kind])}];")
    lines.append(f"    legend_denied [label={_dot_string(LEGEND_DENIED)}, shape=plaintext, style=solid];")
    if drawn.changed:
        for status in ("opened", "closed"):
            label = _dot_string(STATUS_MARKS[status] + status + " by the change")
            lines.append(f"    legend_{status} [label={label}, shape=plaintext, style=solid, fontcolor={_dot_string(COLOURS[status])}];")
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_string(text: str) -> str:
    """A DOT quoted string: only '"' and '\\' are special in it, and a backslash would start an escape
    such as \\l or \\N in a label, so both are escaped; a newline is folded to a space."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ") + '"'
