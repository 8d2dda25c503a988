"""Kubernetes quantities: the full grammar parses, values compare exactly, and malformed text is rejected."""

from fractions import Fraction

import pytest

from clusterstack.kube.quantity import Quantity, QuantityError


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", 1),
        ("0", 0),
        ("1.5", Fraction(3, 2)),
        ("0.5", Fraction(1, 2)),
        (".5", Fraction(1, 2)),
        ("5.", 5),
        ("500m", Fraction(1, 2)),
        ("1k", 1000),
        ("1M", 10**6),
        ("2G", 2 * 10**9),
        ("1T", 10**12),
        ("1P", 10**15),
        ("1E", 10**18),
        ("1Ki", 1024),
        ("128Mi", 128 * 2**20),
        ("1Gi", 2**30),
        ("1Ti", 2**40),
        ("1Pi", 2**50),
        ("1Ei", 2**60),
        ("1e3", 1000),
        ("1E3", 1000),
        ("1.5e-3", Fraction(3, 2000)),
        ("+2", 2),
        ("-2", -2),
        (2, 2),
        (0.25, Fraction(1, 4)),
    ],
)
def test_parses_the_grammar(text, value):
    assert Quantity.parse(text).value == value


@pytest.mark.parametrize("text", ["2 cores", "1GGi", "1gi", "1KiB", "", "m", "1.2.3", "Gi", "1e", "0x10", "1 Gi", True, None])
def test_rejects_what_is_not_a_quantity(text):
    with pytest.raises(QuantityError):
        Quantity.parse(text)


@pytest.mark.parametrize(
    ("a", "b"),
    [("1000m", "1"), ("1Gi", "1024Mi"), ("0.5", "500m"), ("1e3", "1k"), ("1", 1), ("1.0", "1")],
)
def test_equal_values_are_equal_whatever_the_spelling(a, b):
    assert Quantity.parse(a) == Quantity.parse(b)
    assert hash(Quantity.parse(a)) == hash(Quantity.parse(b))
    assert Quantity.parse(a).canonical() == Quantity.parse(b).canonical()


def test_orders_by_value_and_keeps_the_text_as_written():
    assert Quantity.parse("999m") < Quantity.parse("1")
    assert Quantity.parse("1Gi") > Quantity.parse("1G")
    assert Quantity.parse("1000m").text == "1000m"
    assert Quantity.parse(0.5).text == "0.5"


def test_whole_numbers():
    assert Quantity.parse("2").is_whole
    assert Quantity.parse("2000m").is_whole
    assert not Quantity.parse("1.5").is_whole


def test_a_text_is_parsed_once_and_one_that_is_not_a_quantity_is_refused_every_time():
    """A stack writes "500m" and "4Gi" in every tenant: each text is one immutable Quantity, shared."""
    assert Quantity.parse("500m") is Quantity.parse("500m")
    assert Quantity.parse(2) is Quantity.parse("2")  # a YAML number is read as its text first
    assert Quantity.parse(0.5).text == "0.5"
    for _ in range(2):
        with pytest.raises(QuantityError, match="'4 cores' is not a Kubernetes quantity"):
            Quantity.parse("4 cores")
    for n in range(5000):  # more texts than are kept: still each parsed right
        assert Quantity.parse(f"{n}m").value == Fraction(n, 1000)
