"""Manifests as text (clusterstack/kube/serialize.py): YAML with sorted keys, block style, a multi-line
string (a Corefile) as a literal block and no anchors; JSON indented with sorted keys; several
manifests as a multi-document YAML stream or one ``v1 List``; the same input gives the same bytes."""

from __future__ import annotations

import json

import pytest
import yaml

from clusterstack.kube.serialize import FORMATS, Loader, dump, to_json, to_yaml

CONFIG_MAP = {
    "kind": "ConfigMap",
    "apiVersion": "v1",
    "metadata": {"namespace": "kube-system", "name": "coredns"},
    "data": {"Corefile": ".:53 {\n    errors\n    forward . /etc/resolv.conf\n}\n"},
}


def test_yaml_sorts_keys_and_writes_a_multi_line_string_as_a_literal_block():
    text = to_yaml(CONFIG_MAP)
    assert text.splitlines()[0] == "apiVersion: v1"
    assert [line.split(":")[0] for line in text.splitlines() if not line.startswith(" ")] == ["apiVersion", "data", "kind", "metadata"]
    assert "  Corefile: |\n    .:53 {\n        errors\n" in text
    assert yaml.safe_load(text) == CONFIG_MAP


def test_yaml_repeats_a_shared_value_instead_of_an_anchor():
    limits = {"cpu": "1"}
    text = to_yaml({"a": limits, "b": limits})
    assert "&" not in text
    assert "*" not in text
    assert yaml.safe_load(text) == {"a": {"cpu": "1"}, "b": {"cpu": "1"}}


def test_yaml_keeps_long_lines_and_unicode_as_written():
    value = "é" + "x" * 300
    text = to_yaml({"k": value})
    assert text == f"k: {value}\n"


def test_json_is_indented_sorted_and_ends_with_a_newline():
    text = to_json({"b": 1, "a": ["é"]})
    assert text == '{\n  "a": [\n    "é"\n  ],\n  "b": 1\n}\n'


def test_several_manifests_are_a_yaml_stream_or_a_json_list():
    second = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    stream = dump([CONFIG_MAP, second], "yaml")
    assert list(yaml.safe_load_all(stream)) == [CONFIG_MAP, second]
    assert stream.count("---\n") == 1
    assert json.loads(dump(iter([CONFIG_MAP, second]), "json")) == {"apiVersion": "v1", "kind": "List", "items": [CONFIG_MAP, second]}
    assert FORMATS == ("yaml", "json")


def test_the_same_input_gives_the_same_bytes():
    assert dump([CONFIG_MAP], "yaml") == dump([dict(reversed(list(CONFIG_MAP.items())))], "yaml")
    assert dump([CONFIG_MAP], "json") == dump([dict(reversed(list(CONFIG_MAP.items())))], "json")


BAD_TAGS = ["!!int x", "!!int 0x", "!!float 1e", "!!bool maybe", "!!timestamp soon"]


@pytest.mark.parametrize("text", BAD_TAGS)
def test_a_tag_its_text_cannot_be_read_as_is_a_yaml_error_at_its_line(text):
    """PyYAML's constructors let ValueError, KeyError or AttributeError out of ``!!int x``; every
    reader of YAML here catches YAMLError, so the loader turns those into one, at the value's line."""
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        yaml.load(f"a:\n  b: {text}\n", Loader=Loader)
    assert f"{text.split()[1]!r} is not a {text.split()[0]} value" in str(caught.value)
    assert caught.value.problem_mark is not None
    assert caught.value.problem_mark.line == 1


def test_the_loader_reads_everything_else_as_the_safe_loader_does():
    text = "a: 1\nb: 1.5\nc: yes\nd: 2001-01-01\ne: !!int '12'\nf: !!float 2\ng: !!bool false\nh: !!str 3\ni: ~\nj: [1, 0x1f, .inf]\n"
    assert yaml.load(text, Loader=Loader) == yaml.safe_load(text)
