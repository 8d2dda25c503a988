"""Findings: what validation says about a value, at its key path, as an error or a warning.

Every rule of the models, the stack loader and the schema checks reports through this one type. A rule is
a generator of ``Finding``s at key paths relative to what it checks; whoever holds that thing puts
its own key in front (``prefixed``), so the finding reaches the user naming the exact key in the
stack file (``clusterstack:namespaces.team.quota.pods``) however deep the rule sits.

An error makes the input unusable (nothing is written); a warning is valid input that will probably
hurt (printed, and the command goes on).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from .paths import KeyPath, dotted

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One thing validation found: where (relative to what was checked), what, and how bad."""

    path: KeyPath
    message: str
    severity: Severity = "error"

    def __post_init__(self) -> None:
        if self.severity not in ("error", "warning"):
            raise ValueError(f"severity {self.severity!r} is neither error nor warning")

    def __str__(self) -> str:
        return f"{dotted(self.path)}: {self.message}" if self.path else self.message

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


Findings = Iterator[Finding]
"""What every rule returns: a generator, so a caller may stop at the first or take them all."""


def warning(path: KeyPath, message: str) -> Finding:
    """A warning; an error is plain ``Finding(path, message)``."""
    return Finding(path, message, "warning")


def prefixed(prefix: KeyPath, findings: Iterable[Finding]) -> Findings:
    """``findings``, each with ``prefix`` in front of its path: a holder's key before its part's findings."""
    for finding in findings:
        yield Finding((*prefix, *finding.path), finding.message, finding.severity)


def errors_of(findings: Iterable[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.is_error]


def warnings_of(findings: Iterable[Finding]) -> list[Finding]:
    return [finding for finding in findings if not finding.is_error]


class Invalid(ValueError):
    """One or more cross-field problems, each at a key path relative to the model that found them:
    raised inside a pydantic validator, which reports it as the validation error of that model."""

    def __init__(self, problems: Iterable[Finding]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


def raise_problems(findings: Iterable[Finding]) -> None:
    """Raise the errors among ``findings`` (warnings pass: they are for the one who reports them)."""
    found = errors_of(findings)
    if found:
        raise Invalid(found)
