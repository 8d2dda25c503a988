"""clusterstack/adopt/cluster.py (STUB until i24-cluster's mappers land): the shared interface, a
fragment of the stack's values and the report's notes."""

from __future__ import annotations

from clusterstack.adopt.cluster import map_cluster


def test_nothing_maps_to_nothing():
    assert map_cluster([]) == ({}, [])
