"""ClusterPlatformArgs: everything under a stack's ``clusterstack:`` keys, and the rules between the
platform's parts: settings each valid on its own that contradict each other and would fail only
later, in the cluster. Errors where the API server or the cluster would refuse or break; warnings
where it is a judgement. Each names both keys involved and the fix.

The rules and the model stay in one module (~400 lines): the model runs the rules and the rules read
the model, so apart they would import each other. The building blocks these settings feed, and the
platform they make (``build_platform``, ``ClusterPlatform``), are in blocks.py.
"""

from __future__ import annotations

import difflib
import ipaddress
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

from pydantic import Field

from ..kube.findings import Finding, Findings, errors_of, prefixed, warning, warnings_of
from ..kube.flows import Pod, PolicyIndex
from ..kube.lifecycle import Deletion
from ..kube.names import SYSTEM_PRIORITY_CLASSES, dns1035_label, reserved_namespace
from ..kube.network import parse_cidr
from ..kube.paths import KeyPath
from ..kube.quantity import Quantity
from . import coredns
from .capacity import unschedulable_limits
from .classes import PriorityClassArgs, PriorityClassArgsDict, StorageClassArgs, StorageClassArgsDict, class_problems
from .cluster import ClusterDns, ClusterSpec, ClusterSpecArgsDict
from .coredns import CoreDnsArgs
from .dns import DnsArgs, DnsArgsDict
from .existing_namespaces import ExistingNamespaceArgs, ExistingNamespaceArgsDict
from .ip_masq import IpMasqArgs, IpMasqArgsDict
from .load_balancer import LoadBalancerArgs, LoadBalancerArgsDict
from .model import DnsLabel, DnsSubdomain, Model
from .network_policy import EgressRule, IngressRule, _Rule, build_network_policies
from .nodelocaldns import NodeLocalDnsArgs
from .pod_security import pinned_ahead
from .tenant import TenantNamespaceArgs, TenantNamespaceArgsDict

# CNIs that do not enforce NetworkPolicy, and why a policy on them is a false sense of safety.
_PLUGIN_WARNINGS = {
    "flannel": "Flannel does not enforce NetworkPolicy: these policies are accepted and silently ignored",
    "weave": "Weave Net is no longer maintained; move to a maintained CNI that enforces NetworkPolicy (Calico, Cilium, Antrea, kube-router)",
    "romana": "Romana is no longer maintained; move to a maintained CNI that enforces NetworkPolicy (Calico, Cilium, Antrea, kube-router)",
}


_GKE_AUTOSCALER = (
    "GKE runs kube-dns-autoscaler (and its ConfigMap) in every cluster, so creating it fails with "
    "AlreadyExists; set onExisting: adopt to take over the parameters (GKE's addon manager keeps "
    "reconciling its Deployment, but leaves the ConfigMap to you)"
)
# What managed offerings ship, for each add-on: (distribution, add-on) -> advice. Sources: GKE's
# "Using kube-dns" and "NodeLocal DNSCache" pages, AKS's "Customize CoreDNS scaling" and "LocalDNS"
# pages, EKS's "CoreDNS autoscaling" page (see the README's table).
_SHIPPED_ADVICE = {
    ("gke", "nodeLocal"): (
        "GKE's NodeLocal DNSCache add-on (on by default on Autopilot, and on Standard from 1.33/1.34) runs "
        "node-local-dns; where it is on, set onExisting: adopt, or creating it fails with AlreadyExists"
    ),
    ("aks", "autoscaler"): (
        "AKS scales CoreDNS with its own coredns-autoscaler; a second autoscaler would fight it over "
        "CoreDNS's replicas: tune AKS's coredns-autoscaler ConfigMap instead, or remove dns.autoscaler"
    ),
    ("eks", "autoscaler"): (
        "the EKS CoreDNS add-on can scale CoreDNS itself (autoScaling in its configuration); with both, "
        "two controllers set CoreDNS's replicas: use one"
    ),
    ("aks", "nodeLocal"): "AKS has its own per-node DNS proxy (LocalDNS); run one node-local cache, not two",
}


