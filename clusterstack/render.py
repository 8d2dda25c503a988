"""Manifests as text: multi-document YAML or JSON, byte-identical for the same input."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import yaml

from .components.kube.kinds import KIND_ORDER, ObjectKey

FORMATS = ("yaml", "json")


# libyaml's emitter when PyYAML has it (the wheels do): the same text, many times faster.
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[valid-type,misc]  # chosen at import: libyaml's or PyYAML's
    """Block style, sorted keys, multi-line strings (a Corefile) as literal blocks, and no anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(manifest: Mapping[str, Any]) -> str:
    return yaml.dump(manifest, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True, width=1000)


def to_json(manifest: Mapping[str, Any]) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def dump(manifests: Iterable[Mapping[str, Any]], fmt: str) -> str:
    manifests = list(manifests)
    if fmt == "json":
        return to_json({"apiVersion": "v1", "kind": "List", "items": manifests})
    return "---\n".join(to_yaml(m) for m in manifests)


NAMING = 3
"""The file naming ``file_name`` implements: 1 was clusterstack 0.2's, which two objects could share;
2 let kinds that differ only in case (``Bar``, ``BAR``) share a file, a cluster or namespace of dots
name a directory above the target, and long names exceed the file system's limit."""

BUILTIN_KINDS = frozenset(
    {
        *KIND_ORDER,
        "APIService", "CSIDriver", "CSINode", "CertificateSigningRequest", "ControllerRevision", "Endpoints", "EndpointSlice",
        "IngressClass", "Lease", "MutatingWebhookConfiguration", "Pod", "PodTemplate", "ReplicationController", "RuntimeClass",
        "StorageClass", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration",
        "VolumeAttachment", "VolumeAttributesClass",
    }
)  # fmt: skip
"""Kinds Kubernetes itself serves: unique however they are cased (each is its lower-case resource), so
their file names spell them in lower case alone. Any other kind carries a digest of its exact spelling."""

MAX_FILE_NAME = 255
"""Bytes in a file name on the file systems a target lives on (ext4, xfs, APFS, NTFS)."""
RESERVED_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "kustomization", "_cluster.yaml", ".clusterstack-target"})
"""Names a target keeps for itself (engine/target.py): no object's file may take one."""


def file_name(key: ObjectKey, fmt: str = "yaml", naming: int = NAMING) -> str:
    """A stable file name per object, one object per name: ``<kind>[-<group>]--[<namespace>--]<name>.<ext>``.

    Within each part every character but lower-case letters, digits, '.' and a lone '-' inside the
    part is written ``_xx`` (its hexadecimal code), so no part holds "--" or starts or ends with '-',
    and the "--" between parts cannot be mistaken: namespace ``a`` with ``b--quota`` and namespace
    ``a--b`` with ``quota`` get two files (naming 1 gave them one). Plain names read as they are.
    The result is one name on a case-insensitive file system too (only the kind has upper case: see
    ``BUILTIN_KINDS``), never a path, and never longer than ``MAX_FILE_NAME`` bytes (``bounded``)."""
    if naming == 1:
        parts = [key.kind.lower() + (f"-{key.group}" if key.group else "")]
        if key.namespace:
            parts.append(key.namespace)
        parts.append(key.name)
        return "--".join(re.sub(r"[^A-Za-z0-9._-]", "_", part) for part in parts) + f".{fmt}"
    kind = _escaped(key.kind.lower(), naming)
    if naming >= 3 and (key.kind not in BUILTIN_KINDS or ("." in key.group and not key.group.endswith(".k8s.io"))):
        kind += "~" + _digest(key.kind)
    parts = [kind + (f"-{_escaped(key.group, naming)}" if key.group else "")]
    if key.namespace:
        parts.append(_escaped(key.namespace, naming))
    parts.append(_escaped(key.name, naming))
    name = "--".join(parts) + f".{fmt}"
    return bounded(name) if naming >= 3 else name


def part_name(text: str, fmt: str = "yaml") -> str:
    """A file name for one identity part (a namespace's file in the namespace layout): escaped, never a
    name the target keeps for itself, never too long."""
    name = f"{_escaped(text, NAMING)}.{fmt}"
    if name in RESERVED_NAMES:
        name = f"_{ord(name[0]):02x}{name[1:]}"
    return bounded(name)


def bounded(name: str) -> str:
    """``name``, or, when it is longer than a file system takes, its start with a digest of the whole
    in place of the tail (the extension kept)."""
    if len(name.encode()) <= MAX_FILE_NAME:
        return name
    stem, dot, ext = name.rpartition(".")
    keep = MAX_FILE_NAME - len(ext) - 1 - 1 - 32
    return f"{stem[:keep]}~{hashlib.sha256(name.encode()).hexdigest()[:32]}{dot}{ext}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _escaped(part: str, naming: int = NAMING) -> str:
    out = []
    for index, char in enumerate(part):
        lone_dash = char == "-" and 0 < index < len(part) - 1 and part[index - 1] != "-" and part[index + 1] != "-"
        # From naming 3 a leading '.' is escaped too: no part is '.', '..' or a hidden file's name.
        dot = char == "." and (index > 0 or naming < 3)
        if ("a" <= char <= "z") or ("0" <= char <= "9") or dot or lone_dash:
            out.append(char)
        else:
            out.append("".join(f"_{byte:02x}" for byte in char.encode()))
    return "".join(out)


def relative_path(key: ObjectKey, fmt: str = "yaml", naming: int = NAMING) -> Path:
    """Where an object's file goes in a directory: ``<file name>``, or ``<cluster>/<file name>`` for
    a program that declares objects for several clusters."""
    name = file_name(key, fmt, naming)
    cluster = _escaped(key.cluster, naming) if naming != 1 else re.sub(r"[^A-Za-z0-9._-]", "_", key.cluster)
    if naming >= 3:
        cluster = bounded(cluster)
    return Path(cluster) / name if key.cluster else Path(name)


def write_files(objects: Iterable[tuple[ObjectKey, Mapping[str, Any], bool]], directory: Path, fmt: str) -> list[Path]:
    """One file per object; one holding secret values (the third item) readable by its owner only."""
    written = []
    for key, manifest, private in objects:
        path = directory / relative_path(key, fmt)
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = 0o600 if private else 0o644
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode), "w") as handle:
            if private:
                os.fchmod(handle.fileno(), mode)  # (an existing file keeps its mode through O_TRUNC)
            handle.write(to_json(manifest) if fmt == "json" else to_yaml(manifest))
        written.append(path)
    return written


class _Declared(Protocol):
    """An evaluation's object (program/evaluate.py's Declared), as far as render needs it."""

    @property
    def key(self) -> ObjectKey: ...
    @property
    def manifest(self) -> dict[str, Any]: ...
    @property
    def secret_values(self) -> dict[str, Any]: ...


def secret_manifests(objects: Iterable[_Declared], show: bool) -> tuple[list[tuple[ObjectKey, dict[str, Any], bool]], list[str]]:
    """What render prints: each object with whether it holds secret values; those, with their values
    in plain text when ``show``, else left out (and named, second)."""
    kept: list[tuple[ObjectKey, dict[str, Any], bool]] = []
    left_out = []
    for declared in objects:
        if not declared.secret_values:
            kept.append((declared.key, declared.manifest, False))
        elif show:
            kept.append((declared.key, {**declared.manifest, **declared.secret_values}, True))
        else:
            left_out.append(str(declared.key))
    return kept, left_out


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A plain text table, numbers right-aligned."""
    cells = [headers] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=False)) for row in cells]
    return "\n".join(lines)
