"""The emulator's routing table (one row per endpoint, with who may call it) and its WSGI dispatcher."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import hubs, plextv, plextv_home, pms, pms_notifications, pms_root, responses, signin
from .faults import fault_response
from .responses import BadRequest
from .state import LoggedRequest, ServerState

Handler = Callable[..., Response]


class Auth(enum.Enum):
    """Who may call a route."""

    OPEN = "open"  # anybody (/identity, PIN creation, the sign-in page)
    SERVER = "server"  # a token the Media Server accepts; else PMS's HTML 401
    PLEXTV = "plextv"  # a plex.tv account token (passed to the handler as `account`); else plex.tv's JSON 400/401


@dataclass(frozen=True, slots=True)
class Route:
    """One row of the routing table."""

    rule: str
    handler: Handler
    auth: Auth = Auth.SERVER
    methods: tuple[str, ...] = ("GET",)
    websocket: bool = False  # werkzeug matches Upgrade: websocket requests only to such rules


ROUTES: tuple[Route, ...] = (
    # Media Server
    Route("/identity", pms_root.identity, Auth.OPEN),
    Route("/", pms_root.root),
    Route("/library", pms_root.library),
    Route("/library/sections", pms.sections),
    Route("/library/sections/<int:sid>/all", pms.section_all),
    Route("/library/sections/<int:sid>/albums", pms.section_albums),
    Route("/library/sections/<int:sid>/search", pms.section_search),
    Route("/library/sections/<int:sid>/recentlyAdded", pms.section_recent),
    Route("/library/sections/<int:sid>/collections", pms.section_collections),
    Route("/library/sections/<int:sid>/refresh", pms.section_refresh, methods=("GET", "PUT", "POST", "DELETE")),
    Route("/library/recentlyAdded", pms.recently_added),
    Route("/library/metadata/<keys>", pms.metadata),
    Route("/library/metadata/<key>/children", pms.children),
    Route("/library/metadata/<key>/<any(thumb, art):kind>", pms_root.image),
    Route("/library/metadata/<key>/<any(thumb, art):kind>/<ts>", pms_root.image),
    Route("/photo/:/transcode", pms_root.transcode),
    Route("/hubs/search", hubs.search),
    Route("/:/websockets/notifications", pms_notifications.websocket_endpoint, websocket=True),
    # plex.tv and the app's sign-in page
    Route("/api/v2/pins", plextv.create_pin, Auth.OPEN, ("POST",)),
    Route("/api/v2/pins/<pin_id>", plextv.pin, Auth.OPEN),
    Route("/api/v2/user", plextv.user, Auth.PLEXTV),
    Route("/api/v2/resources", plextv.resources, Auth.PLEXTV),
    Route("/api/v2/home/users", plextv_home.home_users, Auth.PLEXTV),
    Route("/api/v2/home/users/<uuid>/switch", plextv_home.switch, Auth.PLEXTV, ("POST",)),
    Route("/auth", signin.auth_page, Auth.OPEN),
    Route("/auth/approve", signin.auth_approve, Auth.OPEN, ("POST",)),
)


def build_map(routes: Iterable[Route]) -> Map:
    """A werkzeug URL map whose endpoints are the routes themselves."""
    rules = [Rule(r.rule, endpoint=r, methods=list(r.methods), websocket=r.websocket) for r in routes]
    return Map(rules, strict_slashes=False, merge_slashes=False)


class Dispatcher:
    """The WSGI app: logs each request, fires armed faults, checks the route's auth, calls its handler."""

    def __init__(self, state: ServerState, routes: Iterable[Route] = ROUTES) -> None:
        self.state = state
        self._map = build_map(routes)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """The WSGI entry point."""
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        """Answer one request, faults included."""
        state = self.state
        query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k.lower() != "x-plex-token"])
        state.request_log.append(LoggedRequest(request.method, request.path, query))
        start, size = responses.lenient_paging(request)
        fault = state.faults.take(request.path, start, size)
        if fault is not None:
            faulted = fault_response(fault, request, state.xml_only, self.route)
            if faulted is not None:
                return faulted
        return self.route(request)

    def route(self, request: Request) -> Response:
        """Answer one request as the route table says (no faults)."""
        adapter = self._map.bind_to_environ(request.environ)
        try:
            route, values = adapter.match()
        except MethodNotAllowed:
            return responses.html_error(405)
        except NotFound:
            return responses.html_error(404)
        except HTTPException as err:  # e.g. a redirect for odd slashes
            return responses.html_error(err.code or 400)
        try:
            return self._call(route, request, dict(values))
        except BadRequest:
            return responses.html_error(400)
        except KeyError:
            return responses.html_error(404)

    def _call(self, route: Route, request: Request, values: dict[str, Any]) -> Response:
        state = self.state
        if route.auth is Auth.SERVER and not state.accounts.server_accepts(responses.token_of(request)):
            return responses.html_error(401)
        if route.auth is Auth.PLEXTV:
            account = plextv.signed_in_user(state, request)
            if isinstance(account, Response):
                return account
            values["account"] = account
        return route.handler(state, request, **values)
