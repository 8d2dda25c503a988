"""Which path programs are evaluated on: the fast path (``_sdk/fast.py``) on the Pulumi SDK version
it was proven on, the SDK's own otherwise. Decided without importing the SDK."""

from __future__ import annotations

import os
from importlib.metadata import version
from typing import Literal

PROVEN_ON = "3.272.0"
"""The pulumi SDK version the fast path's equivalence with the SDK's own path was proven on."""

EVAL_ENV = "CLUSTERSTACK_EVAL"
"""``sdk``: always the SDK's own path; ``fast``: the fast path even on an SDK it was not proven on."""

Mode = Literal["fast", "sdk"]


def mode() -> Mode:
    """The fast path on the SDK version it was proven on, unless ``CLUSTERSTACK_EVAL`` says otherwise."""
    chosen = os.environ.get(EVAL_ENV, "")
    if chosen == "fast":
        return "fast"
    if chosen == "sdk":
        return "sdk"
    return "fast" if version("pulumi") == PROVEN_ON else "sdk"
