"""Plex PIN sign-in, flask-login wiring, CSRF and cookie hardening, and the sign-in server picker.

How a sign-in goes (``views/auth_views.py`` holds the thin routes):

1. ``start_signin()`` creates a strong PIN at plex.tv and remembers only its id, purpose, expiry and
   the ``next`` path in the (signed) Flask session; the browser goes to the Plex auth page.
2. ``complete_signin()`` accepts only the pin id bound to this session, polls the pin briefly for
   its token, reads the account, asks the configured server for its machineIdentifier and the
   account's ``resources`` for a server with that identifier: owned -> ``admin``, shared -> ``user``,
   missing -> refused. The plex.tv token is then dropped; it is never stored, rendered or logged.
3. While no server is configured (no ``plex_url``) the first account to sign in becomes admin and is
   sent to Settings; later accounts wait until the admin connects a server.

Host integration notes:
- If the host already has ``app.login_manager``, plexbooks keeps it and chains its user loader:
  ids ``"plexbooks:<n>"`` are plexbooks users, every other id goes to the host's loader. A host that
  registers its ``user_loader`` after ``PlexBooks(app)`` must call ``load_plexbooks_user(user_id)``
  itself for ids starting with ``plexbooks:``.
- If the host already has flask-wtf's ``CSRFProtect``, plexbooks reuses it and exempts its blueprint
  from the host's global check (plexbooks checks CSRF itself so the host API key can skip it). If the
  host has none, plexbooks checks only its own routes and does not turn CSRF on for the host's.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, login_user
from flask_wtf.csrf import CSRFProtect, csrf_meta_tag, generate_csrf
from werkzeug.routing import BuildError

from . import security
from . import store as repo
from .core import PlexBooksCore
from .errors import ConfigError, PlexAuthError, PlexbooksError, PlexResponseError, PlexUnreachable
from .plex.plextv import Connection, PinExpired, PlexAccount, PlexResource, PlexTV
from .plex.redact import TokenRedactingFilter

log = logging.getLogger(__name__)
T = TypeVar("T")

AUTH_EXTENSION_KEY = "plexbooks_auth"
USER_ID_PREFIX = "plexbooks:"
PIN_SESSION_KEY = "plexbooks_pin"
SERVERS_SESSION_KEY = "plexbooks_signin_servers"
PURPOSE_LOGIN = "login"
PURPOSE_SETTINGS = "settings"
STASH_TTL_SECONDS = 15 * 60
_STASH_MAX_ENTRIES = 256
_MAX_STASHED_SERVERS = 20  # keeps the session cookie well under the 4 KB browsers accept

# Loggers that may see URLs or bodies with tokens; children are covered by the root handlers' filter.
REDACTED_LOGGERS = ("plexbooks_plugin", "plexbooks", "werkzeug", "urllib3", "urllib3.connectionpool", "requests")
_REDACTOR = TokenRedactingFilter()


# ---------------------------------------------------------------- users


@dataclass
class PlexbooksUser(UserMixin):
    """The flask-login user of a Plex account that signed in; carries its plexbooks role."""

    id: int
    plex_id: int
    username: str
    role: str
    email: str | None = None
    thumb: str | None = None

    def get_id(self) -> str:
        """Return the session id, prefixed so it cannot collide with the host's own user ids."""
        return f"{USER_ID_PREFIX}{self.id}"

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
        return self.role == security.ROLE_ADMIN


def load_plexbooks_user(user_id: str) -> PlexbooksUser | None:
    """flask-login loader for ``"plexbooks:<n>"`` ids (None for any other id or a deleted user)."""
    if not user_id.startswith(USER_ID_PREFIX):
        return None
    try:
        row_id = int(user_id[len(USER_ID_PREFIX):])
    except ValueError:
        return None
    core = current_app.extensions[AUTH_EXTENSION_KEY].core
    with core.session() as db:
        row = repo.get_user(db, row_id)
        if row is None:
            return None
        return PlexbooksUser(
            id=row.id, plex_id=row.plex_id, username=row.username, role=row.role, email=row.email, thumb=row.thumb
        )


# ---------------------------------------------------------------- server-side stash of sign-in tokens


