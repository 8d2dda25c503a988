"""What the fast path takes of a registration, each part checked as it is read: the resource's kind,
its options, its properties, its aliases and its ``replaceOnChanges`` paths. Each function answers
what ``Resource.__init__`` and ``register_resource`` would make of that part, or raises ``Declined``
naming why the resource must go the SDK's way (fast.py's docstring says what is taken and why).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.resource import Resource, ResourceOptions

from . import pulumi_internals as internals
from .records import STACK_TYPE
from .wire import Declined, py_to_pulumi_names

KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"

# Every ResourceOptions field, by what the fast path does with it. tests/test_fast_path.py checks this is
# all of them, so an option added by an SDK upgrade is classified before the fast path trusts it.
OPTIONS_TAKEN = frozenset(
    {"parent", "depends_on", "protect", "provider", "providers", "aliases", "retain_on_delete", "delete_before_replace", "replace_on_changes"}
)
"""Options the fast path applies as ``Resource.__init__`` does."""
OPTIONS_UNSEEN = frozenset({"version", "plugin_download_url", "additional_secret_outputs", "hide_diffs"})
"""Options that reach the engine but change nothing the mock monitor answers or records."""
OPTIONS_DECLINED = frozenset(
    {
        "id",
        "urn",
        "import_",
        "transformations",
        "transforms",
        "ignore_changes",
        "custom_timeouts",
        "hooks",
        "replacement_trigger",
        "deleted_with",
        "replace_with",
        "env_var_mappings",
        "state_migrations",
    }
)
"""Options that send a resource the SDK's way when set."""


def check_kind(t: str, custom: bool) -> None:
    if custom:
        if not (t.startswith("kubernetes:") or t == KUBERNETES_PROVIDER):
            raise Declined("a custom resource of another package")
    elif t == STACK_TYPE or t.startswith(("kubernetes:", "pulumi:")):
        raise Declined("a component of a provider package")


def checked_options(opts: ResourceOptions | None) -> ResourceOptions:
    if opts is None:
        return ResourceOptions()
    if type(opts) is not ResourceOptions:
        raise Declined("resource options of another class")
    fields = vars(opts)
    for option in _DECLINED_IN_ORDER:
        value = fields.get(option)
        if value is not None and _set(value):
            raise Declined(f"the {option} option")
    return opts


_DECLINED_IN_ORDER = tuple(OPTIONS_DECLINED)
"""``OPTIONS_DECLINED`` as the set iterates (the reason given for options declined together is the first of them)."""


def _set(value: Any) -> bool:
    """An option is set when it holds anything; ResourceOptions.merge leaves an empty hook binding
    (every hook None) on every resource."""
    if isinstance(value, pulumi.ResourceHookBinding):
        return any(vars(value).values())
    return bool(value)


def properties(res: Resource, props: Any) -> tuple[Mapping[str, Any], type | None]:
    """The resource's properties by Python name, and its input type when they came as one."""
    if props is None:
        return {}, None
    typ = type(props)
    if internals.is_input_type(typ):
        return internals.input_type_properties(props), typ
    if not isinstance(props, Mapping):
        raise Declined("properties that are not a mapping")
    if type(res).translate_input_property is not Resource.translate_input_property:
        raise Declined("a resource that translates its own property names")
    return props, None


ALIAS_FIELD = (str, type(None), type(...))
"""The types of an alias's fields that name nothing else: a name, unset (None) or left as it is (...)."""
NO_FIELDS: dict[str, Any] = {}


def alias_names(alias: pulumi.Alias) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for field, attribute in (("name", "name"), ("type", "type_"), ("stack", "stack"), ("project", "project")):
        value = getattr(alias, attribute)
        if value is ... or value is None:
            continue
        if not isinstance(value, str):
            raise Declined("an alias with Output fields")
        fields[field] = value
    return fields


def replace_on_changes(res: Resource, typ: type | None, paths: Any) -> tuple[str, ...]:
    """The ``replaceOnChanges`` paths as ``register_resource`` sends them
    (``_translate_replace_on_changes``): a whole path that is a Python name of the input type becomes
    its Pulumi name; without an input type, the resource translates each itself."""
    if not paths:
        return ()
    if not isinstance(paths, (list, tuple)) or not all(type(path) is str for path in paths):
        raise Declined("replace_on_changes that are not strings")
    if typ is not None:
        names = py_to_pulumi_names(typ)
        return tuple(names.get(path) or path for path in paths)
    return tuple(res.translate_input_property(path) for path in paths)
