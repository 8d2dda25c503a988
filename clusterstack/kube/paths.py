"""Key paths: where in an object or a stack file a value sits, and how a message names it."""

from __future__ import annotations


def dotted(path: tuple[str | int, ...]) -> str:
    """A field path as the plan shows it: ``spec.ports[0].port``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
