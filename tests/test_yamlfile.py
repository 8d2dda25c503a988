"""What a stack file may expand to through YAML aliases (clusterstack/stack/yamlfile.py): at most
100,000 values and 4 MiB of text, counted without expanding; refused with the file named, at once.
A stack that uses anchors the usual way (one set of limits shared by several tenants) still loads."""

from __future__ import annotations

import pytest

from clusterstack.errors import ClusterstackError
from clusterstack.stack.yamlfile import MAX_BYTES, MAX_EXPANDED_BYTES, parse_yaml


def laughs(levels: int, width: int, leaf: str) -> str:
    """The billion-laughs shape: each level a list of ``width`` aliases of the level below."""
    lines = ["config:", f"  l0: &l0 \"{leaf}\""]
    for level in range(1, levels + 1):
        lines.append(f"  l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def refusal(text: str) -> str:
    with pytest.raises(ClusterstackError) as caught:
        parse_yaml(text.encode(), "stacks/Pulumi.dev.yaml")
    (problem,) = caught.value.problems
    return str(problem)


def test_long_strings_multiplied_by_aliases_are_refused_by_their_size():
    """1,111 values, well under the value count, but 10,000 copies of 1 KiB: 10 MB of text."""
    text = laughs(3, 10, "x" * 1000) + "  more: [" + ", ".join(["*l3"] * 10) + "]\n"
    assert len(text) < 20_000
    message = refusal(text)
    assert message.startswith("stacks/Pulumi.dev.yaml: expands to ")
    assert f"bytes of text through its YAML aliases (at most {MAX_EXPANDED_BYTES:,}, 4 MiB)" in message


def test_the_620_kib_reproduction_is_refused_at_once():
    """The issue's shape: a 620 KiB file that expanded to 295 MB of target, state and cache."""
    leaf = "y" * 600_000
    text = laughs(2, 22, leaf)
    assert MAX_BYTES > len(text) > 600_000
    message = refusal(text)  # counted, not expanded (290 MB would take minutes and the memory)
    assert "bytes of text through its YAML aliases" in message


def test_many_short_values_are_still_refused_by_their_count():
    assert "values through its YAML aliases (at most 100,000)" in refusal(laughs(6, 10, "lol"))


def test_a_stack_using_anchors_the_usual_way_loads():
    text = """config:
  clusterstack:namespaces:
    payments:
      quota: &quota {requests.cpu: "4", requests.memory: 8Gi, pods: "30"}
      limits: &limits
        container: {default: {cpu: 500m, memory: 512Mi}, defaultRequest: {cpu: 100m, memory: 128Mi}}
    checkout: {quota: *quota, limits: *limits}
    search: {quota: *quota, limits: *limits}
"""
    loaded = parse_yaml(text.encode(), "stacks/Pulumi.dev.yaml")
    tenants = loaded["config"]["clusterstack:namespaces"]
    assert tenants["search"] == tenants["payments"]
    assert tenants["checkout"]["quota"]["pods"] == "30"


def test_text_just_under_the_bound_loads():
    """A long value aliased a few times, exactly 4 MiB in all: admitted; one byte more is refused."""
    keys = len("config") + len("a") + len("b")
    leaf = "z" * ((MAX_EXPANDED_BYTES - keys) // 5)
    pad = MAX_EXPANDED_BYTES - keys - 5 * len(leaf)
    text = f'config:\n  a: &a "{leaf}"\n  b: [*a, *a, *a, *a, "{"p" * pad}"]\n'
    loaded = parse_yaml(text.encode(), "stacks/Pulumi.dev.yaml")
    assert loaded["config"]["b"][3] == leaf
    assert "bytes of text" in refusal(text.replace('"]', 'p"]'))


def test_a_value_that_holds_itself_is_refused_without_looping():
    assert "contains itself through a YAML alias" in refusal("config:\n  a: &a [1, [*a]]\n")
