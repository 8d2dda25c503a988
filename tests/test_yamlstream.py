"""Reading a stack file from the parser's events (clusterstack/stack/yamlstream.py) gives what the
careful reader (compose, check every node, construct: yamlfile.py) gives, or gives way to it: for every
document the careful reader refuses, ``read_values`` is UNSURE (so the refusal, its key path, line and
wording, are the careful reader's own); for every other one it is UNSURE or the very same values, of
the very same types, aliases the same objects. Honest stacks (the shipped ones, anchors used the usual
way, 10,000 namespaces written out) are read the fast way, without a node tree."""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml

from clusterstack.errors import ClusterstackError
from clusterstack.kube.paths import dotted
from clusterstack.stack import yamlfile
from clusterstack.stack.yamlfile import MAX_DEPTH, MAX_DIGITS, _read_carefully, parse_yaml, text_bound, value_bound
from clusterstack.stack.yamlstream import UNSURE, read_values
from tests.conftest import REPO
from tests.test_yamlfile import TENANT, laughs

LOADER = yamlfile._LOADER


def fast(text: str) -> Any:
    size = len(text.encode("utf-8", "surrogatepass"))
    most = (value_bound(size), text_bound(size)) if "*" in text else None
    return read_values(text, LOADER, most, MAX_DEPTH, MAX_DIGITS)


def careful(text: str) -> tuple[str, Any]:
    """("values", the values) or ("refused", the problems as a user reads them, or what was raised:
    ``!!int 'x'`` and ``!!bool maybe`` fail in PyYAML's constructor, and does as it did before the fast reader)."""
    try:
        return "values", _read_carefully(text, len(text.encode("utf-8", "surrogatepass")), "stacks/Pulumi.dev.yaml", dotted)
    except ClusterstackError as error:
        return "refused", [str(problem) for problem in error.problems]
    except (ValueError, KeyError) as error:
        return "refused", [repr(error)]


