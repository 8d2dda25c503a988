"""An object as the cluster holds it, and back to intent (clusterstack/kube/live.py).

``normalised`` drops what the API server adds (status, the server's metadata, kubectl's last-applied
annotation, a Namespace's name label and finalizer, a Service's allocations) and every default;
``read_back`` is what ``kubectl get -o yaml`` shows once the API server stored an object. The
contract, checked on every object every shipped stack and example renders:
``normalised(read_back(x)) == normalised(x)``, and the read-back is a valid object of its kind
(kubernetes-validate, strict)."""

from __future__ import annotations

import copy
import ipaddress
import random
from typing import Any

import pytest

from clusterstack.kube.live import normalised, read_back
from clusterstack.kube.schema import schema_problems
from clusterstack.program.evaluate import evaluate_stack
from clusterstack.stack.project import Project
from tests.conftest import REPO

SHIPPED = [
    (REPO, "dev"), (REPO, "staging"), (REPO, "prod"),
    (REPO / "examples" / "team-app", "dev"), (REPO / "examples" / "team-app", "staging"), (REPO / "examples" / "team-app", "prod"),
    (REPO / "examples" / "two-clusters", "dev"),
]  # fmt: skip


@pytest.fixture(scope="module", params=SHIPPED, ids=[f"{root.name}-{stack}" for root, stack in SHIPPED])
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    root, stack = request.param
    return [d.manifest for d in evaluate_stack(Project.load(root), stack).objects]


def test_every_shipped_object_survives_the_read_back(rendered: list[dict[str, Any]]) -> None:
    assert rendered
    differing = [f"{o['kind']} {o['metadata']['name']}" for o in rendered if normalised(read_back(o)) != normalised(o)]
    assert differing == []


def test_every_read_back_is_a_valid_object(rendered: list[dict[str, Any]]) -> None:
    problems = [f"{o['kind']} {o['metadata']['name']}: {p}" for o in rendered for p in schema_problems(read_back(o))]
    assert problems == []


def test_normalising_is_idempotent_and_read_back_deterministic(rendered: list[dict[str, Any]]) -> None:
    for obj in rendered:
        assert normalised(normalised(obj)) == normalised(obj)
        assert read_back(obj) == read_back(obj)


def test_the_read_back_adds_what_the_server_adds() -> None:
    namespace = read_back({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments", "labels": {"team": "p"}}})
    meta = namespace["metadata"]
    assert meta["labels"] == {"team": "p", "kubernetes.io/metadata.name": "payments"}
    assert set(meta) >= {"uid", "resourceVersion", "creationTimestamp", "managedFields"}
    assert "generation" not in meta
    assert namespace["spec"] == {"finalizers": ["kubernetes"]}
    assert namespace["status"] == {"phase": "Active"}


def test_a_service_gets_a_cluster_ip_from_the_range_and_node_ports() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "checkout", "namespace": "payments"},
               "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "ports": [{"port": 443}, {"port": 80}]}}  # fmt: skip
    stored = read_back(service, service_cidr="10.100.0.0/16")["spec"]
    assert ipaddress.ip_address(stored["clusterIP"]) in ipaddress.ip_network("10.100.0.0/16")
    assert (stored["clusterIPs"], stored["ipFamilies"], stored["ipFamilyPolicy"]) == ([stored["clusterIP"]], ["IPv4"], "SingleStack")
    ports = [p["nodePort"] for p in stored["ports"]]
    assert len(set(ports)) == 2
    assert all(30000 <= p <= 32767 for p in ports)
    assert 30000 <= stored["healthCheckNodePort"] <= 32767
    assert read_back(service, service_cidr="fd00::/108")["spec"]["ipFamilies"] == ["IPv6"]
    assert normalised(read_back(service)) == normalised(service)


def test_a_headless_service_keeps_its_none() -> None:
    """clusterIP: None is intent (a headless Service), not an allocation."""
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "h", "namespace": "n"}, "spec": {"clusterIP": "None", "ports": [{"port": 53}]}}
    assert normalised(read_back(service))["spec"] == {"clusterIP": "None", "ports": [{"port": 53}]}


