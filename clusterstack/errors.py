"""The one error type users see: what is wrong, where (file and key path), and what would be valid."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One finding: ``stacks/Pulumi.prod.yaml: clusterstack:namespaces.payments.quota.pods: …``."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.path) if part)
        return f"{where}: {self.message}" if where else self.message


class ClusterstackError(Exception):
    """A problem the user can fix; the CLI prints it and exits 1, without a traceback."""

    def __init__(self, problems: Iterable[Problem | str]) -> None:
        self.problems = [p if isinstance(p, Problem) else Problem("", "", p) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))
