"""What evaluating a stack gives: the Kubernetes objects its program declares (``Declared``), with the
components that declare them, and the evaluation around them (``Evaluation``): as ``evaluate.py``
makes it, and as the evaluation cache (cache.py) restores it, checked part by part, its objects
decoded only when something asks for them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from ..errors import Problem
from ..kube.kinds import ObjectKey
from ..kube.lifecycle import Deletion
from ..stack.files import StackConfig
from ..stack.target import TargetSettings
from .options import ReplaceOptions


@dataclass(frozen=True)
class Component:
    type: str
    name: str

    def __str__(self) -> str:
        if self.type == "pulumi:pulumi:Stack":
            return self.name
        return f"{self.type.rpartition(':')[2]} {self.name}"


PROGRAM = Component("pulumi:pulumi:Stack", "(program)")
"""What declares a resource the program registers outside any component."""


@dataclass(frozen=True)
class Declared:
    """One Kubernetes object the program declares."""

    key: ObjectKey
    type: str
    """The Pulumi type token, e.g. kubernetes:core/v1:Namespace."""
    name: str
    """The Pulumi logical name."""
    component: Component
    manifest: dict[str, Any]
    patch: bool = False
    """A server-side-apply patch of an object the cluster already has (a pulumi-kubernetes ``...Patch``)."""
    deletion: Deletion = "delete"
    """How the program holds it: Pulumi's ``protect`` or ``retainOnDelete`` options, or neither."""
    replace_on_changes: tuple[str, ...] = ()
    """Pulumi's ``replaceOnChanges`` option: a change to a property at or below one of these paths
    replaces the object."""
    delete_before_replace: bool | None = None
    """Pulumi's ``deleteBeforeReplace`` option: True, the old object goes first; False, the new one
    comes first; None (unset), as pulumi-kubernetes asks (first, for its own reasons on a named object)."""
    secret_values: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The top-level properties the program marked secret, in plain text; ``manifest`` holds ``[secret]``
    for each (engine/secrets.py). Held in memory only: never cached, stored or printed."""


@dataclass(frozen=True)
class Evaluation:
    stack: str
    read_config: Callable[[], StackConfig] = field(repr=False, compare=False)
    """The stack's config, parsed when first asked for (a cached evaluation is used without it)."""
    warnings: list[Problem]
    """What validating the stack found: valid settings that will hurt."""
    kubernetes_version: str
    target: TargetSettings
    read_objects: Callable[[], list[Declared]] = field(repr=False, compare=False)
    """The objects (``objects``), decoded when first asked for (a cached no-op plan needs none)."""
    outputs: dict[str, Any]
    providers: dict[str, dict[str, Any]]
    """Each cluster's pulumi-kubernetes provider settings, by cluster ("" for the default provider:
    the stack's ``kubernetes:`` config)."""
    restored: bool = False
    """Restored from the cache: its objects hold no secret values (such an evaluation is never cached)."""

    @property
    def objects(self) -> list[Declared]:
        """Sorted in apply order (kind rank, then namespace and name)."""
        return self.read_objects()

    def secret_values(self) -> dict[ObjectKey, Mapping[str, Any]]:
        """The values each object holds that the program marked secret, for the objects holding any."""
        return {} if self.restored else {d.key: d.secret_values for d in self.objects if d.secret_values}

    def replace_options(self) -> dict[ObjectKey, ReplaceOptions]:
        """The options that decide how each object is replaced, for the objects that set any: what
        ``plan`` takes as its ``options``."""
        return {
            d.key: ReplaceOptions(d.replace_on_changes, d.delete_before_replace)
            for d in self.objects
            if d.replace_on_changes or d.delete_before_replace is not None
        }

    @property
    def holds_secrets(self) -> bool:
        """Whether an object holds a value the program marked secret (kept aside in memory, never in
        ``to_json``: such an evaluation is not cached, cache.py). Secret exports need no such care: the
        outputs hold them as ``[secret]`` already."""
        return any(d.secret_values for d in self.objects)

    def to_json(self) -> dict[str, Any]:
        """Everything but the stack's config (which is read anew each time), for the cache and a saved
        plan's evaluation digest. Secret values are ``[secret]`` in it, so what holds secrets cannot be
        restored from it: the cache never takes such an evaluation (``holds_secrets``)."""
        return {
            "warnings": [[w.file, w.path, w.message] for w in self.warnings],
            "kubernetesVersion": self.kubernetes_version,
            "target": self.target.to_json(),
            "objects": [
                {
                    "key": d.key.to_json(),
                    "type": d.type,
                    "name": d.name,
                    "component": [d.component.type, d.component.name],
                    "manifest": d.manifest,
                    "patch": d.patch,
                    "deletion": d.deletion,
                    "replaceOnChanges": list(d.replace_on_changes),
                    "deleteBeforeReplace": d.delete_before_replace,
                }
                for d in self.objects
            ],
            "outputs": self.outputs,
            "providers": self.providers,
        }

    @property
    def config(self) -> StackConfig:
        return self.read_config()

    @classmethod
    def from_json(cls, data: Any, stack: str, read_config: Callable[[], StackConfig]) -> Evaluation | None:
        """An evaluation as ``to_json`` wrote it, or None when ``data`` is not one (``restore``)."""
        try:
            objects = declared_objects(data["objects"])
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return cls.restore(data, lambda: objects, stack, read_config)

    @classmethod
    def restore(cls, summary: Any, objects: Callable[[], list[Declared]], stack: str, read_config: Callable[[], StackConfig]) -> Evaluation | None:
        """An evaluation from what ``to_json`` wrote but its objects (``summary``), and ``objects``,
        which gives them; None when ``summary`` is not such a thing. A cache is input like any other:
        it is used only if every part has the shape ``to_json`` gives it, so a damaged or hand-edited
        cache is evaluated again rather than crashing later."""
        try:
            warnings = [Problem(*_strings(w, 3)) for w in summary["warnings"]]
            target, version, outputs, providers = summary["target"], summary["kubernetesVersion"], summary["outputs"], summary["providers"]
            shapes = isinstance(target, dict) and isinstance(version, str) and isinstance(outputs, dict)
            if not (shapes and isinstance(providers, dict) and all(isinstance(v, dict) for v in providers.values())):
                return None
            settings = TargetSettings.from_json(target)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return cls(stack, read_config, warnings, version, settings, objects, outputs, providers, restored=True)


