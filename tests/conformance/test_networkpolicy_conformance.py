"""clusterstack's NetworkPolicy evaluator (clusterstack/kube/flows.py, behind `reach` and the one-sided-rule
check) agrees with Kubernetes' own network-policy tests and cyclonus.

Every case of networkpolicy.yaml (the e2e truth tables, cyclonus' port/protocol cases, matcher tests
and peer semantics, the API's policyTypes defaulting) is one test here, named by its upstream test and
case. A mutation check proves the suite has teeth: with one rule of the evaluator broken in memory,
the suite's own checker finds disagreements, on the very cases that pin that rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from clusterstack.kube import flows
from tests.conformance.networkpolicy_checks import case_id, cases, disagreements, load, run_suite

SUITE = load()
PARAMS = [pytest.param(section, case, id=case_id(section, case)) for section, case in cases(SUITE)]


@pytest.mark.parametrize(("section", "case"), PARAMS)
def test_upstream_case(section, case):
    assert disagreements(section, case) == []


def test_every_case_cites_its_upstream_file_test_and_case():
    for section, case in cases(SUITE):
        path, test, name = case["source"]
        assert path.endswith(".go"), case_id(section, case)
        assert test, case_id(section, case)
        assert name, case_id(section, case)
    counted = {section: sum(1 for s, _ in cases(SUITE) if s == section) for section in SUITE}
    assert counted["e2e"] >= 45, counted
    assert counted["ports"] >= 30, counted
    # Every test of network_policy.go that prints a truth table is here (the It() texts are unique per context).
    e2e = [tuple(case["source"][1:]) for section, case in cases(SUITE) if section == "e2e"]
    assert len(set(e2e)) == len(e2e)


def test_the_whole_suite_agrees():
    assert run_suite(SUITE) == []


# --- Mutation check: each broken rule must be caught, by the case that pins it -------------------------

ORIGINAL_PORTS_MATCH = flows._ports_match
ORIGINAL_PEER_MATCHES = flows._peer_matches


def _named_port_by_number_only(ports: list[Mapping[str, Any]] | None, destination: flows.Endpoint, port: int, protocol: str) -> bool:
    """The old bug: a named port compared by number, whatever its protocol."""
    if isinstance(destination, flows.Pod):
        destination = flows.Pod(
            destination.namespace, destination.labels, destination.ip, {n: flows.NamedPort(p.port, protocol) for n, p in destination.ports.items()}
        )
    return ORIGINAL_PORTS_MATCH(ports, destination, port, protocol)


def _empty_policy_types_kept(policy: Mapping[str, Any]) -> list[str]:
    """The old bug: an explicit empty policyTypes isolates nothing."""
    spec = policy["spec"]
    if "policyTypes" in spec and spec["policyTypes"] is not None:
        return list(spec["policyTypes"])
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def _null_namespace_selector_is_everywhere(peer: Mapping[str, Any], endpoint: flows.Endpoint, policy_namespace: str, namespace_labels_of: flows.NamespaceLabels) -> bool:
    """The old bug: `namespaceSelector: null` read as an empty selector (every namespace)."""
    if "namespaceSelector" in peer and peer["namespaceSelector"] is None:
        peer = {**peer, "namespaceSelector": {}}
    return ORIGINAL_PEER_MATCHES(peer, endpoint, policy_namespace, namespace_labels_of)


def _except_ignored(peer: Mapping[str, Any], endpoint: flows.Endpoint, policy_namespace: str, namespace_labels_of: flows.NamespaceLabels) -> bool:
    if peer.get("ipBlock") is not None:
        peer = {**peer, "ipBlock": {"cidr": peer["ipBlock"]["cidr"]}}
    return ORIGINAL_PEER_MATCHES(peer, endpoint, policy_namespace, namespace_labels_of)


def _end_port_ignored(ports: list[Mapping[str, Any]] | None, destination: flows.Endpoint, port: int, protocol: str) -> bool:
    return ORIGINAL_PORTS_MATCH([{k: v for k, v in p.items() if k != "endPort"} for p in ports] if ports else ports, destination, port, protocol)


@pytest.mark.parametrize(
    ("attribute", "broken", "caught_by"),
    [
        ("_ports_match", _named_port_by_number_only, "open a named port that doesn't match its protocol"),
        ("_types", _empty_policy_types_kept, "Empty NetworkPolicy should be set to PolicyTypes Ingress (policyTypes: [])"),
        ("_peer_matches", _null_namespace_selector_is_everywhere, "allow all pods in policy namespace"),
        ("_peer_matches", _except_ignored, "should enforce except clause while egress access to server in CIDR block"),
        ("_ports_match", _end_port_ignored, "{protocol: TCP, port: 53, endPort: 84}"),
    ],
    ids=["named port by number only", "policyTypes [] isolates nothing", "namespaceSelector null is everywhere", "ipBlock except ignored", "endPort ignored"],
)
def test_a_broken_evaluator_fails_the_suite(monkeypatch, attribute, broken, caught_by):
    """Break one rule in memory; the suite's checker (not a sub-pytest) must disagree, on the very case
    that pins the rule."""
    assert run_suite(SUITE) == []
    monkeypatch.setattr(flows, attribute, broken)
    found = run_suite(SUITE)
    assert found, f"breaking {attribute} went unnoticed"
    assert any(caught_by in problem for problem in found), found
