"""clusterstack/adopt/dns.py (STUB until i24-cluster's mappers land): the shared interface, a
fragment of the stack's values and the report's notes."""

from __future__ import annotations

from clusterstack.adopt.dns import map_dns


def test_nothing_maps_to_nothing():
    assert map_dns([]) == ({}, [])
