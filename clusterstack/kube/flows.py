"""Is this flow allowed? NetworkPolicy semantics, evaluated over a set of policies.

A flow leaves its source if the source is not a pod, or no Egress policy selects it, or one of
those policies has an egress rule admitting the destination and port; it reaches its destination
under the same rule for Ingress. Both must hold. Pods on the host network (NodeLocal DNSCache) and
addresses outside the cluster are ``Host``s: pod and namespace selectors never match them, only
``ipBlock``s do. This is the model the Kubernetes documentation states; what a CNI enforces may
differ at the edges (for instance whether an ipBlock matches pod IPs).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NamedPort:
    """A container port that has a name: a rule naming it opens this number on this protocol only."""

    port: int
    protocol: str = "TCP"
    """A container port's protocol defaults to TCP (core/v1 ContainerPort)."""


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: Mapping[str, str] = field(default_factory=dict)
    ip: str | None = None
    ports: Mapping[str, NamedPort] = field(default_factory=dict)
    """Named container ports, for rules that name their port."""


@dataclass(frozen=True)
class Host:
    """An endpoint known only by its IP: outside the cluster, or a host-network pod."""

    ip: str


Endpoint = Pod | Host
NamespaceLabels = Callable[[str], dict[str, str]]


@dataclass(frozen=True)
class Decision:
    """Whether a flow is allowed, and the policies that decide it: on each side, those whose rules
    admit it (allowed) or, for a side that refuses it, every policy selecting that endpoint (together
    they deny it). A side no policy selects allows everything and names none."""

    allowed: bool
    egress: tuple[str, ...]
    ingress: tuple[str, ...]

    @property
    def because(self) -> list[str]:
        return sorted(set(self.egress) | set(self.ingress))


def decide(
    policies: Iterable[Mapping[str, Any]],
    source: Endpoint,
    destination: Endpoint,
    port: int,
    protocol: str = "TCP",
    namespace_labels: Mapping[str, Mapping[str, str]] | None = None,
) -> Decision:
    policies = list(policies)
    labels = dict(namespace_labels or {})

    def namespace_labels_of(namespace: str) -> dict[str, str]:
        return {**labels.get(namespace, {}), "kubernetes.io/metadata.name": namespace}

    def side(pod: Endpoint, direction: str, peers_key: str, other: Endpoint, target: Endpoint) -> tuple[bool, tuple[str, ...]]:
        if not isinstance(pod, Pod):
            return True, ()
        selecting = [
            p
            for p in policies
            if p["metadata"].get("namespace") == pod.namespace and direction in _types(p) and _selects(p["spec"].get("podSelector") or {}, pod.labels)
        ]
        if not selecting:
            return True, ()
        admitting = tuple(
            _name(policy)
            for policy in selecting
            if any(
                _peers_match(rule.get(peers_key), other, pod.namespace, namespace_labels_of) and _ports_match(rule.get("ports"), target, port, protocol)
                for rule in policy["spec"].get(direction.lower()) or []
            )
        )
        return (True, admitting) if admitting else (False, tuple(_name(policy) for policy in selecting))

    out, egress = side(source, "Egress", "to", destination, destination)
    into, ingress = side(destination, "Ingress", "from", source, destination)
    if not out:
        return Decision(False, egress, ())
    if not into:
        return Decision(False, (), ingress)
    return Decision(True, egress, ingress)


def allowed(
    policies: Iterable[Mapping[str, Any]],
    source: Endpoint,
    destination: Endpoint,
    port: int,
    protocol: str = "TCP",
    namespace_labels: Mapping[str, Mapping[str, str]] | None = None,
) -> bool:
    return decide(policies, source, destination, port, protocol, namespace_labels).allowed


