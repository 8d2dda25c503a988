"""Durations as Go's time.ParseDuration reads them: the spelling Kubernetes components and add-ons
(ip-masq-agent's ``resyncInterval``, among others) take for a span of time, in nanoseconds.
"""

from __future__ import annotations

import re
from fractions import Fraction

_GO_UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
# time.ParseDuration's grammar: [-+]? then one or more <number><unit>, a number being digits with an
# optional fraction (at least one digit on either side of the dot); a bare "0" is the one unitless value.
_GO_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+", re.ASCII)
_GO_PART = re.compile(rf"({_GO_NUMBER.pattern})([^\d.]+)", re.ASCII)
_GO_DURATION_MAX = 2**63 - 1
"""time.Duration is an int64 of nanoseconds (about 292 years)."""
DURATION_EXAMPLE = "e.g. 60s, 1m30s, 500ms"


def go_duration(text: str) -> int:
    """Nanoseconds, as Go's time.ParseDuration reads ``text``; a ValueError saying how to write one."""
    body = text[1:] if text[:1] in ("+", "-") else text
    sign = -1 if text[:1] == "-" else 1
    if body == "0":
        return 0
    if _GO_NUMBER.fullmatch(body):
        raise ValueError(f"{text!r} has no unit; the agent reads a Go duration: did you mean {text}s?")
    position, total = 0, 0
    while position < len(body):
        part = _GO_PART.match(body, position)
        if part is None:
            raise ValueError(f"{text!r} is not a Go duration: write numbers with units (ns, us, ms, s, m, h), {DURATION_EXAMPLE}")
        number, unit = part.groups()
        if unit not in _GO_UNITS:
            raise ValueError(f"{text!r} has the unit {unit!r}; Go durations take ns, us (µs), ms, s, m and h ({DURATION_EXAMPLE})")
        total += int(Fraction(number) * _GO_UNITS[unit])
        position = part.end()
    if position == 0:
        raise ValueError(f"{text!r} is not a Go duration ({DURATION_EXAMPLE})")
    if total > _GO_DURATION_MAX:
        raise ValueError(f"{text!r} is longer than the longest Go duration (about 292 years)")
    return sign * total
