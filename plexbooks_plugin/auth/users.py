"""The plexbooks user of a browser: its own session key and its own request-scoped user.

plexbooks never touches the host's login: not flask-login's ``current_user``, user loader or login
manager (a host need not use flask-login at all). A Plex sign-in stores the plexbooks user id under
``session["_plexbooks_user"]``; ``current_plexbooks_user()`` loads it once per request into ``g``.
A host that wants Plex sign-in to log people into the host too listens to ``signals.user_signed_in``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, has_request_context, session

from .. import store as repo
from ..state import get_core
from .roles import ROLE_ADMIN, ROLE_USER
from .sessions import close_session, live_user_id, open_session

__all__ = ["ROLE_ADMIN", "ROLE_USER", "PlexbooksUser", "current_plexbooks_user", "forget_user", "remember_user"]
USER_SESSION_KEY = "_plexbooks_user"
_G_KEY = "_plexbooks_user"


@dataclass
class PlexbooksUser:
    """A Plex account that signed in to plexbooks, with its plexbooks role."""

    id: int
    plex_id: int
    username: str
    role: str
    email: str | None = None
    thumb: str | None = None

    is_authenticated = True  # read by templates written for flask-login-like user objects

    def get_id(self) -> str:
        """Return a prefixed id that cannot collide with a host's own user ids (for hosts that map users)."""
        return f"plexbooks:{self.id}"

    @property
    def plexbooks_role(self) -> str:
        """Return ``admin`` or ``user`` (read by the guards in security.py)."""
        return self.role

    @property
    def plexbooks_user_id(self) -> int:
        """Return the row id in plexbooks_users."""
        return self.id

    @property
    def is_admin(self) -> bool:
        """Say whether this account owns the configured server."""
        return self.role == ROLE_ADMIN


def load_plexbooks_user(user_id: int) -> PlexbooksUser | None:
    """Load a plexbooks user by row id from the current app's database (None when deleted)."""
    with get_core().session() as db:
        row = repo.get_user(db, user_id)
        if row is None:
            return None
        return PlexbooksUser(
            id=row.id, plex_id=row.plex_id, username=row.username, role=row.role, email=row.email, thumb=row.thumb
        )


def current_plexbooks_user() -> PlexbooksUser | None:
    """Return the Plex account signed in to plexbooks in this browser (loaded once per request), or None."""
    if not has_request_context():
        return None
    if _G_KEY not in g:
        secret = session.get(USER_SESSION_KEY)
        user_id = live_user_id(get_core(), secret) if isinstance(secret, str) else None
        if user_id is None and secret is not None:
            session.pop(USER_SESSION_KEY, None)  # ended (logout, access removed) or an old-style cookie
        setattr(g, _G_KEY, load_plexbooks_user(user_id) if user_id is not None else None)
    user: PlexbooksUser | None = g.get(_G_KEY)
    return user


def remember_user(user: PlexbooksUser, plex_token: str | None = None) -> None:
    """Sign `user` in to plexbooks in this browser with a new server-side session (the host's login is left alone).

    `plex_token` (the account's plex.tv token) is kept encrypted with the session for the daily access check.
    """
    previous = session.get(USER_SESSION_KEY)
    if isinstance(previous, str):
        close_session(get_core(), previous)
    session[USER_SESSION_KEY] = open_session(get_core(), user.id, plex_token)
    setattr(g, _G_KEY, user)


def forget_user() -> None:
    """Sign this browser out of plexbooks and end its session server-side (the host's own login is left alone)."""
    secret = session.pop(USER_SESSION_KEY, None)
    if isinstance(secret, str):
        close_session(get_core(), secret)
    setattr(g, _G_KEY, None)
