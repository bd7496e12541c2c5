"""Users: the Plex accounts that signed in, and their roles."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import User, utcnow


def upsert_user(
    session: Session,
    *,
    plex_id: int,
    username: str,
    role: str,
    uuid_: str | None = None,
    email: str | None = None,
    thumb: str | None = None,
) -> User:
    """Create or refresh the row of a Plex account that just signed in."""
    user = session.scalars(select(User).where(User.plex_id == plex_id)).first()
    if user is None:
        user = User(plex_id=plex_id, username=username, role=role, created_at=utcnow())
        session.add(user)
    user.username, user.role, user.uuid, user.email, user.thumb = username, role, uuid_, email, thumb
    user.last_login_at = utcnow()
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User | None:
    """Return a user by plexbooks id."""
    return session.get(User, user_id)


def get_user_by_plex_id(session: Session, plex_id: int) -> User | None:
    """Return the user row of a Plex account id, if it ever signed in."""
    return session.scalars(select(User).where(User.plex_id == plex_id)).first()


def get_user_by_username(session: Session, username: str) -> User | None:
    """Return the user row of a Plex username, if that account ever signed in."""
    return session.scalars(select(User).where(User.username == username).order_by(User.id)).first()


def has_admin(session: Session) -> bool:
    """Say whether any signed-in account holds the admin role."""
    return session.scalar(select(User.id).where(User.role == "admin").limit(1)) is not None
