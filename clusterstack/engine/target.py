"""Where the embedded engine applies objects. The interface is small on purpose: a live-cluster target
(kubectl server-side apply) needs only these five operations.

``directory`` (the default, ``deploy/<stack>``) writes one YAML file per object, named from its kind,
namespace and name, plus a ``kustomization.yaml`` listing them in apply order, ready for
``kubectl apply -k deploy/<stack>`` or a GitOps controller.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from ..components.kube.kinds import ObjectKey
from ..render import relative_path, to_yaml
from .plan import Change
from .state import Entry

if TYPE_CHECKING:
    from ..stack.spec import TargetSpec

KUSTOMIZATION = "kustomization.yaml"


class Target(Protocol):
    def describe(self) -> str: ...

    def apply(self, change: Change) -> None:
        """Make the target hold ``change.after`` (or nothing, for a delete). Idempotent."""

    def read(self, entry: Entry) -> dict[str, Any] | None:
        """The object (or patch) as the target holds it now, or None when it is gone."""

    def finalize(self, entries: Iterable[Entry]) -> None:
        """After a run: whatever indexes the objects (a kustomization) lists exactly ``entries``."""

    def unmanaged(self, entries: Iterable[Entry]) -> list[str]:
        """What the target holds that none of ``entries`` accounts for (clusterstack leaves it alone)."""


PATCHES = "patches"
PATCH_HEADER = """\
# A server-side-apply patch of an object the cluster already has (onExisting: adopt): it sets only
# these fields, and is not in the kustomization, so nothing tries to create the object. Apply it with
#   kubectl apply --server-side --field-manager=clusterstack --force-conflicts -f <this file>
"""


class DirectoryTarget:
    """One YAML file per object, a kustomization per cluster directory listing them, and the patches
    of objects the cluster already has in ``patches/`` beside it, outside the kustomization."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return f"directory {self.root}"

    def path(self, key: ObjectKey, patch: bool = False) -> Path:
        relative = relative_path(key)
        return self.root / relative.parent / PATCHES / relative.name if patch else self.root / relative

    def apply(self, change: Change) -> None:
        if change.before is not None and change.action == "replace" and change.after is not None:
            # Replaced by a different kind of resource (object <-> patch): the old file goes.
            self.path(change.key, not change.patch).unlink(missing_ok=True)
        path = self.path(change.key, change.patch)
        if change.action == "delete":
            if change.deletion != "retain":
                path.unlink(missing_ok=True)
            return
        if change.after is None:
            raise ValueError(f"a {change.action} of {change.key} has no object to write")
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, (PATCH_HEADER if change.patch else "") + to_yaml(change.after))

    def read(self, entry: Entry) -> dict[str, Any] | None:
        path = self.path(entry.key, entry.patch)
        try:
            loaded = yaml.load(path.read_text(), Loader=_LOADER)
            return loaded if isinstance(loaded, dict) else {"(unreadable)": str(path)}
        except FileNotFoundError:
            return None
        except yaml.YAMLError:
            return {"(unreadable)": str(path)}

    def finalize(self, entries: Iterable[Entry]) -> None:
        """One kustomization per cluster directory (the root for the program's one cluster), listing
        exactly its objects (not the patches); a directory left with nothing is removed."""
        by_directory: dict[Path, list[str]] = {}
        for entry in sorted(entries, key=lambda e: e.key.sort_key()):
            if entry.patch:
                continue
            path = relative_path(entry.key)
            by_directory.setdefault(self.root / path.parent, []).append(path.name)
        known = {self.root, *(path for path in self.root.rglob("*") if path.is_dir())} if self.root.is_dir() else set()
        for directory in sorted(known | set(by_directory), key=lambda d: len(d.parts), reverse=True):
            _index(directory, by_directory.get(directory, []), indexed=directory.name != PATCHES)

    def unmanaged(self, entries: Iterable[Entry]) -> list[str]:
        """Files in the directory that no object in state accounts for."""
        if not self.root.is_dir():
            return []
        known = {self.path(entry.key, entry.patch).relative_to(self.root) for entry in entries}
        found = []
        for path in sorted(self.root.rglob("*")):
            relative = path.relative_to(self.root)
            if path.is_file() and relative not in known and path.name != KUSTOMIZATION and not path.name.startswith("."):
                found.append(str(relative))
        return found


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _index(directory: Path, files: list[str], indexed: bool = True) -> None:
    kustomization = directory / KUSTOMIZATION
    if not files or not indexed:
        kustomization.unlink(missing_ok=True)
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
        return
    text = to_yaml({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": files})
    if not kustomization.exists() or kustomization.read_text() != text:
        directory.mkdir(parents=True, exist_ok=True)
        _write(kustomization, text)


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def open_target(spec: TargetSpec, project_root: Path, stack: str) -> DirectoryTarget:
    path = Path(spec.path) if spec.path is not None else Path("deploy") / stack
    return DirectoryTarget(path if path.is_absolute() else project_root / path)
