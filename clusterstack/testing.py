"""Unit-testing Pulumi programs that use clusterstack's components, with Pulumi's own mock runtime.

Run the code that declares your resources, and get back every resource it registered, named as the
Pulumi engine names it (type, logical name, URN with the full parent type chain, parent, provider,
inputs, aliases) and the options the engine acts on (``protect``, ``retain_on_delete``,
``delete_before_replace``, ``replace_on_changes``):

    from clusterstack.testing import run

    def test_the_team_namespace():
        recording = run(lambda: TenantNamespace("shop", args, dns=ClusterDns.kube_dns()))
        [namespace] = recording.of_type("kubernetes:core/v1:Namespace")
        assert namespace.inputs["metadata"]["name"] == "shop"

``run`` waits for everything to register and fails, as ``pulumi preview`` would, on two resources
with one URN (``DuplicateUrnError``). ``run_program`` does the same for a whole program file with its
stack config. ``Recording.moved_from`` answers, for a refactoring, whether each old URN is still
claimed by exactly one resource, directly or through an alias, as the Pulumi engine resolves aliases.

For the ``@pulumi.runtime.test`` style, ``set_mocks()`` installs the same recording monitor and
returns a ``Recorder`` whose ``recording()`` you inspect once your Outputs resolve.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from .program import _sdk
from .program._sdk import Duplicate, Registration, qualify, urn_of
from .program._sdk.alias import AliasSpec
from .stack.files import Layer, as_pulumi_config, program_config, read_stack_file
from .stack.project import Project

__all__ = [
    "AliasSpec",
    "DuplicateUrnError",
    "Recorder",
    "Recording",
    "Registration",
    "run",
    "run_program",
    "set_mocks",
]


class DuplicateUrnError(Exception):
    """Two resources with one URN: ``pulumi preview`` refuses the program (error 2001)."""

    def __init__(self, duplicates: Iterable[Duplicate], by_urn: Mapping[str, Registration]) -> None:
        self.duplicates = list(duplicates)
        super().__init__("\n".join(_sdk.duplicate_message(d, by_urn) for d in self.duplicates))


@dataclass(frozen=True)
class Recording:
    """What a program registered, in order, and what it exported."""

    resources: list[Registration]
    outputs: dict[str, Any] = field(default_factory=dict)
    project: str = "test"
    stack: str = "test"

    def of_type(self, type_token: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_token]

    def named(self, name: str) -> Registration:
        """The one resource with this logical name (an AssertionError when there is none or several)."""
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"{len(found)} resources are named {name!r}: {[r.urn for r in found]}"
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise KeyError(urn)

    def children_of(self, parent: Registration) -> list[Registration]:
        return [r for r in self.resources if r.parent == parent.urn]

    def kubernetes_objects(self) -> list[dict[str, Any]]:
        """The inputs of every Kubernetes object (the manifests the program declares), in order."""
        return [
            r.inputs
            for r in self.resources
            if r.custom and r.type.startswith("kubernetes:") and not r.type.startswith(("kubernetes:yaml", "pulumi:providers"))
        ]

    def alias_urns(self, resource: Registration) -> list[str]:
        """The old URNs ``resource``'s own aliases point at, as the engine computes them from alias specs
        (pkg/resource/deploy/step_generator.go, collapseAliasToUrn)."""
        urns = []
        for alias in resource.aliases:
            if alias.urn:
                urns.append(alias.urn)
                continue
            parent = "" if alias.no_parent else (alias.parent or resource.parent)
            urns.append(
                urn_of(
                    alias.stack or self.stack,
                    alias.project or self.project,
                    qualify(parent, alias.type or resource.type),
                    alias.name or resource.name,
                )
            )
        return urns

    def moved_from(self, old_urns: Iterable[str]) -> dict[str, str | None]:
        """For each resource, the old URN it takes over (its own, or one an alias points at), or None
        for a new one, resolved as the Pulumi engine does against a state holding ``old_urns``: first
        its own URN, then its aliases, then the aliases it inherits from a parent that was matched by an
        alias (the parent's old name replacing the prefix of the child's name).

        An old URN claimed twice is an ``AssertionError`` (the engine refuses it: error 2008)."""
        old = set(old_urns)
        matched: dict[str, str | None] = {}
        claimed: dict[str, str] = {}
        for resource in self.resources:
            candidates = [resource.urn, *self.alias_urns(resource), *self._inherited(resource, matched)]
            found = next((urn for urn in candidates if urn in old), None)
            if found is not None:
                assert found not in claimed, f"{found} is claimed by both {claimed[found]} and {resource.urn}"
                claimed[found] = resource.urn
            matched[resource.urn] = found
        return matched

    def _inherited(self, resource: Registration, matched: Mapping[str, str | None]) -> list[str]:
        """pkg/resource/deploy/step_generator.go, inheritedChildAlias: a parent found under an old URN
        gives its children their names with the parent's old name as prefix, under the old parent."""
        if not resource.parent:
            return []
        parent_old = matched.get(resource.parent)
        if parent_old is None or parent_old == resource.parent:
            return []
        parent = self.by_urn(resource.parent)
        old_parent_name = parent_old.split("::", 3)[3]
        name = resource.name
        if name.startswith(parent.name):
            name = old_parent_name + name[len(parent.name) :]
        return [urn_of(self.stack, self.project, qualify(parent_old, resource.type), name)]


