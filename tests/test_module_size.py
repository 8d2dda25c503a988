"""No module of the package is over about 400 lines without saying, at its top, why it stays one
module (issue 22: "no module over ~400 lines without a reason stated at its top")."""

from __future__ import annotations

import ast
import re

from tests.conftest import REPO
from tests.sources import source_modules

LIMIT = 400
SLACK = 1.1
"""'About 400': a module may run 10% over before it must say why."""
_REASON = re.compile(r"\b(one module|stay[s]? (?:in )?one module|stays? together)\b", re.IGNORECASE)


def test_a_long_module_says_why_it_stays_one():
    unexplained = []
    for _, path in source_modules():
        text = path.read_text()
        lines = text.count("\n")
        if lines > LIMIT * SLACK and not _REASON.search(ast.get_docstring(ast.parse(text)) or ""):
            unexplained.append(f"{path.relative_to(REPO)}: {lines} lines")
    assert unexplained == []


def test_the_check_sees_a_long_module_without_a_reason(tmp_path):
    long = "\n".join(["x = 1"] * (LIMIT + 5))
    plain = f'"""A module."""\n{long}\n'
    explained = f'"""A module. One module because it is one thing."""\n{long}\n'
    assert not _REASON.search(ast.get_docstring(ast.parse(plain)) or "")
    assert _REASON.search(ast.get_docstring(ast.parse(explained)) or "")
