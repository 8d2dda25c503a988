"""Decrypting a stack file's ``secure:`` values, as Pulumi's passphrase secrets provider does.

``pulumi config set --secret`` with the passphrase provider writes ``key: {secure: v1:<nonce>:<ciphertext>}``
and, once per stack file, ``encryptionsalt: v1:<salt>:v1:<nonce>:<ciphertext>``. The facts, from
pulumi/pulumi:

- pkg/secrets/passphrase/manager.go (symmetricCrypterFromPhraseAndState, readPassphrase): the
  passphrase is PULUMI_CONFIG_PASSPHRASE when the variable is set at all (an empty one is a valid
  passphrase), else the contents of the file PULUMI_CONFIG_PASSPHRASE_FILE names, stripped of
  surrounding white space. ``encryptionsalt`` is ``v1:<base64 salt>:`` followed by the word
  ``pulumi`` encrypted with the key: when that does not decrypt to ``pulumi`` the passphrase is
  wrong ("incorrect passphrase").
- sdk/go/common/resource/config/crypt.go (NewSymmetricCrypterFromPassphrase, symmetricCrypter): the
  key is PBKDF2-HMAC-SHA256 of the passphrase and salt, 1,000,000 iterations, 32 bytes; a value is
  ``v1:<base64 12-byte nonce>:<base64 AES-256-GCM ciphertext with its tag>``, no associated data.
- sdk/go/common/resource/config/object.go: a secure value is a map whose one key is ``secure``,
  holding a string; it may sit anywhere inside a structured value.

Any other provider (``secretsprovider: awskms://...``, gcpkms, azurekeyvault, hashivault, or the
Pulumi Cloud's, which a stack file without ``encryptionsalt`` implies) needs a service to decrypt:
that is refused, naming the provider. Plain text is never logged, cached or written here.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ClusterstackError, Problem

PASSPHRASE_ENV = "PULUMI_CONFIG_PASSPHRASE"
PASSPHRASE_FILE_ENV = "PULUMI_CONFIG_PASSPHRASE_FILE"
# crypt.go, NewSymmetricCrypterFromPassphrase.
PBKDF2_ITERATIONS = 1_000_000
KEY_BYTES = 32
_MAX_PASSPHRASE_FILE = 64 * 1024
NONCE_BYTES = 12
# manager.go: what encryptionsalt's own ciphertext holds when the passphrase is right.
_CHECK_PLAINTEXT = "pulumi"
_SET_PASSPHRASE = f"set {PASSPHRASE_ENV} to the stack's passphrase, or {PASSPHRASE_FILE_ENV} to a file holding it"
_ONLY_PASSPHRASE = (
    "clusterstack decrypts only the passphrase provider's secrets: run the program with pulumi, or re-encrypt the stack's "
    "secrets with pulumi stack change-secrets-provider passphrase"
)
_UNDECRYPTABLE = (
    "is a secure value the stack's passphrase does not decrypt (malformed, or encrypted for another stack): "
    "set it again with pulumi config set --secret"
)
_MALFORMED_SALT = "is malformed (Pulumi writes v1:<base64 salt>:v1:<nonce>:<ciphertext>): restore it from version control"


def is_secure(value: Any) -> bool:
    """A ``{secure: <ciphertext>}`` map (object.go: a map whose only key is ``secure``, a string)."""
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("secure"), str)


def holds_secure(value: Any) -> bool:
    # Asked of every config value, a whole stack's namespaces among them: a loop, not a call per value.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if is_secure(item):
                return True
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


@dataclass
class Decrypter:
    """Decrypts the secure values of one stack file; asks for the passphrase only when one is met."""

    file: str
    """The stack file as messages name it."""
    settings: Mapping[str, Any]
    """The file's top-level secrets settings: encryptionsalt, secretsprovider, encryptedkey."""
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    _key: bytes | None = field(default=None, init=False, repr=False)

    def decrypted(self, key: str, value: Any, at: str = "") -> Any:
        """``value`` (the config key ``key``'s) with every secure value in it replaced by its plain text."""
        path = f"{key}{at}"
        if is_secure(value):
            return self._decrypt(path, value["secure"])
        if isinstance(value, dict):
            return {k: self.decrypted(key, item, f"{at}.{k}") for k, item in value.items()}
        if isinstance(value, list):
            return [self.decrypted(key, item, f"{at}[{index}]") for index, item in enumerate(value)]
        return value

    def _decrypt(self, path: str, ciphertext: str) -> str:
        if self._key is None:
            self._key = self._unlock(path)
        plain = _open(self._key, ciphertext)
        if plain is None:
            raise self._refusal(path, _UNDECRYPTABLE)
        return plain

    def _unlock(self, path: str) -> bytes:
        """The key for this file's secrets: its provider checked, the passphrase read and verified."""
        provider = str(self.settings.get("secretsprovider", "passphrase"))
        if provider not in ("passphrase", "") or self.settings.get("encryptedkey"):
            raise self._refusal(path, f"is a secret of the {_provider_name(provider)} secrets provider, which needs its service to decrypt; {_ONLY_PASSPHRASE}")
        salt_state = self.settings.get("encryptionsalt")
        if not isinstance(salt_state, str) or not salt_state:
            raise self._refusal(path, f"is a secret, but the stack file has no encryptionsalt: a secret of the Pulumi Cloud provider; {_ONLY_PASSPHRASE}")
        passphrase = self._passphrase(path)
        salt, check = _parse_state(salt_state)
        if salt is None:
            raise self._refusal("encryptionsalt", _MALFORMED_SALT)
        key = derive_key(passphrase, salt)
        if _open(key, check) != _CHECK_PLAINTEXT:
            source = PASSPHRASE_ENV if self.environ.get(PASSPHRASE_ENV) is not None else PASSPHRASE_FILE_ENV
            raise self._refusal("encryptionsalt", f"incorrect passphrase: the one {source} gives does not unlock this stack's secrets; {_SET_PASSPHRASE}")
        return key

    def _refusal(self, path: str, message: str) -> ClusterstackError:
        return ClusterstackError([Problem(self.file, path, message)])

    def _passphrase(self, path: str) -> str:
        # readPassphrase in manager.go: the variable wins whenever it is set, even empty.
        phrase = self.environ.get(PASSPHRASE_ENV)
        if phrase is not None:
            return phrase
        phrase_file = self.environ.get(PASSPHRASE_FILE_ENV, "")
        if not phrase_file:
            raise self._refusal(path, f"is a secret (secure:) and no passphrase is set: {_SET_PASSPHRASE}")
        return _read_passphrase_file(phrase_file)


