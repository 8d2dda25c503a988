"""clusterstack/adopt/writer.py: imported values merged into a stack file the way a person would edit
it. A file with nothing to add comes back byte for byte; comments, order, flow style and quoting
stay; values the file has are kept unless overwrite; every new string reads back, through the
project's own reader (PyYAML), as the very string it was."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from clusterstack.adopt.writer import HEADER, merge
from clusterstack.errors import ClusterstackError

REPO = Path(__file__).resolve().parent.parent
SHIPPED = sorted((REPO / "stacks").glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_a_shipped_stack_file_with_nothing_to_add_comes_back_byte_for_byte(path):
    text = path.read_text()
    assert merge(text, {}, path.name).text == text


def test_new_values_go_after_the_existing_ones_and_comments_stay():
    text = (REPO / "stacks" / "Pulumi.dev.yaml").read_text()
    merged = merge(text, {"namespaces": {"payments": {"labels": {"team": "other", "cost-center": "42"}}, "web": {"labels": {"team": "web"}}}}, "dev")
    assert merged.kept == ["clusterstack:namespaces.payments.labels.team"]
    assert merged.text.startswith(text.split("  clusterstack:dns:")[0].replace("labels: {team: payments}", 'labels: {team: payments, cost-center: "42"}').split("    web:")[0])
    assert "      # Anyone may try things here; nothing may be exposed outside the cluster.\n" in merged.text
    assert "    web:\n      labels: {team: web}\n  clusterstack:dns:" in merged.text
    assert yaml.safe_load(merged.text)["config"]["clusterstack:namespaces"]["payments"]["labels"] == {"team": "payments", "cost-center": "42"}


def test_overwrite_takes_the_imported_value():
    merged = merge("config:\n  clusterstack:namespaces:\n    a: {labels: {team: x}}  # keep me\n", {"namespaces": {"a": {"labels": {"team": "y"}}}}, "s", overwrite=True)
    assert merged.text == "config:\n  clusterstack:namespaces:\n    a: {labels: {team: y}}  # keep me\n"
    assert merged.kept == []


def test_a_bare_key_is_merged_where_it_is():
    merged = merge("config:\n  namespaces:\n    a: {}\n", {"namespaces": {"b": {}}}, "s")
    assert merged.text == "config:\n  namespaces:\n    a: {}\n    b: {}\n"


@pytest.mark.parametrize("value", ["8", "no", "on", "1.0", "2024-01-01", "null", "~", "*x", "true", "0x1F", "1e3", " padded", "", "a: b", "#x", "- x"])
def test_every_new_string_reads_back_as_itself(value):
    merged = merge(None, {"namespaces": {"a": {"labels": {"k": value}, "annotations": {value or "e": value}}}}, "s")
    tenant = yaml.safe_load(merged.text)["config"]["clusterstack:namespaces"]["a"]
    assert tenant["labels"] == {"k": value}
    assert tenant["annotations"] == {value or "e": value}


def test_a_new_file_starts_with_the_schema_line_and_the_header():
    merged = merge(None, {"namespaces": {"a": {"quota": {"pods": "10"}}}}, "s", header="# imported\n")
    assert merged.text == HEADER + "# imported\nconfig:\n  clusterstack:namespaces:\n    a:\n      quota: {pods: \"10\"}\n"


def test_a_file_that_is_not_a_stack_file_is_refused_naming_it():
    with pytest.raises(ClusterstackError, match=r"stacks/Pulumi\.x\.yaml: must be a map with a config: key"):
        merge("- a\n", {"namespaces": {}}, "stacks/Pulumi.x.yaml")
    with pytest.raises(ClusterstackError, match=r"stacks/Pulumi\.x\.yaml: is not valid YAML"):
        merge("config: [\n", {"namespaces": {}}, "stacks/Pulumi.x.yaml")
