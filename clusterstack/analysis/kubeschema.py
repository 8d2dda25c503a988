"""Rendered objects checked against the official Kubernetes schemas (kubernetes-validate, strict)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import ClusterstackError
from ..kube.kinds import ObjectKey
from ..kube.schema import schema_problems, supported_versions

__all__ = ["check", "require_supported", "supported_versions"]


def require_supported(version: str) -> None:
    if version not in supported_versions():
        raise ClusterstackError([f"Kubernetes {version} has no bundled schemas; choose one of {', '.join(supported_versions())}"])


def check(objects: Iterable[tuple[ObjectKey, dict[str, Any]]], kubernetes_version: str) -> list[str]:
    """One message per object that the API's schema rejects (strict: unknown fields too)."""
    failures = []
    for key, manifest in objects:
        for found in schema_problems(manifest, kubernetes_version):
            where = ".".join(str(p) for p in found.path) or "(top level)"
            failures.append(f"{key}: {where}: {found.message}")
    return failures
