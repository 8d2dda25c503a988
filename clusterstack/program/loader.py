"""What the Pulumi program (``__main__.py``) calls to get its stack's spec, under either engine.

Under ``pulumi up`` the stack file's values arrive as Pulumi config; common.yaml is read from disk
and merged underneath, and the result is validated exactly as ``clusterstack validate`` does. Under
``clusterstack``, the engine has already read and validated the stack before it runs the program,
and hands the spec over (``hand_over``) instead of having the program read the files again.
"""

from __future__ import annotations

import contextvars
from pathlib import Path
from typing import Any

import pulumi

from ..errors import ClusterstackError
from ..stack.files import stack_from_pulumi_config
from ..stack.project import Project
from ..stack.spec import Loaded, StackSpec, load_spec
from . import _sdk


class HandOver:
    """A stack the engine has validated, for the program it runs on that stack. Released once the run
    is over: the run's context, which holds this, outlives it (every Output the program made keeps a
    copy of it), and the spec of a large stack is tens of megabytes no one needs any more."""

    def __init__(self, root: Path, stack: str, spec: Loaded) -> None:
        self.root = root
        self.stack = stack
        self.spec: Loaded | None = spec

    def release(self) -> None:
        self.spec = None


_HANDED_OVER: contextvars.ContextVar[HandOver | None] = contextvars.ContextVar("clusterstack_spec", default=None)


def hand_over(root: Path, stack: str, spec: Loaded) -> tuple[contextvars.ContextVar[Any], HandOver]:
    """The context variable (and its value) that gives a program run the engine's spec."""
    return _HANDED_OVER, HandOver(root.resolve(), stack, spec)


def stack_args(project_dir: Path | str) -> StackSpec:
    """The current stack's spec; a RunError listing every problem when the stack is invalid."""
    root = Path(project_dir).resolve()
    handed = _HANDED_OVER.get()
    if handed is not None and handed.spec is not None and handed.root == root and handed.stack == pulumi.get_stack():
        return handed.spec.args
    project = Project.load(root)
    values, secret_keys = _sdk.program_config()
    try:
        loaded = load_spec(stack_from_pulumi_config(project, pulumi.get_stack(), values, secret_keys))
    except ClusterstackError as error:
        raise pulumi.RunError(f"invalid stack configuration:\n{error}") from None
    for warning in loaded.warnings:
        pulumi.log.warn(str(warning))
    return loaded.args
