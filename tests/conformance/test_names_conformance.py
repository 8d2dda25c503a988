"""clusterstack's name validators (clusterstack/kube/names.py) agree with Kubernetes' own tests of name
syntax (tests/conformance/names.yaml, transcribed from apimachinery's validation_test.go and
name_test.go), refuse every valid value with a final newline as the API server does, and the suite
fails when a validator anchors its pattern the way Python's ``$`` allows."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from clusterstack.kube import names

# BaseLoader: every scalar is text, as upstream wrote it ("1.2", "1_2" and "0" are names, not numbers).
SUITE = yaml.load((Path(__file__).parent / "names.yaml").read_text(), Loader=yaml.BaseLoader)
VALIDATORS: dict[str, Callable[[str], list[str]]] = {
    "dns1123_label": names.dns1123_label,
    "dns1123_subdomain": names.dns1123_subdomain,
    "dns1035_label": names.dns1035_label,
    "port_name": names.port_name,
    "qualified_name": names.qualified_name,
    "label_value": names.label_value,
    "config_map_key": names.config_map_key,
    "path_segment_name": names.path_segment_name,
}


def _value(spec: Any) -> str:
    """A value as the suite writes it: text, ``{repeat: [text, n]}`` or ``{join: [parts]}``."""
    if isinstance(spec, dict) and "repeat" in spec:
        text, count = spec["repeat"]
        return str(text) * int(count)
    if isinstance(spec, dict) and "join" in spec:
        return "".join(_value(part) for part in spec["join"])
    return str(spec)


def _cases() -> list[tuple[str, str, bool]]:
    found = []
    for kind, group in SUITE.items():
        if kind == "newline":
            continue
        found += [(kind, _value(value), True) for value in group["good"]]
        found += [(kind, _value(value), False) for value in group["bad"]]
    return found


CASES = _cases()


def _disagreements(validators: dict[str, Callable[[str], list[str]]]) -> list[str]:
    found = [
        f"{kind}({value!r}): expected {'valid' if valid else 'invalid'}"
        for kind, value, valid in CASES
        if (not validators[kind](value)) != valid
    ]
    for kind, value in SUITE["newline"]["good_with_a_final_newline"].items():
        if validators[kind](value) or not validators[kind](value + "\n"):
            found.append(f"{kind}({value!r} with a final newline): expected only the newline refused")
    return found


def test_every_kind_of_name_has_upstream_cases() -> None:
    assert set(SUITE) - {"newline"} == set(VALIDATORS)
    assert len(CASES) == 277  # every good and bad value of the eight upstream tests


@pytest.mark.parametrize(("kind", "value", "valid"), CASES, ids=[f"{k}:{v!r}"[:80] for k, v, _ in CASES])
def test_agrees_with_upstream(kind: str, value: str, valid: bool) -> None:
    reasons = VALIDATORS[kind](value)
    assert (not reasons) == valid, reasons


@pytest.mark.parametrize(("kind", "value"), sorted(SUITE["newline"]["good_with_a_final_newline"].items()))
def test_a_final_newline_is_refused(kind: str, value: str) -> None:
    assert VALIDATORS[kind](value) == []
    assert VALIDATORS[kind](value + "\n") != []


@pytest.mark.parametrize(("value", "messages"), SUITE["path_segment_name"]["messages"])
def test_path_segment_messages_are_upstream_words(value: str, messages: list[str]) -> None:
    """name_test.go, TestValidateWithMultiErrors and path.ValidatePathSegmentName's wording."""
    assert names.path_segment_name(value) == messages


def test_the_suite_fails_on_a_dollar_anchored_validator() -> None:
    """The mutation check: a DNS-1123 label validator written with ``re.match`` and ``^…$`` (what
    clusterstack had) passes upstream's own lists but takes ``payments\\n``; the suite must fail."""
    dollar = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

    def loose(value: str) -> list[str]:
        return [] if len(value) <= 63 and dollar.match(value) else ["invalid"]

    disagreements = _disagreements({**VALIDATORS, "dns1123_label": loose})
    assert disagreements == ["dns1123_label('payments' with a final newline): expected only the newline refused"]
    assert _disagreements(VALIDATORS) == []
