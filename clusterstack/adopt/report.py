"""The import's report: every object or field the stack cannot express, what was kept in the raw
form, and what the stack adopts rather than creates, by object and field, with the reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["unfit", "raw", "adopted"]

OUTCOMES: tuple[Outcome, ...] = ("unfit", "raw", "adopted")
"""In the order the report lists them: what was lost first, as that is what the reader must act on."""

_HEADINGS: dict[Outcome, str] = {
    "unfit": "not imported (the stack cannot express it)",
    "raw": "imported in the raw form (the stack keeps it as written, not as intent)",
    "adopted": "adopted (the cluster has it; the stack takes it over, never creates it)",
}


@dataclass(frozen=True, order=True)
class Note:
    """One line of the report. ``object`` is ``LiveObject.describe()``; ``field`` a dotted path inside
    the object (``spec.hard.requests.nvidia.com/gpu``), "" for the whole object."""

    object: str
    field: str
    outcome: Outcome
    reason: str

    def __str__(self) -> str:
        where = f"{self.object}: {self.field}" if self.field else self.object
        return f"{where}: {self.reason}"


def unfit(notes: Iterable[Note]) -> list[Note]:
    """What did not fit: what ``--strict`` refuses."""
    return [note for note in notes if note.outcome == "unfit"]


def render(notes: Iterable[Note], read: int, stack_file: str) -> str:
    """The report as text: a summary line, then each outcome's notes, sorted, under its heading."""
    notes = sorted(set(notes))
    counts = {outcome: sum(1 for note in notes if note.outcome == outcome) for outcome in OUTCOMES}
    summary = f"{counts['unfit']} not imported, {counts['raw']} in the raw form, {counts['adopted']} adopted"
    lines = [f"{stack_file}: read {read} objects; {summary}"]
    for outcome in OUTCOMES:
        chosen = [note for note in notes if note.outcome == outcome]
        if chosen:
            lines.append(f"{_HEADINGS[outcome]}:")
            lines.extend(f"  {note}" for note in chosen)
    return "\n".join(lines) + "\n"
