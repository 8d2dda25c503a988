"""Secret values: what the program marks secret never leaves memory in plain text.

The program marks a value secret with ``pulumi.Output.secret`` (``config.require_secret`` gives one;
pulumi-kubernetes wraps a Secret's ``data`` and ``stringData`` in one itself: see its
``sdk/python/pulumi_kubernetes/core/v1/Secret.py``). The SDK tells which top-level input property
held one, so that property and everything below it is secret here (the finest honest granularity:
within ``stringData`` nothing says which key was secret and which not).

- The evaluation keeps the values aside (``Declared.secret_values``) and ``SHOWN`` in the manifest,
  so every output built from an evaluation (render, validate, the analyses) says ``[secret]``.
- State, its backup and journal, and saved plans hold a *sealed* value: ``[secret] hmac-sha256:<hex>``,
  an HMAC-SHA256 of the value under a random key. Equal values seal equally, so a plan sees an
  unchanged secret as unchanged and a changed one as changed, without ever holding either.
- The key is 32 random bytes in ``secrets.key`` (0600) in the state directory, not inside the state:
  a state file that leaks (pasted into an issue, committed, backed up) then gives no way to test
  guesses of a low-entropy secret ("hunter2") against its digest. Losing the key only makes every
  secret-bearing object show as changed once (it is rewritten under the new key).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets as _random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ClusterstackError
from ..files import private_directory
from ..kube.manifest import SHOWN

_SEALED_PREFIX = "[secret] hmac-sha256:"
KEY_FILE = "secrets.key"
_KEY_BYTES = 32


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_SEALED_PREFIX)


def is_secret(value: Any) -> bool:
    """A sealed value, or the placeholder an evaluation holds."""
    return value == SHOWN or is_sealed(value)


def masked(value: Any) -> Any:
    """``value`` with every sealed value shown as ``[secret]``: for anything printed."""
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return SHOWN if is_sealed(value) else value


def holds_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return any(holds_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(holds_secret(item) for item in value)
    return is_secret(value)


class Sealer:
    """Seals secret values with the key of one state directory (made on first use)."""

    def __init__(self, state_dir: Path | None) -> None:
        """``state_dir`` None: no key (a target not opened for a stack, which never needs one)."""
        self.path = state_dir / KEY_FILE if state_dir is not None else None
        self._key: bytes | None = None

    def key(self) -> bytes:
        if self._key is None:
            try:
                self._key = self._load()
            except OSError as error:
                reason = error.strerror if error.strerror is not None else str(error)
                raise ClusterstackError([f"{self.path}: the key that seals secret values cannot be read or made ({reason})"]) from None
        return self._key

    def _load(self) -> bytes:
        if self.path is None:
            raise RuntimeError("sealing secret values needs the state directory's key")
        try:
            key = self.path.read_bytes()
        except FileNotFoundError:
            key = b""
        if len(key) == _KEY_BYTES:
            return key
        private_directory(self.path.parent)
        key = _random.token_bytes(_KEY_BYTES)
        # (a file of the wrong length, truncated by a full disk, is replaced: the next plan then shows
        # the secret-bearing objects changed once, and up rewrites them)
        temporary = self.path.with_name(f".{KEY_FILE}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(key)
                handle.flush()
                os.fsync(handle.fileno())
            if self.path.exists():  # a damaged one: replaced
                os.replace(temporary, self.path)
                return key
            try:
                os.link(temporary, self.path)  # (fails if another run made one meanwhile: then that one is the key)
            except FileExistsError:
                return self._load()
            return key
        finally:
            temporary.unlink(missing_ok=True)

    def seal(self, value: Any) -> str:
        """The sealed form of one secret value (any JSON value: a string, a map of them)."""
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return _SEALED_PREFIX + hmac.new(self.key(), text.encode(), hashlib.sha256).hexdigest()

    def sealed(self, manifest: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
        """``manifest`` with each secret property (``values``: name -> plain value) sealed."""
        return {**manifest, **{name: self.seal(value) for name, value in values.items()}}

    def sealed_like(self, document: Mapping[str, Any], recorded: Mapping[str, Any]) -> dict[str, Any]:
        """``document`` (read back from a target) sealed where ``recorded`` (its state entry) is: to
        compare the two, and to record drift without the value."""
        names = [name for name, value in recorded.items() if is_sealed(value)]
        return {**document, **{name: self.seal(document[name]) for name in names if name in document}}


def revealed(manifest: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest with its secret properties in plain text (only for a target that opted in)."""
    return {**manifest, **values}


class SecretWriting:
    """What a target writes of an object holding secret values: nothing (``omit``, the default), or
    the plain values this run's evaluation holds (``plaintext``, in a 0600 file)."""

    def __init__(self, mode: str, sealer: Sealer) -> None:
        self.mode = mode
        self.sealer = sealer
        self.values: dict[Any, Mapping[str, Any]] = {}
        """Each object's secret properties in plain text (ObjectKey -> name -> value), from the evaluation."""
        self.omitted: set[Any] = set()
        self.plaintext: set[Any] = set()

    def content(self, key: Any, manifest: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """What to write for the object: ``manifest`` itself when it holds no secret, else its plain
        text when the stack opted in and this run knows the very values that were sealed, else None."""
        names = [name for name, value in manifest.items() if is_sealed(value)]
        if not names:
            return manifest
        values = self.values.get(key)
        if self.mode != "plaintext" or values is None or any(name not in values or self.sealer.seal(values[name]) != manifest[name] for name in names):
            self.omitted.add(key)
            return None
        self.plaintext.add(key)
        return revealed(manifest, {name: values[name] for name in names})

    def withheld(self, key: Any, manifest: Mapping[str, Any]) -> bool:
        """The object is not in the target (content() gave None for it)."""
        return self.content(key, manifest) is None

    def notices(self, where: str) -> list[str]:
        """Once per run: what was left out, or that plain text was written."""
        found = []
        if self.omitted:
            names = ", ".join(sorted(str(key) for key in self.omitted))
            reason = "clusterstack:target.secrets is omit" if self.mode != "plaintext" else "their values are not those this run evaluated"
            found.append(
                f"note: not written to {where}, as they hold values the program marks secret ({reason}): {names}. "
                "Deliver them with SOPS, Sealed Secrets or External Secrets, or set clusterstack:target.secrets: plaintext"
            )
        if self.plaintext:
            found.append(f"warning: {where} holds secret values in plain text (clusterstack:target.secrets: plaintext), in files only you may read (0600)")
        return found
