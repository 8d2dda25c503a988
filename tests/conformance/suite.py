"""What every conformance suite shares: its cases as data (a YAML file of sections, each a list of
cases citing ``source: [file, test, case]``), walked, named and checked by the section's checker."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

Suite = Mapping[str, list[dict[str, Any]]]


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


class Checker:
    """One suite's data file and its checker per section: what a checker module exposes, written once."""

    def __init__(self, data: Path, sections: Mapping[str, Callable[[Mapping[str, Any]], list[str]]]) -> None:
        self.data = data
        self.sections = sections

    def load(self) -> dict[str, list[dict[str, Any]]]:
        return load(self.data)

    def cases(self, data: Suite | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """(section, case) for every case, skipped ones included."""
        return cases(data if data is not None else self.load())

    def disagreements(self, section: str, case: Mapping[str, Any]) -> list[str]:
        """What clusterstack answers differently from upstream for this case; [] when it agrees."""
        return self.sections[section](case)

    def run_suite(self, data: Suite | None = None) -> list[str]:
        """Every disagreement of every case that is not skipped, each prefixed with its case."""
        return run_suite(data if data is not None else self.load(), self.disagreements)

    def params(self, data: Suite) -> list[Any]:
        """Each case as a pytest parameter named by its case, skipped with its reason."""
        import pytest

        return [
            pytest.param(section, case, id=case_id(section, case), marks=[pytest.mark.skip(reason=case["skip"])] if "skip" in case else [])
            for section, case in cases(data)
        ]
