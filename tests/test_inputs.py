"""Pulumi Inputs inside the builders (components/inputs.py): given plain values, ``copied``, ``merged``
and ``joined`` give plain values (what the tests and the engine compare), never sharing a dict with the
caller; given an Output, they give an Output and never format it into a string. What a merged Output
holding a reserved key does when it resolves is tested in tests/test_library.py."""

from __future__ import annotations

import pulumi

from clusterstack.components.inputs import copied, is_output, joined, merged


def test_plain_values_stay_plain_and_are_copied():
    mine = {"a": "1"}
    copy = copied(mine)
    assert copy == mine
    assert copy is not mine
    assert merged({"a": "1", "b": "1"}, None, {"b": "2"}) == {"a": "1", "b": "2"}
    assert merged() == {}
    assert joined("allow-lb-", "web") == "allow-lb-web"


def test_an_output_stays_an_output(pulumi_mocks):
    name = pulumi.Output.from_input("web")
    assert is_output(name)
    assert not is_output("web")
    assert copied(name) is name
    assert is_output(joined("allow-lb-", name))
    assert is_output(merged({"a": "1"}, pulumi.Output.from_input({"b": "2"})))