class ServerTokenStash:
    """Short-lived, in-process map of stash id -> {server client identifier: access token}.

    Flask's session cookie is signed, not encrypted, so the tokens of the servers an admin may pick
    stay here; the cookie carries only the random stash id. Per process: with several workers the
    pick must reach the worker that handled the callback (else the admin is asked to sign in again).
    """

    def __init__(self, ttl: float = STASH_TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, dict[str, str]]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, tokens: dict[str, str]) -> str:
        """Keep `tokens` for a while; return the id to find them again."""
        key = secrets.token_urlsafe(24)
        with self._lock:
            self._purge()
            self._entries[key] = (self._clock() + self.ttl, dict(tokens))
            while len(self._entries) > _STASH_MAX_ENTRIES:
                self._entries.popitem(last=False)
        return key

    def get(self, key: str, client_identifier: str) -> str | None:
        """Return the token stashed for one server, or None when unknown or expired."""
        with self._lock:
            self._purge()
            entry = self._entries.get(key)
            return None if entry is None else entry[1].get(client_identifier)

    def discard(self, key: str) -> None:
        """Forget a stash entry."""
        with self._lock:
            self._entries.pop(key, None)

    def _purge(self) -> None:
        now = self._clock()
        for key in [k for k, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]


@dataclass
class AuthState:
    """What init_auth keeps under ``app.extensions["plexbooks_auth"]``."""

    core: PlexBooksCore
    csrf: CSRFProtect
    limiter: security.SlidingWindowLimiter | None
    stash: ServerTokenStash = field(default_factory=ServerTokenStash)
    redactor: TokenRedactingFilter = _REDACTOR


def auth_state(app: Flask | None = None) -> AuthState:
    """Return the sign-in state of `app` (default: the current app)."""
    return (app or current_app).extensions[AUTH_EXTENSION_KEY]  # type: ignore[no-any-return]


# ---------------------------------------------------------------- installation


