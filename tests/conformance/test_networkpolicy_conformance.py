"""clusterstack's NetworkPolicy evaluator (clusterstack/kube/flows.py, behind `reach` and the one-sided-rule
check) agrees with Kubernetes' own network-policy tests and cyclonus.

Every case of networkpolicy.yaml (the e2e truth tables, the legacy e2e server/client assertions,
cyclonus' port/protocol cases, matcher tests and peer semantics, the API's policyTypes defaulting) is one
test here, named by its upstream test and case; a case outside what the evaluator models is skipped
with the reason. A mutation check proves the suite has teeth: with one rule of the evaluator broken in
memory, the suite's own checker finds disagreements, on the very cases that pin that rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from clusterstack.kube import flows
from tests.conformance.networkpolicy_checks import CHECKER, case_id, cases, disagreements, load, run_suite

SUITE = load()
PARAMS = CHECKER.params(SUITE)


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
    # network_legacy.go: 29 It()s in its TCP context and 3 in its SCTP one, each once, each cited in full.
    legacy = [case for section, case in cases(SUITE) if section == "legacy"]
    assert len(legacy) == 32
    assert len({tuple(case["source"][1:]) for case in legacy}) == 32
    assert all(case["source"][0] == "test/e2e/network/netpol/network_legacy.go" and case["source"][2].endswith("[Feature:NetworkPolicy]") for case in legacy)
    assert sum(1 for case in legacy if "skip" not in case) == 31


def test_every_skip_says_why_and_is_true():
    """A skipped case is one whose outcome the evaluator cannot decide; the checker says so when run
    anyway (the legacy SCTP 'default-deny' probes TCP where only SCTP listens)."""
    skipped = [(section, case) for section, case in cases(SUITE) if "skip" in case]
    assert skipped
    for section, case in skipped:
        assert len(case["skip"]) > 40, case_id(section, case)
        assert any("no policy decides that" in problem for problem in disagreements(section, case)), case_id(section, case)


def test_the_whole_suite_agrees():
    assert run_suite(SUITE) == []


def test_a_legacy_step_with_a_misspelt_key_is_reported_not_ignored():
    case = next(case for section, case in cases(SUITE) if section == "legacy" and "updated namespace" in case["source"][2])
    assert disagreements("legacy", case) == []
    steps = [dict(step) for step in case["steps"]]
    steps[-1]["namespace_label"] = steps[-1].pop("namespace_labels")
    found = disagreements("legacy", {**case, "steps": steps})
    assert found[0].startswith("step 3: unknown keys ['namespace_label']"), found
    assert any("b/client-b -> a/server TCP 80 expected allowed, got denied" in problem for problem in found), found


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


# --- Mutation check for network_legacy.go: every one of its cases pins a rule ---------------------------

ORIGINAL_SELECTS = flows._selects
ORIGINAL_TYPES = flows._types
ORIGINAL_PEERS_MATCH = flows._peers_match
LEGACY = {"legacy": SUITE["legacy"]}


def _selectors_of_one_peer_ored(peer: Mapping[str, Any], endpoint: flows.Endpoint, policy_namespace: str, namespace_labels_of: flows.NamespaceLabels) -> bool:
    """A peer with both selectors read as two peers: pods selected OR namespaces selected."""
    if peer.get("namespaceSelector") is not None and peer.get("podSelector") is not None:
        return any(ORIGINAL_PEER_MATCHES({key: peer[key]}, endpoint, policy_namespace, namespace_labels_of) for key in ("namespaceSelector", "podSelector"))
    return ORIGINAL_PEER_MATCHES(peer, endpoint, policy_namespace, namespace_labels_of)


def _bare_pod_selector_everywhere(peer: Mapping[str, Any], endpoint: flows.Endpoint, policy_namespace: str, namespace_labels_of: flows.NamespaceLabels) -> bool:
    """A podSelector without namespaceSelector read as selecting pods of every namespace."""
    if peer.get("ipBlock") is None and peer.get("namespaceSelector") is None:
        peer = {**peer, "namespaceSelector": {}}
    return ORIGINAL_PEER_MATCHES(peer, endpoint, policy_namespace, namespace_labels_of)


def _namespace_labels_ignored(peer: Mapping[str, Any], endpoint: flows.Endpoint, policy_namespace: str, namespace_labels_of: flows.NamespaceLabels) -> bool:
    """Only the API server's kubernetes.io/metadata.name label seen, not the ones a test sets."""
    return ORIGINAL_PEER_MATCHES(peer, endpoint, policy_namespace, lambda namespace: {flows.NAME_LABEL: namespace})


