"""Key paths: where in an object or a stack file a value sits, and how a message names it."""

from __future__ import annotations

KeyPath = tuple[str | int, ...]
"""Where a value is, as keys and list indexes from some root: ``("spec", "ports", 0, "port")``. The
root is whoever holds the path: a model's finding is relative to the model, a stack's to its config."""


def dotted(path: KeyPath) -> str:
    """A key path as messages and plans show it: ``spec.ports[0].port``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