class _AutoSecureSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, adding ``Secure`` to the cookie whenever the request came over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured so, or when this request is https (ProxyFix makes that true behind a proxy)."""
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)


def _configure_cookies(app: Flask) -> None:
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        # Lax still sends the cookie on the top-level redirect back from app.plex.tv to the callback.
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    elif str(app.config["SESSION_COOKIE_SAMESITE"]).lower() == "strict":
        log.warning(
            "SESSION_COOKIE_SAMESITE=Strict: browsers drop the session on the redirect back from Plex, "
            "so every Plex sign-in will be refused; use Lax"
        )
    explicit = app.config.get("PLEXBOOKS_SECURE_COOKIES")
    if explicit is not None:
        app.config["SESSION_COOKIE_SECURE"] = bool(explicit)
        return
    if app.config.get("PREFERRED_URL_SCHEME") == "https":
        app.config["SESSION_COOKIE_SECURE"] = True
    if type(app.session_interface) is SecureCookieSessionInterface:
        # Only Flask's default interface is swapped; a host's custom session backend is left alone.
        app.session_interface = _AutoSecureSessionInterface()


def _configure_login_manager(app: Flask) -> None:
    manager: LoginManager | None = getattr(app, "login_manager", None)
    if manager is None:
        manager = LoginManager()
        manager.init_app(app)
        manager.login_view = "plexbooks.login"
        manager.user_loader(load_plexbooks_user)
    else:
        host_loader = manager._user_callback

        def chained_loader(user_id: str) -> Any:
            if str(user_id).startswith(USER_ID_PREFIX):
                return load_plexbooks_user(str(user_id))
            return host_loader(user_id) if host_loader is not None else None

        manager.user_loader(chained_loader)
    # Anonymous visitors of plexbooks pages sign in with Plex even when the host has its own login view.
    manager.blueprint_login_views[security.BLUEPRINT_NAME] = "plexbooks.login"


def _configure_csrf(app: Flask) -> CSRFProtect:
    host_csrf = app.extensions.get("csrf")
    if isinstance(host_csrf, CSRFProtect):
        return host_csrf
    # No CSRFProtect.init_app: that would switch CSRF checking on for every host route, which could
    # break a host that never expected it. plexbooks checks its own routes in protect_plugin_request.
    csrf = CSRFProtect()
    app.config.setdefault("WTF_CSRF_ENABLED", True)
    app.config.setdefault("WTF_CSRF_METHODS", ["POST", "PUT", "PATCH", "DELETE"])
    app.config.setdefault("WTF_CSRF_FIELD_NAME", "csrf_token")
    app.config.setdefault("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"])
    app.config.setdefault("WTF_CSRF_META_NAME", "csrf-token")
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 3600)
    app.config.setdefault("WTF_CSRF_SSL_STRICT", True)
    app.jinja_env.globals.setdefault("csrf_token", generate_csrf)
    app.jinja_env.globals.setdefault("csrf_meta_tag", csrf_meta_tag)
    return csrf


def install_token_redaction(extra_handlers: Iterable[logging.Handler] = ()) -> TokenRedactingFilter:
    """Put the token-masking filter on the Plex-adjacent loggers, their handlers and the root handlers (idempotent)."""
    targets: list[logging.Filterer] = [*logging.getLogger().handlers, *extra_handlers]
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        targets.append(logger)
        targets.extend(logger.handlers)
    # Existing child loggers too: a logger's filter does not see records of its children.
    for name, child in list(logging.root.manager.loggerDict.items()):
        if isinstance(child, logging.Logger) and any(name.startswith(p + ".") for p in REDACTED_LOGGERS):
            targets.append(child)
    for target in targets:
        if _REDACTOR not in target.filters:
            target.addFilter(_REDACTOR)
    return _REDACTOR


def init_auth(app: Flask, core: PlexBooksCore) -> None:
    """Install sign-in on `app`: flask-login, CSRF for the blueprint, cookie flags, rate limit, log redaction."""
    app.config.setdefault("PLEXBOOKS_PIN_POLL_SECONDS", 3.0)
    app.config.setdefault("PLEXBOOKS_PIN_POLL_INTERVAL", 1.0)
    app.config.setdefault("PLEXBOOKS_LOGIN_RATE_LIMIT", "10/minute")
    rate = security.parse_rate(app.config["PLEXBOOKS_LOGIN_RATE_LIMIT"])
    limiter = security.SlidingWindowLimiter(*rate) if rate else None

    _configure_cookies(app)
    _configure_login_manager(app)
    csrf = _configure_csrf(app)
    app.extensions[AUTH_EXTENSION_KEY] = AuthState(core=core, csrf=csrf, limiter=limiter)
    app.before_request(security.protect_plugin_request)
    install_token_redaction()


# ---------------------------------------------------------------- the sign-in flow


class SigninProblem(PlexbooksError):
    """A sign-in that cannot go on; the view shows `title`/`message` with `status` (JSON: `code`)."""

    def __init__(self, status: int, code: str, title: str, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.title = title
        self.message = message
        self.retry = retry


class SigninPending(PlexbooksError):
    """The PIN is not approved yet; the browser should wait on the pending page."""


@dataclass(frozen=True)
class SigninResult:
    """Where to send the browser once the callback succeeded."""

    redirect_to: str
    role: str | None  # None when the flow only fetched servers for an already signed-in admin
    first_run: bool = False


def settings_url() -> str:
    """Return the plugin's settings page URL (``/plexbooks/settings`` until the views provide the endpoint)."""
    try:
        return url_for("plexbooks.settings")
    except BuildError:
        return request.script_root + str(current_app.config.get("PLEXBOOKS_URL_PREFIX", "/plexbooks")) + "/settings"


def default_after_login() -> str:
    """Return where a sign-in lands without ``next``: PLEXBOOKS_LOGIN_REDIRECT, else the host's root."""
    configured = current_app.config.get("PLEXBOOKS_LOGIN_REDIRECT")
    return str(configured) if configured else (request.script_root or "") + "/"


def first_run_open(core: PlexBooksCore) -> bool:
    """Say whether the first-run sign-in is open: no server configured and no admin yet."""
    with core.session() as db:
        return not repo.get_setting(db, "plex_url") and not repo.has_admin(db)


def start_signin(purpose: str, next_url: str | None) -> tuple[str, str]:
    """Create a strong PIN, bind its id to this session and return (Plex auth URL, pin id)."""
    core = auth_state().core
    plextv = core.plextv()
    try:
        pin = plextv.create_pin(strong=True)
    except PlexbooksError as err:
        raise _plextv_problem(err) from err
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
        pin = auth_state().core.plextv().check_pin(pending["id"])
    except PinExpired:
        return "expired"
    except PlexbooksError as err:
        raise _plextv_problem(err) from err
    return "approved" if pin.auth_token else "pending"


