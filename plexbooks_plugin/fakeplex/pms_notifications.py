"""The Media Server's notification WebSocket endpoint, /:/websockets/notifications."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from . import responses
from .state import ServerState
from .websocket import accept


def websocket_endpoint(state: ServerState, request: Request) -> Response:
    """GET /:/websockets/notifications (token checked by the route): upgrade, then stream until closed."""
    notifier = state.notifier
    if notifier.reject_status is not None:
        return responses.html_error(notifier.reject_status)
    accepted = accept(request)
    if isinstance(accepted, Response):
        return accepted
    notifier.serve(accepted)
    # The connection was taken over: werkzeug must not write an HTTP answer on it.
    raise ConnectionError("notification WebSocket closed")
