"""Helpers every view module shares: JSON errors, body validation, the signed-in user, formatting."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from ..core import PlexBooksCore
from ..errors import ConfigError, PlexAuthError, PlexbooksError, PlexResponseError, PlexUnreachable, ScanRunning
from ..extension import get_core, get_state

#: Largest request body a plugin route accepts (bytes); hosts may change PLEXBOOKS_MAX_BODY.
DEFAULT_MAX_BODY = 1024 * 1024
#: Most books one POST /api/availability may ask about; hosts may change PLEXBOOKS_AVAILABILITY_MAX.
DEFAULT_AVAILABILITY_MAX = 500


class ApiError(Exception):
    """An error answered as ``{"error": code, "message": text, ...extra}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def response(self) -> ResponseReturnValue:
        """Render the error as the JSON contract describes."""
        return jsonify({"error": self.code, "message": self.message, **self.extra}), self.status


def abort_json(status: int, code: str, message: str, **extra: Any) -> NoReturn:
    """Stop the view with a JSON error."""
    raise ApiError(status, code, message, **extra)


def plexbooks_error(err: PlexbooksError) -> ApiError:
    """Translate a plexbooks error into the API answer a client can act on."""
    if isinstance(err, ScanRunning):
        return ApiError(409, "scan_running", str(err), run_id=err.run_id)
    if isinstance(err, ConfigError):
        return ApiError(409, "not_configured", str(err))
    if isinstance(err, PlexAuthError):
        # 502, not 401: the browser's own session is fine, it is Plex that refused plexbooks' token.
        return ApiError(502, "plex_unauthorized", str(err))
    if isinstance(err, PlexUnreachable):
        return ApiError(502, "plex_unreachable", str(err))
    if isinstance(err, PlexResponseError):
        return ApiError(502, "plex_error", str(err))
    return ApiError(500, "plexbooks_error", str(err))


def core() -> PlexBooksCore:
    """Return the PlexBooksCore of the current app."""
    return get_core()


def url_prefix() -> str:
    """Return where the plugin is mounted (e.g. ``/plexbooks``)."""
    return get_state().url_prefix


def is_api_request() -> bool:
    """Say whether the current request is for the JSON API (errors then answer JSON)."""
    return request.path.startswith(url_prefix().rstrip("/") + "/api/")


def max_body() -> int:
    """Return the largest body a plugin route accepts."""
    return int(current_app.config.get("PLEXBOOKS_MAX_BODY", DEFAULT_MAX_BODY))


def check_body_size() -> ResponseReturnValue | None:
    """Refuse an oversized body before anything reads it (413)."""
    limit = max_body()
    length = request.content_length
    if length is not None and length > limit:
        return ApiError(413, "body_too_large", f"the request body is {length} bytes; the limit is {limit}").response()
    if length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        # A chunked body has no length to check: read at most one byte past the limit (the data stays
        # cached for the view). Werkzeug would silently cut the body at the limit instead of refusing it.
        try:
            request.max_content_length = limit + 1
        except AttributeError:  # Flask < 3.1 has no per-request limit; the app's MAX_CONTENT_LENGTH applies
            return None
        if len(request.get_data(cache=True)) > limit:
            message = f"the request body is larger than the limit of {limit} bytes"
            return ApiError(413, "body_too_large", message).response()
    return None


def http_error(err: HTTPException) -> ResponseReturnValue:
    """Answer Werkzeug errors raised inside API routes as JSON; pages keep the HTML answer."""
    if not is_api_request():
        return err
    code = {
        400: "bad_request", 404: "not_found", 405: "method_not_allowed",
        413: "body_too_large", 415: "unsupported_media_type",
    }.get(err.code or 500, "http_error")
    message = err.description or err.name
    return jsonify({"error": code, "message": message}), err.code or 500


# ------------------------------------------------------------------ request bodies


