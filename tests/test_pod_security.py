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
from clusterstack.kube.schema import schema_problems
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
        assert list(schema_problems(default, version)) == []


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


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        # pod-security-admission's admission_test.go: "create malformed level" and "create malformed version"
        ({f"{PREFIX}enforce": "strict"}, f'labels.{PREFIX}enforce: Invalid value: "strict": must be one of privileged, baseline, restricted'),
        ({f"{PREFIX}enforce": "baseline", f"{PREFIX}enforce-version": "v1.034"}, f'labels.{PREFIX}enforce-version: Invalid value: "v1.034": must be "latest" or "v1.x"'),
    ],
)
def test_hand_written_pod_security_labels_must_parse_as_the_admission_plugin_parses_them(labels, message):
    assert tenant_problems(labels=labels) == [message]
    found = problems(existingNamespaces={"default": {"labels": labels}})
    assert found == [f"{STACK_FILE}: clusterstack:existingNamespaces.default.{message}"]


def test_a_version_without_a_leading_zero_is_the_only_spelling():
    assert tenant_problems(podSecurity={"enforce": "baseline", "version": "v1.034"})[0].startswith("podSecurity.version: 'v1.034' is not a Pod Security version")
    assert tenant_problems(podSecurity={"enforce": "baseline", "version": "v1.0"}) == []


def test_a_version_newer_than_the_cluster_is_warned_about():
    loaded = load(
        {"team": {"podSecurity": {"enforce": "restricted", "warn": "restricted", "version": "v1.35", "warnVersion": "latest"}}},
        cluster={"kubernetesVersion": "1.34"},
    )
    [warning] = [str(w) for w in loaded.warnings if "podSecurity" in str(w)]
    assert warning == (
        f"{STACK_FILE}: clusterstack:namespaces.team.podSecurity.version: v1.35 is newer than the cluster (1.34): enforce applies the "
        "cluster's latest until the cluster reaches it, so upgrades on the way change what is checked; pin v1.34"
    )


def test_kube_system_must_admit_the_host_network_add_ons_the_stack_runs_there():
    assert problems(existingNamespaces={"kube-system": {"podSecurity": "baseline"}}, ipMasq={}, dns={"nodeLocal": {}}) == [
        (f"{STACK_FILE}: clusterstack:existingNamespaces.kube-system.podSecurity.enforce: baseline refuses the pods of node-local-dns "
        "(dns.nodeLocal), ip-masq-agent (ipMasq), which this stack runs in kube-system on the host network with NET_ADMIN (only "
        "privileged admits host namespaces and added capabilities); enforce privileged there")
    ]
    warned = [str(w) for w in load(existingNamespaces={"kube-system": {"podSecurity": "restricted"}}).warnings]
    assert any("kube-proxy, the CNI's agents and other node add-ons run on the host network" in w for w in warned)


def test_a_pod_security_that_sets_no_mode_is_pointed_out():
    warned = [str(w) for w in load({"team": {"podSecurity": {"version": "v1.34"}}}).warnings]
    assert f"{STACK_FILE}: clusterstack:namespaces.team.podSecurity: sets no mode (enforce, audit or warn), so no Pod Security label is written and the cluster's default applies" in warned
    assert problems(existingNamespaces={"default": {"podSecurity": {}}}) == [
        f"{STACK_FILE}: clusterstack:existingNamespaces.default: sets nothing; give podSecurity or labels, or remove the namespace"
    ]
