"""Kubernetes resource quantities ("500m", "1Gi", "1e3"), parsed exactly and compared by value.

The grammar is the one in k8s.io/apimachinery/pkg/api/resource/quantity.go:

    <quantity>     ::= <signedNumber><suffix>
    <signedNumber> ::= <number> | +<number> | -<number>
    <number>       ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <suffix>       ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>     ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>    ::= m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>

Values are kept as exact fractions, so "1000m" == "1", "1Gi" == "1024Mi" and "0.5" == "500m".
The text is kept as written: clusterstack renders what the user wrote and compares by value.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import total_ordering

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_QUANTITY = re.compile(
    r"""(?P<sign>[+-]?)
        (?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
        (?:(?P<binary>Ki|Mi|Gi|Ti|Pi|Ei)
          |[eE](?P<exponent>[+-]?[0-9]+)
          |(?P<decimal>[numkMGTPE]?))""",
    re.VERBOSE,
)

EXAMPLES = '"500m", "2", "1.5", "128Mi", "1Gi", "1e3"'


class QuantityError(ValueError):
    """A string that is not a Kubernetes quantity."""


@total_ordering
@dataclass(frozen=True)
class Quantity:
    """A parsed quantity: ``text`` as written, ``value`` exactly (cores, bytes or a count)."""

    text: str
    value: Fraction = field(compare=False)

    @classmethod
    def parse(cls, raw: str | int | float) -> Quantity:
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise QuantityError(f"{raw!r} is not a quantity (examples: {EXAMPLES})")
        text = raw if isinstance(raw, str) else _number_text(raw)
        return _parsed(text)

    @classmethod
    def _of_text(cls, text: str) -> Quantity:
        match = _QUANTITY.fullmatch(text)
        if match is None:
            raise QuantityError(f"{text!r} is not a Kubernetes quantity (examples: {EXAMPLES})")
        value = Fraction(match["number"])
        if match["binary"]:
            value *= _BINARY[match["binary"]]
        elif match["exponent"] is not None:
            value *= Fraction(10) ** int(match["exponent"])
        else:
            value *= _DECIMAL[match["decimal"]]
        if match["sign"] == "-":
            value = -value
        return cls(text, value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return self.value == other.value

    def __lt__(self, other: Quantity) -> bool:
        return self.value < other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return self.text

    @property
    def is_whole(self) -> bool:
        return self.value.denominator == 1

    def canonical(self) -> str:
        """One spelling per value, for comparing (not for rendering): a whole number, or millis."""
        if self.is_whole:
            return str(self.value.numerator)
        millis = self.value * 1000
        if millis.denominator == 1:
            return f"{millis.numerator}m"
        return f"{self.value.numerator}/{self.value.denominator}"


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> Quantity:
    """A stack writes a few quantities thousands of times ("500m", "4Gi" in every tenant): each is
    parsed once (a Quantity is immutable, so one object serves every place it is written). A text
    that is not a quantity raises, and is not remembered."""
    return Quantity._of_text(text)


def _number_text(number: int | float) -> str:
    """YAML gives ``cpu: 1`` as 1 and ``cpu: 0.5`` as 0.5; write them as Kubernetes would read them."""
    if isinstance(number, float):
        if not math.isfinite(number):
            raise QuantityError(f"{number!r} is not a quantity (examples: {EXAMPLES})")
        return repr(number)
    return str(number)


# --- As the API server prints a quantity ------------------------------------------------------------
# k8s.io/apimachinery/pkg/api/resource: a quantity remembers the format of its suffix (binary Ki..Ei,
# decimal n..E, or a decimal exponent), and String() writes the canonical form in that format.

Format = str
"""``BinarySI``, ``DecimalSI`` or ``DecimalExponent``."""
_BINARY_SUFFIXES = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
_DECIMAL_SUFFIXES = {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}


def format_of(text: str) -> Format:
    """The format a quantity's text gives it (ParseQuantity)."""
    match = _QUANTITY.fullmatch(text.strip())
    if match is None:
        return "DecimalSI"
    if match["binary"]:
        return "BinarySI"
    if match["exponent"] is not None:
        return "DecimalExponent"
    return "DecimalSI"


def round_up_milli(value: Fraction) -> Fraction:
    """What SetDefaults_ResourceList does to every quantity of a Pod, a LimitRange or a quota: rounded
    up to a thousandth."""
    return Fraction(math.ceil(value * 1000), 1000)


def api_string(value: Fraction, fmt: Format) -> str:
    """Quantity.String(): the canonical text of ``value`` in format ``fmt``."""
    if value == 0:
        return "0"
    if fmt == "BinarySI" and (abs(value) < 1024 or value.denominator != 1):
        fmt = "DecimalSI"
    if fmt == "BinarySI":
        number, power = int(value), 0
        while power < len(_BINARY_SUFFIXES) - 1 and number % 1024 == 0:
            number //= 1024
            power += 1
        return f"{number}{_BINARY_SUFFIXES[power]}"
    sign = "-" if value < 0 else ""
    value = abs(value)
    exponent = -9
    mantissa = value * 10**9
    mantissa_int = math.ceil(mantissa)  # beyond nano precision, rounded up (as ParseQuantity does)
    while mantissa_int % 10 == 0 and mantissa_int != 0:
        mantissa_int //= 10
        exponent += 1
    while exponent % 3 != 0:
        mantissa_int *= 10
        exponent -= 1
    if fmt == "DecimalExponent":
        return f"{sign}{mantissa_int}" + (f"e{exponent}" if exponent else "")
    if exponent > 18:
        mantissa_int *= 10 ** (exponent - 18)
        exponent = 18
    return f"{sign}{mantissa_int}{_DECIMAL_SUFFIXES[exponent]}"