def pending_pin_id() -> str | None:
    """Return the id of the PIN this session is waiting on, if any."""
    pending = session.get(PIN_SESSION_KEY)
    return str(pending["id"]) if pending else None


def complete_signin(pin_param: str | None) -> SigninResult:
    """Finish the sign-in of this session's PIN: decide the role, sign in, return where to go.

    Raises SigninPending while Plex has not approved the PIN, SigninProblem for every refusal.
    """
    state = auth_state()
    core = state.core
    pending = session.get(PIN_SESSION_KEY)
    if not pending:
        raise SigninProblem(
            400, "no_signin", "No sign-in in progress",
            "This browser has no Plex sign-in in progress: it may have finished already, expired, or "
            "been started in another browser. Start again from this browser.",
        )
    if not pin_param or str(pin_param) != pending["id"]:
        # Someone else's pin id: the session keeps its own pin, the forged one is refused.
        raise SigninProblem(
            403, "pin_mismatch", "This sign-in belongs to another browser",
            "The sign-in link does not match the sign-in started in this browser, so it was refused. "
            "Start again from this browser.",
        )
    plextv = core.plextv()
    token = _await_token(plextv, pending)
    session.pop(PIN_SESSION_KEY, None)
    purpose = pending.get("purpose", PURPOSE_LOGIN)
    next_url = security.safe_next(pending.get("next"), "") or None

    account = _plextv_call(lambda: plextv.user(token))
    resources = _plextv_call(lambda: plextv.resources(token))
    plex_url = core.get_setting("plex_url")

    if purpose == PURPOSE_SETTINGS and _signed_in_admin():
        # An admin fetching a server token: the signed-in account does not change.
        _stash_servers(state, resources)
        return SigninResult(redirect_to=settings_url(), role=None)

    if not plex_url:
        role = _first_run_role(core, account)
        _login(core, account, role)
        _stash_servers(state, resources)
        log.info("first-run sign-in: %s is the plexbooks admin until a server is configured", account.username)
        return SigninResult(redirect_to=settings_url(), role=role, first_run=True)

    if purpose == PURPOSE_SETTINGS:
        raise SigninProblem(403, "forbidden", "Admins only", "Only the Plex server owner can change the Plex server.")

    machine_id, server_name = _server_identity(core, plex_url, token)
    match = next((r for r in resources if r.client_identifier == machine_id and r.is_server), None)
    if match is None:
        log.info("sign-in refused: %s has no access to %s", account.username, server_name)
        raise SigninProblem(
            403, "no_access", f"No access to {server_name}",
            f"The Plex account “{_display_name(account)}” has no access to the Plex server “{server_name}” "
            "that this site uses. Ask the server owner to share a library with you, then sign in again.",
        )
    role = security.ROLE_ADMIN if match.owned else security.ROLE_USER
    _login(core, account, role)
    log.info("signed in %s as %s", account.username, role)
    return SigninResult(redirect_to=next_url or default_after_login(), role=role)


def _signed_in_admin() -> bool:
    """Say whether this browser is signed in as a plexbooks admin (the API key does not count here)."""
    return security.current_plexbooks_user_id() is not None and security.current_role() == security.ROLE_ADMIN


def forget_signin() -> None:
    """Drop this session's pending PIN and stashed servers (on logout)."""
    session.pop(PIN_SESSION_KEY, None)
    stashed = session.pop(SERVERS_SESSION_KEY, None)
    if stashed and stashed.get("key"):
        auth_state().stash.discard(str(stashed["key"]))


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
            raise _expired_problem()
        try:
            pin = plextv.check_pin(pending["id"])
        except PinExpired as err:
            session.pop(PIN_SESSION_KEY, None)
            raise _expired_problem() from err
        except PlexbooksError as err:
            raise _plextv_problem(err) from err
        if pin.auth_token:
            return str(pin.auth_token)
        if time.monotonic() + interval > deadline:
            raise SigninPending("Plex has not confirmed the sign-in yet")
        time.sleep(interval)


def _expired_problem() -> SigninProblem:
    return SigninProblem(
        410, "pin_expired", "The Plex sign-in expired",
        "The sign-in with Plex was not completed in time or was abandoned. Try again.",
    )


