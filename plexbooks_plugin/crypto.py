"""Encryption of secret settings (the Plex token, the host API key) with Fernet."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import ConfigError

KEY_FILE_NAME = "plexbooks.key"


def resolve_secret_key(config: Mapping[str, Any] | None = None, instance_path: str | Path | None = None) -> str:
    """Find the key: PLEXBOOKS_SECRET_KEY, else SECRET_KEY (app config, then environment), else a key file."""
    config = config or {}
    for name in ("PLEXBOOKS_SECRET_KEY", "SECRET_KEY"):
        value = config.get(name) or os.environ.get(name)
        if value:
            return str(value)
    return read_or_create_key_file(Path(instance_path or "instance") / KEY_FILE_NAME)


def read_or_create_key_file(path: Path) -> str:
    """Read a random secret from `path`, creating it once with mode 0600."""
    folder = path.parent
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    folder.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting together must not both write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret)
    return secret


class SecretBox:
    """Encrypts and decrypts setting values with a Fernet key derived from the app secret."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ConfigError("an empty secret key cannot protect the Plex token")
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"plexbooks-settings", info=b"fernet"
        ).derive(secret_key.encode("utf-8"))
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, plaintext: str) -> str:
        """Encrypt a secret for storage."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def seal(self, data: bytes) -> bytes:
        """Encrypt and authenticate bytes (a cache file only this install can have written)."""
        return self._fernet.encrypt(data)

    def unseal(self, token: bytes) -> bytes | None:
        """The bytes `seal` was given, or None when the token was not sealed with this key or was altered."""
        try:
            return self._fernet.decrypt(token)
        except (InvalidToken, ValueError):
            return None

    def decrypt(self, ciphertext: str) -> str:
        """Decrypt a stored secret; a changed secret key is a clear ConfigError."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError) as err:
            raise ConfigError(
                "a stored secret cannot be decrypted: the secret key changed since it was saved; "
                "set PLEXBOOKS_SECRET_KEY back or store the token again"
            ) from err


def mask(secret: str | None) -> str:
    """Show that a secret is set without revealing it."""
    if not secret:
        return "(not set)"
    return "****" + secret[-2:] if len(secret) > 8 else "****"
