"""Rendered objects checked against the official Kubernetes OpenAPI schemas (kubernetes-validate, strict)."""

from __future__ import annotations

import functools
from collections.abc import Iterable

import kubernetes_validate
from kubernetes_validate import utils as _kv_utils

from components.kube.kinds import ObjectKey

# kubernetes-validate reads and parses the schema files on every call; they never change.
_kv_utils.schema_contents = functools.lru_cache(maxsize=None)(_kv_utils.schema_contents)


def supported_versions() -> list[str]:
    return sorted({_kv_utils.major_minor(v) for v in _kv_utils.all_versions()}, key=lambda v: tuple(map(int, v.split("."))))


def check(objects: Iterable[tuple[ObjectKey, dict]], kubernetes_version: str) -> list[str]:
    """One message per object that the API's schema rejects (strict: unknown fields too)."""
    failures = []
    for key, manifest in objects:
        try:
            kubernetes_validate.validate(manifest, kubernetes_version, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = ".".join(str(p) for p in error.path) or "(top level)"
            failures.append(f"{key}: {where}: {error.message} (Kubernetes {error.version} schema)")
        except kubernetes_validate.SchemaNotFoundError as error:
            failures.append(f"{key}: {error.message}")
    return failures
