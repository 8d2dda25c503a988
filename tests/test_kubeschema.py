"""Rendered objects against the official Kubernetes schemas, as ``validate`` reports them
(clusterstack/analysis/kubeschema.py): one line per finding, naming the object, the key path (or
"(top level)") and what the schema says; a Kubernetes version without bundled schemas is a user error
listing the ones there are. The schemas themselves are tests/test_kube_schema.py's."""

from __future__ import annotations

import pytest

from clusterstack.analysis.kubeschema import check, require_supported, supported_versions
from clusterstack.errors import ClusterstackError
from clusterstack.kube.kinds import ObjectKey
from clusterstack.kube.schema import DEFAULT_KUBERNETES_VERSION


def objects(*manifests):
    return [(ObjectKey.of(m), m) for m in manifests]


def test_valid_objects_give_no_line():
    assert check(objects({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}), DEFAULT_KUBERNETES_VERSION) == []


def test_each_finding_names_the_object_and_the_key_path():
    bad_port = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "a"}, "spec": {"ports": [{"port": "eighty"}]}}
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    lines = check(objects(bad_port, widget), DEFAULT_KUBERNETES_VERSION)
    assert len(lines) == 2
    assert lines[0].startswith("Service a/web: spec.ports.0.port: ")
    assert lines[1].startswith("Widget.example.com w: (top level): ")


def test_a_version_without_schemas_is_a_user_error_listing_those_there_are():
    require_supported(DEFAULT_KUBERNETES_VERSION)
    with pytest.raises(ClusterstackError) as raised:
        require_supported("1.12")
    assert str(raised.value) == f"Kubernetes 1.12 has no bundled schemas; choose one of {', '.join(supported_versions())}"
