"""Stack configuration: stacks/common.yaml under the stack's own Pulumi.<stack>.yaml.

A stack file is a Pulumi stack config file. Its ``config:`` keys are ``namespace:key``; a bare key
belongs to the project's namespace, as Pulumi reads it. The stack's file is deep-merged over
common.yaml: maps merge by key, lists and scalars (and null) replace. Each layer keeps its file's
name so that an error can say which file to edit.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ClusterstackError, Problem
from ..kube.paths import KeyPath, dotted
from .project import Project
from .secure import Decrypter, holds_secure
from .yamlfile import parse_yaml, read_bounded

NAMESPACE = "clusterstack"
PREFIX = f"{NAMESPACE}:"
# The top-level keys Pulumi itself writes into a stack file.
PULUMI_STACK_KEYS = ("config", "environment", "encryptionsalt", "encryptedkey", "secretsprovider")
SECRETS_SETTINGS = ("encryptionsalt", "encryptedkey", "secretsprovider")

@dataclass(frozen=True)
class Layer:
    """One file's ``config:`` map, with normalised ``namespace:key`` keys."""

    file: str
    config: dict[str, Any]
    digest: str = ""
    """The SHA-256 of the file as read ("" for config that came from elsewhere)."""
    secrets: dict[str, Any] = field(default_factory=dict)
    """How the file's ``secure:`` values are encrypted: its encryptionsalt, encryptedkey, secretsprovider."""

    def get(self, path: KeyPath) -> tuple[bool, Any]:
        node: Any = self.config
        for part in path:
            if isinstance(node, list):
                if not (isinstance(part, int) and 0 <= part < len(node)):
                    return False, None
                node = node[part]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return False, None
        return True, node


