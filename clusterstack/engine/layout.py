"""Where each object's file goes in a directory (a target, or ``render --out``): one stable, safe
file name per object, whatever its kind, namespace and name."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..kube.kinds import KIND_ORDER, ObjectKey
from ..kube.serialize import to_json, to_yaml

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


_PLAIN = {
    True: re.compile(r"[a-z0-9](?:[a-z0-9.]|-(?=[a-z0-9.]))*"),
    False: re.compile(r"[a-z0-9.](?:[a-z0-9.]|-(?=[a-z0-9.]))*"),
}
"""A part ``_escaped`` leaves as it is (most names: lower-case letters, digits, dots, lone inner dashes;
from naming 3 no leading dot), by whether the naming escapes a leading dot: one match instead of a
loop over its characters, which named 60,000 files in over a second."""


def _escaped(part: str, naming: int = NAMING) -> str:
    if _PLAIN[naming >= 3].fullmatch(part):
        return part
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
