"""Reachability drawn as SVG by the project itself (no Graphviz, no browser script): the picture of
pictures.py laid out as an N² chart, and an HTML page holding it for a browser.

Layout, deterministic, and legible for tens of namespaces because no two labels can meet: every node
on the diagonal, the namespaces first in name order, then the special destinations (cluster DNS, CIDRs,
the internet, the cloud metadata address) by kind. A flow from node i to node j leaves i along row i to
column j, then turns towards j: down when j comes later, up when earlier. Its label (the ports) sits in
the one cell beside that corner, which no other edge's label uses and no line crosses; lines that
overlap share their source (along a row) or their destination (along a column). What a namespace allows
within itself is written in its box. Each edge's ``<title>`` repeats its ends and ports for a pointer
hovering it. Denied flows are not drawn: an absent edge is a denied flow, which the legend says.

Every text the stack supplies (namespace names, label selectors, CIDRs) is escaped for XML, and
characters XML 1.0 cannot carry are replaced, so no value can add markup or break the document.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from .pictures import COLOURS, KIND_NAMES, KINDS, LEGEND_DENIED, NODE_STROKE, STATUS_MARKS, STATUSES, Edge, Node, Picture

FONT = 12
"""Node text size in px; edge labels are two smaller. Text is wrapped by an estimate of 0.62 em per
character (no font metrics without a browser), generous for common sans-serif fonts."""
COLUMN = 168
"""The width of a column: a node's box, and the cell an edge's label wraps in."""
LINE = 13
MARGIN = 24
LANE = 4
"""How far apart the lines of one pair's kept, opened and closed flows run."""
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class _Box:
    x: float
    """The column's centre."""
    top: float
    height: float
    lines: tuple[str, ...]
    within: tuple[tuple[Edge, tuple[str, ...]], ...]

    @property
    def middle(self) -> float:
        return self.top + self.height / 2


def svg(picture: Picture, title: str) -> str:
    """The picture as a standalone SVG document."""
    nodes = list(picture.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    between = [edge for edge in picture.edges if edge.source != edge.destination]
    labels = {edge: _wrap(edge.label, FONT - 2) for edge in between}
    cells: dict[tuple[int, int], int] = {}  # (row, column) -> label lines in the cell beside that corner
    for edge in between:
        cell = (index[edge.source], index[edge.destination])
        cells[cell] = cells.get(cell, 0) + len(labels[edge])
    below, above = [0] * len(nodes), [0] * len(nodes)
    for (row, column), lines in cells.items():
        side = below if column > row else above
        side[row] = max(side[row], lines)
    loops: dict[Node, list[Edge]] = {}
    for edge in picture.edges:
        if edge.source == edge.destination:
            loops.setdefault(edge.source, []).append(edge)
    boxes: list[_Box] = []
    top = MARGIN + 36.0
    for i, node in enumerate(nodes):
        within = tuple((edge, _wrap(STATUS_MARKS[edge.status] + "within: " + "; ".join(edge.ports), FONT - 2)) for edge in loops.get(node, []))
        name = _wrap(node.name, FONT)
        box_height = 12.0 + LINE * (len(name) + sum(len(wrapped) for _, wrapped in within)) + 4
        top += LINE * above[i] + (10 if above[i] else 0)
        boxes.append(_Box(MARGIN + COLUMN * (i + 0.5), top, box_height, name, within))
        top += box_height + LINE * below[i] + 22
    width = max(MARGIN * 2.0 + COLUMN * len(nodes), 620.0)
    legend = _legend(picture)
    height = top + 30 + 22 * len(legend) + MARGIN

    out = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width)}" height="{_n(height)}"'
        f' font-family="Helvetica, Arial, sans-serif" font-size="{FONT}" role="img" aria-label="{_x(title)}">'),
        f"<title>{_x(title)}</title>",
        "<defs>",
        *[
            f'<marker id="arrow-{status}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{COLOURS[status]}"/></marker>'
            for status in STATUSES
        ],
        "</defs>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text class="heading" x="{MARGIN}" y="{MARGIN + 14}" font-size="{FONT + 4}" font-weight="bold">{_x(title)}</text>',
        '<g class="edges">',
    ]
    stacked: dict[tuple[int, int], int] = {}  # label lines already placed in each cell
    for edge in between:
        cell = (index[edge.source], index[edge.destination])
        out += _edge(edge, boxes[cell[0]], boxes[cell[1]], labels[edge], stacked.get(cell, 0))
        stacked[cell] = stacked.get(cell, 0) + len(labels[edge])
    out += ["</g>", '<g class="nodes">']
    for node, box in zip(nodes, boxes, strict=True):
        out += _node(node, box)
    out += ["</g>"]
    out += _legend_group(legend, MARGIN, top + 10)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def html_page(picture: Picture, title: str) -> str:
    """The SVG in a page a browser opens offline: no script, no style sheet or font from elsewhere
    (its Content-Security-Policy forbids loading anything)."""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
            f"<title>{_x(title)}</title>",
            ("<style>body{margin:16px;font-family:Helvetica,Arial,sans-serif;background:#ffffff;color:#1f2328}"
            " svg{max-width:none}</style>"),
            "</head>",
            "<body>",
            svg(picture, title).rstrip("\n"),
            "</body>",
            "</html>",
        ]
    ) + "\n"


