"""Manifests checked against the official Kubernetes OpenAPI schemas (kubernetes-validate, strict mode).

kubernetes-validate loads its schema files when first used; a program that declares no raw
NetworkPolicy never imports it.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path
from typing import Any

from .findings import Finding, Findings

DEFAULT_KUBERNETES_VERSION = "1.34"
"""The minor version objects are checked against when a stack names none."""

_SCHEMA_DIRECTORY = re.compile(r"v(\d+\.\d+)\.\d+-local-strict")


@functools.cache
def _validator() -> Any:
    import kubernetes_validate
    from kubernetes_validate import utils

    # kubernetes-validate reads and parses the schema files on every call, and lists its schema
    # directories twice per call (all_versions, half the time of checking a small object); neither
    # ever changes.
    utils.schema_contents = functools.cache(utils.schema_contents)
    utils.all_versions = functools.cache(utils.all_versions)
    return kubernetes_validate


@functools.cache
def supported_versions() -> list[str]:
    """The Kubernetes minor versions whose schemas kubernetes-validate bundles, oldest first. Read from
    its data directory's names, without importing it (stack validation asks this on every command)."""
    spec = importlib.util.find_spec("kubernetes_validate")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    found = set()
    for location in locations:
        schemas = Path(location) / "kubernetes-json-schema"
        if schemas.is_dir():
            found |= {m.group(1) for entry in schemas.iterdir() if (m := _SCHEMA_DIRECTORY.fullmatch(entry.name))}
    return sorted(found, key=lambda v: tuple(map(int, v.split("."))))


def schema_problems(manifest: dict[str, Any], kubernetes_version: str = DEFAULT_KUBERNETES_VERSION) -> Findings:
    """What the schema rejects, unknown fields included, at its path inside the manifest."""
    validator = _validator()
    try:
        validator.validate(manifest, kubernetes_version, strict=True)
    except validator.ValidationError as error:
        yield Finding(tuple(error.path), f"{error.message} (Kubernetes {error.version} schema)")
    except validator.SchemaNotFoundError as error:
        yield Finding((), error.message)
