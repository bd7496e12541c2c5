"""Installing sign-in on a host app: cookie flags, CSRF, the sign-in rate limit and log redaction.

Host integration: plexbooks never installs or changes a flask-login ``LoginManager`` (the host may
have its own, or none); its signed-in user lives in its own session key (see ``users``). If the host
has flask-wtf's ``CSRFProtect`` (registered before or after plexbooks), the plexbooks blueprint is
exempt from the host's global check, because plexbooks checks CSRF itself so the host API key can
skip it. If the host has none, plexbooks checks only its own routes and does not turn CSRF on for
the host's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect, csrf_meta_tag, generate_csrf

from .. import security
from ..plex.redact import TokenRedactingFilter
from ..state import PlexBooksState, SlidingWindowLimiter

log = logging.getLogger(__name__)

# Loggers that may see URLs or bodies with tokens; children are covered by the root handlers' filter.
REDACTED_LOGGERS = ("plexbooks_plugin", "plexbooks", "werkzeug", "urllib3", "urllib3.connectionpool", "requests")
# One filter for the process: log handlers are process-wide, and a token learnt once stays masked.
_REDACTOR = TokenRedactingFilter()


def redactor() -> TokenRedactingFilter:
    """Return the process-wide token-masking log filter."""
    return _REDACTOR


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


def init_auth(app: Flask, state: PlexBooksState) -> None:
    """Install sign-in on `app`: CSRF for the blueprint, cookie flags, rate limit, log redaction."""
    app.config.setdefault("PLEXBOOKS_PIN_POLL_SECONDS", 3.0)
    app.config.setdefault("PLEXBOOKS_HOME_PROFILES", True)  # "Who is this?" after a Plex Home account signs in
    app.config.setdefault("PLEXBOOKS_PIN_POLL_INTERVAL", 1.0)
    app.config.setdefault("PLEXBOOKS_LOGIN_RATE_LIMIT", "10/minute")
    rate = security.parse_rate(app.config["PLEXBOOKS_LOGIN_RATE_LIMIT"])
    state.limiter = SlidingWindowLimiter(*rate) if rate else None
    # The popup's page polls every 2 s (30 a minute); more than that from one address is not a browser.
    app.config.setdefault("PLEXBOOKS_LOGIN_STATUS_RATE_LIMIT", "40/minute")
    status_rate = security.parse_rate(app.config["PLEXBOOKS_LOGIN_STATUS_RATE_LIMIT"])
    state.status_limiter = SlidingWindowLimiter(*status_rate) if status_rate else None
    _configure_cookies(app)
    state.csrf = _configure_csrf(app)
    # First in line, so plexbooks exempts its routes from a host CSRFProtect registered earlier too.
    app.before_request_funcs.setdefault(None, []).insert(0, security.protect_plugin_request)
    install_token_redaction()
