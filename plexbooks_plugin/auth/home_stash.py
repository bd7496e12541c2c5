"""A Plex Home sign-in waiting for "Who is this?": its profiles in the session, the Home's token in the stash.

The Flask session cookie is signed, not encrypted: it carries the profiles' public fields and a
random stash id only; the Home account's token stays in this process (``state.stash``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from flask import session

from ..plex.records import HomeProfile
from ..state import STASH_TTL_SECONDS, PlexBooksState

HOME_SESSION_KEY = "plexbooks_home"
_TOKEN_SLOT = "home"
MAX_PROFILES = 30  # keeps the session cookie small; a Plex Home holds at most 15 profiles


def stash_home(state: PlexBooksState, token: str, profiles: Sequence[HomeProfile], next_url: str | None) -> None:
    """Remember a Home sign-in until a profile is picked: its token in the stash, its profiles in the session."""
    forget_home(state)
    session[HOME_SESSION_KEY] = {
        "key": state.stash.put({_TOKEN_SLOT: token}),
        "profiles": [
            {"uuid": p.uuid, "title": p.title, "admin": p.admin, "protected": p.protected, "managed": p.restricted}
            for p in profiles[:MAX_PROFILES]
        ],
        "next": next_url,
        "at": time.time(),
    }


def pending_home(state: PlexBooksState) -> tuple[dict[str, Any], str] | None:
    """This browser's Home sign-in and the Home's token, or None when there is none or it expired."""
    stashed = session.get(HOME_SESSION_KEY)
    if not stashed or time.time() - float(stashed.get("at", 0)) > STASH_TTL_SECONDS:
        return None
    token = state.stash.get(str(stashed.get("key")), _TOKEN_SLOT)
    return (dict(stashed), token) if token else None


def forget_home(state: PlexBooksState) -> None:
    """Drop this browser's Home sign-in and its token."""
    stashed = session.pop(HOME_SESSION_KEY, None)
    if stashed and stashed.get("key"):
        state.stash.discard(str(stashed["key"]))
