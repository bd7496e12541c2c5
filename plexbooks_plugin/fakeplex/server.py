"""FakePlex: a Plex Media Server and plex.tv emulator on one loopback port; this is its control facade.

Used by the tests, the demo and the benchmarks. It answers with the shapes and types of real
PMS captures (XML by default, JSON on `Accept: application/json`), pages like PMS, refuses bad
tokens with PMS's HTML 401 page, runs the plex.tv PIN sign-in, and can inject faults. The
endpoints live in `pms`, `pms_root`, `plextv` and `signin`, the routing table in `routes`.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from ..plex.redact import redact
from .accounts import Accounts
from .control import FaultControls, LibraryControls, PlexTvControls
from .control_live import NotificationControls
from .library import hex_id
from .routes import Dispatcher
from .state import LoggedRequest, ServerState
from .store import FakeLibrary

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


class FakePlex(LibraryControls, PlexTvControls, FaultControls, NotificationControls):
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
        second_audiobooks: int = 0,
    ) -> None:
        """`second_audiobooks` > 0 adds a second audiobook library (section 5) with that many books."""
        token = token or DEFAULT_TOKEN
        self.seed = seed
        self.state = ServerState(
            library=FakeLibrary(items, seed, second_audiobooks),
            accounts=Accounts(token, seed),
            token=token,
            machine_identifier=machine_identifier or hex_id("machine", seed, length=40),
            server_name=server_name,
            xml_only=xml_only,
        )
        self.wsgi_app = Dispatcher(self.state)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

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
        self.state.notifier.close_all()  # the server joins its request threads, WebSockets included
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def __enter__(self) -> FakePlex:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to a shared emulator's state at a test's start: no faults, no log, default notifications."""
        self.clear_faults()
        self.clear_log()
        self.state.notifier.reset()


__all__ = ["DEFAULT_TOKEN", "FakePlex", "LoggedRequest"]
