"""Who can talk to whom: the reachability a stack's NetworkPolicies imply, by clusterstack/kube/flows.py.

The endpoints are representative pods of each namespace the stack declares (one with no labels, and
one for each label set the policies and load balancers select pods by), the cluster DNS (the kube-dns
pods; with NodeLocal DNSCache, also its link-local address and the kube-dns ClusterIP it answers on),
each CIDR the stack's rules name, the internet (a public address no rule names) and the cloud
metadata address. Each flow is probed on the ports the policies name, DNS's, the destination's named
ports, and a port none names; allowed on that last one reads "any port".

Named ports: a representative pod carries the named container ports of the stack's own workloads it
stands for (a Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, CronJob or Pod in its namespace whose
pod labels include its label set; host-network pods are addresses, not pods), and the kube-dns pods
CoreDNS's (dns 53/UDP, dns-tcp 53/TCP, metrics 9153/TCP: cluster/addons/dns/coredns/coredns.yaml.base).
Every other port name a policy rule or a Service's targetPort uses is given to every representative pod
as a stand-in: a number from STAND_IN_FIRST up, in name order, on the protocol its first use names, so a
rule naming the port is probed and shown (``TCP 62001 (http, stand-in)``) rather than silently opening
nothing. A named port opens only on its own protocol (clusterstack/kube/flows.py).

Not modelled: traffic from nodes (the kubelet's probes, host-network pods other than the DNS cache),
Service virtual IPs as such (a Service is reached at its pods, as kube-proxy rewrites it), and what a
CNI adds or leaves out beyond the NetworkPolicy API (Calico's and Cilium's own policies, whether an
ipBlock matches pod IPs, egress to the node's own addresses).
"""

from __future__ import annotations

import difflib
import fnmatch
import heapq
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..kube.flows import Decision, Endpoint, Host, NamedPort, Pod, PolicyIndex

UNUSED_PORT = 61234
"""A port no policy names: allowed there means allowed on any port."""
INTERNET_CANDIDATES = ("198.51.100.10", "192.0.2.10", "203.0.113.10", "8.8.8.8")
"""Public addresses (the documentation ranges first); the first no rule names stands for the internet."""
METADATA = "169.254.169.254"
COREDNS_PORTS = {"dns": NamedPort(53, "UDP"), "dns-tcp": NamedPort(53, "TCP"), "metrics": NamedPort(9153, "TCP")}
"""The container ports CoreDNS names (cluster/addons/dns/coredns/coredns.yaml.base)."""
KUBE_DNS_POD = Pod("kube-system", {"k8s-app": "kube-dns"}, ip="10.244.0.53", ports=COREDNS_PORTS)
STAND_IN_FIRST = 62001
"""The first stand-in number for a port name no workload of the stack declares (one per name, in name
order): above UNUSED_PORT, inside the ephemeral range no server is expected to listen on."""
WORKLOAD_KINDS = ("Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job")


@dataclass(frozen=True)
class Target:
    """A destination in the matrix: what it is called, and the endpoint that stands for it."""

    label: str
    endpoint: Endpoint
    probes: tuple[tuple[str, int], ...] = ()
    """(protocol, port) to try besides the policies' own."""


@dataclass(frozen=True)
class Flow:
    source: str
    destination: str
    protocol: str
    port: int | None
    """None: any port."""
    name: str | None = None
    """The destination's name for the port (", stand-in" when the stack declares no such port there)."""

    @property
    def ports(self) -> str:
        if self.port is None:
            return "any port"
        return f"{self.protocol} {self.port}" + (f" ({self.name})" if self.name is not None else "")

    def __str__(self) -> str:
        return f"{self.source} → {self.destination}: {self.ports}"


