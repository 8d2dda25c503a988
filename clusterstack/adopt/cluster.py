"""STUB, to be replaced by i24-cluster: the cluster-wide mappers (PriorityClasses, StorageClasses,
ip-masq-agent, what the distribution ships). The signature is the shared interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .dump import LiveObject
from .report import Note


def map_cluster(objects: Sequence[LiveObject]) -> tuple[dict[str, Any], list[Note]]:
    """A fragment of the stack's ``clusterstack:`` values (top-level keys) and the report's notes."""
    del objects
    return {}, []