def _edge(edge: Edge, source: _Box, destination: _Box, label: tuple[str, ...], stacked: int) -> list[str]:
    """Along the source's row to the destination's column, then to the destination; the label in the
    cell beside the corner (below the row for a later node, above it for an earlier one), after the
    ``stacked`` lines of the same cell's other labels (the pair's other statuses)."""
    lane = (STATUSES.index(edge.status) - 1) * LANE
    y = source.middle + lane
    x = destination.x + lane
    downwards = destination.x > source.x
    start = source.x + (COLUMN / 2 - 8 if downwards else -(COLUMN / 2 - 8))
    end = destination.top if downwards else destination.top + destination.height
    path = f"M{_n(start)},{_n(y)} H{_n(x)} V{_n(end)}"
    if downwards:
        first = source.top + source.height + LINE * (stacked + 1)
        anchor, text_x = "end", x - 6
    else:
        first = source.top - 6 - LINE * (stacked + len(label) - 1)
        anchor, text_x = "start", x + 6
    colour = COLOURS[edge.status]
    dashes = ' stroke-dasharray="6 4"' if edge.status == "closed" else ""
    thickness = "1.2" if edge.status == "kept" else "2.2"
    text = "".join(f'<tspan x="{_n(text_x)}" y="{_n(first + LINE * i)}">{_x(line)}</tspan>' for i, line in enumerate(label))
    return [
        f'<g class="edge {edge.status}" data-from="{_x(edge.source.name)}" data-to="{_x(edge.destination.name)}">',
        f"<title>{_x(f'{edge.source.name} → {edge.destination.name}: {edge.label}')}</title>",
        f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{thickness}"{dashes} marker-end="url(#arrow-{edge.status})"/>',
        (f'<text class="label" text-anchor="{anchor}" font-size="{FONT - 2}" fill="{colour}" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
        f"{text}</text>"),
        "</g>",
    ]


def _node(node: Node, box: _Box) -> list[str]:
    left = box.x - COLUMN / 2 + 8
    radius = {"namespace": 4, "dns": 14, "cidr": 0, "internet": 20, "metadata": 10}[node.kind]
    out = [
        f'<g class="node {node.kind}" data-name="{_x(node.name)}">',
        f"<title>{_x(KIND_NAMES[node.kind] + ': ' + node.name)}</title>",
        (f'<rect x="{_n(left)}" y="{_n(box.top)}" width="{_n(COLUMN - 16)}" height="{_n(box.height)}" rx="{radius}"'
        f' fill="{COLOURS[node.kind]}" stroke="{NODE_STROKE}"/>'),
    ]
    y = box.top + 8
    spans = []
    for line in box.lines:
        y += LINE
        spans.append(f'<tspan x="{_n(left + 8)}" y="{_n(y)}">{_x(line)}</tspan>')
    out.append(f'<text class="name" fill="#1f2328">{"".join(spans)}</text>')
    for edge, wrapped in box.within:
        spans = []
        for line in wrapped:
            y += LINE
            spans.append(f'<tspan x="{_n(left + 8)}" y="{_n(y)}">{_x(line)}</tspan>')
        out.append(f'<text class="within {edge.status}" font-size="{FONT - 2}" fill="{COLOURS[edge.status]}">{"".join(spans)}</text>')
    out.append("</g>")
    return out


def _legend(picture: Picture) -> list[tuple[str, str, str]]:
    """(swatch, colour, text): a box filled as a node kind, a line coloured as an edge, or nothing."""
    lines = [("box", COLOURS[kind], KIND_NAMES[kind]) for kind in KINDS]
    lines.append(("line", COLOURS["kept"], 'edge: allowed, labelled with its ports ("within": inside the namespace)'))
    if picture.changed:
        lines.append(("line", COLOURS["opened"], "+ opened by the change"))
        lines.append(("dashed", COLOURS["closed"], "- closed by the change"))
    lines.append(("none", "", LEGEND_DENIED))
    return lines


def _legend_group(lines: list[tuple[str, str, str]], x: float, y: float) -> list[str]:
    out = ['<g class="legend">', f'<text x="{_n(x)}" y="{_n(y + 12)}" font-weight="bold">legend</text>']
    for index, (swatch, colour, text) in enumerate(lines):
        row = y + 24 + 22 * index
        if swatch == "box":
            out.append(f'<rect x="{_n(x)}" y="{_n(row)}" width="28" height="14" rx="3" fill="{colour}" stroke="{NODE_STROKE}"/>')
        elif swatch != "none":
            dashes = ' stroke-dasharray="6 4"' if swatch == "dashed" else ""
            out.append(f'<line x1="{_n(x)}" y1="{_n(row + 7)}" x2="{_n(x + 28)}" y2="{_n(row + 7)}" stroke="{colour}" stroke-width="2.2"{dashes}/>')
        out.append(f'<text class="entry" x="{_n(x + 38)}" y="{_n(row + 11)}">{_x(text)}</text>')
    out.append("</g>")
    return out


def _wrap(text: str, size: int) -> tuple[str, ...]:
    """Lines that fit a column, broken after a space, '/', ',' or '=' where one falls (a piece longer
    than a line is cut there, not lost)."""
    width = max(8, int((COLUMN - 28) / (size * 0.62)))
    lines = [""]
    for piece in re.findall(r"[^\s/,=]*[\s/,=]?", text):
        rest = piece
        while len(rest) > width:
            lines.append(rest[:width])
            rest = rest[width:]
        if len(lines[-1]) + len(rest.rstrip()) > width:
            lines.append("")
        lines[-1] += rest
    return tuple(line.strip() for line in lines if line.strip()) or ("",)


def _n(number: float) -> str:
    """A coordinate, rounded so the same picture prints the same bytes."""
    return f"{number:.1f}".rstrip("0").rstrip(".")


def _x(text: str) -> str:
    """Text for XML content and double-quoted attributes."""
    return html.escape(_XML_INVALID.sub("\ufffd", text), quote=True)
