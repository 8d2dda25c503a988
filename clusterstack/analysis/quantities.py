"""Quantities as the API server computes with them (k8s.io/apimachinery pkg/api/resource): exact values
that print in the format their first operand had, and resource lists of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..kube.quantity import Quantity, QuantityError, api_string, format_of, round_up_milli


@dataclass(frozen=True)
class Amount:
    """A quantity as the API server computes with it: its exact value and the format it prints in."""

    value: Fraction
    fmt: str = "DecimalSI"

    @classmethod
    def parse(cls, raw: Any) -> Amount:
        text = str(raw).strip() if not isinstance(raw, bool) else ""
        quantity = Quantity.parse(text)
        return cls(round_up_milli(quantity.value), format_of(text))

    def __str__(self) -> str:
        return api_string(self.value, self.fmt)

    def __add__(self, other: Amount) -> Amount:
        return Amount(self.value + other.value, self.fmt if self.value != 0 else other.fmt)


ZERO = Amount(Fraction(0))
Resources = dict[str, Amount]


class BadObject(ValueError):
    """An input object that is not one admission can read; a user error, not a refusal."""


def resources_of(values: Any, where: str = "") -> Resources:
    """A ResourceList (requests, limits, hard, used) read from a manifest; none when it is not a map.
    A quantity that is none is the user's error, naming ``where[resource]`` when given."""
    if not isinstance(values, Mapping):
        return {}
    found: Resources = {}
    for key, value in values.items():
        try:
            found[str(key)] = Amount.parse(value)
        except QuantityError as error:
            raise BadObject(f"{where}[{key}]: {error}" if where else str(error)) from None
    return found
