"""clusterstack/adopt/dump.py: what ``kubectl get … -o yaml|json`` prints, a manifest, multi-document
YAML and a directory of manifests load as LiveObjects naming their source; every bad input is one
ClusterstackError naming the file and the object, never a traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clusterstack.adopt.dump import LiveObject, load
from clusterstack.errors import ClusterstackError

NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments"}}
QUOTA = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "compute", "namespace": "payments"}, "spec": {"hard": {"pods": "5"}}}
LIST_YAML = """\
apiVersion: v1
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    creationTimestamp: "2024-01-01T00:00:00Z"
    name: payments
- apiVersion: v1
  kind: ResourceQuota
  metadata:
    name: compute
    namespace: payments
  spec:
    hard:
      pods: "5"
kind: List
metadata:
  resourceVersion: ""
"""


def _errors(paths: list[Path]) -> list[str]:
    with pytest.raises(ClusterstackError) as raised:
        load(paths)
    return [str(problem) for problem in raised.value.problems]


def test_a_kubectl_list_in_yaml_gives_each_item_with_its_index(tmp_path):
    dump = tmp_path / "dump.yaml"
    dump.write_text(LIST_YAML)
    objects = load([dump])
    assert [o.source for o in objects] == [f"{dump}#0", f"{dump}#1"]
    assert [o.describe() for o in objects] == [f"Namespace payments ({dump}#0)", f"ResourceQuota payments/compute ({dump}#1)"]
    assert (objects[1].kind, objects[1].namespace, objects[1].name) == ("ResourceQuota", "payments", "compute")


def test_json_and_typed_lists_load_as_yaml_does(tmp_path):
    dump = tmp_path / "dump.json"
    dump.write_text(json.dumps({"apiVersion": "v1", "kind": "NamespaceList", "items": [NAMESPACE]}, indent=2))
    assert load([dump]) == [LiveObject(f"{dump}#0", NAMESPACE)]


def test_a_single_manifest_is_named_by_its_file_alone_and_documents_by_index(tmp_path):
    one = tmp_path / "ns.yaml"
    one.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: payments}\n")
    many = tmp_path / "many.yml"
    many.write_text("---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n---\n")
    assert [o.source for o in load([one, many])] == [str(one), f"{many}#0", f"{many}#1"]


def test_an_empty_list_gives_nothing(tmp_path):
    dump = tmp_path / "empty.yaml"
    dump.write_text("apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ''\n")
    assert load([dump]) == []


def test_a_directory_is_read_recursively_in_sorted_order_skipping_hidden_and_other_files(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "b" / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n")
    (tmp_path / "a" / "z.json").write_text(json.dumps({**NAMESPACE, "metadata": {"name": "a"}}))
    (tmp_path / "a" / "README.md").write_text("not a manifest")
    (tmp_path / ".git" / "x.yaml").write_text("not: read")
    assert [o.name for o in load([tmp_path])] == ["a", "b"]


def test_a_symlink_out_of_the_directory_is_refused_and_a_linked_directory_not_entered(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: secret}\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: mine}\n")
    os.symlink(outside, repo / "linked-dir")
    os.symlink(repo / "ns.yaml", repo / "inside.yaml")
    assert _errors([repo]) == [f"{repo}/ns.yaml: Namespace mine: is the same object as Namespace mine ({repo}/inside.yaml); keep one of them"]
    (repo / "inside.yaml").unlink()
    os.symlink(outside / "ns.yaml", repo / "out.yaml")
    assert _errors([repo]) == [f"{repo}/out.yaml: is a symlink out of {repo}; it is not read (copy the manifest in instead)"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1,\n", "is not valid YAML or JSON: line 2, column 1: "),  # then libyaml's or PyYAML's own words
        ("just text\n", "is text, not a Kubernetes object (a map with apiVersion, kind and metadata.name)"),
        ("- 1\n- 2\n", "is a list, not a Kubernetes object (a map with apiVersion, kind and metadata.name)"),
        ("kind: Namespace\nmetadata: {name: a}\n", "has no apiVersion: not a Kubernetes object; give what kubectl get -o yaml printed"),
        ("apiVersion: v1\nkind: Namespace\nmetadata: {generateName: a-}\n", "Namespace has no metadata.name; a generateName alone names no object to adopt"),
        ("apiVersion: v1\nkind: List\nitems: {a: 1}\n", "items: is dict, not a list of objects"),
    ],
)
def test_bad_input_names_the_file(tmp_path, text, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    [error] = _errors([bad])
    assert error.startswith(f"{bad}: {message}")
    assert error == f"{bad}: {message}" or message.endswith(": ")


def test_an_item_that_is_not_an_object_is_named_by_its_index(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n- 7\n")
    assert _errors([bad]) == [f"{bad}#1: is a number, not a Kubernetes object (a map with apiVersion, kind and metadata.name)"]


def test_two_objects_with_one_identity_are_refused_naming_both(tmp_path):
    first = tmp_path / "one.yaml"
    first.write_text(json.dumps(QUOTA))
    second = tmp_path / "two.yaml"
    second.write_text(json.dumps(QUOTA))
    assert _errors([first, second]) == [
        f"{second}: ResourceQuota payments/compute: is the same object as ResourceQuota payments/compute ({first}); keep one of them"
    ]


def test_missing_paths_binary_files_and_empty_directories_are_named(tmp_path):
    binary = tmp_path / "disk.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _errors([tmp_path / "nope.yaml", binary, empty]) == [
        f"{tmp_path}/nope.yaml: does not exist; give a file kubectl get -o yaml wrote, or a directory of manifests",
        f"{binary}: is not UTF-8 text (byte 0); give what kubectl get -o yaml or -o json printed",
        f"{empty}: holds no manifest (no file ending in .yaml, .yml, .json)",
    ]


def test_a_device_or_a_pipe_is_refused_not_read(tmp_path):
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    assert _errors([Path("/dev/zero"), pipe]) == [
        "/dev/zero: is not a file or a directory; give a file kubectl get -o yaml wrote, or a directory of manifests",
        f"{pipe}: is not a file or a directory; give a file kubectl get -o yaml wrote, or a directory of manifests",
    ]
