"""clusterstack/adopt/tenants.py: a cluster's namespaces read back into tenants, existingNamespaces and
loadBalancers. Each case is a cluster's objects (as ``kubectl get`` prints them, normalised as the
importer does) and the whole fragment and report it gives; what the stack cannot hold is a note
naming the object and the field, never a silent loss."""

from __future__ import annotations

from typing import Any

import pytest

from clusterstack.adopt.dump import LiveObject
from clusterstack.adopt.report import Note
from clusterstack.adopt.tenants import map_tenants
from clusterstack.components.cluster import ClusterDns
from clusterstack.components.tenant import TenantNamespaceArgs
from clusterstack.kube.live import normalised


def _objects(*bodies: dict[str, Any]) -> list[LiveObject]:
    return [LiveObject(f"dump.yaml#{index}", normalised(body)) for index, body in enumerate(bodies)]


def _namespace(name: str, labels: dict[str, str] | None = None, **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **(labels or {})}, **meta},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def _in(namespace: str, kind: str, name: str, api: str = "v1", **body: Any) -> dict[str, Any]:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": namespace, "uid": "u", "resourceVersion": "7"}, **body}


def _map(*bodies: dict[str, Any], dns: ClusterDns | None = None) -> tuple[dict[str, Any], list[Note]]:
    return map_tenants(_objects(*bodies), dns if dns is not None else ClusterDns.kube_dns())


