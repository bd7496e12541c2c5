"""One database session for the reads a request makes before it answers: the API key, the library's version, a page.

Why one: every session costs a pool checkout (a ping first on PostgreSQL), a BEGIN and a COMMIT,
each a round trip to PostgreSQL. A library word search read in three sessions (18 round trips);
in this one it needs 6.

Only reads that need no fresher copy of an object later in the same request belong here: the
session's identity map keeps what it loaded until the request ends, and writes go through
`core.session()` as before. The session is opened on first use and closed (its read transaction
rolled back) when the app context ends.
"""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy.orm import Session

from .state import get_core

_G_KEY = "plexbooks_request_reads"


def request_reads() -> Session:
    """The current app context's read session, opened on first use."""
    session: Session | None = g.get(_G_KEY)
    if session is None:
        session = get_core().db.sessionmaker()
        setattr(g, _G_KEY, session)
    return session


def close_request_reads(_error: BaseException | None = None) -> None:
    """Close the read session of the ending app context, if it opened one."""
    session: Session | None = g.pop(_G_KEY, None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    """Close each request's read session when its app context ends."""
    app.teardown_appcontext(close_request_reads)