@dataclass(frozen=True)
class Facts:
    """What reachability is computed from: the stack's objects and where its cluster DNS runs."""

    policies: list[Mapping[str, Any]]
    namespaces: dict[str, dict[str, str]]
    """Declared namespace -> its labels."""
    selected: dict[str, list[dict[str, str]]]
    """Namespace -> the pod label sets its policies and Services select."""
    cidrs: list[str]
    dns_service_ip: str
    node_local_ip: str | None
    workloads: list[tuple[str, dict[str, str], dict[str, NamedPort]]] = field(default_factory=list)
    """(namespace, pod labels, named container ports) of each workload the stack declares."""
    stand_ins: dict[str, NamedPort] = field(default_factory=dict)
    """Port name -> the stand-in a representative pod serves it on when no workload declares it."""
    _index: PolicyIndex | None = field(default=None, init=False, repr=False, compare=False)
    """``decide`` over the policies, built on first use: a matrix asks it for every pair of namespaces,
    and reading every policy for each (``flows.decide``) made that cubic in the namespaces."""

    @classmethod
    def of(cls, objects: Iterable[Mapping[str, Any]], dns_service_ip: str, node_local_ip: str | None) -> Facts:
        objects = list(objects)
        namespaces = {o["metadata"]["name"]: dict(o["metadata"].get("labels") or {}) for o in objects if o.get("kind") == "Namespace"}
        policies = [o for o in objects if o.get("kind") == "NetworkPolicy" and o["metadata"].get("namespace") in namespaces]
        selected: dict[str, list[dict[str, str]]] = {name: [] for name in namespaces}
        cidrs: list[str] = []

        def note(namespace: str | None, labels: Any) -> None:
            if namespace in selected and isinstance(labels, Mapping) and labels and dict(labels) not in selected[namespace]:
                selected[namespace].append(dict(labels))

        for policy in policies:
            here = policy["metadata"]["namespace"]
            spec = policy["spec"]
            note(here, (spec.get("podSelector") or {}).get("matchLabels"))
            for direction, peers_key in (("ingress", "from"), ("egress", "to")):
                for rule in spec.get(direction) or []:
                    for peer in rule.get(peers_key) or []:
                        block = peer.get("ipBlock")
                        if block is not None and block["cidr"] not in cidrs:
                            cidrs.append(block["cidr"])
                        named = ((peer.get("namespaceSelector") or {}).get("matchLabels") or {}).get("kubernetes.io/metadata.name")
                        if "podSelector" in peer:
                            note(named if named else (here if "namespaceSelector" not in peer else None), peer["podSelector"].get("matchLabels"))
        for service in objects:
            if service.get("kind") == "Service":
                note(service["metadata"].get("namespace"), (service.get("spec") or {}).get("selector"))
        for labels in selected.values():
            labels.sort(key=lambda item: sorted(item.items()))
        return cls(policies, namespaces, selected, cidrs, dns_service_ip, node_local_ip, _workloads(objects), _stand_ins(objects, policies))

    def declared(self, namespace: str, labels: Mapping[str, str]) -> dict[str, NamedPort]:
        """The named container ports of the stack's workloads the pod (namespace, labels) stands for: those
        in its namespace whose pod labels include ``labels`` (the pod with no labels stands for workloads
        with none). The first workload (in the stack's order) to name a port wins."""
        found: dict[str, NamedPort] = {}
        for where, pod_labels, ports in self.workloads:
            if where == namespace and all(pod_labels.get(k) == v for k, v in labels.items()) and (labels or not pod_labels):
                for name, port in ports.items():
                    found.setdefault(name, port)
        return found

    def pod(self, namespace: str, labels: Mapping[str, str]) -> Pod:
        """The representative pod: its declared named ports, and a stand-in for every other name in use."""
        return Pod(namespace, dict(labels), ports={**self.stand_ins, **self.declared(namespace, labels)})

    def sources(self) -> list[tuple[str, Pod]]:
        found = []
        for namespace in sorted(self.namespaces):
            found.append((namespace, self.pod(namespace, {})))
            found += [(f"{namespace}/{_labels(labels)}", self.pod(namespace, labels)) for labels in self.selected[namespace]]
        return found

    def port_name(self, endpoint: Endpoint, protocol: str, port: int) -> str | None:
        """What ``endpoint`` calls (protocol, port), for the matrix: ``http``, or ``http, stand-in``."""
        if not isinstance(endpoint, Pod):
            return None
        names = sorted(name for name, named in endpoint.ports.items() if (named.port, named.protocol) == (port, protocol))
        if not names:
            return None
        declared = self.declared(endpoint.namespace, endpoint.labels) if endpoint is not KUBE_DNS_POD else endpoint.ports
        return ", ".join(name if name in declared else f"{name}, stand-in" for name in names)

    def targets(self) -> list[Target]:
        dns = (("UDP", 53), ("TCP", 53))
        found = [Target(label, pod, tuple(sorted({(p.protocol, p.port) for p in pod.ports.values()}))) for label, pod in self.sources()]
        found.append(Target("kube-dns (kube-system/k8s-app=kube-dns)", KUBE_DNS_POD, dns))
        if self.node_local_ip is not None:
            found.append(Target(f"node-local-dns {self.node_local_ip}", Host(self.node_local_ip), dns))
            found.append(Target(f"kube-dns ClusterIP {self.dns_service_ip} (answered by node-local-dns)", Host(self.dns_service_ip), dns))
        for cidr in self.cidrs:
            if cidr.endswith("/0"):
                continue  # everywhere: the internet stands for it
            inside = _inside(cidr)
            if inside is not None and inside not in (METADATA, self.dns_service_ip, self.node_local_ip):
                found.append(Target(f"{cidr} ({inside})", Host(inside)))
        internet = self.internet()
        found.append(Target(f"the internet ({internet})", Host(internet)))
        found.append(Target(f"cloud metadata {METADATA}", Host(METADATA)))
        return found

    def internet(self) -> str:
        """A public address inside none of the CIDRs the stack's rules name (other than everywhere)."""
        named = [ipaddress.ip_network(c, strict=False) for c in self.cidrs if not c.endswith("/0")]
        for candidate in INTERNET_CANDIDATES:
            address = ipaddress.ip_address(candidate)
            if not any(address.version == n.version and address in n for n in named):
                return candidate
        return INTERNET_CANDIDATES[-1]

    def probes(self) -> list[tuple[str, int]]:
        found = {("UDP", 53), ("TCP", 53)}
        for policy in self.policies:
            for direction in ("ingress", "egress"):
                for rule in policy["spec"].get(direction) or []:
                    for port in rule.get("ports") or []:
                        if isinstance(port.get("port"), int):
                            found.add((port.get("protocol", "TCP"), port["port"]))
        return sorted(found)

    def decide(self, source: Endpoint, destination: Endpoint, port: int, protocol: str) -> Decision:
        """``flows.decide`` over the stack's policies, through an index of them by namespace (its
        decisions are ``decide``'s: tests/test_flows.py compares them)."""
        return self.index().decide(source, destination, port, protocol)

    def index(self) -> PolicyIndex:
        """The stack's policies, indexed by namespace (built on first use)."""
        index = self._index
        if index is None:
            by_namespace: dict[str, list[Mapping[str, Any]]] = {}
            for policy in self.policies:
                by_namespace.setdefault(policy["metadata"]["namespace"], []).append(policy)
            index = PolicyIndex(lambda namespace: by_namespace.get(namespace, ()), self.namespaces)
            object.__setattr__(self, "_index", index)  # a cache of the frozen facts, not a fact
        return index


