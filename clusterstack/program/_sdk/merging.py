"""``ResourceOptions.merge`` for plain options, without its copies: what the fast path runs in its place.

pulumi-kubernetes merges a resource's options twice in every typed constructor (its package's defaults
under the options, then its aliases over them), and each merge copies both options, copies both hook
bindings, and walks every field through a helper: a sixth of an evaluation at scale. For options
whose fields are all plain (no provider map, no dependencies, no hooks bound), the result follows from
the merge's rules alone (sdk/python/lib/pulumi/resource.py, ``ResourceOptions.merge``):

- a list option (``aliases``, ``ignore_changes``...) is both lists joined, or whichever is set;
- a single-valued option (``parent``, ``protect``...) is the second's when it is set, else the first's;
- ``depends_on`` is always a list (both joined); ``providers`` stays None when neither has any;
- ``hooks`` is a hook binding, every hook unset when neither binds one.

``plain_merge`` builds that result, or answers None when the options are not plain; ``merge``, which
the fast path's runs put in the SDK's place (pulumi_internals.patched), then runs the SDK's own. It knows the fields of the SDK it runs on: a field it
has no rule for (a later SDK's) turns it off entirely. tests/test_merging.py compares it with the
SDK's merge over every combination of the kinds of value each field can hold.
"""

from __future__ import annotations

import inspect
from itertools import compress, repeat
from operator import is_not
from typing import Any

from pulumi import ResourceHookBinding, ResourceOptions

_LISTS = frozenset(
    {
        "aliases",
        "ignore_changes",
        "replace_on_changes",
        "additional_secret_outputs",
        "transformations",
        "transforms",
        "state_migrations",
        "replace_with",
        "hide_diffs",
    }
)
_SINGLE = frozenset(
    {
        "parent",
        "protect",
        "provider",
        "delete_before_replace",
        "version",
        "plugin_download_url",
        "custom_timeouts",
        "id",
        "import_",
        "urn",
        "retain_on_delete",
        "deleted_with",
        "replacement_trigger",
        "env_var_mappings",
    }
)
_SPECIAL = frozenset({"depends_on", "providers", "hooks"})


SDK_MERGE = ResourceOptions.__dict__["merge"]
"""The SDK's own merge (read when this is imported, before any run puts ``merge`` in its place)."""


def merge(opts1: Any, opts2: Any) -> ResourceOptions:
    """``ResourceOptions.merge``: a plain function on the class, so both ``ResourceOptions.merge(a, b)``
    and ``a.merge(b)`` reach it."""
    merged = plain_merge(opts1, opts2)
    return merged if merged is not None else SDK_MERGE(opts1, opts2)


def _fields() -> tuple[str, ...] | None:
    """The option fields of this SDK, in the order its constructor sets them; None when one has no
    rule here, or the constructor's parameters are not the fields (then every merge is the SDK's)."""
    fields = tuple(vars(ResourceOptions()))
    parameters = set(inspect.signature(ResourceOptions.__init__).parameters) - {"self"}
    if set(fields) != parameters or not set(fields) <= _LISTS | _SINGLE | _SPECIAL:
        return None
    if "hooks" in fields and any(value is not None for value in vars(ResourceHookBinding()).values()):
        return None
    return fields


FIELDS = _fields()
"""The fields ``plain_merge`` merges; None: it is off on this SDK."""
_KEYS = set(FIELDS) if FIELDS is not None else set()
_LIST_FIELDS = tuple(field for field in FIELDS or () if field in _LISTS)
_SINGLE_FIELDS = tuple(field for field in FIELDS or () if field in _SINGLE)
_SPECIAL_FIELDS = tuple(field for field in FIELDS or () if field in _SPECIAL)


def plain_merge(opts1: Any, opts2: Any) -> ResourceOptions | None:
    """``ResourceOptions.merge(opts1, opts2)`` when both are plain options; None when they are not."""
    if FIELDS is None or type(opts1) is not ResourceOptions or type(opts2) is not ResourceOptions:
        return None
    first, second = vars(opts1), vars(opts2)
    if first.keys() != _KEYS or second.keys() != _KEYS or not _special_fields_empty(first):
        return None
    # What the SDK's merge returns is a copy of opts1 (its fields in their order) with every field
    # set to its merged value. Most of opts2's fields are unset and leave opts1's as they are, so
    # only the set ones are looked at (a merge is twice per resource: this was most of its cost).
    merged = dict(first)
    for field in compress(second, map(is_not, second.values(), repeat(None))):  # the set ones, picked out without a loop here
        two = second[field]
        if field in _LIST_SET:
            one = merged[field]
            merged[field] = two if one is None else one + two
        elif field in _SPECIAL_SET:
            if not _empty(field, two):
                return None
        else:
            merged[field] = two
    _merged_special_fields(merged)
    result = ResourceOptions.__new__(ResourceOptions)
    result.__dict__ = merged  # the dict made here becomes the options' own, rather than copied into it
    return result


def _special_fields_empty(options: dict[str, Any]) -> bool:
    for field in _SPECIAL_FIELDS:
        value = options[field]
        if value is not None and not _empty(field, value):
            return False
    return True


def _merged_special_fields(merged: dict[str, Any]) -> None:
    """The special fields as a merge of plain options leaves them: fresh values for every merge, as
    the SDK's, so nothing is shared between two resources' options."""
    if _DEPENDS_ON:
        merged["depends_on"] = []
    if _PROVIDERS:
        merged["providers"] = None
    if _HOOKS_FIELD:
        merged["hooks"] = ResourceHookBinding()


_LIST_SET = frozenset(_LIST_FIELDS)
_SPECIAL_SET = frozenset(_SPECIAL_FIELDS)
_DEPENDS_ON = "depends_on" in _SPECIAL_SET
_PROVIDERS = "providers" in _SPECIAL_SET
_HOOKS_FIELD = "hooks" in _SPECIAL_SET

_NO_HOOKS = dict.fromkeys(vars(ResourceHookBinding()))
"""A fresh hook binding's fields: every hook unset (None)."""


def _empty(field: str, value: Any) -> bool:
    """Unset, or set to nothing: an empty list of dependencies or providers (``depends_on`` is one
    after any merge), or a hook binding of the hooks a fresh one has, none bound (after any merge)."""
    if value is None:
        return True
    if field == "hooks":
        return type(value) is ResourceHookBinding and vars(value) == _NO_HOOKS
    return type(value) is list and not value
