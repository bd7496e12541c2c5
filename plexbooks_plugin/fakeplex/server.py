"""FakePlex: a Plex Media Server and plex.tv emulator on one loopback port (a WSGI app).

Used by the tests, the demo and the benchmarks. It answers with the shapes and types of real
PMS captures (XML by default, JSON on `Accept: application/json`), pages like PMS, refuses bad
tokens with PMS's HTML 401 page, runs the plex.tv PIN sign-in, and can inject faults.
"""

from __future__ import annotations

import html
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, TypeVar
from urllib.parse import urlencode, urlsplit

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from ..plex.redact import redact
from . import render
from .accounts import Accounts, PlexTvUser, iso
from .faults import ENTITY_BOMB, HTML_PORTAL, Fault, FaultBox, deep_xml, huge_body, normalise_kind, trickle
from .library import FakeAlbum, FakeArtist, FakeSection, hex_id, split_track_key
from .store import AUDIOBOOK_SECTION, BadSort, FakeLibrary

DEFAULT_TOKEN = "fake-admin-token"
log = logging.getLogger("plexbooks.fakeplex")
T = TypeVar("T")

_JSON = "application/json"
_XML = "text/xml;charset=utf-8"
_TYPE_ALBUM, _TYPE_ARTIST, _TYPE_TRACK = 9, 8, 10
_RECENT_DEFAULT_LIMIT = 50


class BadRequest(Exception):
    """A parameter PMS would refuse with 400."""


