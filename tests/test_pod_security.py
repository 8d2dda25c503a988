"""Pod Security labels: a version per mode, and labels on namespaces the stack does not own.

Page: "Enforce Pod Security Standards with Namespace Labels" — pin ``enforce`` to a minor, keep
``audit`` and ``warn`` at ``latest``; label ``default`` restricted and ``kube-system`` privileged.
Existing namespaces are server-side-apply patches (pulumi-kubernetes' ``NamespacePatch``), so a
real ``pulumi up`` neither creates nor deletes them.
"""

from __future__ import annotations

import json

import pytest

from clusterstack.components import PodSecurity, build_platform
from clusterstack.components.kube.schema import schema_problems
from tests.helpers import STACK_FILE, load, problems, tenant_problems
from tests.test_engine import cs

PREFIX = "pod-security.kubernetes.io/"


def test_each_mode_pins_its_own_version_and_falls_back_to_version():
    labels = PodSecurity.model_validate({"enforce": "baseline", "audit": "restricted", "warn": "restricted", "enforceVersion": "v1.34"}).labels()
    assert labels == {
        f"{PREFIX}enforce": "baseline",
        f"{PREFIX}enforce-version": "v1.34",
        f"{PREFIX}audit": "restricted",
        f"{PREFIX}audit-version": "latest",
        f"{PREFIX}warn": "restricted",
        f"{PREFIX}warn-version": "latest",
    }
    pinned_all = PodSecurity.model_validate({"enforce": "baseline", "warn": "baseline", "version": "v1.30", "warnVersion": "latest"}).labels()
    assert (pinned_all[f"{PREFIX}enforce-version"], pinned_all[f"{PREFIX}warn-version"], f"{PREFIX}audit" in pinned_all) == ("v1.30", "latest", False)


@pytest.mark.parametrize(
    ("pod_security", "message"),
    [
        ({"enforce": "baseline", "auditVersion": "v1.34"}, "podSecurity.auditVersion: audit sets no level, so there is nothing for its version to pin"),
        ({"enforce": "baseline", "enforceVersion": "1.34"}, "podSecurity.enforceVersion: '1.34' is not a Pod Security version: use latest or v1.N"),
    ],
)
def test_a_mode_version_is_checked_like_version(pod_security, message):
    [problem] = tenant_problems(podSecurity=pod_security)
    assert problem.startswith(message)


def test_the_shorthand_still_sets_every_mode_at_latest():
    labels = PodSecurity.model_validate("restricted").labels()
    assert {labels[f"{PREFIX}{mode}-version"] for mode in ("enforce", "audit", "warn")} == {"latest"}


EXISTING = {"kube-system": {"podSecurity": "privileged"}, "default": {"podSecurity": {"enforce": "restricted", "enforceVersion": "v1.34"}, "labels": {"team": "none"}}}


def test_namespaces_the_stack_does_not_own_get_only_their_labels():
    objects = [o for o in build_platform(load({}, existingNamespaces=EXISTING).args, "prod") if o["kind"] == "Namespace"]
    assert [o["metadata"]["name"] for o in objects] == ["default", "kube-system"]
    default = objects[0]
    assert set(default) == {"apiVersion", "kind", "metadata"}
    assert default["metadata"]["labels"][f"{PREFIX}enforce-version"] == "v1.34"
    assert default["metadata"]["labels"]["team"] == "none"
    for version in ("1.30", "1.34"):
        assert schema_problems(default, version) == []


def test_an_existing_namespace_is_not_also_a_tenant_and_sets_something():
    assert problems(existingNamespaces={"kube-public": {}}) == [
        f"{STACK_FILE}: clusterstack:existingNamespaces.kube-public: sets nothing; give podSecurity or labels, or remove the namespace",
    ]
    assert problems({"payments": {}}, existingNamespaces={"payments": {"podSecurity": "restricted"}}) == [
        f"{STACK_FILE}: clusterstack:existingNamespaces.payments: payments is one of clusterstack:namespaces, which this stack owns; set its labels and podSecurity there",
    ]


def test_the_engine_plans_a_patch_of_an_existing_namespace(make_project):
    root = make_project({"dev": {"config": {"clusterstack:existingNamespaces": {"kube-system": {"podSecurity": "privileged"}}}}})
    rendered = cs(root, "preview", "-s", "dev", "--json")
    assert rendered.exit_code == 0, rendered.output
    plan = json.loads(rendered.stdout)
    [change] = [c for c in plan["changes"] if c["key"]["kind"] == "Namespace"]
    assert (change["key"]["name"], change["action"], change["patch"]) == ("kube-system", "create", True)
    assert change["after"]["metadata"]["labels"][f"{PREFIX}enforce"] == "privileged"