def _name(policy: Mapping[str, Any]) -> str:
    meta = policy["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


def _types(policy: Mapping[str, Any]) -> list[str]:
    # The API server defaults an empty or null list as if absent: Ingress, plus Egress when there are
    # egress rules (pkg/apis/networking/v1/defaults.go, SetDefaults_NetworkPolicy: len(PolicyTypes) == 0).
    spec = policy["spec"]
    if spec.get("policyTypes"):
        return list(spec["policyTypes"])
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def _peers_match(peers: list[Mapping[str, Any]] | None, endpoint: Endpoint, policy_namespace: str, namespace_labels_of: NamespaceLabels) -> bool:
    if not peers:
        return True
    return any(_peer_matches(peer, endpoint, policy_namespace, namespace_labels_of) for peer in peers)


def _peer_matches(peer: Mapping[str, Any], endpoint: Endpoint, policy_namespace: str, namespace_labels_of: NamespaceLabels) -> bool:
    # A null selector or ipBlock is an absent one (the API's pointers): `namespaceSelector: null` keeps
    # the peer in the policy's own namespace, it does not open every namespace.
    if peer.get("ipBlock") is not None:
        ip = endpoint.ip
        if ip is None:
            return False
        address = ipaddress.ip_address(ip)
        block = peer["ipBlock"]
        network = ipaddress.ip_network(block["cidr"], strict=False)
        if address.version != network.version or address not in network:
            return False
        carved = (ipaddress.ip_network(e, strict=False) for e in block.get("except") or [])
        return not any(address.version == hole.version and address in hole for hole in carved)
    if not isinstance(endpoint, Pod):
        return False
    if peer.get("namespaceSelector") is not None:
        if not _selects(peer["namespaceSelector"], namespace_labels_of(endpoint.namespace)):
            return False
    elif endpoint.namespace != policy_namespace:
        return False
    return _selects(peer.get("podSelector") or {}, endpoint.labels)


def _ports_match(ports: list[Mapping[str, Any]] | None, destination: Endpoint, port: int, protocol: str) -> bool:
    if not ports:
        return True
    for entry in ports:
        if (entry.get("protocol") if entry.get("protocol") is not None else "TCP") != protocol:
            continue
        wanted = entry.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            # The name resolves to the destination's container port of that name, and that port's own
            # protocol must be the traffic's too: {protocol: TCP, port: serve-81-udp} opens nothing
            # (cyclonus pkg/matcher/portmatcher.go, PortProtocolMatcher.AllowsPortProtocol).
            named = destination.ports.get(wanted) if isinstance(destination, Pod) else None
            if named is not None and named.port == port and named.protocol == protocol:
                return True
            continue
        if wanted == port or (entry.get("endPort") is not None and wanted <= port <= entry["endPort"]):
            return True
    return False


NAME_LABEL = "kubernetes.io/metadata.name"
_Key = tuple[str | None, tuple[str, int] | None]


class PolicyIndex:
    """``decide`` over many flows at once, each in time independent of how many policies there are.

    ``decide`` reads every policy for every flow, so checking each of n rules against the policies
    those rules render is n². This index reads each namespace's policies once (``policies_of`` is
    called at most once per namespace, when a flow first reaches it), files each rule under the one
    namespace its peers name (``kubernetes.io/metadata.name``, or the policy's own for a bare pod
    selector) and the one port it lists, and checks a flow only against the rules filed under its
    namespace and port and those that could match any. A filed rule is still checked in full with
    ``decide``'s own predicates, so the index can only skip rules that could not match: the
    decisions are ``decide``'s (tests/test_flows.py compares them)."""

    def __init__(self, policies_of: Callable[[str], Iterable[Mapping[str, Any]]], namespace_labels: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._policies_of = policies_of
        self._labels = dict(namespace_labels or {})
        self._sides: dict[tuple[str, str], _Side] = {}

    def _namespace_labels_of(self, namespace: str) -> dict[str, str]:
        return {**self._labels.get(namespace, {}), NAME_LABEL: namespace}

    def _side(self, namespace: str, direction: str) -> _Side:
        if (namespace, direction) not in self._sides:
            policies = [p for p in self._policies_of(namespace) if p["metadata"].get("namespace") == namespace]
            for each in ("Ingress", "Egress"):
                self._sides[namespace, each] = _Side(namespace, each, policies)
        return self._sides[namespace, direction]

    def decide(self, source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP") -> Decision:
        out, egress = self._decide_side(source, "Egress", "to", destination, destination, port, protocol)
        into, ingress = self._decide_side(destination, "Ingress", "from", source, destination, port, protocol)
        if not out:
            return Decision(False, egress, ())
        if not into:
            return Decision(False, (), ingress)
        return Decision(True, egress, ingress)

    def peers(self, endpoint: Endpoint, direction: str) -> frozenset[str] | None:
        """The only namespaces whose pods may be ``endpoint``'s peers in ``direction`` (its sources for
        Ingress, its destinations for Egress), whatever the port; None when any endpoint may be (no
        policy of that direction selects it, or a selecting one has a rule filed for any namespace: an
        ipBlock, a namespaceSelector by other labels, a rule without peers). Every flow with another
        peer, a Host included, is refused on that side: ``decide`` only reads the rules filed under
        the peer's namespace and those for any, and here there are none of either."""
        if not isinstance(endpoint, Pod):
            return None
        side = self._side(endpoint.namespace, direction)
        selecting = side.selecting(endpoint.labels)
        return side.peer_namespaces(frozenset(selecting)) if selecting else None

    def _decide_side(
        self, pod: Endpoint, direction: str, peers_key: str, other: Endpoint, target: Endpoint, port: int, protocol: str
    ) -> tuple[bool, tuple[str, ...]]:
        if not isinstance(pod, Pod):
            return True, ()
        side = self._side(pod.namespace, direction)
        selecting = side.selecting(pod.labels)
        if not selecting:
            return True, ()
        admitting = sorted(
            {
                position
                for position, rule in side.candidates(other, port, protocol)
                if position in selecting
                and _peers_match(rule.get(peers_key), other, pod.namespace, self._namespace_labels_of)
                and _ports_match(rule.get("ports"), target, port, protocol)
            }
        )
        if admitting:
            return True, tuple(side.names[position] for position in admitting)
        return False, tuple(side.names[position] for position in sorted(selecting))


class _Side:
    """One namespace's policies for one direction, their rules filed by (peer namespace, port);
    ``None`` in a key files a rule that may match any namespace or any port."""

    def __init__(self, namespace: str, direction: str, policies: list[Mapping[str, Any]]) -> None:
        peers_key = "to" if direction == "Egress" else "from"
        mine = [p for p in policies if direction in _types(p)]
        self.names = [_name(p) for p in mine]
        self._selectors = [p["spec"].get("podSelector") or {} for p in mine]
        self._selected: dict[tuple[tuple[str, str], ...], set[int]] = {}
        self._rules: dict[_Key, list[tuple[int, Mapping[str, Any]]]] = {}
        self._peer_namespaces: dict[frozenset[int], frozenset[str] | None] = {}
        for position, policy in enumerate(mine):
            for rule in policy["spec"].get(direction.lower()) or []:
                for key in _keys(rule.get(peers_key), rule.get("ports"), namespace):
                    self._rules.setdefault(key, []).append((position, rule))

    def selecting(self, labels: Mapping[str, str]) -> set[int]:
        """The positions of the policies selecting pods with these labels (remembered per label set)."""
        key = tuple(sorted(labels.items()))
        if key not in self._selected:
            self._selected[key] = {i for i, selector in enumerate(self._selectors) if _selects(selector, labels)}
        return self._selected[key]

    def peer_namespaces(self, selecting: frozenset[int]) -> frozenset[str] | None:
        """The namespaces under which the rules of the ``selecting`` policies are filed; None if one
        is filed for any namespace (remembered per set of policies)."""
        if selecting not in self._peer_namespaces:
            self._peer_namespaces[selecting] = self._filed_under(selecting)
        return self._peer_namespaces[selecting]

    def _filed_under(self, selecting: frozenset[int]) -> frozenset[str] | None:
        found = set()
        for (namespace, _), rules in self._rules.items():
            if any(position in selecting for position, _ in rules):
                if namespace is None:
                    return None
                found.add(namespace)
        return frozenset(found)

    def candidates(self, other: Endpoint, port: int, protocol: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
        namespaces: tuple[str | None, ...] = (other.namespace, None) if isinstance(other, Pod) else (None,)
        for namespace in namespaces:
            for ports in ((protocol, port), None):
                yield from self._rules.get((namespace, ports), ())


def _keys(peers: Any, ports: Any, policy_namespace: str) -> list[_Key]:
    """Where a rule is filed: the namespaces its peers can match and the ports it admits, or None
    for a part the rule leaves open (or that is not a plain name and number, so cannot be filed)."""
    namespaces: set[str | None] = set()
    for peer in peers or [None]:
        namespaces.add(_peer_namespace(peer, policy_namespace))
    if None in namespaces:
        namespaces = {None}
    numbers: set[tuple[str, int] | None] = set()
    for entry in ports or [None]:
        simple = isinstance(entry, Mapping) and type(entry.get("port")) is int and entry.get("endPort") is None
        numbers.add((entry.get("protocol", "TCP"), entry["port"]) if simple and isinstance(entry, Mapping) else None)
    if None in numbers:
        numbers = {None}
    return [(n, p) for n in sorted(namespaces, key=str) for p in sorted(numbers, key=str)]


def _peer_namespace(peer: Any, policy_namespace: str) -> str | None:
    """The only namespace whose pods ``peer`` can match, or None (any, or not a Pod peer)."""
    if not isinstance(peer, Mapping) or "ipBlock" in peer:
        return None
    if "namespaceSelector" not in peer:
        return policy_namespace
    selector = peer["namespaceSelector"]
    match = selector.get("matchLabels") if isinstance(selector, Mapping) else None
    name = match.get(NAME_LABEL) if isinstance(match, Mapping) else None
    return name if isinstance(name, str) else None
