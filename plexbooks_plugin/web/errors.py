"""The one JSON error answer of the API, and how errors raised in plugin routes turn into it."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..errors import ConfigError, PlexAuthError, PlexbooksError, PlexResponseError, PlexUnreachable, ScanRunning
from ..security import is_api_request, json_error
from .blueprint import bp

_HTTP_CODES = {
    400: "bad_request", 404: "not_found", 405: "method_not_allowed",
    413: "body_too_large", 415: "unsupported_media_type",
}


_ROUTING_MESSAGES = {
    404: "there is no such API path; see /api/openapi.json for the documented ones",
    405: "this API path does not answer that method; the Allow header lists the ones it does",
}


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
        return json_error(self.status, self.code, self.message, **self.extra)


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


@bp.errorhandler(ApiError)
def api_error_answer(err: ApiError) -> ResponseReturnValue:
    """Answer an ApiError raised by a view."""
    return err.response()


@bp.errorhandler(PlexbooksError)
def plexbooks_error_answer(err: PlexbooksError) -> ResponseReturnValue:
    """Answer plexbooks errors of API routes as JSON; pages let the host's handling show them."""
    if not is_api_request():
        raise err
    return plexbooks_error(err).response()


@bp.before_app_request
def api_routing_error() -> ResponseReturnValue | None:
    """Answer an unknown API path (or a known one with the wrong method) as JSON, not the host's HTML page.

    Routing failed before any blueprint was chosen, so the blueprint's error handlers would not run; this
    hook runs before Flask raises the routing error and leaves every path outside ``<prefix>/api/`` alone.
    """
    err = request.routing_exception
    if not isinstance(err, HTTPException) or (err.code or 0) < 400 or not is_api_request():
        return None
    code = err.code or 404
    response = json_error(code, _HTTP_CODES.get(code, "http_error"), _ROUTING_MESSAGES.get(code, err.description or ""))
    if isinstance(err, MethodNotAllowed) and err.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(err.valid_methods))
    return response


@bp.errorhandler(HTTPException)
def http_error_answer(err: HTTPException) -> ResponseReturnValue:
    """Answer Werkzeug errors raised inside API routes as JSON; pages keep the HTML answer."""
    if not is_api_request():
        return err
    return json_error(err.code or 500, _HTTP_CODES.get(err.code or 500, "http_error"), err.description or err.name)
