"""What the Pulumi engine does to a registration before it acts on it, and the SDK's mock monitor does not.

Two steps of the engine's ``RegisterResource`` (pkg/resource/deploy/source_eval.go, pulumi/pulumi
at 1b59498) happen in the engine, not in the SDK, so a program run under the SDK's mocks would skip
them and record something ``pulumi up`` never does:

1. ``inheritFromParent``: a child that leaves ``protect`` or ``retainOnDelete`` unset takes its
   parent's (the SDK only inherits ``protect``, in ``Resource.__init__``; ``retainOnDelete`` on a
   component reaches its children only here). ``deletedWith`` is inherited the same way; the
   embedded engine does not model it (the fast path declines it, and a transform that sets it
   fails the run below).
2. The ``transforms``: the resource's own (its ``transforms`` option), then its parent's, its
   grandparent's and so on up the tree, then the stack's (``pulumi.runtime.register_resource_transform``),
   each given the previous one's properties and options. The engine's comment says it: "First run
   the transforms for this resource, then it's parents, then the stack". So the child's own run
   BEFORE its parent's, not after; the SDK's older ``transformations`` run the same way round.
   A stack transform applies to resources registered after it, as the engine takes the list when
   each resource registers.

``Goals`` does both on the request the mock monitor receives, calling each transform through the
SDK's own callback (``pulumi_internals.transform_callback``), so a transform sees the arguments
(``ResourceTransformArgs``) and its result is read back exactly as on the Pulumi engine.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from .pulumi_internals import resource_pb2, transform_callback

# TransformResourceOptions' fields, by the RegisterResourceRequest field the engine carries each
# back into (source_eval.go, after the transforms: ``opts.Protect``, ``opts.GetDependsOn()``...).
_CARRIED = {
    "depends_on": "dependencies",
    "ignore_changes": "ignoreChanges",
    "replace_on_changes": "replaceOnChanges",
    "version": "version",
    "aliases": "aliases",
    "provider": "provider",
    "providers": "providers",
    "plugin_download_url": "pluginDownloadURL",
    "additional_secret_outputs": "additionalSecretOutputs",
    "hide_diff": "hideDiffs",
    "import": "importId",
}
_OPTIONAL = {"protect": "protect", "retain_on_delete": "retainOnDelete"}
_UNMODELLED = ("deleted_with", "replace_with", "replacement_trigger", "hooks", "plugin_checksums")
"""Options a transform may set on the Pulumi engine that the embedded engine does not model: a
transform that changes one fails the run, naming it, rather than have the engines differ unsaid."""


_HELD = {(protect, retain): (protect, retain) for protect in (None, False, True) for retain in (None, False, True)}
"""The nine goals a resource can hold, one object each however many resources hold it."""


class TransformFailed(Exception):
    """A transform failed, or asked for what the embedded engine cannot honour."""


class Goals:
    """Each registered resource's goal as the engine holds it (``protect``, ``retainOnDelete``, its
    transforms and parent), to inherit from and to collect transforms along, for one program run."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[bool | None, bool | None]] = {}
        self._parents: dict[str, str] = {}
        self._transforms: dict[str, list[Any]] = {}
        self._stack: list[Any] = []
        self._lock = threading.Lock()

    def inherited(self, parent: str, protect: bool | None, retain_on_delete: bool | None) -> tuple[bool | None, bool | None]:
        """``inheritFromParent``: what the child leaves unset comes from its parent's goal."""
        with self._lock:
            held = self._held.get(parent)
        if held is None:
            return protect, retain_on_delete
        return (protect if protect is not None else held[0]), (retain_on_delete if retain_on_delete is not None else held[1])

    def hold(self, urn: str, parent: str, protect: bool | None, retain_on_delete: bool | None, transforms: list[Any] | None = None) -> None:
        held = (protect, retain_on_delete)
        with self._lock:
            self._held[urn] = _HELD.get(held, held)
            self._parents[urn] = parent
            if transforms:
                self._transforms[urn] = transforms

    def add_stack_transform(self, callback: Any) -> None:
        with self._lock:
            self._stack.append(callback)

    def prepare(self, request: Any, urn: str) -> Any:
        """The request as the engine acts on it: inherited options, then every transform applied."""
        request = _copy(request)
        protect, retain = self.inherited(
            request.parent,
            request.protect if request.HasField("protect") else None,
            request.retainOnDelete if request.HasField("retainOnDelete") else None,
        )
        _set_optional(request, "protect", protect)
        _set_optional(request, "retainOnDelete", retain)
        own = list(request.transforms)
        with self._lock:
            chain, current = list(own), request.parent
            while current:
                chain += self._transforms.get(current, [])
                current = self._parents.get(current, "")
            chain += self._stack
        for callback in chain:
            request = _transformed(request, callback)
        self.hold(
            urn,
            request.parent,
            request.protect if request.HasField("protect") else None,
            request.retainOnDelete if request.HasField("retainOnDelete") else None,
            own,
        )
        return request


