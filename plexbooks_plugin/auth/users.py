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

ROLE_ADMIN = "admin"
ROLE_USER = "user"
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
        user_id = session.get(USER_SESSION_KEY)
        if isinstance(user_id, int) and not isinstance(user_id, bool):
            setattr(g, _G_KEY, load_plexbooks_user(user_id))
        else:
            setattr(g, _G_KEY, None)
    user: PlexbooksUser | None = g.get(_G_KEY)
    return user


def remember_user(user: PlexbooksUser) -> None:
    """Sign `user` in to plexbooks in this browser (the host's own login is left as it is)."""
    session[USER_SESSION_KEY] = user.id
    setattr(g, _G_KEY, user)


def forget_user() -> None:
    """Sign this browser out of plexbooks (the host's own login is left as it is)."""
    session.pop(USER_SESSION_KEY, None)
    setattr(g, _G_KEY, None)