def _read_passphrase_file(name: str) -> str:
    """The file's text, stripped (manager.go trims it); at most 64 KiB, so that /dev/zero cannot read forever."""

    def refuse(reason: str) -> ClusterstackError:
        return ClusterstackError([f"{PASSPHRASE_FILE_ENV}={name}: cannot read the passphrase file ({reason}); {_SET_PASSPHRASE}"])

    try:
        with Path(name).open("rb") as handle:
            data = handle.read(_MAX_PASSPHRASE_FILE + 1)
    except OSError as error:
        raise refuse(error.strerror if error.strerror else type(error).__name__) from None
    if len(data) > _MAX_PASSPHRASE_FILE:
        raise refuse(f"it holds over {_MAX_PASSPHRASE_FILE:,} bytes; a passphrase is a line of text")
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise refuse("it is not UTF-8 text") from None


def _provider_name(provider: str) -> str:
    scheme = provider.split("://", 1)[0]
    names = {"awskms": "AWS KMS", "gcpkms": "Google Cloud KMS", "azurekeyvault": "Azure Key Vault", "hashivault": "HashiCorp Vault", "default": "Pulumi Cloud"}
    return f"{names[scheme]} ({provider})" if scheme in names else provider


@functools.lru_cache(maxsize=4)
def derive_key(passphrase: str, salt: bytes) -> bytes:
    """crypt.go's key: PBKDF2-HMAC-SHA256, 1,000,000 iterations (about 0.3 s, so once per stack and run)."""
    return hashlib.pbkdf2_hmac("sha256", passphrase.encode("utf-8"), salt, PBKDF2_ITERATIONS, KEY_BYTES)


def _parse_state(state: str) -> tuple[bytes | None, str]:
    """``v1:<salt>:<check ciphertext>`` -> the salt and the check value (manager.go splits at the first two colons)."""
    version, _, rest = state.partition(":")
    salt_text, _, check = rest.partition(":")
    if version != "v1" or not check:
        return None, ""
    try:
        return base64.b64decode(salt_text, validate=True), check
    except binascii.Error:
        return None, ""


def _open(key: bytes, value: str) -> str | None:
    """The plain text of a ``v1:<nonce>:<ciphertext>`` value, or None when it is malformed or the key is wrong."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    parts = value.split(":")
    if len(parts) != 3 or parts[0] != "v1":
        return None
    try:
        nonce = base64.b64decode(parts[1], validate=True)
        sealed = base64.b64decode(parts[2], validate=True)
        if len(nonce) != NONCE_BYTES:
            return None
        return AESGCM(key).decrypt(nonce, sealed, None).decode("utf-8")
    except (binascii.Error, InvalidTag, UnicodeDecodeError, ValueError):
        return None


def encrypt(key: bytes, plaintext: str, nonce: bytes | None = None) -> str:
    """A ``v1:<nonce>:<ciphertext>`` value as crypt.go writes it (a fresh random nonce unless given)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = nonce if nonce is not None else os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), None)
    return f"v1:{base64.b64encode(nonce).decode()}:{base64.b64encode(sealed).decode()}"


def new_encryption_salt(passphrase: str, salt: bytes | None = None) -> str:
    """An ``encryptionsalt`` as manager.go's NewPassphraseSecretsManager writes it (8 random bytes of salt)."""
    salt = salt if salt is not None else os.urandom(8)
    return f"v1:{base64.b64encode(salt).decode()}:{encrypt(derive_key(passphrase, salt), _CHECK_PLAINTEXT)}"
