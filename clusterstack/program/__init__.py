"""Spec -> objects: the Pulumi program's side (``stack_args``, all ``__main__.py`` imports from here)
and the embedded engine's side (``clusterstack.program.evaluate``, which runs the program under the
Pulumi SDK's mock runtime and collects the Kubernetes objects it declares).

``stack_args`` loads on first use, so the engine's modules here import Pulumi only when they run a
program.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .loader import stack_args

__all__ = ["stack_args"]


def __getattr__(name: str) -> Any:
    if name == "stack_args":
        from .loader import stack_args

        return stack_args
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
