"""Checks between the parts of one platform: settings each valid on its own that contradict each other,
and would fail only later, in the cluster. Errors where the API server or the cluster would refuse or
break; warnings where it is a judgement. Each names both keys involved and the fix."""

from __future__ import annotations

import difflib
import ipaddress
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..kube.findings import Finding, Findings, prefixed, warning
from ..kube.flows import Pod, PolicyIndex
from ..kube.names import SYSTEM_PRIORITY_CLASSES, dns1035_label, reserved_namespace
from ..kube.network import parse_cidr
from ..kube.paths import KeyPath
from ..kube.quantity import Quantity
from .capacity import unschedulable_limits
from .network_policy import EgressRule, IngressRule, _Rule, build_network_policies

if TYPE_CHECKING:
    from .platform import ClusterPlatformArgs

METADATA_IP = ipaddress.ip_address("169.254.169.254")
"""The cloud instance metadata service; "Securing a Cluster" tells administrators to restrict pods' access to it."""
_STORAGE_CLASS_QUOTA = ".storageclass.storage.k8s.io/"


def problems(args: ClusterPlatformArgs) -> Findings:
    for name in args.namespaces:
        reason = reserved_namespace(name)
        if reason:
            yield Finding(("namespaces", name), reason)
    yield from _class_references(args)
    yield from _beyond_every_node(args)
    lbs_per_namespace: Counter[str] = Counter(b.namespace for b in args.load_balancers.values() if isinstance(b.namespace, str))
    for name, balancer in args.load_balancers.items():
        reasons = dns1035_label(name)
        if reasons:
            yield Finding(("loadBalancers", name), f"{name!r} is not a Service name: {'; '.join(reasons)}")
        where_to = balancer.namespace if isinstance(balancer.namespace, str) else None
        tenant = args.namespaces.get(where_to) if where_to is not None else None
        if tenant is None or where_to is None:
            continue
        if tenant.network_policy is not None:
            for path, policy_name in tenant.network_policy.named():
                if policy_name == f"allow-lb-{name}":
                    yield Finding(
                        ("namespaces", where_to, "networkPolicy", *path, "name"),
                        f"allow-lb-{name} is the name of the policy loadBalancers.{name} makes to let its traffic in; choose another name",
                    )
        for at, hard in tenant.unscoped_quotas():
            cap = hard.get("services.loadbalancers")
            if isinstance(cap, Quantity) and lbs_per_namespace[where_to] > cap.value:
                where = ".".join(str(p) for p in ("namespaces", where_to, *at, "services.loadbalancers"))
                yield Finding(
                    ("loadBalancers", name, "namespace"),
                    (f"{where_to} allows {cap} Services of type LoadBalancer ({where}) and this stack puts "
                    f"{lbs_per_namespace[where_to]} there: the API server refuses the Service; raise the quota or move the Service"),
                )


def _class_references(args: ClusterPlatformArgs) -> Findings:
    """A quota scoped to a PriorityClass, or limiting a StorageClass, tracks nothing unless the class
    exists: the stack declares it, or lists it as one the cluster has."""
    priority = set(args.priority_classes) | set(args.cluster.existing.priority_classes) | set(SYSTEM_PRIORITY_CLASSES)
    storage = set(args.storage_classes) | set(args.cluster.existing.storage_classes)
    for name, tenant in args.namespaces.items():
        for index, quota in enumerate(tenant.quotas):
            for e_index, expression in enumerate(quota.scope_selector.match_expressions if quota.scope_selector else ()):
                if expression.scope_name != "PriorityClass" or expression.operator not in ("In", "NotIn"):
                    continue
                for v_index, value in enumerate(expression.values):
                    if value not in priority:
                        yield Finding(
                            ("namespaces", name, "quotas", index, "scopeSelector", "matchExpressions", e_index, "values", v_index),
                            (f"names PriorityClass {value}, which clusterstack:priorityClasses does not declare and "
                            "clusterstack:cluster.existing.priorityClasses does not list: declare it there, or list it as one the cluster has"),
                        )
        quotas = [(("quota",), tenant.quota or {}), *((("quotas", i, "hard"), q.hard) for i, q in enumerate(tenant.quotas))]
        for quota_at, hard in quotas:
            for key in hard:
                storage_class = key.split(_STORAGE_CLASS_QUOTA)[0] if _STORAGE_CLASS_QUOTA in key else None
                if storage_class is not None and storage_class not in storage:
                    yield Finding(
                        ("namespaces", name, *quota_at, key),
                        (f"limits StorageClass {storage_class}, which clusterstack:storageClasses does not declare and "
                        "clusterstack:cluster.existing.storageClasses does not list: declare it there, or list it as one the cluster has"),
                    )