def _copy(request: Any) -> Any:
    copied = type(request)()
    copied.CopyFrom(request)
    return copied


def _set_optional(message: Any, field: str, value: bool | None) -> None:
    if value is None:
        message.ClearField(field)
    else:
        setattr(message, field, value)


def _options(request: Any) -> Any:
    """The options a transform is given: the engine's ``TransformResourceOptions`` from the request."""
    options = resource_pb2.TransformResourceOptions()
    for option, field in _CARRIED.items():
        value = getattr(request, field)
        if option == "providers":
            options.providers.update(value)
        elif option == "aliases":
            options.aliases.extend(value)
        elif isinstance(value, str):
            setattr(options, option, value)
        else:
            getattr(options, option).extend(value)
    for option, field in _OPTIONAL.items():
        if request.HasField(field):
            setattr(options, option, getattr(request, field))
    if request.deleteBeforeReplaceDefined:
        options.delete_before_replace = request.deleteBeforeReplace
    if request.HasField("customTimeouts"):
        options.custom_timeouts.CopyFrom(request.customTimeouts)
    if request.deletedWith:
        options.deleted_with = request.deletedWith
    return options


def _transformed(request: Any, callback: Any) -> Any:
    """One transform applied, through the SDK's own callback, on the event loop the program runs on
    (the mock monitor is called on a worker thread while that loop waits for it)."""
    found = transform_callback(callback.token)
    if found is None:
        raise TransformFailed(f"transforms: the callback {callback.token} of {request.type} {request.name!r} is not registered in this program")
    invoke, servicer_loop = found
    options = _options(request)
    asked = resource_pb2.TransformRequest(
        type=request.type, name=request.name, custom=request.custom, parent=request.parent, properties=request.object, options=options
    )

    async def call() -> Any:
        return await invoke(asked.SerializeToString())

    answer: Any = asyncio.run_coroutine_threadsafe(call(), servicer_loop).result()
    result = _copy(request)
    result.object.CopyFrom(answer.properties)
    if answer.HasField("options"):
        _carry_back(result, answer.options, options)
    return result


def _carry_back(result: Any, changed: Any, given: Any) -> None:
    """The options a transform answered (``changed``; it was ``given`` the others), carried into the
    request as the engine carries them back."""
    for option in _UNMODELLED:
        if getattr(changed, option) != getattr(given, option):
            raise TransformFailed(
                f"transforms: a transform set the {option} option on {result.type} {result.name!r}, which the embedded engine "
                "does not model; set it in the program's resource options instead, or preview with the Pulumi CLI"
            )
    for option, field in _CARRIED.items():
        result.ClearField(field)
        _carry(result, field, option, getattr(changed, option))
    for option, field in _OPTIONAL.items():
        _set_optional(result, field, getattr(changed, option) if changed.HasField(option) else None)
    result.deleteBeforeReplaceDefined = changed.HasField("delete_before_replace")
    result.deleteBeforeReplace = changed.delete_before_replace
    result.ClearField("customTimeouts")
    if changed.HasField("custom_timeouts"):
        result.customTimeouts.CopyFrom(changed.custom_timeouts)


def _carry(result: Any, field: str, option: str, value: Any) -> None:
    if option == "providers":
        result.providers.update(value)
    elif option == "aliases":
        result.aliases.extend(value)
    elif isinstance(value, str):
        setattr(result, field, value)
    else:
        getattr(result, field).extend(value)
