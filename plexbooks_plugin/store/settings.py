"""Settings rows: typed reads and validated writes (secrets encrypted), JSON values and the library version counter."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import settings as setting_specs
from ..const import SettingKey
from ..crypto import SecretBox
from ..errors import ConfigError
from ..models import Setting, utcnow

# Settings older installs stored under another key: read when the current key has no row yet.
_LEGACY_ROWS: dict[str, str] = {SettingKey.LIBRARY_IDS: SettingKey.LIBRARY_ID}


def get_setting(session: Session, key: str, box: SecretBox | None = None) -> str | None:
    """Return a setting's value (decrypted when secret), its default when unset; an alias gives the first value."""
    return setting_from(lambda name: session.get(Setting, name), key, box)


def setting_from(lookup: Callable[[str], Setting | None], key: str, box: SecretBox | None = None) -> str | None:
    """`get_setting` over the rows `lookup` finds by key (a session's, or a snapshot from `all_settings`)."""
    spec = setting_specs.spec_for(key)
    if spec.alias_of is not None:
        value = setting_from(lookup, spec.alias_of, box)
        return None if value is None else value.split(",")[0]
    row = lookup(key)
    if row is None and key in _LEGACY_ROWS:
        row = lookup(_LEGACY_ROWS[key])
    if row is None or row.value is None:
        return spec.default
    if row.is_secret:
        if box is None:
            raise ConfigError(f"{key} is encrypted and no secret key was given to read it")
        return box.decrypt(row.value)
    return row.value


def all_settings(session: Session) -> dict[str, Setting]:
    """Every stored setting row by key, in one query (what a request reads its settings from)."""
    return {row.key: row for row in session.scalars(select(Setting))}


def set_setting(session: Session, key: str, value: str | None, box: SecretBox | None = None) -> None:
    """Validate and store a setting (encrypting secrets); None clears it. An alias stores its setting."""
    spec = setting_specs.spec_for(key)
    if spec.alias_of is not None:
        canonical_value = None if value is None else setting_specs.validate(key, value)
        set_setting(session, spec.alias_of, canonical_value, box)
        return
    legacy = _LEGACY_ROWS.get(key)
    if legacy is not None and (old := session.get(Setting, legacy)) is not None:
        session.delete(old)
    stored: str | None = None
    if value is not None:
        canonical = setting_specs.validate(key, value)
        if spec.secret:
            if box is None:
                raise ConfigError(f"{key} is a secret and needs a secret key to be stored")
            stored = box.encrypt(canonical)
        else:
            stored = canonical
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=stored, is_secret=spec.secret, updated_at=utcnow()))
    else:
        row.value, row.is_secret, row.updated_at = stored, spec.secret, utcnow()
    session.flush()


def raw_setting(session: Session, key: str) -> str | None:
    """Return the stored value as it is in the table (a secret stays encrypted): "is one set?" without decrypting."""
    row = session.get(Setting, key)
    return None if row is None else row.value


def get_or_create_client_identifier(session: Session) -> str:
    """Return this install's X-Plex-Client-Identifier, creating it once."""
    existing = get_setting(session, SettingKey.CLIENT_IDENTIFIER)
    if existing:
        return existing
    identifier = str(uuid.uuid4())
    try:
        with session.begin_nested():
            session.add(Setting(key=SettingKey.CLIENT_IDENTIFIER, value=identifier, is_secret=False))
    except IntegrityError:
        # Another process created it first: use theirs so plex.tv sees one device.
        return get_setting(session, SettingKey.CLIENT_IDENTIFIER) or identifier
    return identifier


def library_version(session: Session) -> int:
    """Return the counter bumped whenever the mirrored library changes."""
    return int(get_setting(session, SettingKey.LIBRARY_VERSION) or 0)


def bump_library_version(session: Session) -> None:
    """Tell every process that its in-memory index is stale."""
    row = session.get(Setting, SettingKey.LIBRARY_VERSION)
    if row is None:
        session.add(Setting(key=SettingKey.LIBRARY_VERSION, value="1", is_secret=False))
    else:
        row.value = str(int(row.value or 0) + 1)
        row.updated_at = utcnow()
    session.flush()


def get_json_setting(session: Session, key: str) -> Any:
    """Return a JSON-valued internal setting, or None."""
    value = get_setting(session, key)
    return None if value is None else json.loads(value)


def set_json_setting(session: Session, key: str, value: Any) -> None:
    """Store a JSON-valued internal setting (None clears it)."""
    set_setting(session, key, None if value is None else json.dumps(value))


def set_settings(session: Session, values: dict[str, str | None], box: SecretBox | None = None) -> None:
    """Validate and store several settings together (one transaction: all of them or none)."""
    for key, value in values.items():
        set_setting(session, key, value, box)
