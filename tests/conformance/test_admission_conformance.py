"""clusterstack admit agrees with Kubernetes' own admission tests.

Every case of admission.yaml (LimitRanger's, ResourceQuota admission's, the quota evaluators') is one
test here, named by its upstream test and case; a case outside what admit models is skipped with the
reason the data gives. A mutation check proves the suite has teeth: with one rule of the evaluator broken
in memory, the suite's own checker finds disagreements."""

from __future__ import annotations

import pytest

from clusterstack.analysis import admission, pods
from tests.conformance.checks import CHECKER, case_id, cases, disagreements, load, run_suite

SUITE = load()
PARAMS = CHECKER.params(SUITE)


@pytest.mark.parametrize(("section", "case"), PARAMS)
def test_upstream_case(section, case):
    assert disagreements(section, case) == []


def test_every_case_cites_its_upstream_test_and_every_skip_says_why():
    for section, case in cases(SUITE):
        path, test, name = case["source"]
        assert path.endswith("_test.go"), case_id(section, case)
        assert test.startswith("Test"), case_id(section, case)
        assert name, case_id(section, case)
        assert "skip" not in case or len(case["skip"]) > 20, case_id(section, case)
    counted = {section: sum(1 for s, c in cases(SUITE) if s == section and "skip" not in c) for section in SUITE}
    assert all(count > 0 for count in counted.values()), counted


def test_the_whole_suite_agrees():
    """Every case at once (about 0.3 s: speed is measured, not asserted in a test)."""
    assert run_suite(SUITE) == []


def _init_containers_summed(shape: admission.PodShape, which: str) -> admission.Resources:
    """A classic mistake: init containers added to the app containers instead of taking their peak."""
    total: admission.Resources = {}
    for container in shape.containers:
        for key, value in getattr(container, which).items():
            total[key] = total.get(key, admission.ZERO) + value
    return total


def _pod_level_ignored(shape: admission.PodShape) -> dict[str, list[str]]:
    shape.pod_requests, shape.pod_limits = {}, {}
    return ORIGINAL_CONSTRAINTS(shape)


ORIGINAL_CONSTRAINTS = admission.pod_constraints


@pytest.mark.parametrize(
    ("module", "attribute", "broken", "caught_by"),
    [
        (pods, "pod_total", _init_containers_summed, "init container maximums override sum of containers"),
        (admission, "pod_constraints", _pod_level_ignored, "pod-level resource set, container-level required resources missing"),
        (pods, "pod_level_supported", lambda name: False, "pod-level CPU"),
    ],
    ids=["init containers summed", "pod-level resources ignored by must-specify", "pod-level resources not charged"],
)
def test_a_broken_evaluator_fails_the_suite(monkeypatch, module, attribute, broken, caught_by):
    """Mutation check: break one rule in memory; the suite's checker (not a sub-pytest) must disagree,
    and on the very case that pins the rule."""
    assert run_suite(SUITE) == []
    monkeypatch.setattr(module, attribute, broken)
    found = run_suite(SUITE)
    assert found, f"breaking {attribute} went unnoticed"
    assert any(caught_by in problem for problem in found), found
