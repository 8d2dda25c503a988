"""clusterstack/kube/live.py (STUB until i24-live's normalisation lands): status and the metadata the
API server sets are taken away; the input is left as it was."""

from __future__ import annotations

from clusterstack.kube.live import normalised


def test_server_metadata_and_status_go_intent_stays():
    body = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "a",
            "uid": "u",
            "resourceVersion": "1",
            "creationTimestamp": "2024-01-01T00:00:00Z",
            "managedFields": [{}],
            "labels": {"kubernetes.io/metadata.name": "a", "team": "x"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
        },
        "status": {"phase": "Active"},
    }
    assert normalised(body) == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {"team": "x"}}}
    assert body["status"] == {"phase": "Active"}