def matrix(facts: Facts, only: set[str] | None = None) -> list[Flow]:
    """Every allowed flow, source by source (``only``: just the flows from or to these namespaces)."""
    probes = facts.probes()
    targets = facts.targets()
    reachable = _Reachable(facts.index(), targets)
    flows = []
    for source_label, source in facts.sources():
        for target in reachable.from_(source, None if only is None or source.namespace in only else only):
            if facts.decide(source, target.endpoint, UNUSED_PORT, "TCP").allowed and facts.decide(source, target.endpoint, UNUSED_PORT, "UDP").allowed:
                flows.append(Flow(source_label, target.label, "", None))
                continue
            for protocol, port in sorted(set(probes) | set(target.probes)):
                if facts.decide(source, target.endpoint, port, protocol).allowed:
                    flows.append(Flow(source_label, target.label, protocol, port, facts.port_name(target.endpoint, protocol, port)))
    return flows


class _Reachable:
    """The targets a source may reach at all, in the targets' order, without asking about the others.

    Asking ``decide`` about every pair is quadratic in the namespaces, though under default-deny
    policies each source reaches a handful: 10,000 namespaces were 10⁸ decisions. A target whose
    Ingress policies file every rule under named namespaces (``PolicyIndex.peers``) refuses every
    source from elsewhere, and a source whose Egress policies do so reaches nothing elsewhere (no
    Host either), so those pairs are refused on every port without asking; every pair left is still
    decided in full. tests/test_reach.py compares the matrix with one that asks about every pair."""

    def __init__(self, index: PolicyIndex, targets: list[Target]) -> None:
        self._index = index
        self._targets = targets
        self._open: list[int] = []
        """Targets that may admit a source from any namespace."""
        self._admitting: dict[str, list[int]] = {}
        """Source namespace -> the other targets that may admit it."""
        self._in: dict[str, list[int]] = {}
        """Namespace -> its pods among the targets."""
        for position, target in enumerate(targets):
            endpoint = target.endpoint
            if isinstance(endpoint, Pod):
                self._in.setdefault(endpoint.namespace, []).append(position)
            sources = index.peers(endpoint, "Ingress")
            if sources is None:
                self._open.append(position)
            for namespace in sorted(sources or ()):
                self._admitting.setdefault(namespace, []).append(position)

    def from_(self, source: Pod, only: set[str] | None) -> list[Target]:
        """The targets ``source`` may reach; ``only``: just those that are pods of these namespaces."""
        destinations = self._index.peers(source, "Egress")
        if destinations is not None:
            positions = sorted(p for namespace in destinations for p in self._in.get(namespace, ()))
        else:
            positions = list(heapq.merge(self._open, self._admitting.get(source.namespace, ())))
        found = [self._targets[p] for p in positions]
        if only is not None:
            found = [t for t in found if isinstance(t.endpoint, Pod) and t.endpoint.namespace in only]
        return found


