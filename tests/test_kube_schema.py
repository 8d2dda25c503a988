"""Manifests against the official Kubernetes schemas (clusterstack/kube/schema.py): the versions are
those kubernetes-validate bundles, oldest first, the default among them; a valid object has no
finding; an unknown field (strict mode) or a wrong type is found at its path inside the manifest,
naming the schema's version; an unknown kind is a finding, not a crash."""

from __future__ import annotations

from clusterstack.kube.schema import DEFAULT_KUBERNETES_VERSION, schema_problems, supported_versions

NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}


def test_the_bundled_versions_are_sorted_by_number_and_hold_the_default():
    versions = supported_versions()
    assert DEFAULT_KUBERNETES_VERSION in versions
    numbers = [tuple(map(int, v.split("."))) for v in versions]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == len(numbers)


def test_a_valid_object_has_no_finding():
    assert list(schema_problems(NAMESPACE)) == []


def test_an_unknown_field_is_found_at_its_path():
    [found] = schema_problems({**NAMESPACE, "metadata": {"name": "team-a", "lables": {}}})
    assert found.path == ("metadata",)
    assert "lables" in found.message
    assert found.message.endswith(f"(Kubernetes {DEFAULT_KUBERNETES_VERSION} schema)")


def test_a_wrong_type_is_found_at_its_path():
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": "eighty"}]}}
    [found] = schema_problems(service)
    assert found.path == ("spec", "ports", 0, "port")


def test_an_unknown_kind_is_a_finding():
    [found] = schema_problems({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    assert found.path == ()
    assert found.message