def run(
    program: Callable[[], object],
    *,
    project: str = "test",
    stack: str = "test",
    config: Mapping[str, Any] | None = None,
    mocks: pulumi.runtime.Mocks | None = None,
) -> Recording:
    """Run ``program`` (a function that declares resources) under Pulumi's mocks until everything has
    registered. ``config`` maps ``namespace:key`` to values (structured values as Python objects);
    ``mocks`` answers creates and calls (default: a resource's outputs are its inputs)."""
    result = _sdk.run(program, project=project, stack=stack, config=as_pulumi_config(config or {}), mocks=mocks)
    return _recording(result, project, stack)


def run_program(
    path: str | Path,
    *,
    stack: str = "test",
    project: str | None = None,
    config: Mapping[str, Any] | None = None,
    mocks: pulumi.runtime.Mocks | None = None,
) -> Recording:
    """Run a Pulumi program (the directory holding its Pulumi.yaml, or its ``__main__.py``) on ``stack``
    under the mocks, with the config ``pulumi preview`` would give it: Pulumi.yaml's ``config:``
    values under the stack's ``Pulumi.<stack>.yaml`` (in the project's ``stackConfigDir``), ``config``
    over both, ``secure:`` values decrypted with PULUMI_CONFIG_PASSPHRASE(_FILE) and secret in the
    program. Without a Pulumi.yaml, the config is ``config`` alone. ``project`` overrides the
    project's name. A user error (a malformed file, a secret that cannot be decrypted) raises
    ClusterstackError naming the file and key."""
    where = Path(path)
    manifest_dir = where if where.is_dir() else where.parent
    if (manifest_dir / "Pulumi.yaml").is_file():
        loaded = Project.load(manifest_dir)
        main = loaded.main if where.is_dir() else where
        given = program_config(loaded, read_stack_file(loaded, stack), config)
        name = project if project is not None else loaded.name
    else:
        main = where / "__main__.py" if where.is_dir() else where
        name = project if project is not None else "test"
        given = program_config(Project(manifest_dir, name, main, manifest_dir), Layer("config=", {}), config)
    result = _sdk.run_program(main, project=name, stack=stack, config=given.values, secret_keys=given.secret_keys, mocks=mocks)
    return _recording(result, name, stack)


class Recorder(_sdk.RecordingMonitor):
    """The recording monitor installed by ``set_mocks``, for tests written with ``@pulumi.runtime.test``."""

    def recording(self) -> Recording:
        """What has registered so far (call it once the Outputs your test waits on have resolved)."""
        if self.duplicates:
            raise DuplicateUrnError(self.duplicates, {r.urn: r for r in self.registrations})
        return Recording(list(self.registrations), {}, self.project, self.stack)


def set_mocks(project: str = "test", stack: str = "test", mocks: pulumi.runtime.Mocks | None = None, preview: bool = False) -> Recorder:
    """Install Pulumi's mocks with the recording monitor; a fixture calls it and hands the Recorder to the test."""
    answers = mocks if mocks is not None else _sdk.EchoMocks()
    recorder = Recorder(answers, project, stack)
    pulumi.runtime.set_mocks(answers, project=project, stack=stack, preview=preview, monitor=recorder)
    return recorder


def _recording(result: _sdk.ProgramRun, project: str, stack: str) -> Recording:
    if result.duplicates:
        raise DuplicateUrnError(result.duplicates, {r.urn: r for r in result.registrations})
    return Recording(result.registrations, _sdk.revealed(result.outputs), project, stack)