def _beyond_every_node(args: ClusterPlatformArgs) -> Findings:
    """A LimitRange that asks for more than the largest node of the stated node pools offers pods:
    the scheduler could never place what it admits (checked only when the stack states its pools)."""
    if not args.cluster.node_pools:
        return
    for name, tenant in args.namespaces.items():
        if tenant.limits is not None:
            yield from prefixed(("namespaces", name, "limits"), unschedulable_limits(tenant.limits, args.cluster.node_pools))


def warnings(args: ClusterPlatformArgs) -> Findings:
    declared = set(args.namespaces)
    flows = _flows(args)
    for name, tenant in args.namespaces.items():
        policy = tenant.network_policy
        if policy is None:
            continue
        for direction, rules in (("allowFrom", policy.allow_from), ("allowTo", policy.allow_to)):
            for index, rule in enumerate(rules):
                at: KeyPath = ("namespaces", name, "networkPolicy", direction, index)
                yield from _undeclared(rule, at, declared)
                yield from _metadata(rule, at, direction)
                yield from _one_sided(args, flows, name, direction, at, rule)


def _undeclared(rule: _Rule, at: KeyPath, declared: set[str]) -> Findings:
    if not isinstance(rule.namespace, str) or rule.namespace in declared or reserved_namespace(rule.namespace):
        return
    close = difflib.get_close_matches(rule.namespace, sorted(declared), n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]}?" if close else " (a namespace made outside this stack is fine)"
    yield warning((*at, "namespace"), f"{rule.namespace} is not one of clusterstack:namespaces{hint}")


def _metadata(rule: _Rule, at: KeyPath, direction: str) -> Findings:
    if direction != "allowTo" or rule.cidr is None:
        return
    network = parse_cidr(rule.cidr)
    if network.version != 4 or METADATA_IP not in network:
        return
    if any(METADATA_IP in parse_cidr(carved) for carved in rule.except_):
        return
    yield warning(
        (*at, "cidr"),
        (f"{rule.cidr} includes {METADATA_IP}, the cloud metadata service (it hands out the node's credentials); "
        f'add except: ["{METADATA_IP}/32"] ("Securing a Cluster": restrict pods\' access to it)'),
    )


def _flows(args: ClusterPlatformArgs) -> PolicyIndex:
    """The policies every tenant renders, each namespace built once when a rule first names it."""
    dns = args.cluster_dns()

    def policies_of(namespace: str) -> list[Any]:
        spec = args.namespaces[namespace].network_policy
        if spec is None:
            return []
        return build_network_policies(namespace, spec, dns if spec.allow_dns else None)

    labels = {n: _plain(t.labels) for n, t in args.namespaces.items()}
    return PolicyIndex(policies_of, {n: v if v is not None else {} for n, v in labels.items()})


def _one_sided(args: ClusterPlatformArgs, flows: PolicyIndex, name: str, direction: str, at: KeyPath, rule: _Rule) -> Findings:
    """A rule that lets ``name`` send to (or receive from) another namespace of the stack, whose own
    policies drop that traffic: evaluated with the policies both namespaces render (kube/flows.py),
    through one index for the whole stack, so n rules cost n checks, not n² (bench/rules.py)."""
    other_name = rule.namespace
    if not isinstance(other_name, str) or other_name == name or other_name not in args.namespaces:
        return
    here, there = args.namespaces[name], args.namespaces[other_name]
    if here.network_policy is None or there.network_policy is None:
        return
    local = rule.from_pods if isinstance(rule, EgressRule) else rule.to_pods if isinstance(rule, IngressRule) else {}
    remote = rule.pod_labels if rule.pod_labels is not None else {}
    if _plain(local) is None or _plain(remote) is None:
        return  # Outputs: cannot tell, so say nothing
    mine, theirs = Pod(name, _plain(local) or {}), Pod(other_name, _plain(remote) or {})
    source, target = (mine, theirs) if direction == "allowTo" else (theirs, mine)
    ports = [(p.protocol, p.port) for p in rule.ports if isinstance(p.port, int)] or [("TCP", 61234)]
    for protocol, port in ports:
        decision = flows.decide(source, target, port, protocol)
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


def _plain(labels: Any) -> dict[str, str] | None:
    """Labels the stack wrote out (None where an Output stands in for them)."""
    if not isinstance(labels, Mapping) or not all(isinstance(v, str) for v in labels.values()):
        return None
    return {str(k): v for k, v in labels.items()}
