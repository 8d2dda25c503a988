"""The cross-namespace checks read each namespace's policies once (kube/flows.PolicyIndex) and find
exactly what the naive check found (tests/one_sided_reference.py): the same findings, in the same
order, on generated stacks of every shape the shorthand and raw policies can take; and
``PolicyIndex.decide`` agrees with ``flows.decide`` flow by flow. The speed is measured in
bench/rules.py, not asserted here."""

from __future__ import annotations

import random
from typing import Any

import pytest

from clusterstack.components import ClusterPlatformArgs
from clusterstack.components.network_policy import build_network_policies
from clusterstack.components.platform import coherence_warnings as warnings
from clusterstack.kube.flows import Host, NamedPort, Pod, PolicyIndex, decide
from tests.one_sided_reference import reference_warnings

NAMESPACES = ["a", "b", "c", "d"]
LABELS = [{}, {"app": "web"}, {"app": "db"}, {"tier": "x"}]


def _ports(rng: random.Random) -> list[dict[str, Any]]:
    shapes: list[list[dict[str, Any]]] = [
        [],
        [{"port": 80}],
        [{"port": 53, "protocol": "UDP"}],
        [{"port": 8000, "endPort": 8100}],
        [{"port": "http"}],
        [{"port": 80}, {"port": 443}],
    ]
    return rng.choice(shapes)


def _rule(rng: random.Random, direction: str) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    kind = rng.random()
    if kind < 0.6:
        rule["namespace"] = rng.choice([*NAMESPACES, "elsewhere"])
    elif kind < 0.75:
        rule["namespaceLabels"] = rng.choice([*LABELS[1:], {"team": "t1"}])
    elif kind < 0.85:
        rule["cidr"] = rng.choice(["10.0.0.0/8", "0.0.0.0/0"])
    if "cidr" not in rule and rng.random() < 0.4:
        rule["podLabels"] = rng.choice(LABELS)
    rule["ports"] = _ports(rng)
    pods = rng.choice(LABELS)
    if pods and rng.random() < 0.5:
        rule["toPods" if direction == "allowFrom" else "fromPods"] = pods
    return rule


def _raw(rng: random.Random, index: int) -> dict[str, Any]:
    peers = rng.choice(
        [
            [],
            [{"podSelector": {"matchLabels": {"app": "web"}}}],
            [{"namespaceSelector": {}}],
            [{"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "In", "values": ["t1", "t2"]}]}}],
            [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": rng.choice(NAMESPACES)}}}],
            [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "a"}}}, {"ipBlock": {"cidr": "10.0.0.0/8"}}],
        ]
    )
    rule: dict[str, Any] = {"from": peers} if peers else {}
    ports = _ports(rng)
    if ports:
        rule["ports"] = [{"protocol": "TCP", **p} for p in ports]
    spec: dict[str, Any] = {"podSelector": {"matchLabels": rng.choice(LABELS)}, "policyTypes": ["Ingress"], "ingress": [rule]}
    if rng.random() < 0.5:
        spec = {"podSelector": spec["podSelector"], "policyTypes": ["Egress"], "egress": [{"to" if k == "from" else k: v for k, v in rule.items()}]}
    return {"name": f"raw-{index}", "spec": spec}


def generated_stack(seed: int, rules: int) -> ClusterPlatformArgs:
    """A random platform of four or five namespaces and `rules` rules of every shape (shared with
    tests/test_reach.py)."""
    rng = random.Random(seed)
    namespaces: dict[str, Any] = {}
    for name in NAMESPACES:
        policy: dict[str, Any] = {"allowFrom": [], "allowTo": [], "policies": []}
        deny = rng.choice([[], ["Ingress"], ["Egress"], ["Ingress", "Egress"]])
        if deny:
            policy["defaultDeny"] = deny
        policy["allowDNS"] = rng.random() < 0.7
        policy["allowSameNamespace"] = rng.random() < 0.3
        namespaces[name] = {"labels": rng.choice([{"team": "t1"}, {"team": "t2"}, {}]), "networkPolicy": policy}
    for index in range(rules):
        name = rng.choice(NAMESPACES)
        direction = rng.choice(["allowFrom", "allowTo", "allowFrom", "allowTo", "policies"])
        policy = namespaces[name]["networkPolicy"]
        policy[direction].append(_raw(rng, index) if direction == "policies" else _rule(rng, direction))
    if rng.random() < 0.3:
        namespaces["e"] = {}  # a tenant without policies: rules naming it are not checked
    return ClusterPlatformArgs.model_validate({"namespaces": namespaces})


