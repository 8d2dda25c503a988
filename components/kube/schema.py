"""Manifests checked against the official Kubernetes OpenAPI schemas (kubernetes-validate, strict mode)."""

from __future__ import annotations

import functools

import kubernetes_validate
from kubernetes_validate import utils as _kv_utils

DEFAULT_KUBERNETES_VERSION = "1.34"

# kubernetes-validate reads and parses the schema files on every call; they never change.
_kv_utils.schema_contents = functools.lru_cache(maxsize=None)(_kv_utils.schema_contents)


def supported_versions() -> list[str]:
    return sorted({_kv_utils.major_minor(v) for v in _kv_utils.all_versions()}, key=lambda v: tuple(map(int, v.split("."))))


def schema_problems(manifest: dict, kubernetes_version: str = DEFAULT_KUBERNETES_VERSION) -> list[tuple[tuple, str]]:
    """(path inside the manifest, message) for what the schema rejects, unknown fields included."""
    try:
        kubernetes_validate.validate(manifest, kubernetes_version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [(tuple(error.path), f"{error.message} (Kubernetes {error.version} schema)")]
    except kubernetes_validate.SchemaNotFoundError as error:
        return [((), error.message)]
    return []
