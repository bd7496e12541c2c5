"""Hardening of every plugin response and request: body size limit and security headers (a strict CSP)."""

from __future__ import annotations

from flask import current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from ..security import is_api_request, json_error
from .blueprint import bp
from .forms import bad_text_reason

#: Largest request body a plugin route accepts (bytes); hosts may change PLEXBOOKS_MAX_BODY.
DEFAULT_MAX_BODY = 1024 * 1024
#: The plugin's pages load only their own scripts, styles and images (covers come through the proxy);
#: hosts may change PLEXBOOKS_CONTENT_SECURITY_POLICY (empty: send none).
DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'self'; base-uri 'self'"
)


def max_body() -> int:
    """Return the largest body a plugin route accepts."""
    return int(current_app.config.get("PLEXBOOKS_MAX_BODY", DEFAULT_MAX_BODY))


@bp.before_request
def check_body_size() -> ResponseReturnValue | None:
    """Refuse an oversized body before anything reads it (413)."""
    limit = max_body()
    length = request.content_length
    if length is not None and length > limit:
        return json_error(413, "body_too_large", f"the request body is {length} bytes; the limit is {limit}")
    if length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        # A chunked body has no length to check: read at most one byte past the limit (the data stays
        # cached for the view). Werkzeug would silently cut the body at the limit instead of refusing it.
        try:
            request.max_content_length = limit + 1
        except AttributeError:  # Flask < 3.1 has no per-request limit; the app's MAX_CONTENT_LENGTH applies
            return None
        if len(request.get_data(cache=True)) > limit:
            message = f"the request body is larger than the limit of {limit} bytes"
            return json_error(413, "body_too_large", message)
    return None


@bp.before_request
def check_url_text() -> ResponseReturnValue | None:
    """Refuse an API URL whose path or query carries text no database stores (NUL), before any view reads it."""
    if not is_api_request():
        return None
    values = [("the path", str(v)) for v in (request.view_args or {}).values()]
    for name, value in request.args.items(multi=True):
        values += [(f"query argument {name!r}", name), (f"query argument {name!r}", value)]
    for label, value in values:
        reason = bad_text_reason(value)
        if reason is not None:
            return json_error(400, "invalid_text", f"{label} {reason}")
    return None


@bp.after_request
def security_headers(response: Response) -> Response:
    """Send a strict Content-Security-Policy on the plugin's HTML pages, and nosniff on everything."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    policy = current_app.config.get("PLEXBOOKS_CONTENT_SECURITY_POLICY", DEFAULT_CSP)
    if policy and response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", policy)
    return response