@dataclass(frozen=True)
class StackConfig:
    """The layers of one stack, lowest first, and their merged values."""

    stack: str
    layers: tuple[Layer, ...]

    @property
    def stack_layer(self) -> Layer:
        return self.layers[-1]

    def merged(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for layer in self.layers:
            merged = deep_merge(merged, layer.config)
        return merged

    def provider_values(self) -> dict[str, Any]:
        """The ``kubernetes:`` keys: the settings of the program's default pulumi-kubernetes provider."""
        return {key: value for key, value in self.merged().items() if key.startswith("kubernetes:")}

    def platform_values(self) -> dict[str, Any]:
        """The ``clusterstack:`` keys without their prefix: what ClusterPlatformArgs reads."""
        return {key[len(PREFIX):]: value for key, value in self.merged().items() if key.startswith(PREFIX)}

    def origin(self, path: KeyPath) -> str:
        """The file that set ``path``: the last layer holding the longest part of it."""
        for length in range(len(path), 0, -1):
            holders = [layer.file for layer in self.layers if layer.get(path[:length])[0]]
            if holders:
                return holders[-1]
        return self.stack_layer.file

    def problem(self, path: KeyPath, message: str) -> Problem:
        return Problem(self.origin(path), dotted(path), message)


def deep_merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return override


@dataclass(frozen=True)
class StackFile:
    """One of a stack's files as read, not yet parsed."""

    path: Path
    display: str
    """The file as messages name it (``stacks/Pulumi.dev.yaml``)."""
    raw: bytes
    digest: str
    """The SHA-256 of ``raw``."""


@dataclass(frozen=True)
class StackSource:
    """A stack's files as read, before they are parsed: common.yaml (when present), then the stack's
    own file. The evaluation cache is keyed by their digests, so a cached evaluation is found without
    parsing them; parsing (``parse_stack``) takes these same bytes, never a second read."""

    stack: str
    files: tuple[StackFile, ...]

    @property
    def digests(self) -> dict[str, str]:
        """Each file's digest, by the name messages give it."""
        return {file.display: file.digest for file in self.files}


def read_stack_source(project: Project, stack: str) -> StackSource:
    """The bytes of common.yaml (when present) and of the stack's file (which must exist)."""
    stack_path = project.require_stack(stack)
    files = []
    for path in (project.common_file, stack_path):
        if path.is_file():
            raw = read_bounded(path)
            files.append(StackFile(path, project.display(path), raw, hashlib.sha256(raw).hexdigest()))
    return StackSource(stack, tuple(files))


def parse_stack(project: Project, source: StackSource) -> StackConfig:
    """The stack's files parsed and checked; every problem found, or the config."""
    problems: list[Problem] = []
    layers = []
    for file in source.files:
        layer = _parse_layer(file.display, file.raw, file.digest, project, problems)
        if layer is not None:
            layers.append(layer)
    if problems:
        raise ClusterstackError(problems)
    return StackConfig(source.stack, tuple(layers))


def read_stack(project: Project, stack: str) -> StackConfig:
    """Read common.yaml (when present) and the stack's file; every problem found, or the config."""
    return parse_stack(project, read_stack_source(project, stack))


def stack_from_pulumi_config(project: Project, stack: str, raw: Mapping[str, str], secret_keys: Iterable[str]) -> StackConfig:
    """The config as a running Pulumi program sees it (stack file only), under common.yaml from disk."""
    problems: list[Problem] = []
    display = project.display(project.stack_file(stack))
    for key in sorted(set(secret_keys)):
        if key.startswith(PREFIX):
            problems.append(Problem(display, key, _SECRET))
    config = {key: _decode(value) for key, value in raw.items()}
    layers = []
    if project.common_file.is_file():
        common = _read_layer(project.common_file, project, problems)
        if common is not None:
            layers.append(common)
    layers.append(Layer(display, config))
    if problems:
        raise ClusterstackError(problems)
    return StackConfig(stack, tuple(layers))


@dataclass(frozen=True)
class ProgramConfig:
    """The config a Pulumi program is run with: every value as the CLI hands it over (a string,
    structured values as JSON, secure values decrypted) and the keys whose values are secret."""

    values: dict[str, str]
    secret_keys: tuple[str, ...]


def read_stack_file(project: Project, stack: str) -> Layer:
    """The stack's own ``Pulumi.<stack>.yaml`` in the project's stackConfigDir, as Pulumi reads it (no
    common.yaml, no clusterstack rules); an empty layer when the stack has no file."""
    path = project.stack_file(stack)
    if not path.is_file():
        return Layer(project.display(path), {})
    problems: list[Problem] = []
    layer = _read_layer(path, project, problems, platform=False)
    if problems or layer is None:
        raise ClusterstackError(problems)
    return layer


def program_config(project: Project, layer: Layer, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> ProgramConfig:
    """The config the Pulumi CLI runs the program with, from the stack's file ``layer``: ``overrides``
    over it (bare keys are the project's), Pulumi.yaml's values for the keys neither sets, every key
    the project requires present (pkg/workspace/config.go, mergeConfig), and ``secure:`` values
    decrypted (secure.py). A key holding a secure value anywhere is secret, as the CLI lists it in
    PULUMI_CONFIG_SECRET_KEYS."""
    values = dict(layer.config)
    for key, value in (overrides if overrides is not None else {}).items():
        values[key if ":" in key else f"{project.name}:{key}"] = value
    missing = []
    for declared in project.config:
        if declared.key in values:
            continue
        if declared.has_value:
            values[declared.key] = declared.value
        elif declared.key.startswith(f"{project.name}:"):
            missing.append(declared.key)
    if missing:
        raise ClusterstackError([Problem(layer.file, key, f"{_REQUIRED}{key.partition(':')[2]}") for key in missing])
    decrypter = Decrypter(layer.file, layer.secrets, environ if environ is not None else os.environ)
    secret_keys = sorted(key for key, value in values.items() if holds_secure(value))
    plain = {key: decrypter.decrypted(key, values[key]) if key in secret_keys else value for key, value in sorted(values.items())}
    problems = [
        Problem(layer.file, declared.key, message)
        for declared in project.config
        if declared.key in plain and (message := declared.problem(plain[declared.key], declared.key in secret_keys)) is not None
    ]
    if problems:
        raise ClusterstackError(problems)
    return ProgramConfig(as_pulumi_config(plain), tuple(secret_keys))


def pulumi_config(layer: Layer) -> dict[str, str]:
    """A layer as Pulumi hands config to a program: strings, structured values as JSON."""
    return as_pulumi_config(layer.config)


def as_pulumi_config(values: Mapping[str, Any]) -> dict[str, str]:
    """Config values as Pulumi hands them to a program: strings, structured values as JSON."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()}


def _decode(value: str) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _config_key_path(path: KeyPath) -> str:
    """A key path in a stack file as messages show it: from the config key (``clusterstack:namespaces.x``)."""
    return dotted(path[1:]) if path[:1] == ("config",) and len(path) > 1 else dotted(path)


_REQUIRED = "is declared in Pulumi.yaml's config: without a default, and the stack does not set it: pulumi config set "
_SECRET = (
    "is a Pulumi secret (secure:); no clusterstack setting takes a secret (the platform's objects would carry it "
    "in plain text): write the value in plain text"
)


def _read_layer(path: Path, project: Project, problems: list[Problem], *, platform: bool = True) -> Layer | None:
    """One stack file; ``platform``: also refuse secrets among the clusterstack: keys (the spec's)."""
    raw = read_bounded(path)
    return _parse_layer(project.display(path), raw, hashlib.sha256(raw).hexdigest(), project, problems, platform=platform)


def _parse_layer(display: str, raw: bytes, digest: str, project: Project, problems: list[Problem], *, platform: bool = True) -> Layer | None:
    """One stack file's bytes (whose SHA-256 is ``digest``), as ``_read_layer`` reads them."""
    try:
        data = parse_yaml(raw, display, _config_key_path)
    except ClusterstackError as error:
        problems.extend(error.problems)
        return None
    if data is None:
        return Layer(display, {}, digest)
    if not isinstance(data, dict):
        problems.append(Problem(display, "", "must be a map with a config: key (a Pulumi stack file)"))
        return None
    for key in data:
        if key not in PULUMI_STACK_KEYS:
            problems.append(Problem(display, str(key), f"is not a stack file key{_suggest(str(key), PULUMI_STACK_KEYS)}"))
    config = data.get("config") or {}
    if not isinstance(config, dict):
        problems.append(Problem(display, "config", "must be a map of namespace:key to value"))
        return None
    normalised = {}
    for raw_key, value in config.items():
        key = str(raw_key)
        full = key if ":" in key else f"{project.name}:{key}"
        normalised[full] = value
        if platform and full.startswith(PREFIX) and _has_secure_key(value):
            problems.extend(Problem(display, dotted((full, *p)), _SECRET) for p in _secure_paths(value))
    secrets = {key: data[key] for key in SECRETS_SETTINGS if key in data}
    return Layer(display, normalised, digest, secrets)


def _has_secure_key(value: Any) -> bool:
    """Whether ``_secure_paths`` finds any: a loop over the values, without their paths (a stack's
    namespaces are tens of thousands of them, and hold none)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if "secure" in item:
                return True
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _secure_paths(value: Any, at: KeyPath = ()) -> Iterable[KeyPath]:
    if isinstance(value, dict):
        if "secure" in value:
            yield at
            return
        for key, item in value.items():
            yield from _secure_paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _secure_paths(item, (*at, index))


def _suggest(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    known_list = ", ".join(sorted(known))
    return f"; did you mean {close[0]}?" if close else f" (known: {known_list})"