def grouped(flows: list[Flow]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Flows by source, then destination, with the ports of each pair on one line."""
    by_source: dict[str, dict[str, list[str]]] = {}
    for flow in flows:
        ports = by_source.setdefault(flow.source, {}).setdefault(flow.destination, [])
        ports.append(flow.ports)
    return [(source, [(destination, ", ".join(ports)) for destination, ports in targets.items()]) for source, targets in by_source.items()]


def denied_specials(facts: Facts, flows: list[Flow], only: set[str] | None = None) -> list[str]:
    """The DNS, internet and metadata destinations a source cannot reach at all (worth saying);
    ``only``: of the sources in these namespaces."""
    reached = {(f.source, f.destination) for f in flows}
    special = [t.label for t in facts.targets() if not isinstance(t.endpoint, Pod) or t.endpoint is KUBE_DNS_POD]
    sources = [label for label, pod in facts.sources() if only is None or pod.namespace in only]
    return [f"{source} → {label}: denied" for source in sources for label in special if (source, label) not in reached]


def endpoint(text: str, facts: Facts) -> Endpoint:
    """``NS``, ``NS/key=value,...`` or an IP address."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        return Host(text)
    namespace, _, selector = text.partition("/")
    labels = dict(part.split("=", 1) for part in selector.split(",") if "=" in part) if selector else {}
    if namespace == "kube-system" and labels.get("k8s-app") == "kube-dns":
        return Pod("kube-system", labels, ip=KUBE_DNS_POD.ip, ports=COREDNS_PORTS)
    if namespace not in facts.namespaces:
        raise ValueError(f"{namespace} is not one of the stack's namespaces ({some_of(facts.namespaces, namespace)}) nor an IP address")
    return facts.pod(namespace, labels)


def namespaces_matching(namespaces: Iterable[str], patterns: Iterable[str]) -> set[str]:
    """The ``namespaces`` (a stack's) matching any of ``patterns`` (a name, or a shell-style pattern
    such as ``team-00*``); a pattern that matches none is an error naming it."""
    every = set(namespaces)
    found: set[str] = set()
    for pattern in patterns:
        matched = [name for name in every if fnmatch.fnmatchcase(name, pattern)]
        if not matched:
            raise ValueError(f"--only {pattern}: matches none of the stack's namespaces ({some_of(every, pattern)})")
        found.update(matched)
    return found


SHOWN_NAMES = 10
"""How many of a stack's namespaces an error lists (there may be thousands)."""


def some_of(names: Iterable[str], wanted: str) -> str:
    """A few of ``names`` for an error about ``wanted``: the closest first, then in order, then how many
    more there are."""
    every = sorted(names)
    close = difflib.get_close_matches(wanted, every, n=3)
    shown = [*close, *(name for name in every if name not in close)][:SHOWN_NAMES]
    rest = len(every) - len(shown)
    return ", ".join(shown) + (f" and {rest:,} more" if rest else "")


def changes(before: Facts, after: Facts, only: set[str] | None = None) -> tuple[list[Flow], list[Flow]]:
    """The flows ``after`` opens and closes against ``before``."""
    return difference(matrix(before, only), matrix(after, only))


def difference(before: Iterable[Flow], after: Iterable[Flow]) -> tuple[list[Flow], list[Flow]]:
    """The flows opened and closed from one matrix to another (for a caller that needs the matrices too)."""
    old, new = set(before), set(after)
    return sorted(new - old, key=str), sorted(old - new, key=str)


def _pod_templates(objects: Iterable[Mapping[str, Any]]) -> Iterable[tuple[object, Mapping[str, Any], Mapping[str, Any]]]:
    """(namespace, pod metadata, pod spec) of each object that makes pods."""
    for o in objects:
        kind, spec, namespace = o.get("kind"), _mapping(o.get("spec")), _mapping(o.get("metadata")).get("namespace")
        if kind == "CronJob":
            spec = _mapping(_mapping(spec.get("jobTemplate")).get("spec"))
        if kind in (*WORKLOAD_KINDS, "CronJob"):
            template = _mapping(spec.get("template"))
            yield namespace, _mapping(template.get("metadata")), _mapping(template.get("spec"))
        elif kind == "Pod":
            yield namespace, _mapping(o.get("metadata")), spec


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _workloads(objects: Iterable[Mapping[str, Any]]) -> list[tuple[str, dict[str, str], dict[str, NamedPort]]]:
    found = []
    for namespace, meta, spec in _pod_templates(objects):
        if not isinstance(namespace, str) or spec.get("hostNetwork"):
            continue  # a host-network pod is its node's address: pod selectors never match it
        ports: dict[str, NamedPort] = {}
        for container in spec.get("containers") or []:
            for entry in container.get("ports") or []:
                name, number = entry.get("name"), entry.get("containerPort")
                if isinstance(name, str) and isinstance(number, int):
                    # A container port's protocol defaults to TCP (core/v1 ContainerPort).
                    ports.setdefault(name, NamedPort(number, entry.get("protocol") if entry.get("protocol") is not None else "TCP"))
        if ports:
            found.append((namespace, {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}, ports))
    return found


def _stand_ins(objects: Iterable[Mapping[str, Any]], policies: Iterable[Mapping[str, Any]]) -> dict[str, NamedPort]:
    """A stand-in for every port name the policies' rules and the Services' targetPorts use, numbered
    in name order, on the protocol its first use names (TCP when it names none)."""
    used: dict[str, str] = {}
    for policy in policies:
        for direction in ("ingress", "egress"):
            for rule in policy["spec"].get(direction) or []:
                for port in rule.get("ports") or []:
                    if isinstance(port.get("port"), str):
                        used.setdefault(port["port"], port.get("protocol") if port.get("protocol") is not None else "TCP")
    for service in objects:
        if service.get("kind") == "Service":
            for port in (service.get("spec") or {}).get("ports") or []:
                if isinstance(port.get("targetPort"), str):
                    used.setdefault(port["targetPort"], port.get("protocol") if port.get("protocol") is not None else "TCP")
    return {name: NamedPort(STAND_IN_FIRST + index, used[name]) for index, name in enumerate(sorted(used))}


def _labels(labels: Mapping[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))


def _inside(cidr: str) -> str | None:
    """An address inside ``cidr`` to stand for it."""
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None
    if network.num_addresses == 1:
        return str(network.network_address)
    return str(network.network_address + 1)


def facts_of(objects: Iterable[Mapping[str, Any]], config: Any) -> Facts:
    """The stack's reachability facts: its objects, and its cluster's DNS from its validated spec."""
    from ..stack.spec import load_spec

    args = load_spec(config).args
    node_local = args.dns.node_local.local_ip if args.dns.node_local is not None else None
    return Facts.of(objects, args.cluster.dns_service_ip, node_local)
