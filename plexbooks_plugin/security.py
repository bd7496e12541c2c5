"""Request guards of the plexbooks blueprint: roles, the host API key, CSRF, safe redirects, rate limits.

Views use the decorators::

    from plexbooks_plugin.security import admin_required, user_required

    @bp.get("/api/library")
    @user_required
    def library(): ...

Who is who:
- a browser signed in with Plex (plexbooks' own session key, see ``auth.users``) has its stored role,
  ``admin`` or ``user``;
- a request carrying a valid ``X-Plexbooks-Key`` header (setting ``api_key``) is ``admin`` and needs no
  CSRF token (a browser cannot add that header cross-site without CORS, so it cannot be forged);
- a host flask-login user object that exposes a ``plexbooks_role`` attribute is honoured too, so a host
  that keeps its own users can map them onto plexbooks roles (plexbooks never changes the host's login);
- everybody else is anonymous: pages redirect to the Plex sign-in (with ``next``), JSON answers 401.
"""

from __future__ import annotations

import functools
import hmac
import math
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import current_app, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.wrappers import Response

from .auth.users import ROLE_ADMIN, ROLE_USER, current_plexbooks_user
from .errors import PlexbooksError
from .request_reads import request_setting
from .state import SlidingWindowLimiter, get_state

P = ParamSpec("P")
R = TypeVar("R")

API_KEY_HEADER = "X-Plexbooks-Key"
BLUEPRINT_NAME = "plexbooks"
__all__ = ["ROLE_ADMIN", "ROLE_USER", "SlidingWindowLimiter"]

# ---------------------------------------------------------------- request classification


def is_plugin_request() -> bool:
    """Say whether the current request was routed to the plexbooks blueprint (or one nested in it)."""
    return BLUEPRINT_NAME in request.blueprints


def is_api_request() -> bool:
    """Say whether the current request is for the plugin's JSON API (a path under ``<prefix>/api/``)."""
    return request.path.startswith(get_state().url_prefix.rstrip("/") + "/api/")


def wants_json() -> bool:
    """Say whether the caller expects JSON: an API path, a JSON body, or Accept preferring JSON."""
    if is_api_request() or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def json_error(status: int, code: str, message: str, **extra: Any) -> Response:
    """Build the contract's JSON error answer ``{"error": code, "message": text, ...}``."""
    response = jsonify({"error": code, "message": message, **extra})
    response.status_code = status
    return response


def error_page(status: int, title: str, message: str, **context: Any) -> Response:
    """Render ``plexbooks/auth_error.html`` with a status code (the page never shows a token)."""
    body = render_template("plexbooks/auth_error.html", status=status, title=title, message=message, **context)
    return Response(body, status=status, mimetype="text/html")


def error_response(status: int, code: str, title: str, message: str, **context: Any) -> Response:
    """Answer JSON or an HTML page, whichever the caller expects."""
    if wants_json():
        return json_error(status, code, message)
    return error_page(status, title, message, **context)


# ---------------------------------------------------------------- safe redirects


def is_safe_next(target: str | None) -> bool:
    """Accept only a local absolute path: no scheme, no host, no ``//`` or backslash tricks."""
    if not target or not target.startswith("/"):
        return False
    # Browsers treat "\" like "/", so "/\evil" and "\\evil" would leave the site; control characters
    # can be stripped by browsers and turn "/\t/evil" into "//evil".
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    if target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str) -> str:
    """Return `target` when it is a safe local path, else `default`."""
    return target if target is not None and is_safe_next(target) else default


def current_local_url() -> str:
    """Return the current request's path and query, relative to the host's root, for ``next``."""
    query = request.query_string.decode("utf-8", "replace")
    path = request.script_root + request.path
    return f"{path}?{query}" if query else path


# ---------------------------------------------------------------- API key and roles


def api_key_matches(presented: str | None, expected: str | None) -> bool:
    """Compare a presented key with the configured one in constant time; no key configured matches nothing."""
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def api_key_status() -> bool | None:
    """None without an ``X-Plexbooks-Key`` header; else whether it is the configured key (cached per request)."""
    presented = request.headers.get(API_KEY_HEADER)
    if presented is None:
        return None
    if "plexbooks_api_key_ok" not in g:
        try:
            expected = request_setting("api_key")
        except PlexbooksError:  # an undecryptable key is a key that cannot match
            expected = None
        g.plexbooks_api_key_ok = api_key_matches(presented, expected)
    return bool(g.plexbooks_api_key_ok)


def current_role() -> str | None:
    """Return ``admin``, ``user`` or None (anonymous) for the current request."""
    if api_key_status():
        return ROLE_ADMIN
    user = current_plexbooks_user()
    if user is not None:
        return user.role
    return _host_user_role()


def _host_user_role() -> str | None:
    """The ``plexbooks_role`` of the host's own flask-login user, when the host has flask-login and sets one."""
    manager = getattr(current_app, "login_manager", None)
    if manager is None:
        return None
    try:
        # Imported here: flask-login is optional (plexbooks does not need it); only hosts that have one get here.
        from flask_login import LoginManager, current_user
    except ImportError:
        return None
    if not isinstance(manager, LoginManager):  # another login system (e.g. Calibre-Web's own): not ours to read
        return None
    role = getattr(current_user, "plexbooks_role", None) if current_user.is_authenticated else None
    return str(role) if role in (ROLE_ADMIN, ROLE_USER) else None


def current_plexbooks_user_id() -> int | None:
    """Return the plexbooks user id of the signed-in Plex user (None for the API key or a host user)."""
    user = current_plexbooks_user()
    return user.id if user is not None else None


