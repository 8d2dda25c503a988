"""The labels clusterstack puts on every object it builds, so that ``kubectl get -l`` finds them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from .inputs import merged

MANAGED_BY = "app.kubernetes.io/managed-by"
ENVIRONMENT = "clusterstack.io/environment"
RESERVED = (MANAGED_BY, ENVIRONMENT)


def standard_labels(environment: str | None) -> dict[str, str]:
    """``managed-by: clusterstack``, and the environment (the stack name) when there is one."""
    labels = {MANAGED_BY: "clusterstack"}
    if environment is not None:
        labels[ENVIRONMENT] = environment
    return labels


def stack_environment(environment: str | None) -> str:
    """What a component labels its objects with: the ``environment`` given, else the stack's name
    (``pulumi.get_stack()``), so that a program need not pass what the stack already says."""
    return environment if environment is not None else pulumi.get_stack()


Name = str | pulumi.Output[str]
"""An object's name or namespace: plain, or an Output from another resource."""
Mapping_ = Mapping[str, Any] | pulumi.Output[Any]


def object_meta(
    name: Name,
    namespace: Name | None,
    environment: str | None,
    labels: Mapping_ | None = None,
    annotations: Mapping_ | None = None,
) -> dict[str, Any]:
    """``metadata`` with an explicit name (no Pulumi auto-naming), the standard labels and any extra ones."""
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = merged(labels, standard_labels(environment), reserved=RESERVED)
    if annotations is not None and (isinstance(annotations, pulumi.Output) or annotations):
        meta["annotations"] = merged(annotations, where="annotations")
    return meta
