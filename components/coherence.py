"""Checks between the parts of one platform: settings each valid on its own that contradict each other,
and would fail only later, in the cluster. Errors where the API server or the cluster would refuse or
break; warnings where it is a judgement. Each names both keys involved and the fix."""

from __future__ import annotations

import difflib
import ipaddress
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .kube.names import dns1035_label, reserved_namespace
from .kube.network import parse_cidr
from .kube.quantity import Quantity
from .model import KeyPath
from .network_policy import NAMESPACE_NAME_LABEL, NetworkPolicyArgs, _Rule

if TYPE_CHECKING:
    from .platform import ClusterPlatformArgs

Finding = tuple[KeyPath, str]
METADATA_IP = ipaddress.ip_address("169.254.169.254")
"""The cloud instance metadata service; "Securing a Cluster" tells administrators to restrict pods' access to it."""
_STORAGE_CLASS_QUOTA = ".storageclass.storage.k8s.io/"


def problems(args: ClusterPlatformArgs) -> Iterator[Finding]:
    for name in args.namespaces:
        reason = reserved_namespace(name)
        if reason:
            yield ("namespaces", name), reason
    lbs_per_namespace: Counter[str] = Counter(b.namespace for b in args.load_balancers.values() if isinstance(b.namespace, str))
    for name, balancer in args.load_balancers.items():
        reasons = dns1035_label(name)
        if reasons:
            yield ("loadBalancers", name), f"{name!r} is not a Service name: {'; '.join(reasons)}"
        where_to = balancer.namespace if isinstance(balancer.namespace, str) else None
        tenant = args.namespaces.get(where_to) if where_to is not None else None
        if tenant is None or where_to is None:
            continue
        if tenant.network_policy is not None:
            for path, policy_name in tenant.network_policy.named():
                if policy_name == f"allow-lb-{name}":
                    yield (
                        ("namespaces", where_to, "networkPolicy", *path, "name"),
                        f"allow-lb-{name} is the name of the policy loadBalancers.{name} makes to let its traffic in; choose another name",
                    )
        for at, hard in tenant.unscoped_quotas():
            cap = hard.get("services.loadbalancers")
            if isinstance(cap, Quantity) and lbs_per_namespace[where_to] > cap.value:
                where = ".".join(str(p) for p in ("namespaces", where_to, *at, "services.loadbalancers"))
                yield (
                    ("loadBalancers", name, "namespace"),
                    (f"{where_to} allows {cap} Services of type LoadBalancer ({where}) and this stack puts "
                    f"{lbs_per_namespace[where_to]} there: the API server refuses the Service; raise the quota or move the Service"),
                )


def warnings(args: ClusterPlatformArgs) -> Iterator[Finding]:
    declared = set(args.namespaces)
    for name, tenant in args.namespaces.items():
        for index, quota in enumerate(tenant.quotas):
            for e_index, expression in enumerate(quota.scope_selector.match_expressions if quota.scope_selector else ()):
                if expression.scope_name == "PriorityClass":
                    for value in expression.values:
                        yield (
                            ("namespaces", name, "quotas", index, "scopeSelector", "matchExpressions", e_index, "values"),
                            (f"names PriorityClass {value}, which this stack does not declare: the quota tracks nothing until the "
                            "cluster has a PriorityClass of that name (check the cluster, or fix the name)"),
                        )
        for quota_at, hard in [(("quota",), tenant.quota or {}), *((("quotas", i, "hard"), q.hard) for i, q in enumerate(tenant.quotas))]:
            for key in hard:
                if _STORAGE_CLASS_QUOTA in key:
                    storage_class = key.split(_STORAGE_CLASS_QUOTA)[0]
                    yield (
                        ("namespaces", name, *quota_at, key),
                        (f"limits StorageClass {storage_class}, which this stack does not declare: claims of that class are "
                        "tracked only if the cluster has it (check the cluster, or fix the name)"),
                    )
        policy = tenant.network_policy
        if policy is None:
            continue
        for direction, rules in (("allowFrom", policy.allow_from), ("allowTo", policy.allow_to)):
            for index, rule in enumerate(rules):
                at: KeyPath = ("namespaces", name, "networkPolicy", direction, index)
                yield from _undeclared(rule, at, declared)
                yield from _metadata(rule, at, direction)
                other = args.namespaces.get(rule.namespace) if isinstance(rule.namespace, str) else None
                if other is not None and other.network_policy is not None and rule.namespace != name:
                    yield from _one_sided(name, direction, at, rule.namespace, other.network_policy, tenant.labels)  # type: ignore[arg-type]


def _undeclared(rule: _Rule, at: KeyPath, declared: set[str]) -> Iterator[Finding]:
    if not isinstance(rule.namespace, str) or rule.namespace in declared or reserved_namespace(rule.namespace):
        return
    close = difflib.get_close_matches(rule.namespace, sorted(declared), n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]}?" if close else " (a namespace made outside this stack is fine)"
    yield (*at, "namespace"), f"{rule.namespace} is not one of clusterstack:namespaces{hint}"


def _metadata(rule: _Rule, at: KeyPath, direction: str) -> Iterator[Finding]:
    if direction != "allowTo" or rule.cidr is None:
        return
    network = parse_cidr(rule.cidr)
    if network.version != 4 or METADATA_IP not in network:
        return
    if any(METADATA_IP in parse_cidr(carved) for carved in rule.except_):
        return
    yield (
        (*at, "cidr"),
        (f"{rule.cidr} includes {METADATA_IP}, the cloud metadata service (it hands out the node's credentials); "
        f'add except: ["{METADATA_IP}/32"] ("Securing a Cluster": restrict pods\' access to it)'),
    )


def _one_sided(name: str, direction: str, at: KeyPath, other_name: str, other: NetworkPolicyArgs, labels: Any) -> Iterator[Finding]:
    """A rule that lets ``name`` send to (or receive from) ``other_name``, whose own policies drop it."""
    if direction == "allowTo":
        if not other.denies_ingress:
            return
        admitted = any(_admits(rule, name, labels) for rule in other.allow_from)
        if not admitted:
            yield (
                (*at, "namespace"),
                (f"{name} may send to {other_name}, but {other_name} denies ingress and no rule of "
                f"namespaces.{other_name}.networkPolicy.allowFrom admits {name}: the traffic is dropped there; "
                f"add {{namespace: {name}}} to {other_name}'s allowFrom"),
            )
    elif "Egress" in other.default_deny:
        admitted = any(_admits(rule, name, labels) for rule in other.allow_to)
        if not admitted:
            yield (
                (*at, "namespace"),
                (f"{name} admits traffic from {other_name}, but {other_name} denies egress and no rule of "
                f"namespaces.{other_name}.networkPolicy.allowTo lets it send to {name}: nothing arrives; "
                f"add {{namespace: {name}}} to {other_name}'s allowTo"),
            )


def _admits(rule: _Rule, namespace: str, labels: Any) -> bool:
    """Whether ``rule`` (of another namespace) selects ``namespace``, as far as the stack can tell."""
    if rule.cidr is not None:
        return False
    if rule.namespace is not None:
        return rule.namespace == namespace if isinstance(rule.namespace, str) else True
    if rule.namespace_labels is not None:
        if not isinstance(rule.namespace_labels, Mapping) or not isinstance(labels, Mapping):
            return True  # Outputs: cannot tell, so say nothing
        known = {**labels, NAMESPACE_NAME_LABEL: namespace}
        return all(known.get(key) == value for key, value in rule.namespace_labels.items())
    return rule.pod_labels is None  # no selector at all: anyone; pod labels alone: its own namespace
