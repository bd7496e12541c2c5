"""Serve the demo host and its Plex emulator on loopback (``plexbooks demo``)."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from pathlib import Path
from typing import Any

from flask import Flask

from ..errors import PlexbooksError
from ..fakeplex import FakePlex
from .app import create_demo_app, demo_database_url, demo_home

log = logging.getLogger(__name__)


class DemoServer:
    """The emulator plus the demo host, served from background threads until `stop()`."""

    def __init__(
        self,
        *,
        items: int = 300,
        seed: int = 1,
        database_url: str | None = None,
        instance_path: str | Path | None = None,
        scheduler: bool = True,
        second_audiobooks: int = 0,
        **config: Any,
    ) -> None:
        self.items = items
        self.second_audiobooks = second_audiobooks  # books of the emulator's "Kids Audiobooks" (0: no such library)
        self.seed = seed
        self.instance_path = Path(instance_path or demo_home()).resolve()
        self.database_url = demo_database_url(database_url, self.instance_path)
        self.scheduler = scheduler
        self.config = config
        self.plex: FakePlex | None = None
        self.app: Flask | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.host = "127.0.0.1"
        self.port: int | None = None

    @property
    def url(self) -> str:
        """Where the demo host answers."""
        return f"http://{self.host}:{self.port}"

    def start(self, port: int = 5055, host: str = "127.0.0.1", plex_port: int = 0) -> DemoServer:
        """Start the emulator on `plex_port`, build the host, and serve it on `host:port` (0: any free port)."""
        self.plex = FakePlex(
            items=self.items, seed=self.seed, second_audiobooks=self.second_audiobooks
        ).start(port=plex_port)
        try:
            self.app = create_demo_app(
                self.plex, database_url=self.database_url, instance_path=self.instance_path,
                scheduler=self.scheduler, **self.config,
            )
            self._server, self.port = _make_server(self.app, host, port)
        except BaseException:
            self.stop()  # a taken port must not leave the scheduler or the emulator running
            raise
        self.host = host
        self._thread = threading.Thread(target=self._server.serve_forever, name="plexbooks-demo", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, the scheduler and the emulator."""
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self.app is not None:
            state = self.app.extensions.get("plexbooks")
            if state is not None:
                if state.scheduler is not None:
                    state.scheduler.stop()
                state.core.db.dispose()
            self.app = None
        if self.plex is not None:
            self.plex.stop()
            self.plex = None

    def wait(self) -> None:
        """Block until the server thread ends (Ctrl-C raises KeyboardInterrupt here)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=0.5)


class _WaitressServer:
    """Waitress behind the small serve_forever/shutdown interface the demo uses."""

    def __init__(self, app: Flask, host: str, port: int) -> None:
        from waitress.server import create_server  # optional: ImportError falls back to Werkzeug

        # Eight threads: the scan panel polls while pages, covers and the API are fetched.
        self.server = create_server(app, host=host, port=port, threads=8, ident="plexbooks-demo")
        self.port = int(self.server.effective_port)  # type: ignore[union-attr]

    def serve_forever(self) -> None:
        """Serve until `shutdown`."""
        with contextlib.suppress(OSError):  # the listening socket was closed by shutdown()
            self.server.run()

    def shutdown(self) -> None:
        """Close the listening socket and the worker threads."""
        self.server.close()
        self.server.task_dispatcher.shutdown()


def _make_server(app: Flask, host: str, port: int) -> tuple[Any, int]:
    """Waitress when installed (a production-grade threaded server), else Werkzeug's threaded server."""
    try:
        server = _WaitressServer(app, host, port)
        return server, server.port
    except ImportError:
        from werkzeug.serving import make_server  # only when waitress is missing

        fallback = make_server(host, port, app, threaded=True)
        return fallback, int(fallback.server_port)


def run_demo(port: int = 5055, items: int = 300, database_url: str | None = None, plex_port: int = 0) -> None:
    """Run the demo in the foreground until Ctrl-C: fake Plex, the demo host and plexbooks, on loopback."""
    demo = DemoServer(items=items, database_url=database_url)
    try:
        demo.start(port=port, plex_port=plex_port)
    except OSError as err:
        ports = f"{port} or {plex_port}" if plex_port else str(port)
        raise PlexbooksError(f"cannot listen on 127.0.0.1:{ports}: {err.strerror or err}") from err
    # Logs from here on: a demo that cannot start says so in one line.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("waitress").setLevel(logging.WARNING)
    assert demo.plex is not None
    print(
        "\n".join([
            f"plexbooks demo is running at {demo.url}",
            f"  fake Plex ({items} audiobooks) at {demo.plex.url}, token {demo.plex.token}",
            f"  its own database {demo.database_url} (folder {demo.instance_path})",
            "  1. open the URL and click 'Sign in with Plex', then 'Sign in as owner'",
            "  2. Settings: test the connection and pick the Audiobooks library; Scans: scan the library",
            "  3. back on the store: badges on owned books, request a missing one, finish its download",
            "Press Ctrl-C to stop.",
        ]),
        flush=True,
    )
    try:
        demo.wait()
    except KeyboardInterrupt:
        print("Stopping the demo.", file=sys.stderr)
    finally:
        demo.stop()
