"""FakePlex: a Plex Media Server and plex.tv emulator on one loopback port; this is its control facade.

Used by the tests, the demo and the benchmarks. It answers with the shapes and types of real
PMS captures (XML by default, JSON on `Accept: application/json`), pages like PMS, refuses bad
tokens with PMS's HTML 401 page, runs the plex.tv PIN sign-in, and can inject faults. The
endpoints live in `pms`, `pms_root`, `plextv` and `signin`, the routing table in `routes`.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from ..plex.redact import redact
from .accounts import Accounts, PlexTvUser
from .faults import Fault, FaultBox, normalise_kind
from .library import FakeAlbum, FakeSection, hex_id
from .routes import Dispatcher
from .state import LoggedRequest, ServerState
from .store import AUDIOBOOK_SECTION, FakeLibrary

DEFAULT_TOKEN = "fake-admin-token"
log = logging.getLogger("plexbooks.fakeplex")


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without per-request log lines (they would carry query-string tokens)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Request lines are not logged; FakePlex.request_log records requests instead."""

    def log(self, type: str, message: str, *args: Any) -> None:
        """Log server errors through the plexbooks logger, tokens masked."""
        if type != "info":
            log.warning("fake plex: %s", redact(message % args if args else message))


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
        token = token or DEFAULT_TOKEN
        self.seed = seed
        self.state = ServerState(
            library=FakeLibrary(items, seed),
            accounts=Accounts(token, seed),
            token=token,
            machine_identifier=machine_identifier or hex_id("machine", seed, length=40),
            server_name=server_name,
            xml_only=xml_only,
        )
        self.wsgi_app = Dispatcher(self.state)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------------------ state

    @property
    def token(self) -> str:
        """The admin (owner's) token."""
        return self.state.token

    @property
    def machine_identifier(self) -> str:
        """The server's machineIdentifier (its clientIdentifier on plex.tv)."""
        return self.state.machine_identifier

    @property
    def server_name(self) -> str:
        """The server's friendly name."""
        return self.state.server_name

    @property
    def xml_only(self) -> bool:
        """Whether the server ignores `Accept: application/json`."""
        return self.state.xml_only

    @property
    def library(self) -> FakeLibrary:
        """The library (sections, artists, albums)."""
        return self.state.library

    @property
    def accounts(self) -> Accounts:
        """The plex.tv accounts and PINs."""
        return self.state.accounts

    @property
    def faults(self) -> FaultBox:
        """The armed faults."""
        return self.state.faults

    @property
    def refresh_calls(self) -> list[tuple[str, str | None]]:
        """(section id, path or None) of every refresh request, oldest first."""
        return self.state.refresh_calls

    @property
    def request_log(self) -> deque[LoggedRequest]:
        """The last 10,000 requests (tokens left out)."""
        return self.state.request_log

    @property
    def host(self) -> str:
        """The address served on."""
        return self.state.host

    @property
    def port(self) -> int | None:
        """The port served on (None before start)."""
        return self.state.port

    # ------------------------------------------------------------------------------ lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakePlex:
        """Serve in a background thread (port 0 picks a free port); returns self."""
        if self._server is not None:
            return self
        server = make_server(host, port, self.wsgi_app, threaded=True, request_handler=_QuietHandler)
        self._server = server
        self.state.host = host
        self.state.port = server.server_port
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
        return self.state.url

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
    ) -> Fault:
        """Arm a fault (latency, status, drop, truncate, html, entity_bomb, deep_xml, huge, unauthorized)."""
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

    def reset(self) -> None:
        """Back to a shared emulator's state at the start of a test: no faults, nothing logged."""
        self.clear_faults()
        self.clear_log()

    def clear_log(self) -> None:
        """Forget logged requests and refresh calls."""
        self.request_log.clear()
        self.refresh_calls.clear()


__all__ = ["DEFAULT_TOKEN", "FakePlex", "LoggedRequest"]
