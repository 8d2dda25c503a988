"""Which path programs are evaluated on: the fast path (``_sdk/fast.py``) on the Pulumi SDK versions
it was proven on, the SDK's own otherwise. Decided without importing the SDK."""

from __future__ import annotations

import functools
import os
import sys
from importlib.metadata import version
from typing import Literal

PROVEN_ON = frozenset(f"3.{minor}.0" for minor in range(260, 273))
"""The pulumi SDK versions the fast path's equivalence with the SDK's own path was proven on: every
release of the range pyproject.toml admits, up to the newest when it was last widened (each by
``.ci/prove-pulumi-versions``: the equivalence tests with the fast path forced). CI proves the
lowest (``.ci/run``'s second environment) and the locked one on every run."""

EVAL_ENV = "CLUSTERSTACK_EVAL"
"""``sdk``: always the SDK's own path; ``fast``: the fast path even on an SDK it was not proven on."""

Mode = Literal["fast", "sdk"]


def mode() -> Mode:
    """The fast path on an SDK version it was proven on, unless ``CLUSTERSTACK_EVAL`` says otherwise.
    On any other version, the SDK's own path, said once on stderr: the difference is speed alone."""
    chosen = os.environ.get(EVAL_ENV, "")
    if chosen == "fast":
        return "fast"
    if chosen == "sdk":
        return "sdk"
    installed = version("pulumi")
    if installed in PROVEN_ON:
        return "fast"
    _say_unproven(installed)
    return "sdk"


@functools.cache
def _say_unproven(installed: str) -> None:
    newest = max(PROVEN_ON, key=lambda v: tuple(int(part) for part in v.split(".")))
    oldest = min(PROVEN_ON, key=lambda v: tuple(int(part) for part in v.split(".")))
    print(
        f"clusterstack: notice: pulumi {installed} is not a version the fast evaluation path was proven on ({oldest} to {newest}); "
        f"programs run on the SDK's own path, with the same results, several times slower at a few thousand resources "
        f"(install a proven pulumi, e.g. with requirements.lock, or set {EVAL_ENV}=fast to use it anyway)",
        file=sys.stderr,
    )
