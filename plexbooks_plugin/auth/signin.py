"""The Plex PIN sign-in: plex.tv calls, then the role rule (``roles``), then plexbooks' own session.

How a sign-in goes (``web/auth_views.py`` holds the thin routes):

1. ``start_signin()`` creates a strong PIN at plex.tv and remembers only its id, purpose, expiry and
   the ``next`` path in the (signed) Flask session; the browser goes to the Plex auth page.
2. ``complete_signin()`` accepts only the pin id bound to this session, polls the pin briefly for
   its token, reads the account, asks the configured server for its machineIdentifier and the
   account's ``resources`` for a server with that identifier: owned -> ``admin``, shared -> ``user``,
   missing -> refused. The plex.tv token is kept only encrypted with the server-side session (``sessions``)
   for the daily access re-check; it is never rendered or logged.
3. While no server is configured (no ``plex_url``) the first account to sign in becomes admin and is
   sent to Settings; later accounts wait until the admin connects a server.

A successful sign-in sends ``signals.user_signed_in`` (inside the request), so a host can log the
person into its own login system too; plexbooks itself never touches the host's login.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request, session, url_for

from .. import security
from .. import store as repo
from ..core import PlexBooksCore
from ..errors import ConfigError, PlexbooksError, PlexUnreachable
from ..plex.plextv import PinExpired, PlexAccount, PlexResource, PlexTV
from ..signals import user_signed_in
from ..state import get_state
from . import problems
from .home_stash import forget_home, stash_home
from .problems import SigninPending, SigninProblem, plextv_call
from .roles import first_run_role, server_role
from .servers import forget_servers, stash_servers
from .users import ROLE_ADMIN, PlexbooksUser, current_plexbooks_user, forget_user, remember_user

log = logging.getLogger(__name__)

PIN_SESSION_KEY = "plexbooks_pin"
PURPOSE_LOGIN = "login"
PURPOSE_SETTINGS = "settings"


@dataclass(frozen=True)
class SigninResult:
    """Where to send the browser once the callback succeeded."""

    redirect_to: str
    role: str | None  # None when the flow only fetched servers, or a Home profile is still to be picked
    first_run: bool = False
    pick_profile: bool = False  # a Plex Home account: "Who is this?" comes next


def settings_url() -> str:
    """Return the plugin's settings page URL."""
    return url_for("plexbooks.settings")


def default_after_login() -> str:
    """Return where a sign-in lands without ``next``: PLEXBOOKS_LOGIN_REDIRECT, else the host's root."""
    configured = current_app.config.get("PLEXBOOKS_LOGIN_REDIRECT")
    return str(configured) if configured else (request.script_root or "") + "/"


def first_run_open(core: PlexBooksCore) -> bool:
    """Say whether the first-run sign-in is open: no server configured and no admin yet."""
    with core.session() as db:
        return not repo.get_setting(db, "plex_url") and not repo.has_admin(db)


def signed_in_admin() -> bool:
    """Say whether this browser is signed in to plexbooks as an admin (the API key does not count here)."""
    user = current_plexbooks_user()
    return user is not None and user.role == ROLE_ADMIN


# ---------------------------------------------------------------- the PIN in the session


def start_signin(purpose: str, next_url: str | None) -> tuple[str, str]:
    """Create a strong PIN, bind its id to this session and return (Plex auth URL, pin id)."""
    plextv = get_state().core.plextv()
    pin = plextv_call(lambda: plextv.create_pin(strong=True))
    pin_id = str(pin.id)
    session[PIN_SESSION_KEY] = {
        "id": pin_id,
        "purpose": purpose,
        "next": security.safe_next(next_url, "") or None,
        "expires": _epoch(pin.expires_at, default=time.time() + 1800),
    }
    forward = url_for("plexbooks.login_callback", pin=pin_id, _external=True)
    return plextv.auth_url(pin.code, forward), pin_id


def signin_status() -> str:
    """Return ``none``, ``pending``, ``approved`` or ``expired`` for this session's PIN (never the token)."""
    pending = session.get(PIN_SESSION_KEY)
    if not pending:
        return "none"
    if time.time() >= float(pending.get("expires", 0)):
        return "expired"
    try:
        pin = get_state().core.plextv().check_pin(pending["id"])
    except PinExpired:
        return "expired"
    except PlexbooksError as err:
        raise problems.plextv_problem(err) from err
    return "approved" if pin.auth_token else "pending"


def pending_pin_id() -> str | None:
    """Return the id of the PIN this session is waiting on, if any."""
    pending = session.get(PIN_SESSION_KEY)
    return str(pending["id"]) if pending else None


def _pending_for(pin_param: str | None) -> dict[str, Any]:
    """Return this session's pending PIN when the callback names it; refuse anything else."""
    pending = session.get(PIN_SESSION_KEY)
    if not pending:
        raise problems.no_signin()
    if not pin_param or str(pin_param) != pending["id"]:
        # Someone else's pin id: the session keeps its own pin, the forged one is refused.
        raise problems.pin_mismatch()
    return dict(pending)


def forget_signin() -> None:
    """Sign this browser out of plexbooks and drop its pending PIN, stashed servers and Home (on logout)."""
    session.pop(PIN_SESSION_KEY, None)
    forget_servers(get_state())
    forget_home(get_state())
    forget_user()


# ---------------------------------------------------------------- the callback


