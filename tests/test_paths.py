"""Key paths (clusterstack/kube/paths.py): ``dotted`` names a path as messages and plans show it, keys
joined by dots and list indexes in brackets, whatever the path starts with."""

from __future__ import annotations

import pytest

from clusterstack.kube.paths import dotted


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("spec",), "spec"),
        (("spec", "ports", 0, "port"), "spec.ports[0].port"),
        ((0, "name"), "[0].name"),
        (("items", 2, 1), "items[2][1]"),
        (("namespaces", "payments", "quota", "pods"), "namespaces.payments.quota.pods"),
        (("data", "a.b"), "data.a.b"),
    ],
)
def test_a_path_reads_as_messages_show_it(path, text):
    assert dotted(path) == text
