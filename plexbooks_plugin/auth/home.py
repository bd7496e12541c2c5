"""Plex Home: after the PIN sign-in of a Home account, the person picks their profile ("Who is this?").

The chosen profile is switched to at plex.tv (with its PIN when protected), and signed in with the
role its own access to the server gives (the Home's admin owns the server: ``admin``), as its own
plexbooks user with its own requests. A managed profile without access to the server is refused.
"""

from __future__ import annotations

import logging
from typing import Any

from ..errors import HomePinRefused, PlexbooksError
from ..state import get_state
from . import problems
from .home_stash import forget_home, pending_home
from .problems import SigninProblem, plextv_call
from .signin import SigninResult, default_after_login, server_access_role, sign_in

log = logging.getLogger(__name__)


class ProfilePinProblem(Exception):
    """The picked profile needs its PIN, or the PIN was wrong: the picker asks again with this message."""

    def __init__(self, uuid: str, message: str) -> None:
        super().__init__(message)
        self.uuid = uuid
        self.message = message


def home_profiles() -> list[dict[str, Any]] | None:
    """The profiles of this browser's pending Home sign-in (no tokens), or None when there is none."""
    pending = pending_home(get_state())
    return None if pending is None else list(pending[0]["profiles"])


def choose_profile(uuid: str, pin: str | None) -> SigninResult:
    """Switch to the picked profile and sign it in; raises ProfilePinProblem or SigninProblem."""
    state = get_state()
    pending = pending_home(state)
    if pending is None:
        raise problems.no_signin()
    stashed, home_token = pending
    profile = next((p for p in stashed["profiles"] if p["uuid"] == uuid), None)
    if profile is None:
        raise SigninProblem(400, "unknown_profile", "Pick a profile", "Pick one of the profiles listed.")
    pin = (pin or "").strip() or None
    if profile["protected"] and pin is None:
        raise ProfilePinProblem(uuid, f"Enter the PIN of {profile['title']}.")
    core = state.core
    plextv = core.plextv()
    try:
        account, token = plextv.switch_home_user(home_token, uuid, pin)
    except HomePinRefused as err:
        log.info("Home profile switch refused: wrong PIN for %s", profile["title"])
        raise ProfilePinProblem(uuid, f"That PIN is not right for {profile['title']}. Try again.") from err
    except PlexbooksError as err:
        raise problems.plextv_problem(err) from err
    resources = plextv_call(lambda: plextv.resources(token))
    plex_url = core.get_setting("plex_url") or ""
    forget_home(state)  # one pick per sign-in: a refusal below starts over, it does not loop
    role = server_access_role(core, plex_url, token, account, resources)
    sign_in(core, account, role, token)  # the profile's own token: the daily re-check asks about it
    log.info("signed in Home profile %s as %s", profile["title"], role)
    return SigninResult(redirect_to=stashed.get("next") or default_after_login(), role=role)
