"""The words for an object's lifecycle that the components take and the engine honours, in a module
that imports nothing (the engine reads them without loading Pulumi)."""

from __future__ import annotations

from typing import Literal

Deletion = Literal["delete", "protect", "retain"]
"""What removing an object from the program does: ``delete`` it; ``protect`` it (Pulumi's ``protect``
option: removing it is refused until the program releases it); ``retain`` it (``retainOnDelete``:
Pulumi forgets it and leaves it in the cluster)."""


OnExisting = Literal["fail", "adopt"]
"""What to do about an object the cluster may already have (GKE ships kube-dns-autoscaler, its
NodeLocal DNSCache add-on node-local-dns): ``fail`` creates it, and ``pulumi up`` stops with
pulumi-kubernetes' AlreadyExists error where it exists; ``adopt`` takes over only the fields
clusterstack sets, with a server-side-apply patch, and never creates or deletes the object."""
