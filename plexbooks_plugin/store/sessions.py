"""Server-side sign-in sessions: one row per signed-in browser, keyed by the hash of its cookie secret."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import LoginSession


def add_login_session(
    session: Session, session_id: str, user_id: int, plex_token: str | None, now: datetime
) -> LoginSession:
    """Record a signed-in browser (`plex_token` already encrypted)."""
    row = LoginSession(id=session_id, user_id=user_id, plex_token=plex_token, created_at=now, checked_at=now)
    session.add(row)
    session.flush()
    return row


def get_login_session(session: Session, session_id: str) -> LoginSession | None:
    """Return a signed-in browser's row, or None once it was ended."""
    return session.get(LoginSession, session_id)


def end_login_session(session: Session, session_id: str) -> None:
    """End one browser's session (logout)."""
    session.execute(delete(LoginSession).where(LoginSession.id == session_id))


def end_user_sessions(session: Session, user_id: int) -> int:
    """End every session of a user (access removed in Plex); return how many there were."""
    ended = user_session_ids(session, user_id)
    session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
    return len(ended)


def user_session_ids(session: Session, user_id: int) -> list[str]:
    """The ids of a user's live sessions."""
    return list(session.scalars(select(LoginSession.id).where(LoginSession.user_id == user_id)))
