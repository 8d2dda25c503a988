"""Object identity and apply order (clusterstack/kube/kinds.py): kinds rank as lightkube and Helm apply
them (what others depend on first, custom resources last); an ObjectKey is read from a manifest by API
group, kind, namespace and name (and the cluster), sorts by cluster then rank, round-trips through
JSON (``cluster`` only when there is one) and prints as messages name objects."""

from __future__ import annotations

from clusterstack.kube.kinds import KIND_ORDER, ObjectKey, kind_rank


def test_what_others_depend_on_is_applied_first_and_custom_resources_last():
    assert kind_rank("CustomResourceDefinition") < kind_rank("Namespace") < kind_rank("ServiceAccount") < kind_rank("RoleBinding")
    assert kind_rank("ConfigMap") < kind_rank("Deployment") < kind_rank("NetworkPolicy")
    assert kind_rank("Certificate") == kind_rank("Widget") == len(KIND_ORDER)


def test_a_key_is_read_from_a_manifest_by_group_kind_namespace_and_name():
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "team-a"}}
    assert ObjectKey.of(deployment) == ObjectKey("apps", "Deployment", "team-a", "web")
    assert ObjectKey.of({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}) == ObjectKey("", "Namespace", "", "team-a")
    assert ObjectKey.of(deployment, cluster="east").cluster == "east"


def test_keys_sort_by_cluster_then_apply_order_then_name():
    keys = [
        ObjectKey("apps", "Deployment", "a", "web"),
        ObjectKey("", "Namespace", "", "b"),
        ObjectKey("", "Namespace", "", "a"),
        ObjectKey("", "Namespace", "", "a", cluster="west"),
        ObjectKey("example.com", "Widget", "a", "w"),
    ]
    assert [str(key) for key in sorted(keys, key=ObjectKey.sort_key)] == [
        "Namespace a",
        "Namespace b",
        "Deployment.apps a/web",
        "Widget.example.com a/w",
        "west: Namespace a",
    ]


def test_a_key_round_trips_through_json_with_cluster_only_when_there_is_one():
    plain = ObjectKey("", "ConfigMap", "kube-system", "coredns")
    assert plain.to_json() == {"group": "", "kind": "ConfigMap", "namespace": "kube-system", "name": "coredns"}
    assert ObjectKey.from_json(plain.to_json()) == plain
    pinned = plain._replace(cluster="east")
    assert pinned.to_json()["cluster"] == "east"
    assert ObjectKey.from_json(pinned.to_json()) == pinned