def test_no_node_ports_when_a_load_balancer_allocates_none() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "n"},
               "spec": {"type": "LoadBalancer", "allocateLoadBalancerNodePorts": False, "ports": [{"port": 443}]}}  # fmt: skip
    assert "nodePort" not in read_back(service)["spec"]["ports"][0]


# What kubectl get namespace -o yaml prints for a namespace made with kubectl create namespace and
# then labelled with kubectl apply (managedFields, last-applied and all).
KUBECTL_NAMESPACE = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {
        "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"apiVersion":"v1","kind":"Namespace","metadata":{"labels":{"team":"x"},"name":"a"}}\n'},
        "creationTimestamp": "2024-05-02T09:14:31Z",
        "labels": {"kubernetes.io/metadata.name": "a", "team": "x"},
        "managedFields": [{"apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:kubernetes.io/metadata.name": {}}}},
                           "manager": "kubectl-create", "operation": "Update", "time": "2024-05-02T09:14:31Z"}],
        "name": "a",
        "resourceVersion": "51203",
        "uid": "6f0d8a52-9c37-4f2b-8d0a-1b8f2c1d7e11",
    },
    "spec": {"finalizers": ["kubernetes"]},
    "status": {"phase": "Active"},
}


def test_server_metadata_and_status_go_intent_stays() -> None:
    assert normalised(KUBECTL_NAMESPACE) == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {"team": "x"}}}
    assert KUBECTL_NAMESPACE["status"] == {"phase": "Active"}  # the input is left as it was


def test_a_finalizer_of_someone_else_stays() -> None:
    body = {**KUBECTL_NAMESPACE, "spec": {"finalizers": ["kubernetes", "example.com/cleanup"]}}
    assert normalised(body)["spec"] == {"finalizers": ["example.com/cleanup"]}


def test_controller_annotations_go_and_a_deployment_compares_with_its_render() -> None:
    render = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "n", "annotations": {"team": "x"}},
              "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i:1"}]}}}}  # fmt: skip
    live = read_back(render)
    live["spec"]["template"]["metadata"]["creationTimestamp"] = None  # as kubectl prints a template
    assert live["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert normalised(live) == normalised(render)
    live["spec"]["replicas"] = 3
    assert normalised(live) != normalised(render)  # a real difference stays one


def test_the_read_back_is_stable_and_told_apart() -> None:
    """The same object always gets the same uid, resourceVersion, address and ports; another object others."""
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "n"}, "spec": {"type": "NodePort", "ports": [{"port": 1}]}}
    first = read_back(service)
    assert first == read_back(dict(service))
    other = read_back({**service, "metadata": {"name": "t", "namespace": "n"}})
    assert other["metadata"]["uid"] != first["metadata"]["uid"]
    assert other["spec"]["clusterIP"] != first["spec"]["clusterIP"]


_ODD = [None, [], {}, "x", 0, 1.5, True, [1, "a"], {"a": None}]


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*at, index))
    return found


def test_a_hand_edited_dump_never_crashes_the_normalisation() -> None:
    """Any field of any shipped object replaced by a value of the wrong shape (``ports: true``,
    ``metadata: 0``): normalised leaves the malformed part for validation to name, never raises."""
    objects = [d.manifest for root, stack in SHIPPED[:3] for d in evaluate_stack(Project.load(root), stack).objects]
    chooser = random.Random(24)
    for _ in range(1500):
        obj = copy.deepcopy(chooser.choice(objects))
        path = chooser.choice([p for p in _paths(obj) if p and p[0] not in ("apiVersion", "kind")])
        parent = obj
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = copy.deepcopy(chooser.choice(_ODD))
        assert normalised(normalised(obj)) == normalised(obj), path
