"""Pulumi's ``replaceOnChanges`` option, as the embedded engine applies it: its property paths are
parsed and matched as the Pulumi engine does (sdk/go/common/resource/properties_path.go,
``parsePropertyPath`` and ``PropertyPath.Contains``; pkg/resource/deploy/step_generator.go,
``applyReplaceOnChanges``), and a PriorityClass whose value changes is replaced end to end, because
the API server refuses to update it (pkg/apis/scheduling/validation, ValidatePriorityClassUpdate)."""

from __future__ import annotations

import pytest

from clusterstack.program.options import contains, parse_property_path, replace_on_changes_reasons
from tests.test_engine import cs, edit


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("value", ("value",)),
        ("spec.selector", ("spec", "selector")),
        ('data["a.b"]', ("data", "a.b")),
        ('["root key with \\"quotes\\""].nested', ('root key with "quotes"', "nested")),
        ("spec.ports[0].port", ("spec", "ports", 0, "port")),
        ("spec.ports[*].port", ("spec", "ports", "*", "port")),
        ('spec.ports["*"]', ("spec", "ports", "*")),
        ("*", ("*",)),
        ("foo-bar", ("foo-bar",)),  # any run of characters up to '.' or '[' is a name
    ],
)
def test_property_paths_parse_as_the_pulumi_engine_parses_them(text, path):
    assert parse_property_path(text) == path


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (".value", "expected property path to start with a name or index"),
        ("spec.", "expected property path to end with a name or index"),
        ("ports[0", "missing closing bracket in array index"),
        ('data["a', "missing closing quote in property name"),
        ('data["a"x', "missing closing bracket in property access"),
        ("ports[first]", "invalid array index"),
    ],
)
def test_malformed_property_paths_are_refused_in_the_engines_words(text, error):
    with pytest.raises(ValueError, match=error):
        parse_property_path(text)


@pytest.mark.parametrize(
    ("pattern", "changed", "covered"),
    [
        ("value", ("value",), True),
        ("value", ("description",), False),
        ("spec.selector", ("spec", "selector", "matchLabels", "app"), True),  # at or below the path
        ("spec.selector", ("spec",), False),  # above it (a whole spec added): not contained, as in the engine
        ("*", ("metadata", "labels", "team"), True),
        ("spec.ports[*].port", ("spec", "ports", 3, "port"), True),
        ("spec.ports[0]", ("spec", "ports", 1, "port"), False),
        ("spec.ports[0]", ("spec", "ports", "0"), False),  # an index is not a key
    ],
)
def test_a_path_covers_the_changes_at_or_below_it(pattern, changed, covered):
    assert contains(parse_property_path(pattern), changed) is covered


def test_the_reasons_name_each_covered_field_at_the_depth_of_its_path():
    changed = [("metadata", "labels", "team"), ("spec", "selector", "matchLabels", "app"), ("value",)]
    assert replace_on_changes_reasons(["value"], changed) == ("value",)
    assert replace_on_changes_reasons(["spec.selector"], changed) == ("spec.selector",)
    assert replace_on_changes_reasons(["*"], changed) == ("metadata", "spec", "value")
    assert replace_on_changes_reasons([], changed) == ()


PRIORITY = """\
config:
  clusterstack:priorityClasses:
    high:
      value: 1000
      description: front of the queue
"""


def test_changing_a_priority_class_value_replaces_it_and_its_description_updates_it(make_project):
    """The acceptance case: ClusterClasses registers its PriorityClasses with replaceOnChanges
    (value, preemptionPolicy) and deleteBeforeReplace, and preview shows what ``pulumi preview`` would."""
    root = make_project({"dev": PRIORITY})
    assert cs(root, "up", "-s", "dev", "--yes").exit_code == 0

    edit(root, "value: 1000", "value: 2000")
    replaced = cs(root, "preview", "-s", "dev", "--detailed-exitcode")
    assert replaced.exit_code == 2, replaced.output
    [line] = [line for line in replaced.output.splitlines() if "PriorityClass.scheduling.k8s.io high" in line]
    assert line.split()[0] == "-/+", f"the plan gets the program's options (run.make_plan: plan(..., evaluation.replace_options())): {line}"
    assert "(value forces replacement; deleted first, as it is explicitly named)" in line
    assert "      value: 1000 → 2000" in replaced.output
    assert replaced.output.rstrip().endswith("Plan: 1 to add, 0 to change, 1 to destroy.")

    applied = cs(root, "up", "-s", "dev", "--yes")
    assert applied.exit_code == 0, applied.output
    assert cs(root, "preview", "-s", "dev", "--detailed-exitcode").exit_code == 0

    edit(root, "description: front of the queue", "description: the very front")
    updated = cs(root, "preview", "-s", "dev", "--detailed-exitcode")
    assert updated.exit_code == 2
    [line] = [line for line in updated.output.splitlines() if "PriorityClass.scheduling.k8s.io high" in line]
    assert line.split()[0] == "~"
    assert "forces replacement" not in updated.output
    assert updated.output.rstrip().endswith("Plan: 0 to add, 1 to change, 0 to destroy.")
