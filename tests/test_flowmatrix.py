"""Reachability as a matrix (clusterstack/analysis/flowmatrix.py): a row per namespace, a column per
namespace and destination, each cell the ports the picture's edge carries; as text, and as CSV that the
``csv`` module reads back to the same cells; a change spelt out in words; no cell a spreadsheet would
run as a formula."""

from __future__ import annotations

import csv
import io

from clusterstack.analysis import flowmatrix, pictures, reach
from tests.test_drawing import change_picture, prod_picture


def test_the_csv_reads_back_to_one_cell_per_pair_of_the_picture():
    picture = prod_picture()
    rows = list(csv.reader(io.StringIO(flowmatrix.as_csv(picture), newline="")))
    header, body = rows[0], rows[1:]
    assert header == [flowmatrix.CORNER, *(node.name for node in picture.nodes)]
    assert [row[0] for row in body] == ["analytics", "checkout", "default", "kube-system", "payments"]
    assert all(len(row) == len(header) for row in body)
    cells = {(row[0], column): cell for row in body for column, cell in zip(header[1:], row[1:], strict=True)}
    assert {pair: cell for pair, cell in cells.items() if cell} == {(e.source.name, e.destination.name): "; ".join(e.ports) for e in picture.edges}
    assert cells["checkout", "payments"] == "TCP 8080 to app=payments-api"
    assert cells["checkout", "the internet (198.51.100.10)"] == ""


def test_the_text_matrix_lines_up_its_columns_and_marks_denied_pairs():
    text = flowmatrix.as_text(prod_picture())
    lines = text.splitlines()
    header = lines[0]
    starts = [header.index(name) for name in ("analytics", "checkout", "payments", "cloud metadata 169.254.169.254")]
    checkout = next(line for line in lines if line.startswith("checkout "))
    assert checkout[starts[2] :].startswith("TCP 8080 to app=payments-api")
    assert checkout[starts[3] :].rstrip() == flowmatrix.DENIED
    assert lines[-1].startswith(f"{flowmatrix.DENIED}: denied")


def test_a_change_is_spelt_out_and_no_cell_starts_a_formula():
    picture = change_picture()
    rows = list(csv.reader(io.StringIO(flowmatrix.as_csv(picture), newline="")))
    cells = {(row[0], column): cell for row in rows[1:] for column, cell in zip(rows[0][1:], row[1:], strict=True)}
    assert cells["checkout", "payments"] == "opened: TCP 8080 to app=payments-api | closed: any port"
    assert cells["sandbox", "sandbox"] == "closed: any port"
    hostile = pictures.picture([reach.Flow("a", "=cmd|' /C calc'!A0 (x)", "TCP", 80), reach.Flow("a", "@SUM(1) (x)", "TCP", 80)])
    [header, _] = list(csv.reader(io.StringIO(flowmatrix.as_csv(hostile), newline="")))
    assert [cell[0] for cell in header[1:] if cell[1:2] in ("=", "@")] == ["'", "'"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_a_matrix_past_its_cells_is_named_too_large(monkeypatch):
    picture = prod_picture()
    rows = sum(node.kind == "namespace" for node in picture.nodes)
    assert flowmatrix.too_large(picture) is None
    monkeypatch.setattr(flowmatrix, "MAX_CELLS", rows * len(picture.nodes) - 1)
    assert flowmatrix.too_large(picture) == f"{rows} rows × {len(picture.nodes)} columns, and a matrix holds at most {rows * len(picture.nodes) - 1:,} cells"
