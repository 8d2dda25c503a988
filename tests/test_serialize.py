"""Manifests as text (clusterstack/kube/serialize.py): YAML with sorted keys, block style, a multi-line
string (a Corefile) as a literal block and no anchors; JSON indented with sorted keys; several
manifests as a multi-document YAML stream or one ``v1 List``; the same input gives the same bytes; and
the YAML laid out without the library's representer is byte for byte the library's."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
import yaml

from clusterstack.kube.serialize import FORMATS, Loader, _library_yaml, dump, to_json, to_yaml

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


# to_yaml lays out plain manifests itself and must write the very text of the YAML library's emitter
# (_library_yaml); these strings are the ones libyaml's emitter.c (yaml_emitter_analyze_scalar) and
# PyYAML's resolver treat apart: indicators, words read as other types, spaces, breaks (U+2028 too),
# non-ASCII, keys past a simple key's 128 characters, lines past the 1000-column width.
AWKWARD = [
    "", " ", "a", "true", "True", "yes", "no", "on", "OFF", "null", "Null", "~", "1", "-1", "+1", "0x1f", "0o7", "0b1", "1_000", "1.5",
    "1e3", ".inf", ".nan", "1:20", "2001-12-14", "=", "<<", "-", "-a", "- a", "a b", "a: b", "a:b", "a #b", "#a", "&a", "*a", "!a", "|a",
    "> a", "'q'", '"q"', "%a", "@a", "`a", "?a", "? a", ":a", "a:", "a,b", "[a]", "{a}", "é", "ü x", "x\ny", "x\n", "\ty", "a\tb", "x ",
    " x", "---", "...", "--- a", "a\x85b", "a\u2028b", "\x07", "500m", "8Gi", "team-0001", "app.kubernetes.io/name", "10.96.0.10",
    "fe80::/10", "_a", "/etc/x", "0", "a" * 150, ("word " * 250).strip(), "x" * 1200,
]
SCALARS = [*AWKWARD, 0, 1, -5, 10**30, True, False, None, 1.0, 0.5, 1e20, -0.0, float("inf")]


def _random_document(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.4:
        return rng.choice(SCALARS)
    if roll < 0.7:
        return {rng.choice([*AWKWARD, "k0", "k1", "k2"]): _random_document(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    return [_random_document(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def test_yaml_is_the_librarys_text_for_every_shape_and_awkward_scalar():
    rng = random.Random(23)
    for _ in range(3000):
        document = {rng.choice([*AWKWARD, "k"]): _random_document(rng) for _ in range(rng.randint(1, 5))}
        assert to_yaml(document) == _library_yaml(document), document


def test_yaml_is_the_librarys_text_at_the_line_width():
    for length in range(990, 1006):
        for value in ["a b" * (length // 3) + "x" * (length % 3), "x" * (length - 1) + " y", "é " * (length // 2)]:
            for document in ({"k": value}, {"kk": {"k": [value]}}, {"a": [{"bbb": {"c": value}}]}, {value[:90]: value}):
                assert to_yaml(document) == _library_yaml(document)


def test_yaml_of_other_types_is_the_librarys_own():
    class Name(str):
        pass

    assert to_yaml({"a": (1, 2), "b": {3}}) == _library_yaml({"a": (1, 2), "b": {3}}) == "a:\n- 1\n- 2\nb: !!set\n  3: null\n"
    with pytest.raises(yaml.representer.RepresenterError):
        to_yaml({"a": Name("x")})


def test_yaml_lays_out_each_collection_as_the_library_does():
    document = {"b": [{"x": 1, "a": [1, [2, {}], []]}, [[3]], {}], "a": {"c": {"d": None}, "e": []}, "c": True}
    assert to_yaml(document) == (
        "a:\n  c:\n    d: null\n  e: []\n"
        "b:\n- a:\n  - 1\n  - - 2\n    - {}\n  - []\n  x: 1\n- - - 3\n- {}\n"
        "c: true\n"
    )
    assert to_yaml(document) == _library_yaml(document)
