"""Where the key that encrypts secret settings comes from, so every process on one database agrees.

Order: ``PLEXBOOKS_SECRET_KEY`` (app config or environment); else the key file whose absolute path
is recorded in the database (setting ``secret_key_file``); else, before anything is recorded, the
default key file: next to a SQLite database file, otherwise in the host's instance folder (the CLI:
``$XDG_CONFIG_HOME/plexbooks``). Writers create that file (0600) and record its path; readers never
create anything. Keys of earlier versions (a host's ``SECRET_KEY``, ``./instance/plexbooks.key``)
still decrypt, and a writer re-encrypts what they opened with the current key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from . import store as repo
from .const import SettingKey
from .crypto import KeyRing, SecretBox, SecretKey, read_or_create_key_file
from .db import VERSION_TABLE, Database
from .errors import ConfigError
from .settings import SECRET_KEYS

KEY_FILE_NAME = "plexbooks.key"
KEY_FILE_SETTING = SettingKey.SECRET_KEY_FILE


@dataclass(frozen=True)
class KeySources:
    """Everything a process knows about its key before it looks at the database."""

    explicit: str | None  # PLEXBOOKS_SECRET_KEY
    default_file: Path  # where a new key file goes
    legacy: tuple[SecretKey, ...] = ()  # keys earlier versions used


def user_config_dir() -> Path:
    """``$XDG_CONFIG_HOME/plexbooks`` (default ``~/.config/plexbooks``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "plexbooks"


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return None
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(str(url.database)).absolute()


def default_key_file(database_url: str, folder: Path) -> Path:
    """Next to a SQLite database file; otherwise in `folder`."""
    database_file = sqlite_file(database_url)
    return (database_file.parent if database_file else folder).absolute() / KEY_FILE_NAME


def key_sources(config: Mapping[str, Any] | None, *, database_url: str, folder: Path) -> KeySources:
    """Collect the explicit key, the default key file and the keys of earlier versions."""
    config = config or {}
    explicit = config.get("PLEXBOOKS_SECRET_KEY") or os.environ.get("PLEXBOOKS_SECRET_KEY")
    default_file = default_key_file(database_url, folder)
    legacy: list[SecretKey] = []
    for where, value in (("the app's SECRET_KEY", config.get("SECRET_KEY")),
                         ("the SECRET_KEY environment variable", os.environ.get("SECRET_KEY"))):
        if value:
            legacy.append(SecretKey(str(value), where))
    old_files = {folder / KEY_FILE_NAME, Path(os.environ.get("PLEXBOOKS_INSTANCE_PATH", "instance")) / KEY_FILE_NAME}
    for path in sorted(p.absolute() for p in old_files):
        if path != default_file and path.is_file():
            try:
                legacy.append(SecretKey(path.read_text(encoding="utf-8").strip(), f"the key file {path}", path))
            except OSError:
                continue
    return KeySources(str(explicit) if explicit else None, default_file, tuple(legacy))


def load_ring(session: Session, sources: KeySources, *, create: bool) -> KeyRing:
    """The keys for this database; `create` makes the default key file when none is recorded yet."""
    primary = SecretKey(sources.explicit, "PLEXBOOKS_SECRET_KEY") if sources.explicit else None
    recorded = repo.get_setting(session, KEY_FILE_SETTING)
    path = Path(recorded) if recorded else sources.default_file
    origin = f"the key file {path}" + (" (named in the database)" if recorded else "")
    file_key: SecretKey | None = None
    problem = None
    try:
        if path.is_file() or (create and not recorded and primary is None):
            file_key = SecretKey(read_or_create_key_file(path), origin, path)
        elif recorded:
            problem = f"the key file {path} named in the database does not exist here"
    except OSError as err:
        problem = f"the key file {path} cannot be read: {err.strerror or err}"
    others = [key for key in (file_key, *sources.legacy) if key is not None]
    if primary is None and others and others[0] is file_key:
        primary, others = file_key, others[1:]
    seen = {primary.secret} if primary else set()
    fallbacks = []
    for key in others:
        if key.secret and key.secret not in seen:
            seen.add(key.secret)
            fallbacks.append(key)
    return KeyRing(primary, tuple(fallbacks), problem)


def adopt_key(db: Database, sources: KeySources) -> KeyRing:
    """Load the keys as a writer: create and record the key file, re-encrypt secrets older keys opened."""
    with db.session() as session:
        ring = load_ring(session, sources, create=True)
        primary = ring.primary
        if primary is None:
            return ring
        if primary.path is not None and repo.get_setting(session, KEY_FILE_SETTING) != str(primary.path):
            repo.set_setting(session, KEY_FILE_SETTING, str(primary.path))
        box, current = SecretBox(ring), SecretBox(KeyRing(primary))
        for name in SECRET_KEYS:
            stored = repo.raw_setting(session, name)
            if not stored:
                continue
            try:
                plaintext, key = box.decrypt_with_key(stored)
            except ConfigError:
                continue  # reading it names the problem; nothing here can repair it
            if key != primary:
                repo.set_setting(session, name, plaintext, current)
    return ring


def secret_box(db: Database, sources: KeySources, *, writer: bool) -> SecretBox:
    """The box of a process: writers adopt the key now (when the tables exist); readers load it on first use."""
    if writer and inspect(db.engine).has_table(VERSION_TABLE):
        return SecretBox(adopt_key(db, sources))

    def load() -> KeyRing:
        with db.session() as session:
            return load_ring(session, sources, create=writer)

    return SecretBox(load)
