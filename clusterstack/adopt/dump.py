"""Reading what a cluster has: ``kubectl get … -A -o yaml`` (or ``-o json``), a single manifest,
multi-document YAML, or a directory of manifests as GitOps repositories hold them.

Every object comes back as a ``LiveObject`` naming where it was read (``dump.yaml#3``), so the
report and every error can point at it. What is refused, each naming the file and the object:
a file that is not YAML or JSON, a document that is not a Kubernetes object or ``List``, an
object without ``apiVersion``, ``kind`` or ``metadata.name``, and two objects with one identity
(group, kind, namespace, name: the second would silently win).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import ClusterstackError, Problem
from ..kube.kinds import ObjectKey
from ..kube.serialize import Loader

MAX_BYTES = 256 << 20
"""A whole cluster's dump: 10,000 namespaces with their quotas, limits and policies, managedFields
and all, is about 100 MB. The cap only refuses a file that is not a dump (a disk image) before it is
read whole."""

SUFFIXES = (".yaml", ".yml", ".json")
"""What a directory's manifests are called; other files there (README.md, kustomization's patches
in other formats) are not read."""

# libyaml's parser when PyYAML was built with it: dumps run to megabytes.
_LOADER: type[yaml.SafeLoader] = Loader


@dataclass(frozen=True)
class LiveObject:
    """One object as the cluster (or a repository) has it: ``body`` is the parsed manifest, untouched;
    ``source`` the file it was read from as given, with ``#N`` (the document, then the item, from 0)
    when the file holds more than one."""

    source: str
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.body["kind"])

    @property
    def namespace(self) -> str:
        """"" for a cluster-scoped object, or a namespaced one whose manifest leaves it to kubectl's context."""
        meta = self.body.get("metadata")
        return str(meta.get("namespace") or "") if isinstance(meta, dict) else ""

    @property
    def name(self) -> str:
        return str(self.body["metadata"]["name"])

    @property
    def key(self) -> ObjectKey:
        return ObjectKey.of(self.body)

    def describe(self) -> str:
        """``ResourceQuota payments/compute (dump.yaml#4)``: how the report and errors name it."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where} ({self.source})"


def load(paths: Sequence[Path]) -> list[LiveObject]:
    """Every object in ``paths`` (files or directories), in the order given, each directory's files in
    sorted order: the same input always gives the same list. A ClusterstackError lists every problem
    found, each naming its file and object; nothing is returned in part."""
    problems: list[Problem] = []
    objects: list[LiveObject] = []
    for path in paths:
        for file, shown in _files(path, problems):
            objects.extend(_read(file, shown, problems))
    seen: dict[ObjectKey, LiveObject] = {}
    for live in objects:
        first = seen.setdefault(live.key, live)
        if first is not live:
            problems.append(Problem(live.source, _identity(live), f"is the same object as {first.describe()}; keep one of them"))
    if problems:
        raise ClusterstackError(problems)
    return objects


def _identity(live: LiveObject) -> str:
    where = f"{live.namespace}/{live.name}" if live.namespace else live.name
    return f"{live.kind} {where}"


def _files(path: Path, problems: list[Problem]) -> Iterator[tuple[Path, str]]:
    """The files to read under ``path``, each with the name messages show. A directory is walked in
    sorted order without following a symlink (a link to a directory is not entered; a link to a file
    is read only when it resolves inside the directory given): a manifest repository cannot make the
    import read ``/etc`` or loop through a link to its parent."""
    if path.is_symlink() and not path.exists():
        problems.append(Problem(str(path), "", "is a symlink to nothing; give the dump itself"))
        return
    if path.is_file():
        yield path, str(path)
        return
    if not path.is_dir():
        what = "is not a file or a directory" if path.exists() else "does not exist"
        problems.append(Problem(str(path), "", f"{what}; give a file kubectl get -o yaml wrote, or a directory of manifests"))
        return
    root = path.resolve()
    found = False
    for directory, subdirectories, names in os.walk(path):
        subdirectories.sort()  # os.walk follows this order; links to directories are not entered (followlinks=False)
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]  # .git and the like hold no manifests
        for name in sorted(names):
            file = Path(directory, name)
            if not name.endswith(SUFFIXES) or name.startswith("."):
                continue
            if file.is_symlink() and not file.resolve().is_relative_to(root):
                problems.append(Problem(str(file), "", f"is a symlink out of {path}; it is not read (copy the manifest in instead)"))
                continue
            if not file.is_file():
                continue
            found = True
            yield file, str(file)
    if not found:
        problems.append(Problem(str(path), "", f"holds no manifest (no file ending in {', '.join(SUFFIXES)})"))


def _read(file: Path, shown: str, problems: list[Problem]) -> list[LiveObject]:
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        problems.append(Problem(shown, "", f"cannot be read: {error.strerror}"))
        return []
    if len(data) > MAX_BYTES:
        problems.append(Problem(shown, "", f"is more than {MAX_BYTES:,} bytes, too large for a dump; split it (kubectl get per namespace)"))
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problems.append(Problem(shown, "", f"is not UTF-8 text (byte {error.start}); give what kubectl get -o yaml or -o json printed"))
        return []
    documents = _documents(text, shown, problems)
    if documents is None:
        return []
    entries: list[tuple[str, Any]] = []
    for index, document in enumerate(documents):
        if document is None:
            continue  # an empty document: "---" at the end of a file
        many = len(documents) > 1
        at = f"{shown}#{index}" if many else shown
        if isinstance(document, dict) and _is_list(document):
            items = document.get("items")
            if items is None:
                continue  # kubectl prints "items: []" for nothing found; an omitted list is as empty
            if not isinstance(items, list):
                problems.append(Problem(at, "items", f"is {type(items).__name__}, not a list of objects"))
                continue
            entries.extend((f"{shown}#{index}.{n}" if many else f"{shown}#{n}", item) for n, item in enumerate(items))
        else:
            entries.append((at, document))
    objects = []
    for at, body in entries:
        problem = _not_an_object(body)
        if problem is not None:
            problems.append(Problem(at, "", problem))
            continue
        objects.append(LiveObject(at, body))
    return objects


def _documents(text: str, shown: str, problems: list[Problem]) -> list[Any] | None:
    """The file's documents: JSON when it reads as JSON (kubectl -o json), else YAML's documents."""
    if text.lstrip().startswith(("{", "[")):
        try:
            return [json.loads(text)]
        except ValueError:
            pass  # YAML's flow style starts with a brace too; YAML's error below is the one to show
    try:
        return list(yaml.load_all(text, Loader=_LOADER))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or " ".join(str(error).split())
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problems.append(Problem(shown, "", f"is not valid YAML or JSON: {where}{problem}"))
        return None
    except RecursionError:
        problems.append(Problem(shown, "", "nests too deep to be a Kubernetes object"))
        return None


def _is_list(document: dict[str, Any]) -> bool:
    """kubectl's ``List``, and the typed lists the API server returns (``NamespaceList``)."""
    kind = document.get("kind")
    return kind == "List" or (isinstance(kind, str) and kind.endswith("List") and "items" in document)


def _not_an_object(body: Any) -> str | None:
    """Why ``body`` is not a Kubernetes object, or None when it is one."""
    if not isinstance(body, dict):
        return f"is {_what(body)}, not a Kubernetes object (a map with apiVersion, kind and metadata.name)"
    for key in ("apiVersion", "kind"):
        if not isinstance(body.get(key), str) or not body[key]:
            return f"has no {key}: not a Kubernetes object; give what kubectl get -o yaml printed"
    meta = body.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        return f"{body['kind']} has no metadata.name; a generateName alone names no object to adopt"
    namespace = meta.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        return f"{body['kind']} {meta['name']}: metadata.namespace is {_what(namespace)}, not a name"
    return None


def _what(value: Any) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "null" if value is None else type(value).__name__