@pytest.mark.parametrize("seed", range(60))
def test_the_indexed_check_finds_what_the_naive_one_found(seed):
    args = generated_stack(seed, rules=5 + seed % 30)
    expected = reference_warnings(args)
    assert list(warnings(args)) == expected


def test_generated_stacks_do_draw_one_sided_findings():
    """The comparison above means something only if the stacks it compares draw findings."""
    one_sided = [f.message for seed in range(60) for f in reference_warnings(generated_stack(seed, rules=5 + seed % 30)) if "policies (" in f.message]
    assert len(one_sided) > 20
    assert any("never send it" in m for m in one_sided)
    assert any("drop it there" in m for m in one_sided)


def test_a_thousand_mirrored_rules_agree():
    """The shape the warning asks for: every allowFrom answered by an allowTo, many ports."""
    a_from = [{"namespace": "b", "ports": [{"port": 8000 + i}]} for i in range(300)]
    b_to = [{"namespace": "a", "ports": [{"port": 8000 + i}]} for i in range(0, 300, 2)]
    deny = {"defaultDeny": ["Ingress", "Egress"], "allowDNS": True}
    args = ClusterPlatformArgs.model_validate(
        {"namespaces": {"a": {"networkPolicy": {**deny, "allowFrom": a_from}}, "b": {"networkPolicy": {**deny, "allowTo": b_to}}}}
    )
    found = list(warnings(args))
    assert found == reference_warnings(args)
    assert len(found) == 150  # the odd ports b never sends


def rendered_policies(args: ClusterPlatformArgs) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, str]]]:
    """The policies each namespace of ``args`` renders, and each namespace's labels."""
    dns = args.cluster_dns()
    built = {
        n: build_network_policies(n, t.network_policy, dns if t.network_policy.allow_dns else None) if t.network_policy is not None else []
        for n, t in args.namespaces.items()
    }
    return built, {n: {str(k): str(v) for k, v in dict(t.labels).items()} for n, t in args.namespaces.items()}


@pytest.mark.parametrize("seed", range(20))
def test_policy_index_decides_as_decide_does(seed):
    built, labels = rendered_policies(generated_stack(1000 + seed, rules=25))
    every = [p for policies in built.values() for p in policies]
    index = PolicyIndex(lambda n: built.get(n, []), labels)
    rng = random.Random(seed)
    endpoints = [Pod(n, dict(rng.choice(LABELS)), ports={"http": NamedPort(80)}) for n in NAMESPACES for _ in range(2)] + [Host("10.1.2.3"), Host("192.0.2.1")]
    for _ in range(200):
        source, destination = rng.choice(endpoints), rng.choice(endpoints)
        port, protocol = rng.choice([53, 80, 443, 8050, 9999]), rng.choice(["TCP", "UDP"])
        assert index.decide(source, destination, port, protocol) == decide(every, source, destination, port, protocol, labels)


@pytest.mark.parametrize("seed", range(20))
def test_an_endpoint_refuses_every_peer_outside_the_namespaces_its_rules_name(seed):
    """PolicyIndex.peers: where it names namespaces, ``decide`` refuses a flow with any other peer on
    that side, on every port (what lets a matrix skip the pair); and it does name some."""
    built, labels = rendered_policies(generated_stack(2000 + seed, rules=25))
    index = PolicyIndex(lambda n: built.get(n, []), labels)
    endpoints = [Pod(n, dict(pods), ports={"http": NamedPort(80)}) for n in NAMESPACES for pods in LABELS] + [Host("10.1.2.3"), Host("192.0.2.1")]
    named = 0
    for endpoint in endpoints:
        for direction in ("Ingress", "Egress"):
            peers = index.peers(endpoint, direction)
            if peers is None:
                continue
            named += 1
            for other in endpoints:
                if isinstance(other, Pod) and other.namespace in peers:
                    continue
                source, destination = (other, endpoint) if direction == "Ingress" else (endpoint, other)
                for port, protocol in [(53, "UDP"), (53, "TCP"), (80, "TCP"), (8050, "TCP"), (61234, "UDP")]:
                    assert not index.decide(source, destination, port, protocol).allowed
    assert named > 0