# <generated from the fields of ClusterPlatformArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
class ClusterPlatformArgsDict(TypedDict, total=False):
    """``ClusterPlatformArgs`` as a dict, in the stack files' spelling."""

    cluster: ClusterSpec | ClusterSpecArgsDict
    namespaces: Mapping[DnsLabel, TenantNamespaceArgs | TenantNamespaceArgsDict]
    dns: DnsArgs | DnsArgsDict
    loadBalancers: Mapping[DnsLabel, LoadBalancerArgs | LoadBalancerArgsDict]
    namespaceDeletion: Deletion
    priorityClasses: Mapping[DnsSubdomain, PriorityClassArgs | PriorityClassArgsDict]
    storageClasses: Mapping[DnsSubdomain, StorageClassArgs | StorageClassArgsDict]
    existingNamespaces: Mapping[DnsLabel, ExistingNamespaceArgs | ExistingNamespaceArgsDict]
    ipMasq: IpMasqArgs | IpMasqArgsDict
# </generated>


class ClusterPlatformArgs(Model):
    """Everything under the ``clusterstack:`` config keys, without the prefix."""

    cluster: ClusterSpec = Field(default_factory=ClusterSpec)
    namespaces: dict[DnsLabel, TenantNamespaceArgs] = Field(default_factory=dict)
    """Tenant namespaces by name."""
    dns: DnsArgs = Field(default_factory=DnsArgs)
    load_balancers: dict[DnsLabel, LoadBalancerArgs] = Field(default_factory=dict)
    """Services of type LoadBalancer by name."""
    namespace_deletion: Deletion = "delete"
    """What removing a tenant does to its Namespace, unless the tenant says (``deletion``): ``delete``,
    ``protect`` (refused, by both engines, until the tenant says ``deletion: delete`` and that has been
    applied) or ``retain`` (forgotten, left in the cluster)."""
    priority_classes: dict[DnsSubdomain, PriorityClassArgs] = Field(default_factory=dict)
    """PriorityClasses by name (what pods and quota scopes name)."""
    storage_classes: dict[DnsSubdomain, StorageClassArgs] = Field(default_factory=dict)
    """StorageClasses by name (what claims and per-class quotas name); one may be the default."""
    existing_namespaces: dict[DnsLabel, ExistingNamespaceArgs] = Field(default_factory=dict)
    """Labels (Pod Security's, others) on namespaces the cluster has and this stack does not own, such
    as ``kube-system`` and ``default``; each is patched, never created or deleted."""
    ip_masq: IpMasqArgs | None = None
    """ip-masq-agent: which destinations pods reach with their own IP; unset: not deployed."""

    # <generated from the fields of ClusterPlatformArgs by `python -m clusterstack.components.args_fronts`: edit those, then run it>
    if TYPE_CHECKING:
        def __init__(
            self, *, cluster: ClusterSpec | ClusterSpecArgsDict = ..., namespaces: Mapping[DnsLabel, TenantNamespaceArgs | TenantNamespaceArgsDict] = ...,
            dns: DnsArgs | DnsArgsDict = ..., load_balancers: Mapping[DnsLabel, LoadBalancerArgs | LoadBalancerArgsDict] = ...,
            namespace_deletion: Deletion = "delete", priority_classes: Mapping[DnsSubdomain, PriorityClassArgs | PriorityClassArgsDict] = ...,
            storage_classes: Mapping[DnsSubdomain, StorageClassArgs | StorageClassArgsDict] = ...,
            existing_namespaces: Mapping[DnsLabel, ExistingNamespaceArgs | ExistingNamespaceArgsDict] = ..., ip_masq: IpMasqArgs | IpMasqArgsDict | None = None,
        ) -> None: ...
    # </generated>

    def _problems(self) -> Findings:
        for at, part in self._cluster_bound():
            yield from prefixed(at, errors_of(part.on_cluster(self.cluster)))
        autoscaler = self.dns.autoscaler
        if self.cluster.distribution == "gke" and autoscaler is not None and autoscaler.on_existing == "fail":
            yield Finding(("dns", "autoscaler", "onExisting"), _GKE_AUTOSCALER)
        for name, tenant in self.namespaces.items():
            if tenant.name is not None:
                yield Finding(("namespaces", name, "name"), "the namespace's name is its key under namespaces; remove name")
        for name, balancer in self.load_balancers.items():
            if balancer.name is not None:
                yield Finding(("loadBalancers", name, "name"), "the Service's name is its key under loadBalancers; remove name")
            if balancer.namespace is None:
                yield Finding(("loadBalancers", name, "namespace"), "is required: the namespace the Service goes in")
            elif isinstance(balancer.namespace, str) and balancer.namespace not in self.namespaces and not balancer.existing_namespace:
                yield Finding(
                    ("loadBalancers", name, "namespace"),
                    (
                        f"{balancer.namespace} is not one of clusterstack:namespaces; declare it there, "
                        "or set existingNamespace: true if it is made outside this stack"
                    ),
                )
        yield from class_problems(self.priority_classes, self.storage_classes)
        for name in sorted(set(self.existing_namespaces) & set(self.namespaces)):
            yield Finding(
                ("existingNamespaces", name), f"{name} is one of clusterstack:namespaces, which this stack owns; set its labels and podSecurity there"
            )
        yield from self._host_access_refused()
        yield from coherence_problems(self)

    def _kube_system_enforce(self) -> str | None:
        system = self.existing_namespaces.get("kube-system")
        return system.pod_security.enforce if system is not None and system.pod_security is not None else None

    def host_access_add_ons(self) -> list[str]:
        """The add-ons this stack runs in kube-system that need the host (its network, NET_ADMIN)."""
        return [name for name, args in (("node-local-dns (dns.nodeLocal)", self.dns.node_local), ("ip-masq-agent (ipMasq)", self.ip_masq)) if args is not None]

    def _host_access_refused(self) -> Findings:
        """kube-system enforcing anything but privileged refuses the host-network pods this stack puts there."""
        enforce = self._kube_system_enforce()
        add_ons = self.host_access_add_ons()
        if enforce in (None, "privileged") or not add_ons:
            return
        yield Finding(
            ("existingNamespaces", "kube-system", "podSecurity", "enforce"),
            (f"{enforce} refuses the pods of {', '.join(add_ons)}, which this stack runs in kube-system on the host network "
            "with NET_ADMIN (only privileged admits host namespaces and added capabilities); enforce privileged there"),
        )

    def _cluster_bound(self) -> list[tuple[KeyPath, NodeLocalDnsArgs | CoreDnsArgs | IpMasqArgs]]:
        """The parts whose rules read the cluster's facts (``on_cluster``), each at its key: their errors
        are the stack's (here), as a part's builder makes them for a program that builds it alone."""
        parts = ((("dns", "nodeLocal"), self.dns.node_local), (("dns", "coredns"), self.dns.coredns), (("ipMasq",), self.ip_masq))
        return [(at, part) for at, part in parts if part is not None]

    def cluster_dns(self) -> ClusterDns:
        """Where DNS egress goes: with NodeLocal DNSCache, also its link-local IP and the kube-dns ClusterIP it answers on."""
        if self.dns.node_local is None:
            return ClusterDns.kube_dns()
        return ClusterDns.node_local(self.dns.node_local.local_ip, self.cluster)

    def denies_ingress(self, namespace: object) -> bool:
        tenant = self.namespaces.get(namespace) if isinstance(namespace, str) else None
        return tenant is not None and tenant.network_policy is not None and tenant.network_policy.denies_ingress

    def warnings(self) -> Findings:
        # Tenants written alike are one model (``validated_once``): its findings are found once.
        found: dict[int, list[Finding]] = {}
        for name, tenant in self.namespaces.items():
            own = found.get(id(tenant))
            if own is None:
                own = found[id(tenant)] = list(tenant.warnings())
            yield from prefixed(("namespaces", name), own)
        system_enforce = self._kube_system_enforce()
        if system_enforce not in (None, "privileged") and not self.host_access_add_ons():
            yield warning(
                ("existingNamespaces", "kube-system", "podSecurity", "enforce"),
                (f"{system_enforce} applies to kube-system's own pods too: kube-proxy, the CNI's agents and "
                "other node add-ons run on the host network and are refused at their next restart; enforce privileged there"),
            )
        labelled = [("namespaces", n, t.pod_security) for n, t in self.namespaces.items()]
        labelled += [("existingNamespaces", n, e.pod_security) for n, e in self.existing_namespaces.items()]
        ahead: dict[int, list[Finding]] = {}
        for key, name, pod_security in labelled:
            if pod_security is not None:
                pinned = ahead.get(id(pod_security))
                if pinned is None:
                    pinned = ahead[id(pod_security)] = list(pinned_ahead(pod_security, self.cluster.kubernetes_version))
                yield from prefixed((key, name, "podSecurity"), pinned)
        if self.dns.autoscaler is not None:
            yield from prefixed(("dns", "autoscaler"), self.dns.autoscaler.warnings())
        if self.dns.node_local is not None:
            yield from prefixed(("dns", "nodeLocal"), self.dns.node_local.warnings())
            yield from prefixed(("dns", "nodeLocal"), warnings_of(self.dns.node_local.on_cluster(self.cluster)))
        if self.dns.coredns is not None:
            # What the cluster makes of CoreDNS (EKS owns its Corefile) before CoreDNS's own, as it has always been said.
            yield from prefixed(("dns", "coredns"), warnings_of(self.dns.coredns.on_cluster(self.cluster)))
            yield from prefixed(("dns", "coredns"), self.dns.coredns.warnings())
            if self.dns.node_local is not None:
                yield from prefixed(("dns", "coredns"), coredns.bypassed_by_node_local(self.dns.coredns, self.dns.node_local, self.cluster.domain))
        if self.ip_masq is not None:
            yield from prefixed(("ipMasq",), self.ip_masq.warnings())
            yield from prefixed(("ipMasq",), warnings_of(self.ip_masq.on_cluster(self.cluster)))
        add_ons = {"autoscaler": self.dns.autoscaler, "nodeLocal": self.dns.node_local}
        for add_on, args in add_ons.items():
            advice = _SHIPPED_ADVICE.get((self.cluster.distribution or "", add_on))
            adopted = (self.cluster.distribution, add_on) == ("gke", "nodeLocal") and args is not None and args.on_existing == "adopt"
            if args is not None and advice is not None and not adopted:
                yield warning(("dns", add_on), advice)
        plugin_warning = _PLUGIN_WARNINGS.get(self.cluster.network_plugin or "")
        if plugin_warning is not None:
            for name, tenant in self.namespaces.items():
                if tenant.network_policy is not None and not tenant.network_policy.is_empty():
                    yield warning(("namespaces", name, "networkPolicy"), plugin_warning)
        yield from coherence_warnings(self)


# --- Settings each valid on its own that contradict each other -------------------------------------

METADATA_IP = ipaddress.ip_address("169.254.169.254")
"""The cloud instance metadata service; "Securing a Cluster" tells administrators to restrict pods' access to it."""
_STORAGE_CLASS_QUOTA = ".storageclass.storage.k8s.io/"


def coherence_problems(args: ClusterPlatformArgs) -> Findings:
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


def coherence_warnings(args: ClusterPlatformArgs) -> Findings:
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