def _protocol_ignored(ports: list[Mapping[str, Any]] | None, destination: flows.Endpoint, port: int, protocol: str) -> bool:
    return ORIGINAL_PORTS_MATCH([{**p, "protocol": protocol} for p in ports] if ports else ports, destination, port, protocol)


def _ports_ignored(ports: list[Mapping[str, Any]] | None, destination: flows.Endpoint, port: int, protocol: str) -> bool:
    return True


def _named_port_never_resolved(ports: list[Mapping[str, Any]] | None, destination: flows.Endpoint, port: int, protocol: str) -> bool:
    if not ports:
        return ORIGINAL_PORTS_MATCH(ports, destination, port, protocol)
    numbered = [p for p in ports if not isinstance(p.get("port"), str)]
    return bool(numbered) and ORIGINAL_PORTS_MATCH(numbered, destination, port, protocol)


def _match_expressions_ignored(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    return ORIGINAL_SELECTS({k: v for k, v in selector.items() if k != "matchExpressions"}, labels)


def _egress_never_isolates(policy: Mapping[str, Any]) -> list[str]:
    return [t for t in ORIGINAL_TYPES(policy) if t != "Egress"]


def _direction_without_rules_isolates_nothing(policy: Mapping[str, Any]) -> list[str]:
    """The classic misreading: `ingress: []` restricts nothing (it denies everything)."""
    return [t for t in ORIGINAL_TYPES(policy) if policy["spec"].get(t.lower())]


def _rule_without_peers_admits_nobody(peers: list[Mapping[str, Any]] | None, endpoint: flows.Endpoint, policy_namespace: str, namespace_labels_of: flows.NamespaceLabels) -> bool:
    """A rule with no from/to read as admitting no one (it admits everyone)."""
    return bool(peers) and ORIGINAL_PEERS_MATCH(peers, endpoint, policy_namespace, namespace_labels_of)


LEGACY_MUTATIONS = [
    ("_peer_matches", _selectors_of_one_peer_ored, "should enforce policy based on PodSelector and NamespaceSelector [Feature:NetworkPolicy]"),
    ("_peer_matches", _bare_pod_selector_everywhere, "should enforce policy to allow traffic from pods within server namespace based on PodSelector"),
    ("_peer_matches", _namespace_labels_ignored, "should allow ingress access from updated namespace"),
    ("_peer_matches", _except_ignored, "should enforce except clause while egress access to server in CIDR block"),
    ("_ports_match", _protocol_ignored, "should not allow access by TCP when a policy specifies only SCTP"),
    ("_ports_match", _ports_ignored, "should enforce updated policy"),
    ("_ports_match", _named_port_never_resolved, "should allow ingress access on one named port"),
    ("_selects", _match_expressions_ignored, "should allow ingress access from updated pod"),
    ("_types", _egress_never_isolates, "should support a 'default-deny-all' policy"),
    ("_types", _direction_without_rules_isolates_nothing, "should stop enforcing policies after they are deleted"),
    ("_peers_match", _rule_without_peers_admits_nobody, "should support allow-all policy"),
]


@pytest.mark.parametrize(("attribute", "broken", "caught_by"), LEGACY_MUTATIONS, ids=[broken.__name__.strip("_") for _, broken, _ in LEGACY_MUTATIONS])
def test_a_broken_evaluator_fails_the_legacy_cases(monkeypatch, attribute, broken, caught_by):
    """The legacy cases alone, run by the suite's checker, catch each broken rule on the case that pins it."""
    assert run_suite(LEGACY) == []
    monkeypatch.setattr(flows, attribute, broken)
    found = run_suite(LEGACY)
    assert any(problem.startswith("legacy: ") and caught_by in problem for problem in found), found


def test_every_legacy_case_pins_a_rule(monkeypatch):
    """No legacy case is dead weight: each one that runs fails under at least one broken rule above."""
    caught: set[str] = set()
    for attribute, broken, _ in LEGACY_MUTATIONS:
        with monkeypatch.context() as patch:
            patch.setattr(flows, attribute, broken)
            caught |= {problem.split(": step ")[0] for problem in run_suite(LEGACY)}
    ran = {case_id("legacy", case) for case in SUITE["legacy"] if "skip" not in case}
    assert len(ran) == 31
    assert ran - caught == set()
