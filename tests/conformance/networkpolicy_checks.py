"""The NetworkPolicy suite's checker: each case of ``networkpolicy.yaml`` evaluated by clusterstack's
model (clusterstack/kube/flows.py, the evaluator ``reach`` and the one-sided-rule check use), and the
disagreements it finds (none when the model agrees with upstream).

Every lookup goes through ``flows.decide`` at call time (not a name bound at import), so a test that
breaks a rule of the evaluator in memory breaks it here too."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clusterstack.kube import flows
from tests.conformance import suite

DATA = Path(__file__).with_name("networkpolicy.yaml")
NAMESPACES = ("x", "y", "z")
SERVED = [(protocol, port) for protocol in ("TCP", "UDP", "SCTP") for port in (80, 81)]
"""cyclonus' default cluster: every pod serves 80 and 81 on each protocol."""
ANYWHERE = flows.Host("203.0.113.1")
"""An address no case's rule names: a flow to or from it shows whether a side is isolated."""


def _policy(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {"kind": "NetworkPolicy", "metadata": {"namespace": entry["namespace"], "name": entry["name"]}, "spec": entry["spec"]}


# --- e2e truth tables -----------------------------------------------------------------------------------


def _ip(namespace: str, pod: str) -> str:
    return f"10.{NAMESPACES.index(namespace) + 1}.0.{'abc'.index(pod) + 1}"


def _served(serve: Mapping[str, Any]) -> dict[str, flows.NamedPort]:
    """Container.PortName: serve-<port>-<protocol in lower case>, one per port and protocol."""
    return {f"serve-{port}-{protocol.lower()}": flows.NamedPort(port, protocol) for port in serve["ports"] for protocol in serve["protocols"]}


def _peer_matches(peer: str, pod: str) -> bool:
    """reachability.go's Peer: "*" any pod, "x/*" any pod of x, "x/a" that pod."""
    if peer == "*":
        return True
    namespace, name = peer.split("/")
    return pod.split("/", maxsplit=1)[0] == namespace and name in ("*", pod.split("/")[1])


def _e2e(case: Mapping[str, Any]) -> list[str]:
    pods: list[str] = case["pods"]
    ports = _served(case["serve"])
    policies: dict[tuple[str, str], dict[str, Any]] = {}
    namespace_labels = {ns: {"ns": ns} for ns in NAMESPACES}
    pod_labels = {pod: {"pod": pod.split("/")[1]} for pod in pods}
    problems = []
    for number, step in enumerate(case["steps"], 1):
        if step.get("delete_all"):
            policies.clear()
        for entry in step.get("create") or []:
            policies[(entry["namespace"], entry["name"])] = _policy(entry)
        for namespace, labels in (step.get("namespace_labels") or {}).items():
            namespace_labels[namespace] = {**namespace_labels[namespace], **labels}
        for pod, labels in (step.get("pod_labels") or {}).items():
            pod_labels[pod] = {**pod_labels[pod], **labels}
        expected = {(a, b): True for a in pods for b in pods}
        for source_peer, destination_peer, allowed in step["expect"]:
            for a in pods:
                for b in pods:
                    if _peer_matches(source_peer, a) and _peer_matches(destination_peer, b):
                        expected[(a, b)] = allowed
        endpoint = {pod: flows.Pod(pod.split("/")[0], pod_labels[pod], ip=_ip(*pod.split("/")), ports=ports) for pod in pods}
        protocol, port = step["probe"]
        for (a, b), allowed in sorted(expected.items()):
            if a == b:
                continue  # ignoreLoopback
            actual = flows.decide(policies.values(), endpoint[a], endpoint[b], port, protocol, namespace_labels).allowed
            if actual != allowed:
                problems.append(f"step {number} ({protocol} {port}): {a} -> {b} expected {_verdict(allowed)}, got {_verdict(actual)}")
    return problems


def _verdict(allowed: bool) -> str:
    return "allowed" if allowed else "denied"


# --- e2e legacy: a server, client pods, connect or not ---------------------------------------------------

LEGACY_NAMESPACE = "a"
"""f.Namespace: where the servers, most clients and every policy of network_legacy.go live."""
LEGACY_NAMESPACES = ("a", "b", "c")
LEGACY_STEP = {"delete", "create", "namespace_labels", "labels", "connect"}
"""What a step may do; a misspelt key would otherwise drop its change silently."""


def _legacy(case: Mapping[str, Any]) -> list[str]:
    servers: dict[str, list[str]] = case["servers"]
    namespace_labels = {ns: dict(labels) for ns, labels in (case.get("namespaces") or {}).items()}
    labels: dict[str, dict[str, str]] = {}
    ips: dict[tuple[str, int], str] = {}

    def ip(pod: str, block: int) -> str:
        """Servers 10.<a,b,c = 1,2,3>.0.<n>, clients 10.<ns>.1.<n>, n counting from 1 per namespace in order
        of first appearance: the cluster picks pod IPs, and only the ipBlock cases read them."""
        namespace = pod.split("/", maxsplit=1)[0]
        if (pod, block) not in ips:
            taken = sum(1 for other, b in ips if b == block and other.split("/", maxsplit=1)[0] == namespace)
            ips[(pod, block)] = f"10.{LEGACY_NAMESPACES.index(namespace) + 1}.{block}.{taken + 1}"
        return ips[(pod, block)]

    def endpoint(pod: str, block: int, ports: Mapping[str, flows.NamedPort]) -> flows.Pod:
        # createServerPodAndService and createNetworkClientPod both label a pod pod-name=<its name>.
        own = labels[pod] if pod in labels else {"pod-name": pod.split("/")[1]}
        return flows.Pod(pod.split("/", maxsplit=1)[0], own, ip=ip(pod, block), ports=ports)

    for server in servers:
        ip(server, 0)
    policies: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for number, step in enumerate(case["steps"], 1):
        if set(step) - LEGACY_STEP:
            problems.append(f"step {number}: unknown keys {sorted(set(step) - LEGACY_STEP)}, expected some of {sorted(LEGACY_STEP)}")
        for name in step.get("delete") or []:
            del policies[name]
        for entry in step.get("create") or []:
            policies[entry["name"]] = _policy({"namespace": LEGACY_NAMESPACE, **entry})
        for namespace, added in (step.get("namespace_labels") or {}).items():
            namespace_labels[namespace] = {**namespace_labels.get(namespace, {}), **added}
        labels.update({pod: dict(replaced) for pod, replaced in (step.get("labels") or {}).items()})
        for client, server, traffic, allowed in step["connect"]:
            protocol, port = traffic.split()
            if traffic not in servers[server]:
                problems.append(f"step {number}: {server} serves {', '.join(servers[server])}, not {traffic}: no policy decides that")
                continue
            # Each container port is named serve-<port> (createServerPodAndService); the Service in front
            # forwards to the same port, so the flow is judged at the pod.
            ports = {f"serve-{p}": flows.NamedPort(int(p), proto) for proto, p in (served.split() for served in servers[server])}
            actual = flows.decide(policies.values(), endpoint(client, 1, {}), endpoint(server, 0, ports), int(port), protocol, namespace_labels).allowed
            if actual != allowed:
                problems.append(f"step {number}: {client} -> {server} {traffic} expected {_verdict(allowed)}, got {_verdict(actual)}")
    return problems


# --- cyclonus: ports and protocols ----------------------------------------------------------------------


def _base_policy(direction: str, ports: list[Mapping[str, Any]]) -> dict[str, Any]:
    """pkg/generator/netpol.go baseTestPolicy, with SetPorts(direction, ports) applied."""
    dns = {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}
    ingress = {
        "ports": [{"port": 80, "protocol": "TCP"}],
        "from": [{"podSelector": _in("pod", "b", "c"), "namespaceSelector": _in("ns", "x", "y")}],
    }
    egress = {
        "ports": [{"port": 80, "protocol": "TCP"}],
        "to": [{"podSelector": _in("pod", "a", "b"), "namespaceSelector": _in("ns", "y", "z")}],
    }
    (ingress if direction == "ingress" else egress)["ports"] = list(ports)
    spec = {"podSelector": {"matchLabels": {"pod": "a"}}, "ingress": [ingress], "egress": [egress, dns], "policyTypes": ["Ingress", "Egress"]}
    return {"kind": "NetworkPolicy", "metadata": {"namespace": "x", "name": "base"}, "spec": spec}


def _in(key: str, *values: str) -> dict[str, Any]:
    return {"matchExpressions": [{"key": key, "operator": "In", "values": list(values)}]}


def _ports(case: Mapping[str, Any]) -> list[str]:
    served = _served({"ports": [80, 81], "protocols": ["TCP", "UDP", "SCTP"]})
    namespace_labels = {ns: {"ns": ns} for ns in NAMESPACES}

    def pod(name: str) -> flows.Pod:
        return flows.Pod(name.split("/", maxsplit=1)[0], {"pod": name.split("/")[1]}, ip=_ip(*name.split("/")), ports=served)

    problems = []
    expected = set(case["opens"])
    for direction, admitted, refused in (("ingress", ("y/b", "x/a"), ("z/a", "x/a")), ("egress", ("x/a", "y/a"), ("x/a", "x/b"))):
        policy = _base_policy(direction, case["ports"])
        for (source, destination), opens in ((admitted, expected), (refused, set())):
            for protocol, port in SERVED:
                actual = flows.decide([policy], pod(source), pod(destination), port, protocol, namespace_labels).allowed
                if actual != (f"{protocol} {port}" in opens):
                    problems.append(f"{direction} {source} -> {destination} {protocol} {port}: expected {_verdict(not actual)}, got {_verdict(actual)}")
    return problems


# --- cyclonus: single flows, peers, rule lists ----------------------------------------------------------


def _endpoint(raw: Mapping[str, Any]) -> flows.Endpoint:
    if "namespace" not in raw:
        return flows.Host(raw["ip"])
    ports = {name: flows.NamedPort(number, protocol) for name, (number, protocol) in (raw.get("ports") or {}).items()}
    return flows.Pod(raw["namespace"], dict(raw.get("labels") or {}), ip=raw.get("ip"), ports=ports)


def _flows(case: Mapping[str, Any]) -> list[str]:
    source, destination = _endpoint(case["from"]), _endpoint(case["to"])
    labels = {raw["namespace"]: dict(raw.get("namespace_labels") or {}) for raw in (case["from"], case["to"]) if "namespace" in raw}
    protocol, port = case["traffic"]
    actual = flows.decide([_policy(p) for p in case["policies"]], source, destination, port, protocol, labels).allowed
    return [] if actual == case["allowed"] else [f"expected {_verdict(case['allowed'])}, got {_verdict(actual)}"]


PEER_NAMESPACES = {"pathological-namespace": {}, "ab": {"a": "b"}, "other": {}}
PEER_LABELS: tuple[dict[str, str], ...] = ({}, {"b": "d"}, {"e": "f"}, {"g": "g"})
PEER_HOSTS = ("10.0.0.9", "10.0.0.1", "10.0.1.9")


def _peer_world() -> dict[str, flows.Endpoint]:
    world: dict[str, flows.Endpoint] = {}
    for n, namespace in enumerate(PEER_NAMESPACES):
        for m, labels in enumerate(PEER_LABELS):
            key = f"{namespace}/{','.join(f'{k}={v}' for k, v in labels.items())}" if labels else f"{namespace}/"
            world[key] = flows.Pod(namespace, labels, ip=f"192.168.{n}.{m + 1}")
    world.update({ip: flows.Host(ip) for ip in PEER_HOSTS})
    return world


def _peers(case: Mapping[str, Any]) -> list[str]:
    target = flows.Pod("pathological-namespace", {"target": "yes"}, ip="192.168.9.9")
    spec = {"podSelector": {"matchLabels": {"target": "yes"}}, "policyTypes": ["Ingress"], "ingress": [{"from": [case["peer"]]}]}
    policy = _policy({"namespace": "pathological-namespace", "name": "peer", "spec": spec})
    problems = []
    for key, source in _peer_world().items():
        wanted = any(key == m or (m.endswith("/*") and key.startswith(m[:-1])) for m in case["matches"])
        actual = flows.decide([policy], source, target, 80, "TCP", PEER_NAMESPACES).allowed
        if actual != wanted:
            problems.append(f"{key}: expected {'selected' if wanted else 'not selected'}, got {'selected' if actual else 'not selected'}")
    return problems


def _rules(case: Mapping[str, Any]) -> list[str]:
    policy = _policy({"namespace": "pathological-namespace", "name": "rules", "spec": case["spec"]})
    mine = flows.Pod("pathological-namespace", {}, ip="192.168.0.1")
    theirs = flows.Pod("other", {}, ip="192.168.2.1")
    problems = []
    for direction, source, destination in (("ingress", theirs, mine), ("egress", mine, theirs)):
        for peer in (theirs, ANYWHERE):
            sender, receiver = (peer, mine) if direction == "ingress" else (mine, peer)
            allowed = flows.decide([policy], sender, receiver, 80, "TCP").allowed
            expected = case[direction] != "none"
            if allowed != expected:
                problems.append(f"{direction} with {peer}: expected {case[direction]}, got {_verdict(allowed)}")
        if case[direction] == "unaffected" and flows.decide([policy], source, destination, 80, "TCP").because:
            problems.append(f"{direction}: expected no policy to decide, got {flows.decide([policy], source, destination, 80, 'TCP').because}")
    return problems


def _defaults(case: Mapping[str, Any]) -> list[str]:
    """The defaulted policyTypes, read from behaviour: a direction is isolated when a flow no rule admits
    (to or from an address no rule names) is dropped."""
    policy = _policy({"namespace": "d", "name": "defaults", "spec": case["spec"]})
    pod = flows.Pod("d", {"a": "b"}, ip="192.168.0.1")
    isolated = [
        direction
        for direction, sender, receiver in (("Ingress", ANYWHERE, pod), ("Egress", pod, ANYWHERE))
        if not flows.decide([policy], sender, receiver, 80, "TCP").allowed
    ]
    return [] if isolated == case["policyTypes"] else [f"expected policyTypes {case['policyTypes']}, got {isolated}"]


CHECKER = suite.Checker(DATA, {
    "e2e": _e2e,
    "ports": _ports,
    "flows": _flows,
    "peers": _peers,
    "rules": _rules,
    "defaults": _defaults,
    "legacy": _legacy,
})
load, cases, disagreements, run_suite = CHECKER.load, CHECKER.cases, CHECKER.disagreements, CHECKER.run_suite
case_id = suite.case_id