def complete_signin(pin_param: str | None) -> SigninResult:
    """Finish the sign-in of this session's PIN: decide the role, sign in, return where to go.

    Raises SigninPending while Plex has not approved the PIN, SigninProblem for every refusal.
    """
    state = get_state()
    core = state.core
    pending = _pending_for(pin_param)
    plextv = core.plextv()
    token = _await_token(plextv, pending)
    session.pop(PIN_SESSION_KEY, None)
    purpose = pending.get("purpose", PURPOSE_LOGIN)
    next_url = security.safe_next(pending.get("next"), "") or None

    account = plextv_call(lambda: plextv.user(token))
    resources = plextv_call(lambda: plextv.resources(token))
    plex_url = core.get_setting("plex_url")

    if purpose == PURPOSE_SETTINGS and signed_in_admin():
        # An admin fetching a server token: the signed-in account does not change.
        stash_servers(state, resources)
        return SigninResult(redirect_to=settings_url(), role=None)
    if not plex_url:
        role = _first_run_role(core, account)
        sign_in(core, account, role, token)
        stash_servers(state, resources)
        log.info("first-run sign-in: %s is the plexbooks admin until a server is configured", account.username)
        return SigninResult(redirect_to=settings_url(), role=role, first_run=True)
    if purpose == PURPOSE_SETTINGS:
        raise problems.admins_only()
    if account.home and account.home_size > 1 and current_app.config.get("PLEXBOOKS_HOME_PROFILES", True):
        profiles = plextv_call(lambda: plextv.home_users(token))
        if len(profiles) > 1:
            stash_home(state, token, profiles, next_url)
            log.info("%s belongs to a Plex Home of %d profiles: asking who is signing in", account.username,
                     len(profiles))
            return SigninResult(redirect_to=url_for("plexbooks.login_profile"), role=None, pick_profile=True)
    role = server_access_role(core, plex_url, token, account, resources)
    sign_in(core, account, role, token)
    log.info("signed in %s as %s", account.username, role)
    return SigninResult(redirect_to=next_url or default_after_login(), role=role)


def server_access_role(
    core: PlexBooksCore, plex_url: str, token: str, account: PlexAccount, resources: list[PlexResource]
) -> str:
    """Apply the role rule to the configured server; refuse an account without access."""
    machine_id, server_name = _server_identity(core, plex_url, token)
    if core.get_setting("plex_machine_identifier") != machine_id:
        core.set_setting("plex_machine_identifier", machine_id)  # the server may have been reinstalled
    role = server_role(resources, machine_id)
    if role is None:
        log.info("sign-in refused: %s has no access to %s", account.username, server_name)
        raise problems.no_access(_display_name(account), server_name)
    return role


def _first_run_role(core: PlexBooksCore, account: PlexAccount) -> str:
    """Admin for the first account while no server is configured (or for that same admin again)."""
    with core.session() as db:
        existing = repo.get_user_by_plex_id(db, int(account.id))
        role = first_run_role(repo.has_admin(db), existing.role if existing is not None else None)
    if role is None:
        raise problems.not_configured()
    return role


def sign_in(core: PlexBooksCore, account: PlexAccount, role: str, token: str) -> PlexbooksUser:
    """Record the account, sign it in to plexbooks in this browser and tell the host.

    The plex.tv token is kept (encrypted) only with the new session, for the daily access re-check.
    """
    with core.session() as db:
        row = repo.upsert_user(
            db, plex_id=int(account.id), username=_display_name(account), role=role,
            uuid_=account.uuid, email=account.email, thumb=account.thumb,
        )
        user = PlexbooksUser(
            id=row.id, plex_id=row.plex_id, username=row.username, role=row.role, email=row.email, thumb=row.thumb
        )
    remember_user(user, token)
    user_signed_in.send(current_app._get_current_object(), user=user)  # type: ignore[attr-defined]
    return user


def _epoch(value: datetime | None, default: float) -> float:
    return value.timestamp() if value is not None else default


def _display_name(account: PlexAccount) -> str:
    return account.username or account.title or "this account"


def _await_token(plextv: PlexTV, pending: dict[str, Any]) -> str:
    """Poll the PIN a few times (bounded by PLEXBOOKS_PIN_POLL_SECONDS and the PIN's expiry) for its token."""
    budget = float(current_app.config["PLEXBOOKS_PIN_POLL_SECONDS"])
    interval = max(float(current_app.config["PLEXBOOKS_PIN_POLL_INTERVAL"]), 0.05)
    expires = float(pending.get("expires", 0))
    deadline = time.monotonic() + budget
    while True:
        if time.time() >= expires:
            session.pop(PIN_SESSION_KEY, None)
            raise problems.expired()
        try:
            pin = plextv.check_pin(pending["id"])
        except PinExpired as err:
            session.pop(PIN_SESSION_KEY, None)
            raise problems.expired() from err
        except PlexbooksError as err:
            raise problems.plextv_problem(err) from err
        if pin.auth_token:
            return str(pin.auth_token)
        if time.monotonic() + interval > deadline:
            raise SigninPending("Plex has not confirmed the sign-in yet")
        time.sleep(interval)


def _server_label(plex_url: str) -> str:
    parts = urlsplit(plex_url)
    return parts.hostname or plex_url


def _server_identity(core: PlexBooksCore, plex_url: str, user_token: str) -> tuple[str, str]:
    """Return (machineIdentifier, display name) of the configured server, asked over the network."""
    try:
        try:
            client = core.plex_client()
        except ConfigError:
            # URL set but no admin token yet: /identity answers without one, the user's token names it.
            client = core.plex_client(url=plex_url, token=user_token)
        identity = client.identity()
    except PlexUnreachable as err:
        raise problems.server_unreachable(_server_label(plex_url)) from err
    except PlexbooksError as err:
        raise problems.server_unavailable(_server_label(plex_url), err) from err
    return identity.machine_identifier, identity.name or _server_label(plex_url)


__all__ = ["SigninPending", "SigninProblem"]