def same(a: Any, b: Any) -> bool:
    """Equal, of the same types all the way down, keys in the same order (True == 1 is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) or (a != a and b != b)  # a NaN is itself


def agrees(text: str) -> Any:
    """The fast reader's answer, once checked against the careful reader's."""
    got = fast(text)
    outcome, expected = careful(text)
    if outcome == "refused":
        assert got is UNSURE, f"read a document the careful reader refuses ({expected}): {text!r}"
    elif got is not UNSURE:
        assert same(got, expected), f"{got!r} != {expected!r} for {text!r}"
    return got


def nested(depth: int, leaf: str = "1", *, lists: bool = False) -> str:
    """A value ``depth`` levels below the root (the root is level 0)."""
    return ("[" * depth + leaf + "]" * depth) if lists else ("{a: " * depth + leaf + "}" * depth)


# An anchor's value whose deepest part comes before a shallow one, used where that part is too deep.
DEEP_THEN_SHALLOW = f"a: &x {{b: {{c: {{d: 1}}}}, e: {{}}}}\nz: {nested(MAX_DEPTH - 3, '*x')}\n"

# Each a document the careful reader refuses, or one where the fast reader could slip.
TRICKY = [
    "", "---\n", "~\n", "null\n", "--- 1\n", "plain\n", "[1, 2]\n", "'quoted'\n",
    "a: 1\na: 2\n", "a: {b: 1, b: 2}\n", "1: a\n", "~: a\n", "no: a\n", "'no': a\n", "!!str 1: a\n",
    "? [a]\n: b\n", "? {a: 1}\n: b\n", "? a\n: 1\n", "<<: {a: 1}\n", "a: {<<: {b: 1}}\n", "=: a\n", "a: =\n",
    "a: !!binary aGVsbG8=\n", "a: 2024-01-01\n", "a: '2024-01-01'\n", "a: !!str 2024-01-01\n", "a: !!timestamp x\n",
    "a: !!int '12'\n", "a: !!int 'x'\n", "a: !!bool maybe\n", "a: !!bool 'yes'\n", "a: !!float '1.5'\n", "a: !!null ''\n",
    "a: .inf\n", "a: -.Inf\n", "a: .NaN\n", "a: 1.5e3\n", "a: -0.0\n", "a: 1e400\n",
    "a: 12345678901234567890\n", "a: 123456789012345678901\n", "a: -123_456_789_012_345_678_901\n",
    "a: 0x1F\n", "a: 0o17\n", "a: 017\n", "a: 0b101\n", "a: 1_000\n", "a: 1:30\n", "a: 190:20:30.15\n", "a: +12\n",
    "a: yes\n", "a: No\n", "a: on\n", "a: OFF\n", "a: y\n", "a: true\n", "a: True\n", "a: TRUE\n", "a: ''\n", "a:\n", "a: ~\n",
    "a: ! 12\n", "a: ! yes\n", "a: !custom x\n", "a: !custom {b: 1}\n", "a: !!map {b: 1}\n", "a: ! {b: 1}\n",
    "a: !!seq [1]\n", "a: ! [1]\n", "a: !!omap [{b: 1}]\n", "a: !!set {b}\n", "a: !!pairs [{b: 1}]\n", "a: !!map [1]\n",
    "a: !!python/object:os.system x\n", "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
    "%TAG !e! tag:yaml.org,2002:\n---\na: !e!str 1\n",
    "a: &x 1\nb: *x\n", "a: &x [1, 2]\nb: *x\nc: *x\n", "a: &x {b: 1}\nc: [*x, *x]\n", "a: &x [1, *x]\n",
    "a: &x {b: *x}\n", "b: *x\n", "a: &x 1\nb: &x 2\n", "a: &x 1\nb: &x 2\nc: *x\n", "&x a: 1\nb: *x\n", "&x a: 1\n*x : 2\n",
    "a: &x b\n*x : 1\n", "--- 1\n--- 2\n", "a: 1\n---\n", "a: 1\n...\n", "a: [1, 2\n", "a: 'x\n", "a: b\n  c: d\n", "\t- a\n",
    "a: \"\\ud800\"\n", "a: é\n", "a: \"\\U0001F600\"\n", "é: ü\n", "a: |\n  line\n  line\n", "a: >\n  folded\n  text\n",
    "a: 'it''s'\n", "a: \"tab\\there\"\n", "- a\n- b: 1\n  c: [x, {d: e}]\n", "a: [\"*\", '*.example.com']\n",
    "a: b*c\n", "a: {}\nb: []\n", "a: [{}, [], '', ~]\n",
    nested(MAX_DEPTH), nested(MAX_DEPTH + 1), nested(MAX_DEPTH - 1), nested(MAX_DEPTH, lists=True), nested(MAX_DEPTH + 1, lists=True),
    nested(MAX_DEPTH, "{}"), nested(MAX_DEPTH, "[]"), nested(MAX_DEPTH - 1, "{}"), nested(MAX_DEPTH, "[]", lists=True),
    # An anchor defined shallow and used deep: the careful reader may meet it first at either place.
    f"a: &x {nested(3)}\nb: {nested(MAX_DEPTH - 3, '*x')}\n", f"a: &x {nested(3)}\nb: {nested(MAX_DEPTH - 4, '*x')}\n",
    f"b: {nested(MAX_DEPTH - 4, '&x {a: {a: {a: 1}}}')}\nc: *x\n", f"b: {nested(MAX_DEPTH - 3, '&x [[1]]')}\nc: {nested(MAX_DEPTH - 1, '*x')}\n",
    f"a: &x 1\nb: {nested(MAX_DEPTH - 1, '*x')}\n", f"a: &x []\nb: {nested(MAX_DEPTH - 1, '*x')}\n",
    DEEP_THEN_SHALLOW,
    laughs(6, 10, "lol"), laughs(3, 10, "x" * 1000) + "  more: [" + ", ".join(["*l3"] * 10) + "]\n", laughs(2, 3, "ok"),
]


@pytest.mark.parametrize("text", TRICKY)
def test_a_tricky_document_is_read_as_the_careful_reader_reads_it_or_left_to_it(text: str):
    agrees(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n", "1: a\n", "<<: {a: 1}\n", "a: 2024-01-01\n", "a: .inf\n", "a: 123456789012345678901\n", "a: !custom x\n",
        "a: &x [1, *x]\n", "b: *x\n", "a: &x 1\nb: &x 2\n", "--- 1\n--- 2\n", "a: [1, 2\n", nested(MAX_DEPTH + 1),
        f"a: &x {nested(3)}\nb: {nested(MAX_DEPTH - 3, '*x')}\n", DEEP_THEN_SHALLOW, laughs(6, 10, "lol"),
    ],
)
def test_what_the_careful_reader_refuses_is_left_to_it(text: str):
    """Not merely agreeing: each of these is refused, and the fast reader did not answer."""
    assert careful(text)[0] == "refused"
    assert fast(text) is UNSURE


@pytest.mark.parametrize(
    "text",
    [
        "", "a: 1\n", "a: [1, 2.5, true, ~, 'x', 0x1F, 1_000]\n", "a: yes\n", nested(MAX_DEPTH), nested(MAX_DEPTH, lists=True),
        "a: &x {b: 1}\nc: [*x, *x]\n", f"a: &x 1\nb: {nested(MAX_DEPTH - 1, '*x')}\n", laughs(2, 3, "ok"), "a: 12345678901234567890\n",
        "a: \"\\U0001F600\"\n", "a: !!str 2024-01-01\n", "a: !!int '12'\n", "!!str 1: a\n", "a: ! yes\n",
    ],
)
def test_honest_documents_are_read_the_fast_way(text: str):
    assert agrees(text) is not UNSURE


def test_an_alias_is_the_same_object_as_its_anchors_value_as_when_constructed():
    text = "a: &x {b: [1]}\nc: [*x, *x]\n"
    got = agrees(text)
    assert got["c"][0] is got["a"]
    assert got["c"][1] is got["a"]
    constructed = yaml.load(text, Loader=LOADER)
    assert constructed["c"][0] is constructed["a"]


def _random_value(rng: random.Random, depth: int, anchors: list[str]) -> str:
    """A flow-style YAML value: maps, lists, scalars YAML reads in many ways, anchors and aliases."""
    scalars = ["1", "-2", "0x1F", "1.5", "1e3", ".inf", "yes", "No", "~", "null", "''", "'x'", "\"y\"", "a b", "2024-01-01", "!!str 5",
               "!!int '7'", "!custom z", "=", "12345678901234567890123", "500m", "4Gi", "é", "'*'"]  # fmt: skip
    roll = rng.random()
    anchor = ""
    if rng.random() < 0.1:
        anchor = f"&a{len(anchors)} "
    if anchors and roll < 0.08:
        return f"*{rng.choice(anchors)}"
    if depth <= 0 or roll < 0.45:
        value = anchor + rng.choice(scalars)
    elif roll < 0.75:
        keys = [rng.choice(["a", "b", "c", "1", "no", "<<", "'k'", "d e"]) for _ in range(rng.randrange(0, 4))]
        value = anchor + "{" + ", ".join(f"{k}: {_random_value(rng, depth - 1, anchors)}" for k in keys) + "}"
    else:
        value = anchor + "[" + ", ".join(_random_value(rng, depth - 1, anchors) for _ in range(rng.randrange(0, 4))) + "]"
    if anchor:
        anchors.append(anchor[1:-1])
    return value


def test_random_documents_agree_with_the_careful_reader():
    """2,000 documents from a fixed seed: whatever each holds, the two readers do not disagree, and the
    fast reader answers for a fair share of them (it is not merely always unsure)."""
    rng = random.Random(23)
    answered = 0
    for _ in range(2000):
        text = "config: " + _random_value(rng, rng.randrange(1, 6), []) + "\n"
        answered += agrees(text) is not UNSURE
    assert answered > 300


def test_the_shipped_stacks_and_examples_are_read_the_fast_way():
    files = sorted({*REPO.glob("stacks/*.yaml"), *REPO.glob("examples/*/stacks/*.yaml"), *REPO.glob("examples/*/Pulumi*.yaml"), REPO / "Pulumi.yaml"})
    assert len(files) > 5
    for path in files:
        text = path.read_text()
        assert agrees(text) is not UNSURE, path


def test_a_10000_namespace_stack_is_read_without_a_node_tree():
    """6 MB written out: the node tree alone was about 190 MiB (two position marks per key and value);
    the values, each distinct string once, are a few times the file's size."""
    text = "config:\n  clusterstack:namespaces:\n" + "".join(TENANT.format(n=n) for n in range(10_000))
    data = text.encode()
    tracemalloc.start()
    try:
        loaded = parse_yaml(data, "stacks/Pulumi.bench.yaml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert same(loaded, yaml.load(text, Loader=LOADER))
    assert peak < 8 * len(data), f"{peak:,} bytes at the peak for a {len(data):,}-byte file"


def test_a_refusal_is_worded_by_the_careful_reader(tmp_path: Path):
    """The fast reader gives way, and the problem names the file, the key path and the lines."""
    with pytest.raises(ClusterstackError) as caught:
        parse_yaml(b"config:\n  clusterstack:namespaces:\n    a: {}\n    a: {}\n", "stacks/Pulumi.dev.yaml")
    (problem,) = caught.value.problems
    assert str(problem) == (
        "stacks/Pulumi.dev.yaml: config.clusterstack:namespaces.a: appears twice in one map (lines 3 and 4); "
        "YAML would silently keep the second: keep one"
    )