def json_object() -> dict[str, Any]:
    """Return the JSON object sent as the body, or stop with 400 saying what is wrong."""
    if not request.is_json:
        abort_json(400, "invalid_json", "send a JSON object with Content-Type: application/json")
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # silent=True only covers ValueError; a deeply nested body would be a 500
        abort_json(400, "invalid_json", "the body is nested too deeply")
    if data is None:
        abort_json(400, "invalid_json", "the body is not valid JSON")
    if not isinstance(data, dict):
        abort_json(400, "invalid_json", "the body must be a JSON object")
    return data


def _type_error(field: str, expected: str) -> NoReturn:
    abort_json(400, "invalid_field", f"{field} must be {expected}", field=field)


def string_field(
    data: dict[str, Any], name: str, *, required: bool = False, max_length: int = 1024, label: str | None = None
) -> str | None:
    """Read an optional (or required) string field, stripped; wrong type or length is a 400 naming it."""
    label = label or name
    value = data.get(name)
    if value is None:
        if required:
            abort_json(400, "invalid_field", f"{label} is required", field=label)
        return None
    if not isinstance(value, str):
        _type_error(label, "a string" + ("" if required else " or null"))
    value = value.strip()
    if required and not value:
        abort_json(400, "invalid_field", f"{label} must not be empty", field=label)
    if len(value) > max_length:
        abort_json(400, "invalid_field", f"{label} is longer than {max_length} characters", field=label)
    return value or None


def bool_field(data: dict[str, Any], name: str, default: bool = False) -> bool:
    """Read an optional boolean field; anything but true/false is a 400 naming it."""
    value = data.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        _type_error(name, "true or false")
    return value


#: Largest number a query argument may carry: beyond it a page offset no longer fits the database's integers.
MAX_INT_ARG = 2**31 - 1


def int_arg(name: str, default: int, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Read an integer query-string argument; garbage is a 400 naming it."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        abort_json(400, "invalid_field", f"{name} must be a whole number", field=name)
    maximum = MAX_INT_ARG if maximum is None else maximum
    if value < minimum or value > maximum:
        abort_json(400, "invalid_field", f"{name} must be between {minimum} and {maximum}", field=name)
    return value


# ------------------------------------------------------------------ who is asking


def current_account() -> Any:
    """Return flask-login's current user when someone is signed in, else None."""
    from flask_login import current_user

    if not getattr(current_user, "is_authenticated", False):
        return None
    return current_user._get_current_object()  # type: ignore[attr-defined]


def role() -> str | None:
    """Return ``admin``, ``user`` or None for the current request (the API key counts as admin)."""
    from ..security import current_role

    return current_role()


def is_admin() -> bool:
    """Say whether the caller acts as admin (the Plex server owner, or the host's API key)."""
    return role() == "admin"


def account_id() -> int | None:
    """Return the plexbooks user id of the signed-in Plex account, if any."""
    from ..security import current_plexbooks_user_id

    return current_plexbooks_user_id()


def account_name() -> str | None:
    """Return the signed-in account's display name, if any."""
    account = current_account()
    if account is None:
        return None
    name = getattr(account, "username", None) or getattr(account, "title", None)
    return str(name) if name else "signed in"


def account_label() -> str | None:
    """Return who triggered an action, for scan runs (a username, or "host-key")."""
    name = account_name()
    if name:
        return name[:64]
    if request.headers.get("X-Plexbooks-Key"):
        return "host-key"
    return None


# ------------------------------------------------------------------ formatting


def format_duration(ms: int | None) -> str:
    """Format milliseconds as '11 h 5 min' (or '' when unknown)."""
    if not ms or ms <= 0:
        return ""
    minutes = int(ms // 60000)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    if hours:
        return f"{hours} h"
    return f"{max(minutes, 1)} min"


def format_count(value: int | None) -> str:
    """Format a count with thousands separators ('48,000')."""
    return "" if value is None else f"{int(value):,}"
