"""The one error type users see: what is wrong, where (file and key path), and what would be valid."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One finding: ``stacks/Pulumi.prod.yaml: clusterstack:namespaces.payments.quota.pods: …``."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.path) if part)
        message = cut_long_values(self.message)
        return f"{where}: {message}" if where else message


_LONG_QUOTED = re.compile(r"(?<!\w)'[^'\n]{120,}'(?!\w)|(?<!\w)\"[^\"\n]{120,}\"(?!\w)")
"""A quoted value: a quote that no letter precedes, up to one that no letter follows (the apostrophe in
"the cluster's DNS" opens nothing)."""


def cut_long_values(text: str) -> str:
    """A message with every long quoted value cut to its start and length: a 1 MB value the user wrote
    is not worth printing back whole."""
    return _LONG_QUOTED.sub(lambda m: f"{m.group(0)[:60]}…{m.group(0)[0]} ({len(m.group(0)) - 2:,} characters)", text)


LISTED = 20
"""How many names a message lists before it counts the rest (a plan may delete 10,000 namespaces)."""


def listed(names: Sequence[str], shown: int = LISTED) -> str:
    """``names`` for a message: the first ``shown``, then how many more there are."""
    rest = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {rest:,} more" if rest > 0 else "")


class ClusterstackError(Exception):
    """A problem the user can fix; the CLI prints it and exits 1, without a traceback."""

    def __init__(self, problems: Iterable[Problem | str]) -> None:
        self.problems = [p if isinstance(p, Problem) else Problem("", "", p) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))
