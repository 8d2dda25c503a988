"""The annotated field types an Args is written with (components/field_types.py): names, label values,
annotations and quantities checked by the API server's rules when a model is built, quantities read
from YAML numbers and written back as their text; and an ``...Input`` field given an Output, checked
when it resolves, failing the run with the message the plain value gets, at the Args and field."""

from __future__ import annotations

import gc
from typing import Any

import pulumi
import pytest
from pydantic import Field, TypeAdapter, ValidationError

from clusterstack.components.field_types import ANNOTATIONS_LIMIT, AnnotationsInput, DnsLabel, LabelsInput, QuantityValue
from clusterstack.components.model import Invalid, Model
from clusterstack.components.pydantic_errors import describe
from clusterstack.kube.quantity import Quantity
from clusterstack.testing import run


def refusal(kind: Any, value: object) -> str:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(kind).validate_python(value)
    [found] = describe(caught.value, Model)
    return found.message


def test_a_name_is_a_dns_label():
    assert TypeAdapter(DnsLabel).validate_python("team-a") == "team-a"
    assert refusal(DnsLabel, "Bad_Name").startswith("'Bad_Name' is not a valid name: must be a DNS-1123 label")


@pytest.mark.parametrize(("given", "text"), [(1, "1"), (0.5, "0.5"), ("500m", "500m"), ("1Gi", "1Gi")])
def test_a_quantity_is_read_from_yaml_numbers_and_text_and_written_as_its_text(given, text):
    adapter = TypeAdapter(QuantityValue)
    quantity = adapter.validate_python(given)
    assert quantity == Quantity.parse(text)
    assert adapter.dump_python(quantity) == text


def test_a_quantity_is_never_negative_nor_malformed():
    assert refusal(QuantityValue, "-1") == "-1 is negative; quantities here must be 0 or more"
    assert refusal(QuantityValue, "2 cores").startswith("'2 cores' is not a Kubernetes quantity")


def test_annotations_together_stay_within_the_api_servers_limit():
    key_and_value = {"a": "x" * (ANNOTATIONS_LIMIT - 1)}
    assert TypeAdapter(AnnotationsInput).validate_python(key_and_value) == key_and_value
    too_long = {"a": "x" * ANNOTATIONS_LIMIT}
    assert refusal(AnnotationsInput, too_long) == f"Too long: must have at most {ANNOTATIONS_LIMIT} bytes, keys and values together (these are {ANNOTATIONS_LIMIT + 1})"


class Owner(Model):
    labels: LabelsInput = Field(default_factory=dict)


def test_an_output_is_checked_when_it_resolves_with_the_plain_values_message():
    with pytest.raises(ValidationError) as plain:
        Owner.model_validate({"labels": {"team": "-bad-"}})
    [found] = describe(plain.value, Owner)
    path, message = found.path, found.message
    resolved: list[object] = []

    def good() -> None:
        owner = Owner(labels=pulumi.Output.from_input({"team": "payments"}))
        assert isinstance(owner.labels, pulumi.Output)
        owner.labels.apply(resolved.append)

    run(good)
    assert resolved == [{"team": "payments"}]

    with pytest.raises(Invalid) as caught:
        run(lambda: Owner(labels=pulumi.Output.from_input({"team": "-bad-"})))
    assert str(caught.value) == f"Owner.{'.'.join(map(str, path))}: {message}"
    del caught
    run(lambda: None)  # the failed run's futures are released here, not at the end of the session
    gc.collect()
