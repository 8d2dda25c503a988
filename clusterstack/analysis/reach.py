"""Who can talk to whom: the reachability a stack's NetworkPolicies imply, by components/kube/flows.py.

The endpoints are representative pods of each namespace the stack declares (one with no labels, and
one for each label set the policies and load balancers select pods by), the cluster DNS (the kube-dns
pods; with NodeLocal DNSCache, also its link-local address and the kube-dns ClusterIP it answers on),
each CIDR the stack's rules name, the internet (a public address no rule names) and the cloud
metadata address. Each flow is probed on the ports the policies name, DNS's, and a port none names;
allowed on that last one reads "any port".

Not modelled: traffic from nodes (the kubelet's probes, host-network pods other than the DNS cache),
Service virtual IPs as such (a Service is reached at its pods, as kube-proxy rewrites it), and what a
CNI adds or leaves out beyond the NetworkPolicy API (Calico's and Cilium's own policies, whether an
ipBlock matches pod IPs, egress to the node's own addresses).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..components.kube.flows import Decision, Endpoint, Host, Pod, decide

UNUSED_PORT = 61234
"""A port no policy names: allowed there means allowed on any port."""
INTERNET_CANDIDATES = ("198.51.100.10", "192.0.2.10", "203.0.113.10", "8.8.8.8")
"""Public addresses (the documentation ranges first); the first no rule names stands for the internet."""
METADATA = "169.254.169.254"
KUBE_DNS_POD = Pod("kube-system", {"k8s-app": "kube-dns"}, ip="10.244.0.53")


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

    def __str__(self) -> str:
        return f"{self.source} → {self.destination}: {'any port' if self.port is None else f'{self.protocol} {self.port}'}"


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
        return cls(policies, namespaces, selected, cidrs, dns_service_ip, node_local_ip)

    def sources(self) -> list[tuple[str, Pod]]:
        found = []
        for namespace in sorted(self.namespaces):
            found.append((namespace, Pod(namespace, {})))
            found += [(f"{namespace}/{_labels(labels)}", Pod(namespace, labels)) for labels in self.selected[namespace]]
        return found

    def targets(self) -> list[Target]:
        dns = (("UDP", 53), ("TCP", 53))
        found = [Target(label, pod) for label, pod in self.sources()]
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
        return decide(self.policies, source, destination, port, protocol, self.namespaces)


def matrix(facts: Facts, only: set[str] | None = None) -> list[Flow]:
    """Every allowed flow, source by source (``only``: just the flows from or to these namespaces)."""
    probes = facts.probes()
    targets = facts.targets()
    inside = [t for t in targets if isinstance(t.endpoint, Pod) and only is not None and t.endpoint.namespace in only]
    flows = []
    for source_label, source in facts.sources():
        for target in targets if only is None or source.namespace in only else inside:
            if facts.decide(source, target.endpoint, UNUSED_PORT, "TCP").allowed and facts.decide(source, target.endpoint, UNUSED_PORT, "UDP").allowed:
                flows.append(Flow(source_label, target.label, "", None))
                continue
            for protocol, port in sorted(set(probes) | set(target.probes)):
                if facts.decide(source, target.endpoint, port, protocol).allowed:
                    flows.append(Flow(source_label, target.label, protocol, port))
    return flows


def grouped(flows: list[Flow]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Flows by source, then destination, with the ports of each pair on one line."""
    by_source: dict[str, dict[str, list[str]]] = {}
    for flow in flows:
        ports = by_source.setdefault(flow.source, {}).setdefault(flow.destination, [])
        ports.append("any port" if flow.port is None else f"{flow.protocol} {flow.port}")
    return [(source, [(destination, ", ".join(ports)) for destination, ports in targets.items()]) for source, targets in by_source.items()]


def denied_specials(facts: Facts, flows: list[Flow]) -> list[str]:
    """The DNS, internet and metadata destinations a source cannot reach at all (worth saying)."""
    reached = {(f.source, f.destination) for f in flows}
    special = [t.label for t in facts.targets() if not isinstance(t.endpoint, Pod) or t.endpoint is KUBE_DNS_POD]
    return [f"{source} → {label}: denied" for source, _ in facts.sources() for label in special if (source, label) not in reached]


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
        return Pod("kube-system", labels, ip=KUBE_DNS_POD.ip)
    if namespace not in facts.namespaces:
        raise ValueError(f"{namespace} is not one of the stack's namespaces ({', '.join(sorted(facts.namespaces))}) nor an IP address")
    return Pod(namespace, labels)


def changes(before: Facts, after: Facts, only: set[str] | None = None) -> tuple[list[Flow], list[Flow]]:
    """The flows ``after`` opens and closes against ``before``."""
    old, new = set(matrix(before, only)), set(matrix(after, only))
    return sorted(new - old, key=str), sorted(old - new, key=str)


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