def declared_objects(data: Any) -> list[Declared]:
    """The objects as ``to_json`` wrote them; a ValueError (or KeyError, TypeError, AttributeError)
    when ``data`` is not that."""
    if not isinstance(data, list):
        raise ValueError("not a list of objects")
    return [_declared(o) for o in data]


class Decoded:
    """An evaluation's objects as the cache keeps them (``to_json``'s JSON), decoded and checked when
    first asked for: from ``load`` (None when the cache finds its bytes are not those it wrote), else,
    when that or what it decodes to is not an evaluation's objects, from ``otherwise`` (which runs the
    program after all): never trusted, never a crash."""

    def __init__(self, load: Callable[[], Any], otherwise: Callable[[], list[Declared]]) -> None:
        self._load = load
        self._otherwise = otherwise
        self._objects: list[Declared] | None = None

    def __call__(self) -> list[Declared]:
        if self._objects is None:
            try:
                data = self._load()
                objects = declared_objects(data) if data is not None else None
            except (KeyError, TypeError, ValueError, AttributeError):
                objects = None
            self._objects = objects if objects is not None else self._otherwise()
        return self._objects


_DELETIONS = frozenset(get_args(Deletion))


def _strings(value: Any, count: int) -> list[str]:
    """``value`` as a list of ``count`` strings; a ValueError when it is not one."""
    if not (isinstance(value, list) and len(value) == count and all(isinstance(item, str) for item in value)):
        raise ValueError(f"not {count} strings")
    return value


def _declared(o: Any) -> Declared:
    """One object as ``to_json`` wrote it; a ValueError (or KeyError, TypeError) when it is not one."""
    key = o["key"]
    if not (isinstance(key, dict) and all(isinstance(part, str) for part in key.values())):
        raise ValueError("not an object key")
    replace_on_changes = o["replaceOnChanges"]
    if not (isinstance(replace_on_changes, list) and all(isinstance(path, str) for path in replace_on_changes)):
        raise ValueError("not a list of property paths")
    declared = Declared(
        ObjectKey.from_json(key), o["type"], o["name"], Component(*_strings(o["component"], 2)), o["manifest"], o["patch"], o["deletion"],
        tuple(replace_on_changes), o["deleteBeforeReplace"],
    )  # fmt: skip
    if not (
        isinstance(declared.type, str) and isinstance(declared.name, str) and isinstance(declared.manifest, dict)
        and isinstance(declared.patch, bool) and declared.deletion in _DELETIONS and declared.delete_before_replace in (None, True, False)
    ):  # fmt: skip
        raise ValueError("not a declared object")
    return declared
