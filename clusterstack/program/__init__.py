"""Spec -> objects: the Pulumi program's side (``stack_args``, all ``__main__.py`` imports from here)
and the embedded engine's side (``clusterstack.program.evaluate``, which runs the program under the
Pulumi SDK's mock runtime and collects the Kubernetes objects it declares)."""

from .loader import stack_args

__all__ = ["stack_args"]
