"""The monitor a program's resources register with: the SDK's mock monitor, naming each resource as
the Pulumi engine does and recording every registration.

The SDK's mock monitor lets a second resource with the same URN overwrite the first; ``RecordingMonitor``
keeps every registration, so a duplicate URN, which the engine refuses (error 2001), is seen here too.
Before a request reaches the mock, ``Goals`` does what the engine, not the SDK, does to it
(inheritance from the parent, transforms).
"""

from __future__ import annotations

import threading
from typing import Any

import pulumi

from . import pulumi_internals as internals
from .goals import Goals
from .records import NO_SECRETS, STACK_TYPE, AliasSpec, Duplicate, Registration, parent_of, qualify, unwrap_secrets, urn_of


class EchoMocks(pulumi.runtime.Mocks):
    """A resource's outputs are its inputs and its ID is its name: what a successful create returns."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        # The inputs themselves, not a copy: neither path changes an answer, and a run keeps one per resource.
        return args.name, args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class RecordingMonitor(internals.MockMonitor):
    """The SDK's mock monitor, naming resources as the engine does and recording each registration."""

    def __init__(self, mocks: pulumi.runtime.Mocks, project: str, stack: str) -> None:
        super().__init__(mocks)
        self.project = project
        self.stack = stack
        self.registrations: list[Registration] = []
        self.duplicates: list[Duplicate] = []
        self._by_urn: dict[str, Registration] = {}
        self._lock = threading.Lock()
        self.goals = Goals()
        """What the engine, not the SDK, does to each registration: inheritance and transforms."""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if type_ == STACK_TYPE:
            return urn_of(self.stack, self.project, type_, name)
        return urn_of(self.stack, self.project, qualify(parent, type_), name)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method's name)
        if request.type == STACK_TYPE:
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]  # the SDK leaves it unannotated
        request = self.goals.prepare(request, self.make_urn(request.parent, request.type, request.name))
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]  # the SDK leaves it unannotated
        self.record(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent,
            custom=bool(request.custom),
            inputs=internals.monitor_state(self, response.urn),
            provider=request.provider,
            aliases=tuple(_alias(alias) for alias in request.aliases),
            protect=bool(request.protect),
            retain_on_delete=bool(getattr(request, "retainOnDelete", False)),
            delete_before_replace=bool(request.deleteBeforeReplace) if request.deleteBeforeReplaceDefined else None,
            replace_on_changes=tuple(request.replaceOnChanges),
            ignore_changes=tuple(request.ignoreChanges),
            custom_timeouts=(request.customTimeouts.create, request.customTimeouts.update, request.customTimeouts.delete),
            import_id=request.importId,
        )
        return response

    def RegisterStackTransform(self, request: Any) -> Any:  # noqa: N802 (the gRPC method's name)
        self.goals.add_stack_transform(request)
        return super().RegisterStackTransform(request)  # type: ignore[no-untyped-call]  # the SDK leaves it unannotated

    def record(self, *, parent: str, inputs: dict[str, Any], plain: bool = False, **fields: Any) -> None:
        """Keep one registration (``parent`` is the parent's URN as the request carries it; ``inputs``
        what the mock answered, in which the SDK marks a secret with its signature map, unless the
        caller knows them to be ``plain``)."""
        inputs, secrets = (inputs, NO_SECRETS) if plain else unwrap_secrets(inputs)
        self.keep(Registration(parent=parent_of(parent), inputs=inputs, secrets=secrets, **fields))

    def keep(self, registration: Registration) -> None:
        """Keep a registration made whole (its parent as ``parent_of`` gives it, secrets unwrapped)."""
        with self._lock:
            earlier = self._by_urn.get(registration.urn)
            if earlier is not None:
                self.duplicates.append(Duplicate(registration.urn, earlier, registration))
            else:
                self._by_urn[registration.urn] = registration
            self.registrations.append(registration)


def _alias(alias: Any) -> AliasSpec:
    """An alias as the engine receives it (the gRPC ``Alias`` message): a spec, or a whole URN."""
    if alias.HasField("spec"):
        spec = alias.spec
        return AliasSpec(
            name=spec.name,
            type=spec.type,
            stack=spec.stack,
            project=spec.project,
            parent=spec.parentUrn,
            no_parent=bool(spec.noParent),
        )
    return AliasSpec(urn=alias.urn)
