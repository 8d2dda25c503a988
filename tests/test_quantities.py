"""Quantities as the API server computes with them (clusterstack/analysis/quantities.py): an Amount
keeps the exact value and prints in its first operand's format; a ResourceList is read from a
manifest, none when it is not a map, and a bad quantity in it is the user's error at its key."""

from __future__ import annotations

from fractions import Fraction

import pytest

from clusterstack.analysis.quantities import ZERO, Amount, BadObject, resources_of


def test_quantities_print_as_the_api_server_prints_them():
    """k8s.io/apimachinery/pkg/api/resource: canonical text in the format the first operand had."""
    assert [str(Amount.parse(text)) for text in ("1.5", "0.5Gi", "1000", "1.5G", "129e6", "0.1m")] == ["1500m", "512Mi", "1k", "1500M", "129e6", "1m"]
    assert str(Amount.parse("600Mi") + Amount.parse("700Mi")) == "1300Mi"
    assert str(Amount.parse("500M") + Amount.parse("200Mi")) == "709715200"
    assert str(Amount(Fraction(0)) + Amount.parse("1Gi")) == "1Gi"



def test_a_resource_list_is_read_by_name_and_a_non_map_is_empty():
    assert resources_of({"cpu": "500m", "memory": 1073741824}) == {"cpu": Amount(Fraction(1, 2)), "memory": Amount(Fraction(1073741824))}
    assert resources_of(None) == {}
    assert resources_of(["cpu"]) == {}
    assert sum(resources_of({"a": "1", "b": "2"}).values(), ZERO) == Amount(Fraction(3))


def test_a_bad_quantity_names_its_key():
    with pytest.raises(BadObject, match=r"^spec.hard\[cpu\]: ") as raised:
        resources_of({"cpu": "lots"}, where="spec.hard")
    assert "lots" in str(raised.value)
    with pytest.raises(BadObject) as unplaced:
        resources_of({"cpu": True})
    assert not str(unplaced.value).startswith("[")
