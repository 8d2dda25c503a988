"""Reachability as a matrix, for stacks too large for a picture to be read: one row per namespace, one
column per namespace and special destination, each cell the ports allowed (as the picture's edge label
says them), as a text table or as CSV (RFC 4180, read back by any spreadsheet or ``csv`` module).

With a change (``reach --diff``), a cell names what stays, then ``opened:`` and ``closed:`` what the
change opens and closes, in words rather than ``+``/``-``: a spreadsheet would read a cell starting
with ``+``, ``-``, ``=`` or ``@`` as a formula (OWASP "CSV injection"), and every such cell, whatever
its origin, is prefixed with ``'`` as OWASP advises.
"""

from __future__ import annotations

import csv
import io

from .pictures import Node, Picture

DENIED = "·"
"""A text cell with no flow: denied (by default, or by a policy)."""
CORNER = "from \\ to"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


MAX_CELLS = 1_000_000
"""The most cells a matrix is written with: one row per namespace and a column per namespace make it
grow as the square of their number (10,000 namespaces: 10⁸ cells, 1.2 GB of text)."""


def too_large(picture: Picture) -> str | None:
    """Why the matrix of ``picture`` is not written, or None when it is."""
    rows = sum(node.kind == "namespace" for node in picture.nodes)
    if rows * len(picture.nodes) > MAX_CELLS:
        return f"{rows:,} rows × {len(picture.nodes):,} columns, and a matrix holds at most {MAX_CELLS:,} cells"
    return None


def cells(picture: Picture) -> tuple[list[str], list[list[str]]]:
    """The header (the corner, then every node) and one row per namespace (its name, then its cells:
    "" where nothing is allowed)."""
    columns = list(picture.nodes)
    position = {node: index for index, node in enumerate(columns)}
    sources = [node for node in columns if node.kind == "namespace"]
    grid: dict[Node, list[list[str]]] = {node: [[] for _ in columns] for node in sources}
    for edge in picture.edges:
        prefix = {"kept": "", "opened": "opened: ", "closed": "closed: "}[edge.status]
        grid[edge.source][position[edge.destination]].append(prefix + "; ".join(edge.ports))
    header = [CORNER, *(node.name for node in columns)]
    return header, [[node.name, *(" | ".join(parts) for parts in grid[node])] for node in sources]


def as_text(picture: Picture) -> str:
    """A plain text table, columns left-aligned, ``·`` for a denied pair, and what ``·`` means."""
    header, rows = cells(picture)
    shown = [header] + [[row[0], *(cell if cell else DENIED for cell in row[1:])] for row in rows]
    widths = [max(len(row[i]) for row in shown) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in shown]
    return "\n".join([*lines, "", f"{DENIED}: denied (no edge). Rows: from; columns: to."]) + "\n"


def as_csv(picture: Picture) -> str:
    header, rows = cells(picture)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in [header, *rows]:
        writer.writerow(["'" + cell if cell.startswith(_FORMULA_STARTS) else cell for cell in row])
    return out.getvalue()
