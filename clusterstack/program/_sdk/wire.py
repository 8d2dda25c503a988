"""The fast path's emulation of what the SDK's round trip would give: values in the form the mock
monitor receives them, and a resource's Outputs as ``register_resource`` leaves them once the
monitor has answered. Anything it cannot emulate exactly raises ``Declined``, and the resource goes
the SDK's own way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
from pulumi.resource import Resource

from . import pulumi_internals as internals


class Declined(Exception):
    """The resource is not one the fast path takes; the reason says why."""


_ABSENT = object()
_NUMBERS = threading.local()
"""Whether ``wire`` met a number since ``wire_inputs`` last cleared it (per thread, where the resource is constructed)."""
NO_NUMBERS: frozenset[str] = frozenset()
_UNKNOWN = internals.UNKNOWN
_PY_TO_PULUMI: dict[type, dict[str, str]] = {}


def py_to_pulumi_names(typ: type) -> dict[str, str]:
    """An input type's Python property names by their Pulumi names (memoized: asked per resource)."""
    names = _PY_TO_PULUMI.get(typ)
    if names is None:
        names = _PY_TO_PULUMI[typ] = internals.py_to_pulumi_names(typ)
    return names


def wire(value: Any, translated: bool) -> Any:
    """``value`` as the mock monitor receives it: what ``serialize_property`` sends and
    ``deserialize_properties`` reads back (numbers as doubles, tuples as lists, None dropped from
    maps). ``translated``: the value sits under a typed property, where the SDK renames keys by the
    type's metadata, so a key that could be renamed (every such Python name has an underscore)
    declines the resource rather than guess."""
    kind = type(value)
    if kind is str:
        if value == internals.UNKNOWN:
            raise Declined("an unknown value")
        return value
    if kind is bool or value is None:
        return value
    if kind is int or kind is float:
        _NUMBERS.met = True
        return float(value)
    if kind is dict:
        return _wire_map(value, translated)
    if kind is list or kind is tuple:
        # A manifest's lists are mostly of maps (rules, ports, containers): those without the dispatch.
        return [_wire_map(item, translated) if type(item) is dict else wire(item, translated) for item in value]
    if internals.is_input_type(kind):
        return wire(internals.input_type_wire(value), translated)
    if isinstance(value, pulumi.Output):
        return _wire_output(value, translated)
    raise Declined(f"a {kind.__name__} value")


def _wire_map(value: dict[Any, Any], translated: bool) -> dict[str, Any]:
    if internals.SPECIAL_SIGNATURE in value:
        raise Declined("a special value (secret, asset, resource reference)")
    wired = {}
    for key, item in value.items():
        if type(key) is not str or (translated and "_" in key):
            raise Declined("a key the SDK may rename")
        kind = type(item)
        if kind is str and item != _UNKNOWN:  # most of a manifest: taken as it is, without a call
            wired[key] = item
            continue
        if kind is dict:  # what ``wire`` does with one, without its dispatch
            wired[key] = _wire_map(item, translated)
            continue
        element = wire(item, translated)
        if element is not None:
            wired[key] = element
    return wired


def _wire_output(value: pulumi.Output[Any], translated: bool) -> Any:
    settled = internals.settled(value)
    if settled is None:
        raise Declined("an Output that has not resolved")
    resolved, known, secret = settled
    if not known or secret:
        raise Declined("an unknown or secret Output")
    return wire(resolved, translated)


def known_value(value: Any) -> Any:
    """What an Output holds whose value is its ``Resolved`` argument (a resource's URN and ID)."""
    return value


def wire_inputs(props: Mapping[str, Any], typ: type | None) -> tuple[dict[str, Any], frozenset[str]]:
    """A resource's properties as the monitor receives them, by Pulumi name (None dropped), and the
    properties whose value holds a number (which the monitor receives as a double): where the
    engine's manifests must turn whole ones back into integers (evaluate.py, ``collect``), and only there."""
    to_pulumi = py_to_pulumi_names(typ) if typ is not None else {}
    inputs: dict[str, Any] = {}
    numbers = []
    for key in props:
        _NUMBERS.met = False
        wired = wire(props[key], translated=typ is not None)
        if wired is not None:
            name = to_pulumi.get(key) or key
            inputs[name] = wired
            if _NUMBERS.met:
                numbers.append(name)
    return inputs, frozenset(numbers) if numbers else NO_NUMBERS


def wire_state(state: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """The mock's answer as ``resolve_outputs`` reads it back from the monitor's response. A mock
    that echoes an input answers with the very object it was given, already in wire form."""
    if type(state) is not dict:
        raise Declined("a mock's answer that is not a dict")
    wired = {}
    echoed = True
    for key, value in state.items():
        element = value if value is inputs.get(key, _ABSENT) else wire(value, translated=False)
        if element is not None:
            wired[key] = element
        # Kept as it came only when every value is its own wire form and none is dropped (None).
        echoed = echoed and element is value and element is not None
    # An echoed answer is already its own wire form: the same values, so the same dict will do
    # (kept once, not twice, for every resource of the run).
    return state if echoed else wired


def set_outputs(res: Resource, props: Mapping[str, Any], custom: bool, typ: type | None, name: str, answered: dict[str, Any], inputs: dict[str, Any]) -> None:
    """Each of ``res``'s properties as ``register_resource`` leaves it once the monitor has answered
    (``transfer_properties`` then ``resolve_outputs``): the mock's answer, then the inputs it did not
    answer for, translated to the resource's output types; each computed when first awaited."""
    value_of = _Answer(res, typ, name, answered, inputs).value_of
    for key in props:
        if key == "urn" or (key == "id" and custom):
            continue
        internals.set_output(res, key, internals.Resolved(res, value_of, key))


class _Answer:
    """What a resource's Outputs are computed from, one for all of them."""

    __slots__ = ("answered", "cls", "inputs", "name", "translate", "typ")

    def __init__(self, res: Resource, typ: type | None, name: str, answered: dict[str, Any], inputs: dict[str, Any]) -> None:
        self.cls = type(res)
        self.translate = res.translate_output_property if typ is None else None
        self.typ = typ
        self.name = name
        self.answered = answered
        self.inputs = inputs

    def value_of(self, key: str) -> Any:
        typ = self.typ
        if typ is not None:
            to_py = internals.pulumi_to_py_names(self.cls)
            rename: Callable[[str], str] = lambda prop: to_py.get(prop) or prop  # noqa: E731
            passed: Callable[[str], str] = lambda prop: prop  # noqa: E731
        else:
            assert self.translate is not None
            rename = passed = self.translate
        types = internals.output_types(self.cls)
        for source, fallback in ((self.answered, False), (self.inputs, True)):
            for prop, raw in source.items():
                if rename(prop) == key:
                    return internals.translate_output(raw, passed, types.get(prop), typ is not None, key, self.name, fallback)
        return None
