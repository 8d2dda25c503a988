"""The labels clusterstack puts on every object (components/labels.py): ``managed-by: clusterstack``
and the environment, which defaults to the stack's name; ``object_meta`` names the object explicitly,
puts the standard labels over the caller's and adds annotations only when there are some. What a
label given as an Output does is tested in tests/test_library.py."""

from __future__ import annotations

import pytest

from clusterstack.components.labels import ENVIRONMENT, MANAGED_BY, object_meta, stack_environment, standard_labels


def test_the_standard_labels_name_clusterstack_and_the_environment_when_there_is_one():
    assert standard_labels("prod") == {MANAGED_BY: "clusterstack", ENVIRONMENT: "prod"}
    assert standard_labels(None) == {"app.kubernetes.io/managed-by": "clusterstack"}
    assert standard_labels("") == {MANAGED_BY: "clusterstack", ENVIRONMENT: ""}


@pytest.mark.pulumi(stack="staging")
def test_the_environment_is_the_stacks_name_unless_given(pulumi_mocks):
    assert stack_environment(None) == "staging"
    assert stack_environment("prod") == "prod"


def test_metadata_names_the_object_and_puts_the_standard_labels_over_the_callers():
    assert object_meta("web", "team-a", "prod", labels={"app": "web", MANAGED_BY: "someone"}, annotations={"a": "1"}) == {
        "name": "web",
        "namespace": "team-a",
        "labels": {"app": "web", MANAGED_BY: "clusterstack", ENVIRONMENT: "prod"},
        "annotations": {"a": "1"},
    }
    assert object_meta("cluster-wide", None, None) == {"name": "cluster-wide", "labels": {MANAGED_BY: "clusterstack"}}
    assert "annotations" not in object_meta("web", "a", None, annotations={})
