"""What every conformance suite shares: its cases as data (a YAML file of sections, each a list of
cases citing ``source: [file, test, case]``), walked, named and checked by the section's checker."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

Suite = Mapping[str, list[dict[str, Any]]]
Checker = Callable[[Mapping[str, Any]], list[str]]


def load(data: Path) -> dict[str, list[dict[str, Any]]]:
    return yaml.safe_load(data.read_text())


def cases(suite: Suite) -> Iterator[tuple[str, dict[str, Any]]]:
    """(section, case) for every case, skipped ones included."""
    for section, entries in suite.items():
        for case in entries:
            yield section, case


def case_id(section: str, case: Mapping[str, Any]) -> str:
    _, test, name = case["source"]
    return f"{section}: {test} / {name}"


def run_suite(suite: Suite, disagreements: Callable[[str, Mapping[str, Any]], list[str]]) -> list[str]:
    """Every disagreement of every case that is not skipped, each prefixed with its case."""
    found = []
    for section, case in cases(suite):
        if "skip" not in case:
            found += [f"{case_id(section, case)}: {problem}" for problem in disagreements(section, case)]
    return found