def _plextv_problem(err: PlexbooksError) -> SigninProblem:
    """Map a plex.tv failure to a 503 that says plex.tv, never "no access"."""
    if isinstance(err, PlexAuthError):
        return SigninProblem(
            401, "plextv_refused", "Plex did not accept the sign-in",
            "plex.tv refused the sign-in token it had just issued. Try signing in again.",
        )
    if isinstance(err, PlexUnreachable):
        detail = "plex.tv could not be reached"
    else:
        detail = "plex.tv answered with something unexpected"
    return SigninProblem(
        503, "plextv_unavailable", "plex.tv is not answering",
        f"{detail}, so the sign-in could not be checked. This is not about your access: try again in a minute.",
    )


def _plextv_call(call: Callable[[], T]) -> T:
    try:
        return call()
    except PlexbooksError as err:
        raise _plextv_problem(err) from err


def _server_label(plex_url: str) -> str:
    parts = urlsplit(plex_url)
    return parts.hostname or plex_url


def _server_identity(core: PlexBooksCore, plex_url: str, user_token: str) -> tuple[str, str]:
    """Return (machineIdentifier, display name) of the configured server, refreshing the cached identifier."""
    try:
        try:
            client = core.plex_client()
        except ConfigError:
            # URL set but no admin token yet: /identity answers without one, the user's token names it.
            client = core.plex_client(url=plex_url, token=user_token)
        identity = client.identity()
    except PlexUnreachable as err:
        raise SigninProblem(
            503, "server_unreachable", "Your Plex server is not answering",
            f"The Plex server at {_server_label(plex_url)} could not be reached, so your access could not "
            "be checked. This is not about your access: check that the server is running and try again.",
        ) from err
    except PlexbooksError as err:
        raise SigninProblem(
            503, "server_unavailable", "Your Plex server could not be checked",
            f"The Plex server at {_server_label(plex_url)} did not identify itself ({err}). Try again shortly.",
        ) from err
    if core.get_setting("plex_machine_identifier") != identity.machine_identifier:
        core.set_setting("plex_machine_identifier", identity.machine_identifier)
    return identity.machine_identifier, identity.name or _server_label(plex_url)


def _first_run_role(core: PlexBooksCore, account: PlexAccount) -> str:
    """Admin for the first account while no server is configured (or for that same admin again)."""
    with core.session() as db:
        if not repo.has_admin(db):
            return security.ROLE_ADMIN
        existing = repo.get_user_by_plex_id(db, int(account.id))
        if existing is not None and existing.role == security.ROLE_ADMIN:
            return security.ROLE_ADMIN
    raise SigninProblem(
        503, "not_configured", "plexbooks is not set up yet",
        "The admin has not connected a Plex server yet, so access cannot be checked. Try again later.",
        retry=False,
    )


def _login(core: PlexBooksCore, account: PlexAccount, role: str) -> PlexbooksUser:
    with core.session() as db:
        row = repo.upsert_user(
            db, plex_id=int(account.id), username=_display_name(account), role=role,
            uuid_=account.uuid, email=account.email, thumb=account.thumb,
        )
        user = PlexbooksUser(
            id=row.id, plex_id=row.plex_id, username=row.username, role=row.role, email=row.email, thumb=row.thumb
        )
    login_user(user)
    return user


# ---------------------------------------------------------------- servers for the settings page


def _connection_kind(connection: Connection) -> str:
    if connection.relay:
        return "relay"
    return "local" if connection.local else "remote"


