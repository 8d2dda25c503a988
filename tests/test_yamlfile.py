"""What a stack file may expand to through YAML aliases (clusterstack/stack/yamlfile.py): at most
100,000 values and 4 MiB of text, or twice the file's size where that is more, counted without
expanding; refused with the file named, at once. A stack that uses anchors the usual way (one set of
limits shared by several tenants) still loads, and so does an honest 10,000-namespace stack (6 MB,
half a million values); only the file itself has an absolute cap (64 MiB), read no further than it."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from clusterstack.errors import ClusterstackError
from clusterstack.stack.yamlfile import MAX_BYTES, MAX_EXPANDED_BYTES, MAX_VALUES, parse_yaml, read_bounded, read_yaml


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


# One tenant as a platform team writes it (issue 23's shape: labels, restricted Pod Security, a
# 4-key quota, a container LimitRange, default deny with DNS and same-namespace policies), spelled out.
TENANT = """    team-{n:05d}:
      labels:
        team: bench
      podSecurity: restricted
      quota:
        requests.cpu: '4'
        requests.memory: 8Gi
        limits.cpu: '8'
        limits.memory: 16Gi
      limits:
        container:
          default:
            cpu: 500m
            memory: 512Mi
          defaultRequest:
            cpu: 100m
            memory: 128Mi
          max:
            cpu: '2'
            memory: 4Gi
      networkPolicy:
        defaultDeny:
        - Ingress
        - Egress
        allowDNS: true
        allowSameNamespace: true
"""


def test_a_10000_namespace_stack_written_out_loads():
    """Five times the old 1 MiB cap and five times the old value count, without one alias: admitted."""
    text = "config:\n  clusterstack:namespaces:\n" + "".join(TENANT.format(n=n) for n in range(10_000))
    assert len(text) > 5_000_000
    loaded = parse_yaml(text.encode(), "stacks/Pulumi.bench.yaml")
    tenants = loaded["config"]["clusterstack:namespaces"]
    assert len(tenants) == 10_000
    assert tenants["team-09999"]["quota"]["limits.memory"] == "16Gi"
    assert tenants["team-00000"]["networkPolicy"]["defaultDeny"] == ["Ingress", "Egress"]


def test_many_values_written_out_load_past_the_least_bound():
    """150,001 values written out (over the 100,000 that bound a small file's aliases): admitted."""
    text = "config: [" + ",".join(["1"] * 150_000) + "]\n"
    assert len(parse_yaml(text.encode(), "stacks/Pulumi.dev.yaml")["config"]) == 150_000


def test_aliases_in_a_large_file_are_bounded_by_twice_its_size():
    """A 3 MB value aliased once more fits in twice the file's size; aliased twice more it does not,
    and the message says which bound applied."""
    leaf = "x" * 3_000_000
    once = f'config:\n  a: &a "{leaf}"\n  b: [*a]\n'
    assert parse_yaml(once.encode(), "stacks/Pulumi.dev.yaml")["config"]["b"] == [leaf]
    twice = once.replace("[*a]", "[*a, *a]")
    message = refusal(twice)
    assert f"(at most {2 * len(twice):,}, twice the file's {len(twice):,} bytes)" in message


def test_values_through_aliases_in_a_large_file_are_bounded_by_twice_its_size():
    """50,000 values (100 KB) aliased ten times: 500,000 values, past twice the file's size."""
    text = "config:\n  l0: &l0 [" + ",".join(["1"] * 50_000) + "]\n  l1: [" + ", ".join(["*l0"] * 10) + "]\n"
    message = refusal(text)
    assert message.startswith("stacks/Pulumi.dev.yaml: expands to 500,")
    assert f"values through its YAML aliases (at most {max(MAX_VALUES, 2 * len(text)):,}" in message


def test_a_file_over_the_absolute_cap_is_refused_without_reading_it_all(tmp_path: Path):
    """A 1 GiB file (sparse: it costs no disk) is refused after reading 64 MiB and one byte; the
    message states the cap and what to do."""
    huge = tmp_path / "Pulumi.dev.yaml"
    with huge.open("wb") as file:
        file.truncate(1 << 30)
    with pytest.raises(ClusterstackError) as caught:
        read_yaml(huge, "stacks/Pulumi.dev.yaml")
    (problem,) = caught.value.problems
    assert str(problem) == (
        f"stacks/Pulumi.dev.yaml: is more than {MAX_BYTES:,} bytes (64 MiB), the most a stack file may hold "
        "(room for about 100,000 tenant namespaces written out); split the platform into several stacks"
    )
    assert MAX_BYTES == 64 << 20


def test_an_endless_file_is_read_no_further_than_the_cap():
    """/dev/zero never ends: reading it whole would fill the memory; the read stops one byte past the cap."""
    assert len(read_bounded(Path("/dev/zero"))) == MAX_BYTES + 1


@pytest.mark.parametrize("which", ["stack file", "Pulumi.yaml"])
def test_a_huge_stack_or_project_file_is_refused_not_read(tmp_path: Path, which: str):
    """Every file clusterstack reads as YAML goes through read_bounded: a 1 GiB stack file or
    Pulumi.yaml (sparse: no disk used) is refused, naming the file, after the cap and one byte are read.
    (A link to a device such as /dev/zero is not a regular file, and is refused before any read.)"""
    from clusterstack.stack.files import read_stack
    from clusterstack.stack.project import Project

    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    huge = tmp_path / ("Pulumi.dev.yaml" if which == "stack file" else "Pulumi.yaml")
    with huge.open("r+b") as handle:
        handle.truncate(1 << 30)
    tracemalloc.start()
    try:
        with pytest.raises(ClusterstackError) as caught:
            read_stack(Project.load(tmp_path), "dev")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert f"is more than {MAX_BYTES:,} bytes (64 MiB)" in str(caught.value)
    assert huge.name in str(caught.value)
    assert peak < 4 * MAX_BYTES < 1 << 30  # the cap and a byte were read, not the gibibyte


@pytest.mark.parametrize(("value", "message"), [
    ("!!int x", "is tagged !!int, but 'x' is not a number (line 4); write a number, or drop the tag"),
    ("!!bool maybe", "is tagged !!bool, but 'maybe' is not a boolean (line 4); write a boolean, or drop the tag"),
    ("!!float 1e", "is tagged !!float, but '1e' is not a number (line 4); write a number, or drop the tag"),
])
def test_a_value_its_tag_cannot_read_is_named_at_its_key(value, message):
    """Before, PyYAML's ValueError or KeyError left with a traceback."""
    text = f"config:\n  clusterstack:namespaces:\n    payments:\n      labels: {{a: {value}}}\n"
    with pytest.raises(ClusterstackError) as caught:
        parse_yaml(text.encode(), "stacks/Pulumi.dev.yaml")
    assert [str(p) for p in caught.value.problems] == [f"stacks/Pulumi.dev.yaml: config.clusterstack:namespaces.payments.labels.a: {message}"]
