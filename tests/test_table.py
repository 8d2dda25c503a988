"""Plain text tables for the analyses' reports (clusterstack/analysis/table.py): a header row, every
column as wide as its widest cell, cells right-aligned (numbers line up) and two spaces between."""

from __future__ import annotations

from clusterstack.analysis.table import table


def test_columns_are_as_wide_as_their_widest_cell_and_right_aligned():
    assert table(["nodes", "replicas"], [[1, 2], [1000, 12]]).splitlines() == [
        "nodes  replicas",
        "    1         2",
        " 1000        12",
    ]


def test_cells_are_shown_as_text_and_no_row_means_the_header_alone():
    assert table(["resource", "overcommit"], [["cpu", None], ["memory", 1.5]]) == "resource  overcommit\n     cpu        None\n  memory         1.5"
    assert table(["a", "bb"], []) == "a  bb"
