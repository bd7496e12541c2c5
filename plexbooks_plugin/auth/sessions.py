"""Server-side sign-in sessions: opened at sign-in, ended at logout, access re-checked against plex.tv daily.

The browser's (signed) cookie carries a random secret; the table keeps only its SHA-256, so a copied
cookie stops working the moment its row is gone (logout, or access removed in Plex). The account's
plex.tv token is kept encrypted with the row because the daily re-check asks plex.tv with it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from .. import store as repo
from ..const import SettingKey
from ..core import PlexBooksCore
from ..errors import ConfigError, PlexAuthError, PlexbooksError
from .roles import server_role

log = logging.getLogger(__name__)

#: How long a session trusts the access plex.tv last confirmed (DESIGN.md section 7: within 24 h).
ACCESS_RECHECK = timedelta(hours=24)
#: When plex.tv cannot be asked, the session keeps working and asks again this much later.
RECHECK_RETRY = timedelta(minutes=15)


def session_key(secret: str) -> str:
    """The row id of a cookie secret (only the hash is stored, so the table leaks no usable cookie)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def open_session(core: PlexBooksCore, user_id: int, plex_token: str | None) -> str:
    """Record a new signed-in browser for `user_id`; return the secret its cookie carries."""
    secret = secrets.token_urlsafe(32)
    stored = core.box.encrypt(plex_token) if plex_token else None
    with core.session() as db:
        repo.add_login_session(db, session_key(secret), user_id, stored, core.clock())
    return secret


def close_session(core: PlexBooksCore, secret: str) -> None:
    """End a browser's session (logout): its cookie no longer signs anybody in, wherever it was copied."""
    with core.session() as db:
        repo.end_login_session(db, session_key(secret))


def live_user_id(core: PlexBooksCore, secret: str) -> int | None:
    """The user id of a live session, re-checking access when the last check is older than ACCESS_RECHECK."""
    key = session_key(secret)
    with core.session() as db:
        row = repo.get_login_session(db, key)
        if row is None:
            return None
        user_id, token, checked_at = row.user_id, row.plex_token, row.checked_at
    if core.clock() - checked_at < ACCESS_RECHECK:
        return user_id
    return user_id if recheck_access(core, key, user_id, token) else None


def recheck_access(core: PlexBooksCore, key: str, user_id: int, token: str | None) -> bool:
    """Ask plex.tv whether the account still has the server; end all its sessions when not (False)."""
    now = core.clock()
    machine_id = core.get_setting(SettingKey.PLEX_MACHINE_IDENTIFIER)
    if not machine_id:  # first run: no server to check against yet
        _mark_checked(core, key, now)
        return True
    try:
        role = server_role(core.plextv().resources(core.box.decrypt(token)), machine_id) if token else None
    except (PlexAuthError, ConfigError):  # the account's token was revoked, or can no longer be read
        role = None
    except PlexbooksError as err:  # plex.tv is down: keep the session, ask again soon
        log.warning("could not re-check a session's access with plex.tv: %s", err)
        _mark_checked(core, key, now - ACCESS_RECHECK + RECHECK_RETRY)
        return True
    with core.session() as db:
        if role is None:
            ended = repo.end_user_sessions(db, user_id)
            log.info("plexbooks user %s no longer has access to the server: %d session(s) ended", user_id, ended)
            return False
        user = repo.get_user(db, user_id)
        if user is not None:
            user.role = role  # the owner may have changed; a shared user stays a user
    _mark_checked(core, key, now)
    return True


def _mark_checked(core: PlexBooksCore, key: str, when: datetime) -> None:
    with core.session() as db:
        row = repo.get_login_session(db, key)
        if row is not None:
            row.checked_at = when
