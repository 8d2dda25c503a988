"""A program's stack exports, resolved to plain values, with the secret ones kept apart: masked
where the engine shows or keeps them, revealed for the program's own tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from . import pulumi_internals as internals

SECRET_EXPORT = "[secret]"
"""What an exported secret is, wherever the engine shows or keeps it."""


@dataclass(frozen=True)
class SecretExport:
    """An exported value the program marked secret: ``ProgramRun.outputs`` holds it wrapped, so the
    engine keeps and shows only ``[secret]`` (``masked``) while the testing helpers, whose user is the
    program's own author, see the value (``revealed``)."""

    value: Any


def resolve(value: Any) -> Any:
    """An exported value with every Output in it resolved, however deep (maps and lists of Outputs);
    a secret one as a ``SecretExport``."""
    if isinstance(value, pulumi.Output):
        resolved = resolve(internals.await_now(value.future()))
        return SecretExport(resolved) if internals.await_now(value.is_secret()) else resolved
    if isinstance(value, Mapping):
        return {key: resolve(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [resolve(item) for item in value]
    return value


def masked(value: Any) -> Any:
    """Resolved exports as the engine keeps them: every secret one ``[secret]`` (as Pulumi prints it)."""
    return _each_secret(value, lambda secret: SECRET_EXPORT)


def revealed(value: Any) -> Any:
    """Resolved exports with the secret ones' values, for the program's own tests."""
    return _each_secret(value, lambda secret: revealed(secret.value))


def _each_secret(value: Any, replace: Callable[[SecretExport], Any]) -> Any:
    if isinstance(value, SecretExport):
        return replace(value)
    if isinstance(value, dict):
        return {key: _each_secret(item, replace) for key, item in value.items()}
    if isinstance(value, list):
        return [_each_secret(item, replace) for item in value]
    return value