def _public_servers(resources: Sequence[PlexResource]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    order = {"local": 0, "remote": 1, "relay": 2}
    servers: list[dict[str, Any]] = []
    tokens: dict[str, str] = {}
    for resource in resources:
        if not resource.is_server or not resource.client_identifier:
            continue
        connections = sorted(
            ({"uri": str(c.uri), "kind": _connection_kind(c)} for c in resource.connections if c.uri),
            key=lambda c: order[c["kind"]],  # sorted() is stable: Plex's order survives within a kind
        )
        servers.append({
            "name": resource.name, "client_identifier": resource.client_identifier,
            "owned": bool(resource.owned), "connections": connections[:8],
        })
        if resource.access_token:
            tokens[resource.client_identifier] = resource.access_token
        if len(servers) >= _MAX_STASHED_SERVERS:
            break
    servers.sort(key=lambda s: (not s["owned"], str(s["name"]).lower()))
    return servers, tokens


def _stash_servers(state: AuthState, resources: Sequence[PlexResource]) -> None:
    servers, tokens = _public_servers(resources)
    previous = session.get(SERVERS_SESSION_KEY)
    if previous and previous.get("key"):
        state.stash.discard(str(previous["key"]))
    session[SERVERS_SESSION_KEY] = {"key": state.stash.put(tokens), "servers": servers, "at": time.time()}


def signin_servers() -> list[dict[str, Any]]:
    """Return the servers of the last "sign in with Plex" of this admin session, for the settings page.

    Each is ``{"name", "client_identifier", "owned", "connections": [{"uri", "kind"}]}`` with
    connections ordered local, remote, relay. Never contains a token. Empty when none or expired.
    """
    stashed = session.get(SERVERS_SESSION_KEY)
    if not stashed or time.time() - float(stashed.get("at", 0)) > STASH_TTL_SECONDS:
        return []
    return list(stashed.get("servers") or [])


@dataclass(frozen=True)
class PickedServer:
    """The server an admin picked after signing in with Plex, now stored in the settings."""

    url: str
    name: str
    client_identifier: str
    changed_server: bool  # True when it replaced a different server: the library choice must be redone


def pick_server_from_signin(client_identifier: str, uri: str | None = None, *, probe: bool = True) -> PickedServer:
    """Store the picked server's URL, its (encrypted) token and machine identifier from the last sign-in.

    Call it from an admin-only view in a request of the admin's session. Without `uri` the server's
    connections are tried in order (local, remote, relay) and the first one that answers as this
    server wins; with `uri` only that one (it must be one of the listed connections). `probe=False`
    skips the test and takes `uri` or the first connection as is. Raises ConfigError when the sign-in
    expired or the server is not listed, PlexUnreachable when no connection answers.
    """
    state = auth_state()
    stashed = session.get(SERVERS_SESSION_KEY) or {}
    server = next((s for s in signin_servers() if s["client_identifier"] == client_identifier), None)
    if server is None:
        raise ConfigError("that server is not among the servers of your last Plex sign-in; sign in with Plex again")
    token = state.stash.get(str(stashed.get("key", "")), client_identifier)
    if not token:
        raise ConfigError("the Plex sign-in expired before a server was picked; sign in with Plex again")
    uris = [c["uri"] for c in server["connections"]]
    if uri is not None:
        if uri not in uris:
            raise ConfigError(f"{uri} is not one of the addresses Plex lists for {server['name']}")
        uris = [uri]
    if not uris:
        raise ConfigError(f"Plex lists no address for {server['name']}; enter the server URL by hand")
    state.redactor.add_secret(token)
    chosen = uris[0] if not probe else _first_answering(state.core, uris, token, client_identifier, server["name"])
    previous = state.core.get_setting("plex_machine_identifier")
    state.core.set_setting("plex_url", chosen)
    state.core.set_setting("plex_token", token)
    state.core.set_setting("plex_machine_identifier", client_identifier)
    log.info("Plex server %s picked at %s", server["name"], chosen)
    return PickedServer(
        url=chosen, name=str(server["name"]), client_identifier=client_identifier,
        changed_server=bool(previous) and previous != client_identifier,
    )


def _first_answering(core: PlexBooksCore, uris: Sequence[str], token: str, machine_id: str, name: str) -> str:
    from .plex.client import PlexClient

    failures: list[str] = []
    for candidate in uris:
        # Short timeouts, no retries: relay and plex.direct addresses are often unreachable from here.
        client = PlexClient(
            candidate, token, session=core.http_session, timeout=(3.0, 10.0), retries=0,
            client_identifier=core.client_identifier(),
        )
        try:
            found = client.identity().machine_identifier
        except (PlexUnreachable, PlexResponseError, PlexAuthError, ConfigError) as err:
            failures.append(f"{urlsplit(candidate).netloc}: {err}")
            continue
        if found == machine_id:
            return candidate
        failures.append(f"{urlsplit(candidate).netloc}: a different server answered")
    raise PlexUnreachable(f"no address of {name} answered: " + "; ".join(failures))
