"""The one-sided-rule check as it was before the policy index: every rule evaluated with
``flows.decide`` over the policies both namespaces render (n rules × n policies). Kept as the
oracle the indexed check must agree with (tests/test_flows_index.py) and as the "before" of
bench/rules.py."""

from __future__ import annotations

from collections.abc import Iterator

from clusterstack.components.network_policy import EgressRule, IngressRule, _Rule, build_network_policies
from clusterstack.components.platform import ClusterPlatformArgs, _metadata, _plain, _undeclared
from clusterstack.kube.findings import Finding, warning
from clusterstack.kube.flows import Pod, decide
from clusterstack.kube.paths import KeyPath


def reference_warnings(args: ClusterPlatformArgs) -> list[Finding]:
    """``platform.coherence_warnings`` with the naive one-sided check."""
    declared = set(args.namespaces)
    found: list[Finding] = []
    for name, tenant in args.namespaces.items():
        policy = tenant.network_policy
        if policy is None:
            continue
        for direction, rules in (("allowFrom", policy.allow_from), ("allowTo", policy.allow_to)):
            for index, rule in enumerate(rules):
                at: KeyPath = ("namespaces", name, "networkPolicy", direction, index)
                found += _undeclared(rule, at, declared)
                found += _metadata(rule, at, direction)
                found += _naive_one_sided(args, name, direction, at, rule)
    return found


def _naive_one_sided(args: ClusterPlatformArgs, name: str, direction: str, at: KeyPath, rule: _Rule) -> Iterator[Finding]:
    other_name = rule.namespace
    if not isinstance(other_name, str) or other_name == name or other_name not in args.namespaces:
        return
    here, there = args.namespaces[name], args.namespaces[other_name]
    if here.network_policy is None or there.network_policy is None:
        return
    dns = args.cluster_dns()
    policies = [
        *build_network_policies(name, here.network_policy, dns if here.network_policy.allow_dns else None),
        *build_network_policies(other_name, there.network_policy, dns if there.network_policy.allow_dns else None),
    ]
    labels = {n: _plain(t.labels) for n, t in ((name, here), (other_name, there))}
    local = rule.from_pods if isinstance(rule, EgressRule) else rule.to_pods if isinstance(rule, IngressRule) else {}
    remote = rule.pod_labels if rule.pod_labels is not None else {}
    if _plain(local) is None or _plain(remote) is None:
        return
    mine, theirs = Pod(name, _plain(local) or {}), Pod(other_name, _plain(remote) or {})
    source, target = (mine, theirs) if direction == "allowTo" else (theirs, mine)
    ports = [(p.protocol, p.port) for p in rule.ports if isinstance(p.port, int)] or [("TCP", 61234)]
    for protocol, port in ports:
        decision = decide(policies, source, target, port, protocol, {n: v or {} for n, v in labels.items()})
        if decision.allowed:
            continue
        who = ", ".join(decision.ingress or decision.egress)
        if direction == "allowTo" and decision.ingress:
            yield warning(
                (*at, "namespace"),
                (f"{name} may send to {other_name} ({protocol} {port}), but {other_name}'s policies ({who}) drop it there: "
                f"add {{namespace: {name}}} to namespaces.{other_name}.networkPolicy.allowFrom"),
            )
            return
        if direction == "allowFrom" and decision.egress:
            yield warning(
                (*at, "namespace"),
                (f"{name} admits traffic from {other_name} ({protocol} {port}), but {other_name}'s policies ({who}) never send it: "
                f"add {{namespace: {name}}} to namespaces.{other_name}.networkPolicy.allowTo"),
            )
            return