def _anonymous_answer() -> ResponseReturnValue:
    if wants_json():
        if api_key_status() is False:
            return json_error(401, "unauthorized", f"the {API_KEY_HEADER} header does not match the configured API key")
        return json_error(401, "unauthorized", "sign in with Plex first (or send the host's API key)")
    return redirect(url_for("plexbooks.login", next=current_local_url()))


def _forbidden_answer() -> ResponseReturnValue:
    if wants_json():
        return json_error(
            403, "forbidden",
            "Only an admin may call this endpoint: sign in as the Plex server owner, or send the host's API key.",
        )
    return error_page(403, "Admins only", "This page needs the Plex server owner (a plexbooks admin).")


def _require(role: str, view: Callable[P, R]) -> Callable[P, R | ResponseReturnValue]:
    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | ResponseReturnValue:
        have = current_role()
        if have is None:
            return _anonymous_answer()
        if role == ROLE_ADMIN and have != ROLE_ADMIN:
            return _forbidden_answer()
        return view(*args, **kwargs)

    return wrapper


def user_required(view: Callable[P, R]) -> Callable[P, R | ResponseReturnValue]:
    """Let any signed-in Plex user (or the host API key) through; anonymous gets 401 JSON or the sign-in redirect."""
    return _require(ROLE_USER, view)


def admin_required(view: Callable[P, R]) -> Callable[P, R | ResponseReturnValue]:
    """Let only admins (the server owner, or the host API key) through; a plain user gets 403."""
    return _require(ROLE_ADMIN, view)


# ---------------------------------------------------------------- CSRF for the blueprint


def protect_plugin_request() -> ResponseReturnValue | None:
    """before_request hook: check the API key and CSRF of state-changing requests to the plexbooks blueprint.

    A request with a valid ``X-Plexbooks-Key`` skips CSRF; a wrong key is refused outright (401),
    never silently downgraded to a browser session.
    """
    if not is_plugin_request():
        return None
    _exempt_from_host_csrf()
    key_ok = api_key_status()
    if key_ok is False:
        return json_error(401, "unauthorized", f"the {API_KEY_HEADER} header does not match the configured API key")
    if key_ok or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return None
    if request.method not in current_app.config.get("WTF_CSRF_METHODS", ("POST", "PUT", "PATCH", "DELETE")):
        return None
    csrf = get_state().csrf
    try:
        csrf.protect()
    except CSRFError as err:
        reason = err.description or "CSRF validation failed"
        if wants_json():
            if current_role() is None:
                # Nobody is signed in: the missing credential, not the CSRF token, is what the caller must fix.
                return _anonymous_answer()
            return json_error(400, "csrf_failed", f"{reason} Reload the page, or send the X-CSRFToken header.")
        return error_page(
            400, "The form expired", f"{reason} Go back, reload the page and try again.", retry_url=request.referrer
        )
    return None


def _exempt_from_host_csrf() -> None:
    """Keep a host's global CSRFProtect off plexbooks' routes: plexbooks checks them itself (API key included).

    Done per request, not at registration, so it also holds for a host that enables CSRF after plexbooks.
    plexbooks' hook runs first in that case (before_request hooks run in the order they were added).
    """
    host_csrf = current_app.extensions.get("csrf")
    blueprint = current_app.blueprints.get(request.blueprint or "")
    if isinstance(host_csrf, CSRFProtect) and blueprint is not None:
        host_csrf.exempt(blueprint)


# ---------------------------------------------------------------- rate limiting
#
# Why not flask-limiter: sign-in is the only limited route, the limit is per client address and
# per process, and a 40-line sliding window avoids a dependency (and its storage backends) that
# the host may already configure differently. Behind a reverse proxy the host must apply ProxyFix
# so request.remote_addr is the client, not the proxy.

_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


def parse_rate(value: Any) -> tuple[int, float] | None:
    """Parse ``"10/minute"``, ``"5/30"`` (seconds), an int (per minute) or None/0 (off) into (count, seconds)."""
    if value in (None, "", 0, False):
        return None
    if isinstance(value, int):
        return (value, 60.0)
    count_text, _, period_text = str(value).partition("/")
    count = int(count_text.strip())
    period_text = period_text.strip().lower() or "minute"
    try:
        period = float(period_text)
    except ValueError:
        unit = period_text if period_text in _PERIODS else period_text.rstrip("s")
        if unit not in _PERIODS:
            raise ValueError(f"PLEXBOOKS_LOGIN_RATE_LIMIT: unknown period {period_text!r}") from None
        period = float(_PERIODS[unit])
    return None if count <= 0 else (count, period)



def _limit_by(
    limiter_of: Callable[[], SlidingWindowLimiter | None], title: str, what: str
) -> Callable[[Callable[P, R]], Callable[P, R | ResponseReturnValue]]:
    """A decorator counting each request against `limiter_of()` per client address; over it: 429 + Retry-After."""

    def decorate(view: Callable[P, R]) -> Callable[P, R | ResponseReturnValue]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | ResponseReturnValue:
            limiter = limiter_of()
            if limiter is not None:
                wait = limiter.hit(request.remote_addr or "unknown")
                if wait:
                    retry_after = str(math.ceil(wait))
                    response = error_response(
                        429, "rate_limited", title, f"Too many {what} from your address; try again in {retry_after} s."
                    )
                    response.headers["Retry-After"] = retry_after
                    return response
            return view(*args, **kwargs)

        return wrapper

    return decorate


#: Counts the request against the sign-in limit of its client address (PLEXBOOKS_LOGIN_RATE_LIMIT).
rate_limited = _limit_by(lambda: get_state().limiter, "Too many sign-in attempts", "sign-in attempts")
#: Counts a sign-in status poll (each one asks plex.tv) against PLEXBOOKS_LOGIN_STATUS_RATE_LIMIT.
status_rate_limited = _limit_by(lambda: get_state().status_limiter, "Too many status checks", "sign-in status checks")
