"""pydantic's findings in the project's words (components/pydantic_errors.py): each problem at its key
path in the stack files' camelCase spelling, worded as a fix (the key a typo meant, or the keys there
are; a value as YAML wrote it), a cross-field rule's problems placed under the model that found them,
and the keys a stack file may write at a path, found by walking the model's field types."""

from __future__ import annotations

import pytest
from pydantic import Field, ValidationError

from clusterstack.components.field_types import DnsLabel, QuantityValue
from clusterstack.components.model import Model
from clusterstack.components.pydantic_errors import describe, known_keys, yaml_text
from clusterstack.kube.findings import Finding, Findings


class Limits(Model):
    default_request: dict[str, QuantityValue] = Field(default_factory=dict)

    def _problems(self) -> Findings:
        cpu = self.default_request.get("cpu")
        if cpu is not None and cpu.value > 4:
            yield Finding(("defaultRequest", "cpu"), "is more than 4")


class Tenant(Model):
    name: DnsLabel
    limits: Limits | None = None
    by_name: dict[str, Limits] = Field(default_factory=dict)
    replicas: int = 1


def problems(data: dict) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        Tenant.model_validate(data)
    return [(found.path, found.message) for found in describe(caught.value, Tenant)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"name": "a", "limits": {"defaultReqest": {}}}, [(("limits", "defaultReqest"), "unknown key; did you mean defaultRequest?")]),
        ({"name": "a", "byName": {"x": {"defaultRequst": {}}}}, [(("byName", "x", "defaultRequst"), "unknown key; did you mean defaultRequest?")]),
        ({"name": "a", "limits": {"zzz": 1}}, [(("limits", "zzz"), "unknown key (known keys: defaultRequest)")]),
        ({}, [(("name",), "is required")]),
        ({"name": 3}, [(("name",), '3 is not a string; quote it in YAML ("3")')]),
        ({"name": "a", "limits": []}, [(("limits",), "must be a map, not a list")]),
        ({"name": "a", "replicas": "x"}, [(("replicas",), "must be a whole number, not 'x'")]),
        ({"name": "a", "limits": {"defaultRequest": {"cpu": "8"}}}, [(("limits", "defaultRequest", "cpu"), "is more than 4")]),
    ],
    ids=["typo", "typo under a map", "no close key", "missing", "number for a string", "list for a map", "wording", "cross-field rule"],
)
def test_each_problem_is_at_its_key_path_worded_as_a_fix(data, expected):
    assert problems(data) == expected


def test_a_field_validators_message_is_its_own_without_pydantics_prefix():
    [(path, message)] = problems({"name": "Bad_Name"})
    assert path == ("name",)
    assert message.startswith("'Bad_Name' is not a valid name: must be a DNS-1123 label")


def test_every_problem_is_reported_once_and_at_once():
    assert [path for path, _ in problems({"replicas": "x", "limits": {"zzz": 1}})] == [("name",), ("limits", "zzz"), ("replicas",)]


def test_the_known_keys_follow_optional_and_map_fields_and_stop_at_plain_values():
    assert known_keys(Tenant, ()) == ["name", "limits", "byName", "replicas"]
    assert known_keys(Tenant, ("limits",)) == ["defaultRequest"]
    assert known_keys(Tenant, ("byName", "x")) == ["defaultRequest"]
    assert known_keys(Tenant, ("replicas",)) == []
    assert known_keys(Tenant, ("nope",)) == []


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "true"), (False, "false"), (None, "null"), ("x", "'x'"), (3, "3"), ({}, "a map"), ([1], "a list"), ((1,), "a list")],
)
def test_a_value_reads_as_the_stack_file_wrote_it(value, text):
    assert yaml_text(value) == text


def test_a_long_value_is_cut_and_says_how_long_it_was():
    text = yaml_text("y" * 100)
    assert len(text) <= 80
    assert text.endswith("…(102 characters)")
