"""``plain_merge`` (clusterstack/program/_sdk/merging.py) gives what the SDK's ``ResourceOptions.merge``
gives, field for field and in the same order, whenever it answers; it answers None (the SDK's merge
runs) for anything but plain options; the fast path's runs use it and put the SDK's merge back after.

Compared on the installed SDK (the CI runs this on the lowest pulumi too): every field with every kind
of value it can hold against every other, pulumi-kubernetes' two merges in a row, and a seeded
sample of whole options.
"""

from __future__ import annotations

import random
from typing import Any

import pulumi
import pytest
from pulumi import ResourceHookBinding, ResourceOptions

from clusterstack.program import _sdk
from clusterstack.program._sdk import merging

SDK_MERGE = merging.SDK_MERGE
FIELDS = merging.FIELDS
SOMETHING: Any = object()
"""A value the merge only carries (a parent, a provider, a hook, custom timeouts...)."""


def _values(field: str) -> list[Any]:
    """The kinds of value ``field`` can hold, as a program or an earlier merge leaves it."""
    if field in merging._LISTS:
        return [None, [], ["a"], ["b", "c"]]
    if field == "depends_on":
        return [None, [], [SOMETHING]]
    if field == "providers":
        return [None, [], {}]
    if field == "hooks":
        return [None, ResourceHookBinding(), ResourceHookBinding(before_create=[SOMETHING])]
    return [None, False, True, SOMETHING, "v"]


def _options(**fields: Any) -> ResourceOptions:
    options = ResourceOptions()
    for field, value in fields.items():
        setattr(options, field, value)  # behind the constructor's check, as a merge's result is made
    return options


def _shape(options: ResourceOptions) -> list[tuple[str, Any]]:
    """The options' fields in order, a hook binding by its hooks (it has no equality of its own)."""
    return [(field, (type(value), vars(value)) if isinstance(value, ResourceHookBinding) else value) for field, value in vars(options).items()]


def _same_as_the_sdk(first: ResourceOptions, second: ResourceOptions) -> bool:
    """Whether ``plain_merge`` answered (False: it left the merge to the SDK); fails if it answered otherwise than the SDK."""
    answer = merging.plain_merge(first, second)
    if answer is None:
        return False
    assert type(answer) is ResourceOptions
    assert _shape(answer) == _shape(SDK_MERGE(first, second))
    return True


def test_it_knows_every_field_of_the_installed_sdk():
    assert FIELDS is not None, "on the SDK versions the fast path is proven on, plain_merge is on"
    assert set(FIELDS) == set(vars(ResourceOptions()))


@pytest.mark.parametrize("field", FIELDS or ())
def test_each_field_merges_as_the_sdk_merges_it(field):
    answered = 0
    for one in _values(field):
        for two in _values(field):
            answered += _same_as_the_sdk(_options(**{field: one}), _options(**{field: two}))
    assert answered > 0


def test_what_is_not_plain_is_left_to_the_sdk():
    assert merging.plain_merge(_options(depends_on=[SOMETHING]), ResourceOptions()) is None
    assert merging.plain_merge(ResourceOptions(), _options(providers={})) is None
    assert merging.plain_merge(ResourceOptions(), _options(hooks=ResourceHookBinding(on_error=[SOMETHING]))) is None
    assert merging.plain_merge(None, ResourceOptions()) is None
    assert merging.plain_merge(ResourceOptions(), None) is None

    class Options(ResourceOptions):
        pass

    assert merging.plain_merge(Options(), ResourceOptions()) is None
    extra = ResourceOptions()
    extra.note = "an attribute the SDK does not have"  # type: ignore[attr-defined]
    assert merging.plain_merge(extra, ResourceOptions()) is None


def test_pulumi_kubernetes_two_merges_in_a_row():
    """Its package defaults under the resource's options, then its aliases over the result."""
    defaults = ResourceOptions(version="4.0.0")
    given = ResourceOptions(parent=None, protect=True, aliases=[pulumi.Alias(name="old")], replace_on_changes=["spec"])
    aliases = ResourceOptions(aliases=[pulumi.Alias(type_="kubernetes:extensions/v1beta1:NetworkPolicy")])
    first = merging.plain_merge(defaults, given)
    assert first is not None
    assert _same_as_the_sdk(defaults, given)
    assert _same_as_the_sdk(first, aliases)


def test_a_sample_of_whole_options():
    assert FIELDS is not None
    chosen = random.Random(23)
    answered = 0
    for _ in range(400):
        pair = [_options(**{field: chosen.choice(_values(field)) for field in FIELDS if chosen.random() < 0.3}) for _ in range(2)]
        answered += _same_as_the_sdk(*pair)
    assert answered > 100


def test_a_fast_run_merges_with_it_and_puts_the_sdk_merge_back():
    calls = []

    def program() -> None:
        calls.append(ResourceOptions.__dict__["merge"] is merging.merge)
        ResourceOptions.merge(ResourceOptions(protect=True), ResourceOptions(version="1"))

    _sdk.run(program, project="p", stack="s", config={}, path="fast")
    _sdk.run(program, project="p", stack="s", config={}, path="sdk")
    assert calls == [True, False]
    assert ResourceOptions.__dict__["merge"] is SDK_MERGE is pulumi.ResourceOptions.merge
