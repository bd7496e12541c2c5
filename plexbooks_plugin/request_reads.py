"""One database session for the reads a request makes before it answers: its settings and the page it lists.

Why: every session costs a pool checkout (a ping first on PostgreSQL), a BEGIN and a COMMIT, each a
round trip to PostgreSQL, and every setting read one query more. A library word search read the API
key, the library's version and its page in three sessions (18 round trips); here it reads the
settings table once and the page in the same session (6).

Only reads belong here that need no fresher copy later in the same request: the settings are read
once, when the request first asks for one, and the session keeps what it loaded until the request
ends. Writes go through `core.session()` as before. The session is opened on first use and closed
(its read transaction rolled back) when the app context ends.
"""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy.orm import Session

from . import store as repo
from .const import SettingKey
from .models import Setting
from .state import get_core

_SESSION_KEY = "plexbooks_request_reads"
_SETTINGS_KEY = "plexbooks_request_settings"


def request_reads() -> Session:
    """The current app context's read session, opened on first use."""
    session: Session | None = g.get(_SESSION_KEY)
    if session is None:
        session = get_core().db.sessionmaker()
        setattr(g, _SESSION_KEY, session)
    return session


def request_setting(key: str) -> str | None:
    """A setting (decrypted when secret) as the settings table stood when this request first read it."""
    rows: dict[str, Setting] | None = g.get(_SETTINGS_KEY)
    if rows is None:
        rows = repo.all_settings(request_reads())
        setattr(g, _SETTINGS_KEY, rows)
    return repo.setting_from(rows.get, key, get_core().box)


def request_library_version() -> int:
    """The library's version counter as this request read it (whether the in-memory indexes are current)."""
    return int(request_setting(SettingKey.LIBRARY_VERSION) or 0)


def close_request_reads(_error: BaseException | None = None) -> None:
    """Close the read session of the ending app context, if it opened one."""
    g.pop(_SETTINGS_KEY, None)
    session: Session | None = g.pop(_SESSION_KEY, None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    """Close each request's read session when its app context ends."""
    app.teardown_appcontext(close_request_reads)
