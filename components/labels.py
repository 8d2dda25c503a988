"""The labels clusterstack puts on every object it builds, so that ``kubectl get -l`` finds them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MANAGED_BY = "app.kubernetes.io/managed-by"
ENVIRONMENT = "clusterstack.io/environment"
RESERVED = (MANAGED_BY, ENVIRONMENT)


def standard_labels(environment: str | None) -> dict[str, str]:
    """``managed-by: clusterstack``, and the environment (the stack name) when there is one."""
    labels = {MANAGED_BY: "clusterstack"}
    if environment is not None:
        labels[ENVIRONMENT] = environment
    return labels


def object_meta(
    name: str,
    namespace: str | None,
    environment: str | None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``metadata`` with an explicit name (no Pulumi auto-naming), the standard labels and any extra ones."""
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = {**(labels if labels is not None else {}), **standard_labels(environment)}
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta
