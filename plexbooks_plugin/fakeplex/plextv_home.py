"""plex.tv's Plex Home: the Home's profiles (/api/v2/home/users) and switching to one (…/{uuid}/switch)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from .accounts import PlexTvUser
from .library import hex_id
from .plextv import user_json
from .responses import tv_error, tv_json
from .state import ServerState

PIN_REQUIRED = (403, 1041, "A valid PIN is required to perform this action")  # plex.tv's answer, verbatim
_NOT_IN_HOME = (404, 1002, "User not found in this home")
_PROFILE_UPDATED_AT = 1724402119


def _home_user_json(user: PlexTvUser) -> dict[str, Any]:
    """One entry of `users` in /api/v2/home/users (managed profiles have no username or e-mail)."""
    return {
        "id": user.id,
        "uuid": user.uuid,
        "title": user.username,
        "username": None if user.managed else user.username,
        "email": None if user.managed else user.email,
        "friendlyName": "",
        "thumb": user.thumb,
        "hasPassword": not user.managed,
        "restricted": user.managed,
        "updatedAt": _PROFILE_UPDATED_AT,
        "restrictionProfile": None,
        "admin": user.home_admin,
        "guest": False,
        "protected": user.pin is not None,
    }


def home_users(state: ServerState, request: Request, account: PlexTvUser) -> Response:
    """GET /api/v2/home/users: the account's Home and its profiles, admin first."""
    members = state.accounts.home_members(account)
    admin = members[0]
    home_id = account.home_id or account.id
    body = {
        "id": home_id,
        "name": f"{admin.username}'s home",
        "guestUserID": home_id + 1_000_000,
        "guestUserUUID": hex_id("guest", home_id, length=16),
        "guestEnabled": False,
        "subscription": admin.owner,
        "users": [_home_user_json(u) for u in members],
    }
    return tv_json(body)


def switch(state: ServerState, request: Request, account: PlexTvUser, uuid: str) -> Response:
    """POST /api/v2/home/users/{uuid}/switch[?pin=]: the profile's account with its own authToken (201).

    A protected profile needs its PIN (missing or wrong: plex.tv's 403, code 1041); a PIN sent for a
    profile without one is ignored.
    """
    members = state.accounts.home_members(account)
    target = next((u for u in members if u.uuid == uuid), None)
    if target is None:
        return tv_error(*_NOT_IN_HOME)
    body = request.get_json(silent=True) if request.is_json else None
    pin = request.args.get("pin") or request.form.get("pin") or (body or {}).get("pin")
    if target.pin is not None and pin != target.pin:
        return tv_error(*PIN_REQUIRED)
    return tv_json(user_json(target, len(members)), 201)