class LoggedRequest(NamedTuple):
    """One request the emulator saw; the query never contains the token."""

    method: str
    path: str
    query: str


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without per-request log lines (they would carry query-string tokens)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Request lines are not logged; FakePlex.request_log records requests instead."""

    def log(self, type: str, message: str, *args: Any) -> None:
        """Log server errors through the plexbooks logger, tokens masked."""
        if type != "info":
            log.warning("fake plex: %s", redact(message % args if args else message))


def _route_map() -> Map:
    rules = [
        # Media Server
        Rule("/identity", endpoint="identity"),
        Rule("/", endpoint="root"),
        Rule("/library", endpoint="library"),
        Rule("/library/sections", endpoint="sections"),
        Rule("/library/sections/<int:sid>/all", endpoint="section_all"),
        Rule("/library/sections/<int:sid>/albums", endpoint="section_albums"),
        Rule("/library/sections/<int:sid>/search", endpoint="section_search"),
        Rule("/library/sections/<int:sid>/recentlyAdded", endpoint="section_recent"),
        Rule("/library/sections/<int:sid>/collections", endpoint="section_collections"),
        Rule(
            "/library/sections/<int:sid>/refresh",
            endpoint="section_refresh",
            methods=["GET", "PUT", "POST", "DELETE"],
        ),
        Rule("/library/recentlyAdded", endpoint="recently_added"),
        Rule("/library/metadata/<keys>", endpoint="metadata"),
        Rule("/library/metadata/<key>/children", endpoint="children"),
        Rule("/library/metadata/<key>/<any(thumb, art):kind>", endpoint="image"),
        Rule("/library/metadata/<key>/<any(thumb, art):kind>/<ts>", endpoint="image"),
        Rule("/photo/:/transcode", endpoint="transcode"),
        # plex.tv and the app's sign-in page
        Rule("/api/v2/pins", endpoint="tv_create_pin", methods=["POST"]),
        Rule("/api/v2/pins/<pin_id>", endpoint="tv_pin"),
        Rule("/api/v2/user", endpoint="tv_user"),
        Rule("/api/v2/resources", endpoint="tv_resources"),
        Rule("/auth", endpoint="auth_page"),
        Rule("/auth/approve", endpoint="auth_approve", methods=["POST"]),
    ]
    return Map(rules, strict_slashes=False, merge_slashes=False)


class FakePlex:
    """A Plex Media Server + plex.tv emulator with a generated audiobook library and test hooks.

    >>> with FakePlex(items=50).start() as fake:   # port 0: a free port
    ...     client = PlexClient(fake.url, fake.token)
    """

    def __init__(
        self,
        items: int = 300,
        seed: int = 1,
        token: str = DEFAULT_TOKEN,
        *,
        xml_only: bool = False,
        machine_identifier: str | None = None,
        server_name: str = "Fake Plex",
    ) -> None:
        self.token = token or DEFAULT_TOKEN
        self.seed = seed
        self.xml_only = xml_only
        self.machine_identifier = machine_identifier or hex_id("machine", seed, length=40)
        self.server_name = server_name
        self.library = FakeLibrary(items, seed)
        self.accounts = Accounts(self.token, seed)
        self.faults = FaultBox()
        self.refresh_calls: list[tuple[str, str | None]] = []
        self.request_log: deque[LoggedRequest] = deque(maxlen=10_000)
        self.host = "127.0.0.1"
        self.port: int | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._map = _route_map()
        self._started_at = int(time.time())

    # ------------------------------------------------------------------------------ lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakePlex:
        """Serve in a background thread (port 0 picks a free port); returns self."""
        if self._server is not None:
            return self
        server = make_server(host, port, self.wsgi_app, threaded=True, request_handler=_QuietHandler)
        self._server = server
        self.host = host
        self.port = server.server_port
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"fakeplex:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def __enter__(self) -> FakePlex:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL of both the Media Server and plex.tv (e.g. http://127.0.0.1:54321)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port or 32400}"

    # ------------------------------------------------------------------------------ library hooks

    @property
    def music_section_id(self) -> str:
        """The id of the audiobook section (a music section, type "artist")."""
        return str(AUDIOBOOK_SECTION)

    @property
    def sections(self) -> list[FakeSection]:
        """All sections."""
        return list(self.library.sections.values())

    def albums(self, section_id: str | int | None = None) -> list[FakeAlbum]:
        """The albums of a section (default: the audiobooks), by rating key."""
        sid = int(section_id if section_id is not None else AUDIOBOOK_SECTION)
        with self.library.lock:
            return sorted(
                (a for a in self.library.albums.values() if a.section_id == sid),
                key=lambda a: a.rating_key,
            )

    def album(self, rating_key: str | int) -> FakeAlbum:
        """One album by rating key (KeyError when absent)."""
        return self.library.albums[int(rating_key)]

    def add_album(
        self,
        title: str,
        author: str | None,
        *,
        narrator: str | None = None,
        asin: str | None = None,
        guid: str | None = None,
        added_at: int | None = None,
        section_id: str | int | None = None,
        **fields: Any,
    ) -> str:
        """Add a book (as if Plex scanned it now) and return its rating key.

        `fields` are FakeAlbum attributes (year, duration, summary, track_count, updated_at, ...)
        or raw Plex attributes added to the item as they are.
        """
        album = self.library.add_album(
            title,
            author,
            narrator=narrator,
            asin=asin,
            guid=guid,
            added_at=added_at,
            section_id=int(section_id) if section_id is not None else AUDIOBOOK_SECTION,
            **fields,
        )
        return str(album.rating_key)

    def update_album(self, rating_key: str | int, **fields: Any) -> None:
        """Change a book (title, author, guid, asin, duration, ...); updatedAt moves on."""
        self.library.update_album(int(rating_key), **fields)

    def remove_album(self, rating_key: str | int) -> None:
        """Remove a book from the library."""
        self.library.remove_album(int(rating_key))

    # ------------------------------------------------------------------------------ plex.tv hooks

    @property
    def owner(self) -> PlexTvUser:
        """The server owner; their token is the admin token."""
        return self.accounts.owner

    @property
    def shared_user(self) -> PlexTvUser:
        """A user the server is shared with."""
        return self.accounts.shared_user

    @property
    def stranger(self) -> PlexTvUser:
        """A plex.tv user without access to this server."""
        return self.accounts.stranger

    def add_user(
        self, username: str, email: str | None = None, owner: bool = False, has_access: bool = True
    ) -> PlexTvUser:
        """Create a plex.tv account (with access to this server unless has_access=False)."""
        return self.accounts.add_user(username, email=email, owner=owner, has_access=has_access)

    def approve_pin(self, pin_id: int | str, user: PlexTvUser | str) -> None:
        """Sign a user in on a PIN, as the Plex auth page would (user or "owner"/"shared"/"stranger")."""
        found = self.accounts.user_by_name(user) if isinstance(user, str) else user
        if found is None:
            raise KeyError(f"no plex.tv user {user!r}")
        self.accounts.approve(int(pin_id), found)

    def expire_pin(self, pin_id: int | str) -> None:
        """Expire a PIN now (plex.tv then answers 404)."""
        self.accounts.expire(int(pin_id))

    def revoke_token(self, token: str) -> None:
        """Make a token fail (401) on the Media Server and plex.tv."""
        self.accounts.revoke(token)

    # ------------------------------------------------------------------------------ faults

    def set_fault(
        self,
        kind: str | int,
        *,
        on_path: str | None = None,
        on_page: int | None = None,
        count: int | None = None,
        delay: float = 0.0,
        status: int | None = None,
        size: int = 200 * 1024 * 1024,
        with_length: bool = False,
        depth: int = 50_000,
        gate: threading.Event | None = None,
    ) -> Fault:
        """Arm a fault (latency, status, drop, truncate, html, entity_bomb, deep_xml, huge, unauthorized,
        trickle, hold, unpaged, stuck_paging; see faults.KINDS)."""
        resolved, code = normalise_kind(kind, status)
        return self.faults.add(
            Fault(
                kind=resolved,
                on_path=on_path,
                on_page=on_page,
                count=count,
                delay=delay,
                status=code,
                size=size,
                with_length=with_length,
                depth=depth,
                gate=gate,
            )
        )

    def clear_faults(self) -> None:
        """Disarm every fault."""
        self.faults.clear()

    def requests_to(self, path: str) -> list[LoggedRequest]:
        """Logged requests whose path equals (or starts with, for a trailing '*') `path`."""
        if path.endswith("*"):
            return [r for r in list(self.request_log) if r.path.startswith(path[:-1])]
        return [r for r in list(self.request_log) if r.path == path]

    def clear_log(self) -> None:
        """Forget logged requests and refresh calls."""
        self.request_log.clear()
        self.refresh_calls.clear()

    # ------------------------------------------------------------------------------ WSGI

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """The WSGI entry point."""
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        query = urlencode(
            [(k, v) for k, v in request.args.items(multi=True) if k.lower() != "x-plex-token"]
        )
        self.request_log.append(LoggedRequest(request.method, request.path, query))
        start, size = _lenient_paging(request)
        fault = self.faults.take(request.path, start, size)
        if fault is not None:
            faulted = self._fault_response(fault, request)
            if faulted is not None:
                return faulted
        return self._route(request)

    def _route(self, request: Request) -> Response:
        adapter = self._map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except MethodNotAllowed:
            return self._html_error(405)
        except NotFound:
            return self._html_error(404)
        except HTTPException as err:  # e.g. a redirect for odd slashes
            return self._html_error(err.code or 400)
        name = str(endpoint)
        try:
            if name.startswith(("tv_", "auth_")):
                return getattr(self, f"_ep_{name}")(request, **values)  # type: ignore[no-any-return]
            if name != "identity" and not self.accounts.server_accepts(_token_of(request)):
                return self._html_error(401)
            return getattr(self, f"_ep_{name}")(request, **values)  # type: ignore[no-any-return]
        except BadRequest:
            return self._html_error(400)
        except KeyError:
            return self._html_error(404)

    # ------------------------------------------------------------------------------ responses

    def _wants_json(self, request: Request) -> bool:
        return not self.xml_only and _JSON in (request.headers.get("Accept") or "")

    def _pms(
        self,
        request: Request,
        container: dict[str, Any],
        items: Sequence[dict[str, Any]] = (),
        *,
        status: int = 200,
    ) -> Response:
        if self._wants_json(request):
            body, ctype = render.to_json(container, items), _JSON
        else:
            body, ctype = render.to_xml(container, items), _XML
        response = Response(body, status=status, content_type=ctype)
        response.headers["X-Plex-Protocol"] = "1.0"
        response.headers["Cache-Control"] = "no-cache"
        return response

    def _html_error(self, status: int) -> Response:
        response = Response(render.html_error(status), status=status, content_type="text/html")
        response.headers["X-Plex-Protocol"] = "1.0"
        return response

    def _listing(
        self,
        request: Request,
        container: dict[str, Any],
        items: Sequence[T],
        to_dict: Callable[[T], dict[str, Any]],
        *,
        default_limit: int | None = None,
    ) -> Response:
        """Render a listing, paged exactly when X-Plex-Container-Start/Size was asked."""
        paging = _paging(request)
        total = len(items)
        claimed = total
        fault = request.environ.get("fakeplex.paging_fault")
        if fault is not None and paging is not None:
            if fault.kind == "unpaged":
                paging = (0, None)
            else:  # stuck_paging: the first page again, whatever the offset, and a made-up total
                paging, claimed = (0, paging[1]), fault.size
        if paging is None:
            start = 0
            page = items if default_limit is None else items[:default_limit]
        else:
            start, size = paging
            page = items[start : start + size] if size is not None else items[start:]
        head: dict[str, Any] = {"size": len(page)}
        if paging is not None:
            head["totalSize"] = claimed
            if fault is None:
                head["offset"] = start
        head.update(container)
        response = self._pms(request, head, [to_dict(item) for item in page])
        if paging is not None:
            response.headers["X-Plex-Container-Start"] = str(start)
            response.headers["X-Plex-Container-Total-Size"] = str(claimed)
        return response

    def _fault_response(self, fault: Fault, request: Request) -> Response | None:
        kind = fault.kind
        if kind in ("unpaged", "stuck_paging"):
            request.environ["fakeplex.paging_fault"] = fault  # _listing answers accordingly
            return None
        if kind == "hold":
            if fault.gate is not None:
                fault.gate.wait(timeout=60)  # a forgotten gate must not hang the server for ever
            return None
        if kind == "trickle":
            normal = self._route(request)
            body = normal.get_data()
            headers = [(k, v) for k, v in normal.headers.items() if k.lower() != "content-length"]
            response = Response(trickle(body, fault.delay), status=normal.status_code, headers=headers,
                                direct_passthrough=True)
            response.headers["Content-Length"] = str(len(body))
            return response
        if fault.delay:
            time.sleep(fault.delay)
        if kind == "latency":
            return None
        if kind == "status":
            return self._html_error(fault.status)
        if kind == "unauthorized":
            return self._html_error(401)
        if kind == "html":
            return Response(HTML_PORTAL, status=200, content_type="text/html; charset=utf-8")
        if kind == "entity_bomb":
            return Response(ENTITY_BOMB, status=200, content_type=_XML)
        if kind == "deep_xml":
            return Response(deep_xml(fault.depth), status=200, content_type=_XML)
        if kind == "huge":
            as_json = self._wants_json(request)
            response = Response(
                huge_body(fault.size, as_json),
                status=200,
                content_type=_JSON if as_json else _XML,
                direct_passthrough=True,
            )
            if fault.with_length:
                response.headers["Content-Length"] = str(fault.size)
            return response
        # truncate / drop: cut the real answer in half
        normal = self._route(request)
        body = normal.get_data()
        half = body[: len(body) // 2]
        headers = [(k, v) for k, v in normal.headers.items() if k.lower() != "content-length"]
        if kind == "truncate":
            return Response(half, status=normal.status_code, headers=headers)
        # drop: promise the whole body, send half; werkzeug then closes the connection.
        response = Response(iter([half]), status=normal.status_code, headers=headers, direct_passthrough=True)
        response.headers["Content-Length"] = str(len(body))
        return response

    # ------------------------------------------------------------------------------ PMS endpoints

    def _section(self, sid: int) -> FakeSection:
        return self.library.sections[sid]  # KeyError -> 404

    def _artist(self, album: FakeAlbum) -> FakeArtist:
        return self.library.artists[album.artist_key]

    def _album_to_dict(self, section: FakeSection, include_guids: bool) -> Callable[[FakeAlbum], dict[str, Any]]:
        artists = self.library.artists

        def convert(album: FakeAlbum) -> dict[str, Any]:
            return render.album_dict(album, artists[album.artist_key], section, include_guids=include_guids)

        return convert

    def _ep_identity(self, request: Request) -> Response:
        return self._pms(
            request,
            {"size": 0, "claimed": True, "machineIdentifier": self.machine_identifier, "version": render.PMS_VERSION},
        )

    def _ep_root(self, request: Request) -> Response:
        names = ("activities", "butler", "channels", "clients", "devices", "diagnostics", "hubs",
                 "library", "livetv", "media", "metadata", "neighborhood", "playQueues", "player",
                 "playlists", "resources", "search", "server", "servers", "statistics", "system",
                 "transcode", "updater", "user")
        directories = [{"count": 1, "key": n, "title": n} for n in names]
        container: dict[str, Any] = {
            "size": len(directories),
            "allowCameraUpload": False,
            "allowChannelAccess": True,
            "allowMediaDeletion": True,
            "allowSharing": True,
            "allowSync": True,
            "allowTuners": False,
            "backgroundProcessing": True,
            "certificate": True,
            "companionProxy": True,
            "countryCode": "usa",
            "diagnostics": "logs,databases,streaminglogs",
            "eventStream": True,
            "friendlyName": self.server_name,
            "hubSearch": True,
            "itemClusters": True,
            "livetv": 7,
            "machineIdentifier": self.machine_identifier,
            "mediaProviders": True,
            "multiuser": True,
            "myPlex": True,
            "myPlexMappingState": "mapped",
            "myPlexSigninState": "ok",
            "myPlexSubscription": True,
            "myPlexUsername": self.owner.email,
            "offlineTranscode": 1,
            "ownerFeatures": "federated-auth,home,loudness,lyrics,premium_music_metadata,webhooks",
            "photoAutoTag": True,
            "platform": "Linux",
            "platformVersion": "22.04.4 LTS (Jammy Jellyfish)",
            "pluginHost": True,
            "pushNotifications": False,
            "readOnlyLibraries": False,
            "streamingBrainABRVersion": 3,
            "streamingBrainVersion": 2,
            "sync": True,
            "transcoderActiveVideoSessions": 0,
            "transcoderAudio": True,
            "transcoderLyrics": True,
            "transcoderPhoto": True,
            "transcoderSubtitles": True,
            "transcoderVideo": True,
            "updatedAt": self._started_at,
            "updater": True,
            "version": render.PMS_VERSION,
            "voiceSearch": True,
        }
        return self._pms(request, container, directories)

    def _ep_library(self, request: Request) -> Response:
        directories = [
            {"key": "sections", "title": "Library Sections"},
            {"key": "recentlyAdded", "title": "Recently Added Content"},
            {"key": "onDeck", "title": "On Deck Content"},
        ]
        container = {
            "size": len(directories),
            "allowSync": False,
            "art": "/:/resources/library-art.png",
            "content": "",
            "identifier": render.IDENTIFIER,
            "mediaTagPrefix": render.MEDIA_TAG_PREFIX,
            "mediaTagVersion": render.MEDIA_TAG_VERSION,
            "title1": "Plex Library",
            "title2": "",
        }
        return self._pms(request, container, directories)

    def _ep_sections(self, request: Request) -> Response:
        entries = [render.section_dict(s, self.library.scanned_at) for s in self.library.sections.values()]
        return self._pms(request, {"size": len(entries), "allowSync": False, "title1": "Plex Library"}, entries)

    def _ep_section_all(self, request: Request, sid: int, *, search: bool = False) -> Response:
        section = self._section(sid)
        raw_type = request.args.get("type")
        if raw_type is not None and not raw_type.strip().isdigit():
            raise BadRequest
        default_type = _TYPE_ARTIST if section.type == "artist" else 1
        kind = int(raw_type) if raw_type else default_type
        title = request.args.get("title")
        if search and not title:
            title = request.args.get("query")
        container = render.container_for_section(section)
        if request.args.get("includeMeta") == "1" and section.type == "artist":
            container["Meta"] = render.music_meta(sid)
        if section.type != "artist":
            container.update(title2="All", viewGroup=section.type)
            return self._listing(request, container, [], lambda x: x)
        if kind == _TYPE_ALBUM:
            try:
                albums = self.library.sorted_albums(sid, request.args.get("sort"))
            except BadSort as err:
                raise BadRequest from err
            if title:
                albums = self.library.filter_title(albums, title)
            container.update(title2="All Albums", viewGroup="album", viewMode=65592)
            include_guids = request.args.get("includeGuids") == "1"
            return self._listing(request, container, albums, self._album_to_dict(section, include_guids))
        if kind == _TYPE_ARTIST:
            try:
                artists = self.library.artists_in(sid, request.args.get("sort"))
            except BadSort as err:
                raise BadRequest from err
            if title:
                needle = title.casefold()
                artists = [a for a in artists if needle in a.title.casefold()]
            container.update(title2="All Artists", viewGroup="artist", viewMode=65592)
            return self._listing(request, container, artists, render.artist_dict)
        if kind == _TYPE_TRACK:
            # Track listings are not emulated (nothing in plexbooks needs them): an empty listing.
            container.update(title2="All Tracks", viewGroup="track")
            return self._listing(request, container, [], lambda x: x)
        raise BadRequest

    def _ep_section_albums(self, request: Request, sid: int) -> Response:
        section = self._section(sid)
        albums = self.library.sorted_albums(sid)
        container = render.container_for_section(section, title2="All Albums", viewGroup="album")
        return self._listing(request, container, albums, self._album_to_dict(section, False))

    def _ep_section_search(self, request: Request, sid: int) -> Response:
        return self._ep_section_all(request, sid, search=True)

    def _ep_section_recent(self, request: Request, sid: int) -> Response:
        section = self._section(sid)
        albums = self.library.sorted_albums(sid, "addedAt:desc") if section.type == "artist" else []
        container = render.container_for_section(section, title2="Recently Added", mixedParents=True)
        return self._listing(
            request, container, albums, self._album_to_dict(section, False), default_limit=_RECENT_DEFAULT_LIMIT
        )

    def _ep_section_collections(self, request: Request, sid: int) -> Response:
        section = self._section(sid)
        container = render.container_for_section(section, title2="Collections")
        if request.args.get("includeMeta") == "1":
            container["Meta"] = render.collection_meta(sid)
        return self._listing(request, container, [], lambda x: x)

    def _ep_section_refresh(self, request: Request, sid: int) -> Response:
        self._section(sid)
        if request.method != "DELETE":
            self.refresh_calls.append((str(sid), request.args.get("path")))
        response = Response(b"", status=200)
        response.headers["X-Plex-Protocol"] = "1.0"
        return response

    def _ep_recently_added(self, request: Request) -> Response:
        music = [s for s in self.library.sections.values() if s.type == "artist"]
        albums = sorted(
            (a for s in music for a in self.library.sorted_albums(s.id, "addedAt:desc")),
            key=lambda a: (a.added_at, a.rating_key),
            reverse=True,
        )
        sections = self.library.sections
        artists = self.library.artists

        def convert(album: FakeAlbum) -> dict[str, Any]:
            section = sections[album.section_id]
            item = render.album_dict(album, artists[album.artist_key], section)
            item["librarySectionID"] = section.id
            item["librarySectionTitle"] = section.title
            return item

        container = {
            "allowSync": False,
            "identifier": render.IDENTIFIER,
            "mediaTagPrefix": render.MEDIA_TAG_PREFIX,
            "mediaTagVersion": render.MEDIA_TAG_VERSION,
            "mixedParents": True,
        }
        return self._listing(request, container, albums, convert, default_limit=_RECENT_DEFAULT_LIMIT)

    def _item(self, key: int) -> tuple[dict[str, Any], FakeSection]:
        """The detail dict of any item (album, artist, track) and its section; KeyError if unknown."""
        lib = self.library
        if key in lib.albums:
            album = lib.albums[key]
            section = lib.sections[album.section_id]
            return render.album_dict(album, self._artist(album), section, detail=True), section
        if key in lib.artists:
            artist = lib.artists[key]
            section = lib.sections[artist.section_id]
            item = render.artist_dict(artist)
            item.update(
                librarySectionTitle=section.title,
                librarySectionID=section.id,
                librarySectionKey=f"/library/sections/{section.id}",
            )
            return item, section
        split = split_track_key(key)
        if split is not None and split[0] in lib.albums:
            album = lib.albums[split[0]]
            section = lib.sections[album.section_id]
            tracks = render.track_dicts(album, self._artist(album), section)
            if split[1] <= len(tracks):
                return tracks[split[1] - 1], section
        raise KeyError(key)

    def _ep_metadata(self, request: Request, keys: str) -> Response:
        items: list[dict[str, Any]] = []
        section: FakeSection | None = None
        for raw in keys.split(","):
            if raw.strip().isdigit():
                try:
                    item, section = self._item(int(raw))
                except KeyError:
                    continue
                items.append(item)
        if not items or section is None:
            raise KeyError(keys)
        container: dict[str, Any] = {
            "size": len(items),
            "allowSync": True,
            "identifier": render.IDENTIFIER,
            "librarySectionID": section.id,
            "librarySectionTitle": section.title,
            "librarySectionUUID": section.uuid,
            "mediaTagPrefix": render.MEDIA_TAG_PREFIX,
            "mediaTagVersion": render.MEDIA_TAG_VERSION,
        }
        return self._pms(request, container, items)

    def _ep_children(self, request: Request, key: str) -> Response:
        if not key.isdigit():
            raise KeyError(key)
        k = int(key)
        lib = self.library
        if k in lib.albums:
            album = lib.albums[k]
            artist = self._artist(album)
            section = lib.sections[album.section_id]
            tracks = render.track_dicts(album, artist, section)
            container = render.container_for_section(
                section,
                grandparentRatingKey=artist.rating_key,
                grandparentThumb=f"/library/metadata/{artist.rating_key}/thumb/{artist.added_at}",
                grandparentTitle=artist.title,
                key=str(k),
                parentIndex=1,
                parentTitle=album.title,
                parentYear=album.year,
                summary=album.summary,
                title1=artist.title,
                title2=album.title,
                viewGroup="track",
                viewMode=65593,
            )
            return self._listing(request, container, tracks, lambda t: t)
        if k in lib.artists:
            artist = lib.artists[k]
            section = lib.sections[artist.section_id]
            albums = sorted(
                (a for a in lib.albums.values() if a.artist_key == k), key=lambda a: (a.year or 0, a.sort_key)
            )
            container = render.container_for_section(
                section, key=str(k), parentTitle=artist.title, title1=section.title, title2=artist.title,
                viewGroup="album",
            )
            return self._listing(request, container, albums, self._album_to_dict(section, False))
        self._item(k)  # a track: it exists (else 404) but has no children
        return self._listing(request, {"identifier": render.IDENTIFIER}, [], lambda x: x)

    def _ep_image(self, request: Request, key: str, kind: str, ts: str | None = None) -> Response:
        if not key.isdigit():
            raise KeyError(key)
        self._item(int(key))
        return _png_response(int(key))

    def _ep_transcode(self, request: Request) -> Response:
        target = urlsplit(request.args.get("url", "")).path
        parts = target.strip("/").split("/")
        if len(parts) >= 4 and parts[:2] == ["library", "metadata"] and parts[2].isdigit():
            self._item(int(parts[2]))
            return _png_response(int(parts[2]))
        raise KeyError(target)

    # ------------------------------------------------------------------------------ plex.tv endpoints

    def _tv_json(self, payload: Any, status: int = 200) -> Response:
        import json

        return Response(
            json.dumps(payload, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8"
        )

    def _tv_error(self, status: int, code: int, message: str) -> Response:
        return self._tv_json({"errors": [{"code": code, "message": message, "status": status}]}, status)

    def _tv_client_id(self, request: Request) -> str | None:
        return request.headers.get("X-Plex-Client-Identifier") or request.args.get("X-Plex-Client-Identifier")

    def _ep_tv_create_pin(self, request: Request) -> Response:
        client_id = self._tv_client_id(request)
        if not client_id:
            return self._tv_error(400, 1000, "X-Plex-Client-Identifier is missing")
        strong = (request.args.get("strong") or request.form.get("strong") or "").lower() in ("true", "1")
        product = request.headers.get("X-Plex-Product") or request.args.get("X-Plex-Product") or "0"
        pin = self.accounts.create_pin(client_id, product, strong)
        return self._tv_json(pin.as_json(), 201)

    def _ep_tv_pin(self, request: Request, pin_id: str) -> Response:
        client_id = self._tv_client_id(request)
        if not client_id:
            return self._tv_error(400, 1000, "X-Plex-Client-Identifier is missing")
        pin = self.accounts.live_pin(int(pin_id)) if pin_id.isdigit() else None
        if pin is None or pin.client_identifier != client_id:
            return self._tv_error(404, 1020, "Code not found or expired")
        return self._tv_json(pin.as_json())

    def _tv_user(self, request: Request) -> PlexTvUser | Response:
        if not self._tv_client_id(request):
            return self._tv_error(400, 1000, "X-Plex-Client-Identifier is missing")
        user = self.accounts.user_for_plextv_token(_token_of(request))
        if user is None:
            return self._tv_error(401, 1001, "User could not be authenticated")
        return user

    def _ep_tv_user(self, request: Request) -> Response:
        user = self._tv_user(request)
        if isinstance(user, Response):
            return user
        return self._tv_json(_user_json(user))

    def _ep_tv_resources(self, request: Request) -> Response:
        user = self._tv_user(request)
        if isinstance(user, Response):
            return user
        include_relay = request.args.get("includeRelay") in ("1", "true")
        resources: list[dict[str, Any]] = []
        if user.has_access:
            resources.append(self._server_resource(user, include_relay))
        resources.append(_neighbour_resource(user, include_relay))
        resources.append(_player_resource(user))
        return self._tv_json(resources)

    def _server_resource(self, user: PlexTvUser, include_relay: bool) -> dict[str, Any]:
        port = self.port or 32400
        plex_direct = f"{self.machine_identifier[:32]}.plex.direct"
        connections = [
            {"protocol": "http", "address": self.host, "port": port, "uri": self.url,
             "local": True, "relay": False, "IPv6": ":" in self.host},
            {"protocol": "https", "address": "203.0.113.7", "port": 32400,
             "uri": f"https://203-0-113-7.{plex_direct}:32400", "local": False, "relay": False, "IPv6": False},
        ]
        if include_relay:
            connections.append(
                {"protocol": "https", "address": "198.51.100.20", "port": 8443,
                 "uri": f"https://198-51-100-20.{plex_direct}:8443", "local": False, "relay": True, "IPv6": False}
            )
        owner = self.owner
        return {
            "name": self.server_name,
            "product": "Plex Media Server",
            "productVersion": render.PMS_VERSION,
            "platform": "Linux",
            "platformVersion": "22.04.4 LTS (Jammy Jellyfish)",
            "device": "PC",
            "clientIdentifier": self.machine_identifier,
            "createdAt": "2020-01-12T15:30:18Z",
            "lastSeenAt": iso(time.time()),
            "provides": "server",
            "ownerId": None if user.owner else owner.id,
            "sourceTitle": None if user.owner else owner.username,
            "publicAddress": "203.0.113.7",
            "accessToken": user.server_token,
            "owned": user.owner,
            "home": False,
            "synced": False,
            "relay": True,
            "presence": True,
            "httpsRequired": False,
            "publicAddressMatches": False,
            "dnsRebindingProtection": False,
            "natLoopbackSupported": False,
            "connections": connections,
        }

    # ------------------------------------------------------------------------------ sign-in page

    def _ep_auth_page(self, request: Request) -> Response:
        code = request.args.get("code", "")
        forward = request.args.get("forwardUrl", "")
        users = list(self.accounts.users.values())
        buttons = "\n".join(
            f'<button type="submit" name="user" value="{html.escape(u.username)}">'
            f"{html.escape(u.username)}"
            f" ({'owner' if u.owner else 'shared user' if u.has_access else 'no access to this server'})"
            "</button>"
            for u in users
        )
        page = _AUTH_PAGE.format(
            server=html.escape(self.server_name),
            code=html.escape(code),
            forward=html.escape(forward),
            buttons=buttons,
        )
        return Response(page, content_type="text/html; charset=utf-8")

    def _ep_auth_approve(self, request: Request) -> Response:
        code = request.form.get("code", "")
        user = self.accounts.user_by_name(request.form.get("user", ""))
        pin = self.accounts.pin_by_code(code) if code else None
        if pin is None or user is None:
            body = "<html><body><h1>This sign-in code expired or is unknown.</h1></body></html>"
            return Response(body, status=404, content_type="text/html; charset=utf-8")
        self.accounts.approve(pin.id, user)
        forward = request.form.get("forwardUrl", "")
        if urlsplit(forward).scheme in ("http", "https"):
            return Response("", status=303, headers={"Location": forward})
        body = f"<html><body><h1>Signed in as {html.escape(user.username)}. You can close this page.</h1></body></html>"
        return Response(body, content_type="text/html; charset=utf-8")


# ---------------------------------------------------------------------------------------------


def _token_of(request: Request) -> str | None:
    return request.headers.get("X-Plex-Token") or request.args.get("X-Plex-Token")


def _paging(request: Request) -> tuple[int, int | None] | None:
    """(start, size) when paging was asked (headers or query), None otherwise; BadRequest if malformed."""
    raw_start = request.args.get("X-Plex-Container-Start", request.headers.get("X-Plex-Container-Start"))
    raw_size = request.args.get("X-Plex-Container-Size", request.headers.get("X-Plex-Container-Size"))
    if raw_start is None and raw_size is None:
        return None
    try:
        start = int(raw_start) if raw_start is not None else 0
        size = int(raw_size) if raw_size is not None else None
    except ValueError as err:
        raise BadRequest from err
    if start < 0 or (size is not None and size < 0):
        raise BadRequest
    return start, size


def _lenient_paging(request: Request) -> tuple[int | None, int | None]:
    """Paging values for fault matching; never raises."""
    try:
        paging = _paging(request)
    except BadRequest:
        return None, None
    return (None, None) if paging is None else paging


def _png_response(key: int) -> Response:
    response = Response(render.png(render.cover_color(key)), content_type="image/png")
    response.headers["Cache-Control"] = "max-age=86400"
    return response


def _user_json(user: PlexTvUser) -> dict[str, Any]:
    """`/api/v2/user` in the shape of the real capture (service tokens left out)."""
    return {
        "id": user.id,
        "uuid": user.uuid,
        "username": user.username,
        "title": user.username,
        "email": user.email,
        "friendlyName": "",
        "locale": None,
        "confirmed": True,
        "joinedAt": 1552593531,
        "emailOnlyAuth": False,
        "hasPassword": True,
        "protected": False,
        "thumb": user.thumb,
        "authToken": user.token,
        "mailingListStatus": "unsubscribed",
        "mailingListActive": False,
        "scrobbleTypes": "",
        "country": "US",
        "subscription": {
            "active": user.owner,
            "subscribedAt": "2019-03-16T15:20:12Z" if user.owner else None,
            "status": "Active" if user.owner else "Inactive",
            "paymentService": None,
            "plan": "lifetime" if user.owner else None,
            "features": ["federated-auth", "home", "lyrics"] if user.owner else [],
        },
        "subscriptionDescription": None,
        "restricted": False,
        "anonymous": False,
        "home": False,
        "guest": False,
        "homeSize": 1,
        "homeAdmin": user.owner,
        "maxHomeSize": 15,
        "rememberExpiresAt": 1725611719,
        "profile": {
            "autoSelectAudio": True,
            "defaultAudioLanguage": "en",
            "defaultSubtitleLanguage": "en",
            "autoSelectSubtitle": 1,
            "defaultSubtitleAccessibility": 0,
            "defaultSubtitleForced": 0,
            "watchedIndicator": 1,
            "mediaReviewsVisibility": 0,
        },
        "entitlements": [],
        "subscriptions": [],
        "pastSubscriptions": [],
        "trials": [],
        "services": [],
        "adsConsent": None,
        "adsConsentSetAt": None,
        "adsConsentReminderAt": None,
        "experimentalFeatures": False,
        "twoFactorEnabled": False,
        "backupCodesCreated": False,
        "attributionPartner": None,
    }


def _neighbour_resource(user: PlexTvUser, include_relay: bool) -> dict[str, Any]:
    """An unrelated server shared with everybody (it must never be mistaken for ours)."""
    ident = hex_id("neighbour", length=40)
    connections = [
        {"protocol": "https", "address": "192.0.2.44", "port": 32400,
         "uri": f"https://192-0-2-44.{ident[:32]}.plex.direct:32400", "local": False, "relay": False, "IPv6": False}
    ]
    if include_relay:
        connections.append(
            {"protocol": "https", "address": "198.51.100.21", "port": 8443,
             "uri": f"https://198-51-100-21.{ident[:32]}.plex.direct:8443", "local": False, "relay": True,
             "IPv6": False}
        )
    return {
        "name": "Neighbour's Plex",
        "product": "Plex Media Server",
        "productVersion": "1.40.2.8395-c67dce28e",
        "platform": "Windows",
        "platformVersion": "10.0 (Build 19045)",
        "device": "PC",
        "clientIdentifier": ident,
        "createdAt": "2019-12-05T08:50:12Z",
        "lastSeenAt": "2024-09-04T10:25:11Z",
        "provides": "server",
        "ownerId": 2639453,
        "sourceTitle": "neighbour",
        "publicAddress": "192.0.2.44",
        "accessToken": f"neighbour-{user.id}",
        "owned": False,
        "home": False,
        "synced": False,
        "relay": True,
        "presence": True,
        "httpsRequired": True,
        "publicAddressMatches": False,
        "dnsRebindingProtection": True,
        "natLoopbackSupported": True,
        "connections": connections,
    }


def _player_resource(user: PlexTvUser) -> dict[str, Any]:
    """A player device: provides client/player, never a server."""
    return {
        "name": "Living Room TV",
        "product": "Plex for Android (TV)",
        "productVersion": "10.16.0.2131",
        "platform": "Android",
        "platformVersion": "11",
        "device": "SHIELD Android TV",
        "clientIdentifier": hex_id("player", user.id, length=16),
        "createdAt": "2022-03-01T10:00:00Z",
        "lastSeenAt": "2024-09-05T08:12:37Z",
        "provides": "client,player,pubsub-player",
        "ownerId": None,
        "sourceTitle": None,
        "publicAddress": "203.0.113.7",
        "accessToken": f"player-{user.id}",
        "owned": True,
        "home": False,
        "synced": False,
        "relay": False,
        "presence": False,
        "httpsRequired": False,
        "publicAddressMatches": True,
        "dnsRebindingProtection": False,
        "natLoopbackSupported": False,
        "connections": [],
    }


_AUTH_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to Fake Plex</title>
<style>
 body {{ font-family: system-ui, sans-serif; background: #1f1f1f; color: #eee; display: grid;
        place-items: center; min-height: 100vh; margin: 0; }}
 main {{ background: #2b2b2b; padding: 2rem 2.5rem; border-radius: 8px; max-width: 28rem; }}
 h1 {{ color: #e5a00d; font-size: 1.4rem; }}
 button {{ display: block; width: 100%; margin: .5rem 0; padding: .7rem; border: 0; border-radius: 4px;
          background: #e5a00d; color: #1f1f1f; font-weight: 600; cursor: pointer; }}
 code {{ color: #e5a00d; }}
</style></head>
<body><main>
<h1>Sign in to Fake Plex as:</h1>
<p>This is the emulator's stand-in for app.plex.tv. Server: <strong>{server}</strong>.
 Sign-in code <code id="code-label">{code}</code>.</p>
<form method="post" action="auth/approve" id="approve">
<input type="hidden" name="code" id="code" value="{code}">
<input type="hidden" name="forwardUrl" id="forwardUrl" value="{forward}">
{buttons}
</form>
</main>
<script>
 // The real Plex app reads its parameters from the fragment: #?clientID=..&code=..&forwardUrl=..
 (function () {{
   var hash = window.location.hash.replace(/^#\\??/, "");
   if (!hash) return;
   var params = new URLSearchParams(hash);
   if (params.get("code")) {{
     document.getElementById("code").value = params.get("code");
     document.getElementById("code-label").textContent = params.get("code");
   }}
   if (params.get("forwardUrl")) document.getElementById("forwardUrl").value = params.get("forwardUrl");
 }})();
</script>
</body></html>
"""
