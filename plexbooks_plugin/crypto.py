"""Encryption of secret settings (the Plex token, the host API key) with Fernet.

Which key is used, and where it comes from, is decided in ``keys.py``; this module only encrypts
with the first key of a ring and decrypts with any of them.
"""

from __future__ import annotations

import base64
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import ConfigError


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


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"plexbooks-settings", info=b"fernet"
    ).derive(secret_key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


@dataclass(frozen=True)
class SecretKey:
    """One key and where it came from (named in errors, never the key itself)."""

    secret: str = field(repr=False)
    origin: str
    path: Path | None = None  # the key file it was read from


@dataclass(frozen=True)
class KeyRing:
    """The key that encrypts (`primary`), older keys that may still decrypt, and why a key is missing."""

    primary: SecretKey | None
    fallbacks: tuple[SecretKey, ...] = ()
    problem: str | None = None  # e.g. "the key file /x/plexbooks.key named in the database does not exist"

    @property
    def keys(self) -> tuple[SecretKey, ...]:
        """Every key, the primary first."""
        return ((self.primary,) if self.primary else ()) + self.fallbacks


class SecretBox:
    """Encrypts with the ring's primary key and decrypts with any of its keys.

    Built from a plain secret (``SecretBox("...")``), a KeyRing, or a function that loads the ring
    on first use (the CLI's read-only commands find their key only when a secret is read).
    """

    def __init__(self, source: str | KeyRing | Callable[[], KeyRing]) -> None:
        if isinstance(source, str):
            if not source:
                raise ConfigError("an empty secret key cannot protect the Plex token")
            source = KeyRing(SecretKey(source, "the configured secret key"))
        self._loader: Callable[[], KeyRing] | None = None
        self._ring: KeyRing | None = None
        self._fernets: list[tuple[SecretKey, Fernet]] = []
        self._lock = threading.Lock()
        if isinstance(source, KeyRing):
            self._use(source)
        else:
            self._loader = source

    def _use(self, ring: KeyRing) -> None:
        self._fernets = [(key, _fernet(key.secret)) for key in ring.keys if key.secret]
        self._ring = ring

    @property
    def ring(self) -> KeyRing:
        """The keys, loaded on first use."""
        if self._ring is None:
            with self._lock:
                if self._ring is None:
                    assert self._loader is not None
                    self._use(self._loader())
        assert self._ring is not None
        return self._ring

    def encrypt(self, plaintext: str) -> str:
        """Encrypt a secret for storage with the primary key."""
        ring = self.ring
        if ring.primary is None or not self._fernets:
            raise ConfigError(f"no secret key to encrypt with: {ring.problem or 'none was found'}")
        return self._fernets[0][1].encrypt(plaintext.encode("utf-8")).decode("ascii")

    def seal(self, data: bytes) -> bytes:
        """Encrypt and authenticate bytes with the primary key (a cache file only this install can have written)."""
        ring = self.ring
        if ring.primary is None or not self._fernets:
            raise ConfigError(f"no secret key to seal with: {ring.problem or 'none was found'}")
        return self._fernets[0][1].encrypt(data)

    def unseal(self, token: bytes) -> bytes | None:
        """The bytes `seal` was given, or None when no key of the ring sealed them or they were altered."""
        self.ring  # noqa: B018 - loads the keys on first use
        for _key, fernet in self._fernets:
            try:
                return fernet.decrypt(token)
            except (InvalidToken, ValueError):
                continue
        return None

    def decrypt(self, ciphertext: str) -> str:
        """Decrypt a stored secret; no key that fits is a ConfigError naming where the keys came from."""
        return self.decrypt_with_key(ciphertext)[0]

    def decrypt_with_key(self, ciphertext: str) -> tuple[str, SecretKey]:
        """Decrypt a stored secret and say which key opened it."""
        ring = self.ring
        for key, fernet in self._fernets:
            try:
                return fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8"), key
            except (InvalidToken, ValueError):
                continue
        tried = " or ".join(key.origin for key in ring.keys) or "no key"
        problem = f" ({ring.problem})" if ring.problem else ""
        raise ConfigError(
            f"a stored secret cannot be decrypted with {tried}{problem}: the secret key changed since it "
            "was saved; restore that key (or set PLEXBOOKS_SECRET_KEY to the one used before), or store "
            "the secret again (Settings or `plexbooks config set`)"
        )


def mask(secret: str | None) -> str:
    """Show that a secret is set without revealing it."""
    if not secret:
        return "(not set)"
    return "****" + secret[-2:] if len(secret) > 8 else "****"
