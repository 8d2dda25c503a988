"""The objects one builder makes, each under the name of its role (``namespace``, ``params``).

A builder returns a frozen dataclass of manifests rather than a list, so neither its tests nor its
component reach an object by position; ``all()`` flattens it in the order the fields are declared.
"""

from __future__ import annotations

import dataclasses
from typing import Any

Manifest = dict[str, Any]
"""One Kubernetes object as the API writes it (apiVersion, kind, metadata, ...)."""

SHOWN = "[secret]"
"""How a secret value is shown, and what stands in for it in an evaluation's manifests."""


@dataclasses.dataclass(frozen=True)
class Bundle:
    def all(self) -> list[Manifest]:
        """Every object, in field order; a tuple field contributes its items, a None field nothing."""
        objects: list[Manifest] = []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, tuple):
                objects.extend(value)
            elif value is not None:
                objects.append(value)
        return objects
