"""Pods and the workloads that template them, defaulted as the API server does and undefaulted
(clusterstack/kube/pod_defaults.py, reached through defaults.py): each rule with the upstream
function it follows; upstream's own cases are tests/conformance/defaults.yaml."""

from __future__ import annotations

import pytest

from clusterstack.kube.defaults import defaulted, undefaulted
from clusterstack.kube.pod_defaults import default_pull_policy


def _pod_template(**container) -> dict:
    return {"spec": {"containers": [{"name": "c", "image": "nginx:1.27", **container}]}}


def _deployment(**container) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "n"},
            "spec": {"selector": {"matchLabels": {"app": "d"}}, "template": _pod_template(**container)}}  # fmt: skip


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),  # no tag: ParseImageName gives "latest"
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("registry.k8s.io:5000/dns/node-cache", "Always"),  # the registry's port is not a tag
        ("registry.k8s.io:5000/dns/node-cache:1.26.4", "IfNotPresent"),
        ("nginx@sha256:" + "a" * 64, "IfNotPresent"),  # a digest without tag is not "latest"
    ],
)
def test_image_pull_policy_follows_the_tag(image: str, policy: str) -> None:
    """SetDefaults_Container (pkg/apis/core/v1/defaults.go)."""
    assert default_pull_policy(image) == policy


def test_a_container_gets_its_defaults_and_loses_them_again() -> None:
    """SetDefaults_Container, SetDefaults_PodSpec, SetDefaults_Probe, SetDefaults_HTTPGetAction,
    ContainerPort's +default="TCP", SetDefaults_ConfigMapVolumeSource (pkg/apis/core/v1/defaults.go)."""
    written = _deployment(ports=[{"containerPort": 53}], readinessProbe={"httpGet": {"port": 8080}})
    written["spec"]["template"]["spec"]["volumes"] = [{"name": "v", "configMap": {"name": "cm"}}]
    stored = defaulted(written)
    pod = stored["spec"]["template"]["spec"]
    assert pod == {
        "containers": [
            {
                "name": "c",
                "image": "nginx:1.27",
                "imagePullPolicy": "IfNotPresent",
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "ports": [{"containerPort": 53, "protocol": "TCP"}],
                "readinessProbe": {"httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
            }
        ],
        "volumes": [{"name": "v", "configMap": {"name": "cm", "defaultMode": 420}}],
        "dnsPolicy": "ClusterFirst",
        "restartPolicy": "Always",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30,
        "schedulerName": "default-scheduler",
    }
    assert undefaulted(stored) == written
    assert written["spec"]["template"]["spec"]["containers"][0] == {
        "name": "c", "image": "nginx:1.27", "ports": [{"containerPort": 53}], "readinessProbe": {"httpGet": {"port": 8080}},
    }  # fmt: skip


def test_a_value_other_than_the_default_stays() -> None:
    written = _deployment(imagePullPolicy="Always", ports=[{"containerPort": 53, "protocol": "UDP"}])
    written["spec"]["revisionHistoryLimit"] = 3
    assert undefaulted(defaulted(written)) == written


def test_nothing_is_mutated() -> None:
    written = _deployment()
    before = repr(written)
    undefaulted(defaulted(written))
    assert repr(written) == before
