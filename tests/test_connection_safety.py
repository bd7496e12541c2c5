"""The connection test sends the stored token only to the stored server, in bounded time (issue 12 item 12)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.web import settings as settings_view

from .fakeplex_fixtures import FakePlexFactory, configure_core, fake_plex_factory  # noqa: F401
from .viewkit import app_core, build_app

STORED_TOKEN = "stored-owner-token-never-elsewhere"


# Looks enough like a Plex server that a client goes on to the calls that carry the token.
IDENTITY = b'{"MediaContainer": {"machineIdentifier": "recorder", "version": "1.40.0", "size": 0}}'


class Recorder(ThreadingHTTPServer):
    """An HTTP server that records every request's path and headers and answers like Plex's /identity."""

    daemon_threads = True

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []
        super().__init__(("127.0.0.1", 0), _RecordingHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _RecordingHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        assert isinstance(self.server, Recorder)
        self.server.seen.append((self.path, dict(self.headers)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(IDENTITY)))
        self.end_headers()
        self.wfile.write(IDENTITY)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A recording server on a free local port."""
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A socket that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


@pytest.fixture
def app(database_url: str, tmp_path: Path, fake_plex_factory: FakePlexFactory) -> Flask:  # noqa: F811
    """A host whose stored server is the emulator, with its owner token stored."""
    app = build_app(database_url, tmp_path / "instance", PLEXBOOKS_CONNECTION_TEST_SECONDS=1.0)
    app.config["fake"] = fake = fake_plex_factory(items=3)
    configure_core(app_core(app), fake)
    app_core(app).set_setting("plex_token", fake.token)
    return app


def _tokens_sent(recorder: Recorder) -> list[str]:
    return [path for path, headers in recorder.seen
            if any(k.lower() == "x-plex-token" for k in headers) or "token" in path.lower()]


def test_the_api_never_sends_the_stored_token_to_another_url(admin: FlaskClient, recorder: Recorder) -> None:
    response = admin.post("/plexbooks/api/test-connection", json={"url": recorder.url})
    assert response.status_code == 409, response.get_data(as_text=True)
    assert response.get_json()["error"] == "token_required"
    assert "token" in response.get_json()["message"]
    assert _tokens_sent(recorder) == []


def test_the_settings_form_never_sends_the_stored_token_to_another_url(
    admin: FlaskClient, recorder: Recorder
) -> None:
    page = admin.post("/plexbooks/settings", data={"action": "test", "plex_url": recorder.url, "plex_token": ""})
    assert "Connection failed." in page.get_data(as_text=True)
    assert _tokens_sent(recorder) == []


def test_a_token_typed_for_another_url_goes_there(admin: FlaskClient, recorder: Recorder) -> None:
    admin.post("/plexbooks/api/test-connection", json={"url": recorder.url, "token": "typed-token"})
    sent = [h.get("X-Plex-Token") for _, h in recorder.seen if h.get("X-Plex-Token")]
    assert sent and set(sent) == {"typed-token"}


def test_the_stored_server_still_gets_the_stored_token(app: Flask, admin: FlaskClient) -> None:
    fake: FakePlex = app.config["fake"]
    for url in (fake.url, fake.url + "/"):
        response = admin.post("/plexbooks/api/test-connection", json={"url": url})
        assert response.status_code == 200, response.get_data(as_text=True)
    assert admin.post("/plexbooks/api/test-connection", json={}).status_code == 200


@pytest.mark.parametrize("via", ["api", "form"])
def test_a_silent_server_is_answered_within_the_bound(admin: FlaskClient, silent_url: str, via: str) -> None:
    started = time.monotonic()
    if via == "api":
        response = admin.post("/plexbooks/api/test-connection", json={"url": silent_url, "token": "t"})
        assert response.status_code == 502 and response.get_json()["error"] == "plex_unreachable"
    else:
        page = admin.post("/plexbooks/settings", data={"action": "test", "plex_url": silent_url, "plex_token": "t"})
        assert "Connection failed." in page.get_data(as_text=True)
    # The app allows 1 s here; the default bound is the contract's 10 s.
    assert time.monotonic() - started < 3.0
    assert settings_view.CONNECTION_TEST_SECONDS <= 10
