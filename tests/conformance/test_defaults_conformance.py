"""clusterstack's model of the API server's defaulting (clusterstack/kube/defaults.py) agrees with
Kubernetes' own defaults_test.go cases (tests/conformance/defaults.yaml), and the suite fails when a
rule is wrong."""

from __future__ import annotations

from typing import Any

import pytest

from clusterstack.kube import pod_defaults
from tests.conformance.defaults_checks import CHECKER

SUITE = CHECKER.load()


@pytest.mark.parametrize(("section", "case"), CHECKER.params(SUITE))
def test_agrees_with_upstream(section: str, case: dict[str, Any]) -> None:
    assert CHECKER.disagreements(section, case) == []


def test_every_section_has_cases() -> None:
    assert {section: len(cases) for section, cases in SUITE.items()} == {"networking": 5, "core": 23, "apps": 17}


def test_the_suite_fails_when_a_default_is_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mutation check: a workload's revisionHistoryLimit defaulted to 2 instead of 10 is caught,
    in every case that leaves it unset."""
    original = pod_defaults.fill_in

    def wrong(target: dict[str, Any], key: str, value: Any) -> None:
        original(target, key, 2 if key == "revisionHistoryLimit" else value)

    monkeypatch.setattr(pod_defaults, "fill_in", wrong)
    failing = sorted({problem.split(": spec is")[0] for problem in CHECKER.run_suite(SUITE)})
    # Every case that leaves revisionHistoryLimit to the default, and no other.
    assert failing == [
        "apps: TestSetDefaultDaemonSetSpec / Custom unique label key.",
        "apps: TestSetDefaultDaemonSetSpec / Labels change/defaulting test. (first)",
        "apps: TestSetDefaultDaemonSetSpec / OnDeleteDaemonSetStrategyType update strategy.",
        "apps: TestSetDefaultDeployment / an empty Deployment",
        "apps: TestSetDefaultDeployment / replicas 3, RollingUpdate without its bounds",
        "apps: TestSetDefaultDeployment / replicas 5, maxSurge 5",
        "apps: TestSetDefaultStatefulSet / Alternate update strategy",
        "apps: TestSetDefaultStatefulSet / Parallel pod management policy",
        "apps: TestSetDefaultStatefulSet / UpdateStrategy.RollingUpdate.Partition is not lost when UpdateStrategy.Type is not set",
        "apps: TestSetDefaultStatefulSet / labels and default update strategy",
    ]
