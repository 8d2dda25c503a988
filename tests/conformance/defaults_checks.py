"""The defaulting suite's checker: each case of ``defaults.yaml`` defaulted by clusterstack's model of
the API server (clusterstack/kube/defaults.py), and the disagreements with upstream's expectation.

Besides upstream's expectation, every case checks the model's own promise: undefaulting the
defaulted object and defaulting it again gives the defaulted object back (nothing undefaulted is
lost), and the object normalises (clusterstack/kube/live.py) the same before and after defaulting."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clusterstack.kube.defaults import defaulted, undefaulted
from clusterstack.kube.live import normalised
from tests.conformance import suite

DATA = Path(__file__).with_name("defaults.yaml")
_ABSENT = object()


def _at(body: Any, path: list[Any]) -> Any:
    for part in path:
        if (isinstance(body, dict) and part in body) or (isinstance(body, list) and isinstance(part, int) and part < len(body)):
            body = body[part]
        else:
            return _ABSENT
    return body


def _check(case: Mapping[str, Any]) -> list[str]:
    stored = defaulted(case["in"])
    found = []
    if "spec" in case and stored.get("spec") != case["spec"]:
        found.append(f"spec is {stored.get('spec')!r}, upstream expects {case['spec']!r}")
    for path, expected in case.get("fields", ()):
        actual = _at(stored, path)
        if expected is None and actual is not _ABSENT:
            found.append(f"{'.'.join(map(str, path))} is {actual!r}, upstream expects it absent")
        elif expected is not None and actual != expected:
            shown = "absent" if actual is _ABSENT else repr(actual)
            found.append(f"{'.'.join(map(str, path))} is {shown}, upstream expects {expected!r}")
    if defaulted(undefaulted(stored)) != stored:
        found.append("undefaulting loses something: defaulting the undefaulted object does not give it back")
    if normalised(stored) != normalised(case["in"]):
        found.append("the defaulted object normalises differently from the object")
    return found


CHECKER = suite.Checker(DATA, {"networking": _check, "core": _check, "apps": _check})