@pytest.mark.parametrize(
    ("labels", "pod_security"),
    [
        ({f"pod-security.kubernetes.io/{m}": "restricted" for m in ("enforce", "audit", "warn")}, "restricted"),
        ({"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "restricted"}, {"enforce": "baseline", "warn": "restricted"}),
        ({"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.30"}, {"enforce": "restricted", "version": "v1.30"}),
        (
            {"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.30",
             "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "latest"},
            {"enforce": "restricted", "warn": "restricted", "enforceVersion": "v1.30"},
        ),
    ],
)
def test_pod_security_labels_become_pod_security_per_mode_and_version(labels, pod_security):
    fragment, notes = _map(_namespace("shop", {"team": "shop", **labels}))
    assert fragment == {"namespaces": {"shop": {"labels": {"team": "shop"}, "podSecurity": pod_security, "onExisting": "adopt"}}}
    assert notes == []


def test_a_level_the_admission_plugin_does_not_know_is_noted_not_kept():
    fragment, notes = _map(_namespace("shop", {"pod-security.kubernetes.io/enforce": "strict"}))
    assert fragment == {"namespaces": {"shop": {"onExisting": "adopt"}}}
    assert notes == [Note("Namespace shop (dump.yaml#0)", "metadata.labels.pod-security.kubernetes.io/enforce", "unfit",
                          "'strict' is not a Pod Security level (privileged, baseline, restricted); not kept")]


def test_quotas_limits_access_and_load_balancers_of_a_tenant():
    fragment, notes = _map(
        _namespace("shop", annotations={"owner": "shop@example.com"}),
        _in("shop", "ResourceQuota", "tenant-quota", spec={"hard": {"pods": "10", "requests.cpu": "4"}}, status={"used": {"pods": "1"}}),
        _in("shop", "ResourceQuota", "best-effort", spec={"hard": {"pods": "3"}, "scopes": ["BestEffort"]}),
        _in("shop", "ResourceQuota", "high", spec={"hard": {"pods": "5"}, "scopeSelector": {"matchExpressions": [
            {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}}),
        _in("shop", "LimitRange", "tenant-limits", spec={"limits": [{"type": "Container", "max": {"cpu": "2"}, "defaultRequest": {"cpu": "100m"}}]}),
        _in("shop", "ServiceAccount", "deployer", automountServiceAccountToken=False, secrets=[{"name": "deployer-token-x7k2p"}]),
        _in("shop", "ServiceAccount", "default"),
        _in("shop", "RoleBinding", "tenant-editors", "rbac.authorization.k8s.io/v1",
            roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
            subjects=[{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "shop-devs"},
                      {"kind": "ServiceAccount", "name": "deployer", "namespace": "shop"},
                      {"kind": "ServiceAccount", "name": "runner", "namespace": "ci"}]),
        _in("shop", "Service", "web", spec={"type": "LoadBalancer", "clusterIP": "10.96.4.4", "clusterIPs": ["10.96.4.4"], "selector": {"app": "web"},
                                            "ports": [{"port": 443, "targetPort": 8443, "protocol": "TCP", "nodePort": 31443}],
                                            "externalTrafficPolicy": "Local", "healthCheckNodePort": 32001, "loadBalancerSourceRanges": ["203.0.113.0/24"]}),
        _in("shop", "ConfigMap", "kube-root-ca.crt", data={"ca.crt": "…"}),
        _in("shop", "Deployment", "web", "apps/v1", spec={}),
    )
    assert fragment == {
        "namespaces": {
            "shop": {
                "annotations": {"owner": "shop@example.com"},
                "quota": {"pods": "10", "requests.cpu": "4"},
                "quotas": [
                    {"name": "best-effort", "hard": {"pods": "3"}, "scopes": ["BestEffort"]},
                    {"name": "high", "hard": {"pods": "5"}, "scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}},
                ],
                "limits": {"container": {"max": {"cpu": "2"}, "defaultRequest": {"cpu": "100m"}}},
                "access": {
                    "serviceAccounts": {"deployer": {"automountToken": False}},
                    "editors": {"groups": ["shop-devs"], "serviceAccounts": ["deployer", {"name": "runner", "namespace": "ci"}]},
                },
                "onExisting": "adopt",
            }
        },
        "loadBalancers": {
            "web": {"namespace": "shop", "selector": {"app": "web"}, "ports": [{"port": 443, "targetPort": 8443}],
                    "externalTrafficPolicy": "Local", "sourceRanges": ["203.0.113.0/24"], "onExisting": "adopt"},
        },
    }
    assert notes == [Note("Deployment shop/web (dump.yaml#10)", "", "unfit", "an application's object: the stack declares the namespace's baseline, not its workloads")]
    TenantNamespaceArgs.model_validate(fragment["namespaces"]["shop"])


def test_objects_under_other_names_are_imported_with_a_note_on_the_name():
    fragment, notes = _map(
        _namespace("shop"),
        _in("shop", "LimitRange", "mem-limits", spec={"limits": [{"type": "Container", "default": {"memory": "512Mi"}}]}),
        _in("shop", "RoleBinding", "devs", "rbac.authorization.k8s.io/v1", roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            subjects=[{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "ana@example.com"}]),
        _in("shop", "RoleBinding", "custom", "rbac.authorization.k8s.io/v1", roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
            subjects=[{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "bo"}]),
    )
    assert fragment["namespaces"]["shop"] == {"limits": {"container": {"default": {"memory": "512Mi"}}}, "access": {"viewers": {"users": ["ana@example.com"]}},
                                              "onExisting": "adopt"}
    assert [(n.object, n.field) for n in notes] == [
        ("LimitRange shop/mem-limits (dump.yaml#1)", "metadata.name"),
        ("RoleBinding shop/custom (dump.yaml#3)", "roleRef"),
        ("RoleBinding shop/devs (dump.yaml#2)", "metadata.name"),
    ]
    # The tenant is adopted by import, and Pulumi imports only what exists (pulumi/pulumi
    # pkg/resource/deploy/step.go, ImportStep.Apply: "resource '<id>' does not exist"): the note says so.
    assert notes[0].reason == (
        "the stack names the LimitRange tenant-limits, which the cluster lacks: onExisting: adopt makes pulumi up import it, and Pulumi "
        "imports only what exists; before the first pulumi up, create tenant-limits as a copy of mem-limits, then delete mem-limits"
    )
    assert notes[2].reason.startswith("the stack names the binding to view tenant-viewers, which the cluster lacks")


def test_a_malformed_quantity_is_a_note_naming_the_object_and_field():
    fragment, notes = _map(_namespace("shop"), _in("shop", "ResourceQuota", "q", spec={"hard": {"pods": "2 pods"}}))
    assert fragment == {"namespaces": {"shop": {"onExisting": "adopt"}}}
    [note] = notes
    assert (note.object, note.field, note.outcome) == ("ResourceQuota shop/q (dump.yaml#1)", "spec.hard.pods", "unfit")


def test_fields_the_stack_does_not_write_are_noted():
    quota = _in("shop", "ResourceQuota", "tenant-quota", spec={"hard": {"pods": "4"}})
    quota["metadata"]["labels"] = {"team": "shop"}
    _, notes = _map(_namespace("shop"), quota)
    assert notes == [Note("ResourceQuota shop/tenant-quota (dump.yaml#1)", "metadata.labels.team", "unfit", "the stack does not write this field; not kept")]


def test_system_and_operator_owned_namespaces_keep_only_their_labels():
    owned = _namespace("calico-system", {"pod-security.kubernetes.io/enforce": "privileged", "name": "calico-system"},
                       ownerReferences=[{"apiVersion": "operator.tigera.io/v1", "kind": "Installation", "name": "default", "uid": "u"}])
    fragment, notes = _map(
        _namespace("kube-system", {"pod-security.kubernetes.io/enforce": "privileged"}),
        _namespace("default"),
        owned,
        _in("kube-system", "ResourceQuota", "pods", spec={"hard": {"pods": "100"}}),
        _in("kube-system", "ServiceAccount", "coredns"),
        _in("default", "Service", "kubernetes", spec={"ports": [{"port": 443}]}),
    )
    assert fragment == {"existingNamespaces": {"calico-system": {"podSecurity": {"enforce": "privileged"}, "labels": {"name": "calico-system"}},
                                               "kube-system": {"podSecurity": {"enforce": "privileged"}}}}
    assert [(n.object, n.outcome) for n in notes] == [
        ("Namespace calico-system (dump.yaml#2)", "adopted"),
        ("Namespace default (dump.yaml#1)", "adopted"),
        ("Namespace kube-system (dump.yaml#0)", "adopted"),
        ("ResourceQuota kube-system/pods (dump.yaml#3)", "unfit"),
    ]


def test_a_namespaced_object_without_its_namespace_is_noted():
    quota = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"}, "spec": {"hard": {"pods": "1"}}}
    fragment, notes = _map(quota)
    assert fragment == {}
    assert notes == [Note("ResourceQuota q (dump.yaml#0)", "metadata.namespace", "unfit", "is not set (the manifest leaves it to kubectl's context); add it")]
