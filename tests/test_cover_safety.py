"""Covers from a hostile or slow Plex: raster art of /library/metadata/ only, bounded and cached (issue 12 item 13)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .viewkit import add_books, app_core, book, build_app, sign_in_as

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'


class HostilePlex(ThreadingHTTPServer):
    """A "Plex" whose answers each test arranges: path -> (content type, body, delay in seconds)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.answers: dict[str, tuple[str, bytes, float]] = {}
        self.asked: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()
        self.release = threading.Event()  # ends every delay early (teardown)
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server = self.server
        assert isinstance(server, HostilePlex)
        path = self.path.split("?", 1)[0]
        with server.lock:
            server.asked.append(path)
            server.in_flight += 1
            server.most_in_flight = max(server.most_in_flight, server.in_flight)
        try:
            content_type, body, delay = server.answers.get(path, ("text/plain", b"nothing here", 0.0))
            if delay:
                server.release.wait(delay)
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up first
        finally:
            with server.lock:
                server.in_flight -= 1

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def plex() -> Iterator[HostilePlex]:
    server = HostilePlex()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def app(database_url: str, tmp_path: Path, plex: HostilePlex) -> Flask:
    """A host pointed at the hostile Plex, with short cover timeouts and two cover fetches at once."""
    app = build_app(database_url, tmp_path / "instance", PLEXBOOKS_COVER_TIMEOUT=(0.5, 0.5), PLEXBOOKS_COVER_FETCHES=2)
    app_core(app).set_setting("plex_url", plex.url)
    app_core(app).set_setting("plex_token", "owner-token")
    return app


def _book_with_thumb(app: Flask, key: str, thumb: str) -> None:
    add_books(app, [book(key, f"Book {key}", "Author", thumb=thumb)])


def _is_placeholder(response: object) -> bool:
    return response.headers.get("X-Plexbooks-Cover") == "placeholder"  # type: ignore[attr-defined, no-any-return]


def _assert_locked_down(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "sandbox" in headers["Content-Security-Policy"]


def test_a_raster_cover_is_relayed_locked_down(app: Flask, user: FlaskClient, plex: HostilePlex) -> None:
    plex.answers["/library/metadata/1/thumb/9"] = ("image/png", PNG, 0.0)
    _book_with_thumb(app, "1", "/library/metadata/1/thumb/9")
    response = user.get("/plexbooks/covers/1")
    assert response.status_code == 200 and response.data == PNG and response.mimetype == "image/png"
    _assert_locked_down(response)


def test_an_svg_cover_is_never_relayed(app: Flask, user: FlaskClient, plex: HostilePlex) -> None:
    plex.answers["/library/metadata/2/thumb/9"] = ("image/svg+xml", SVG, 0.0)
    _book_with_thumb(app, "2", "/library/metadata/2/thumb/9")
    response = user.get("/plexbooks/covers/2")
    assert response.status_code == 200 and _is_placeholder(response)
    assert b"<script" not in response.data
    _assert_locked_down(response)


@pytest.mark.parametrize("thumb", [
    "/:/prefs", "/library/sections/1/all", "/library/metadata/../../:/prefs", "/library/metadata/%2e%2e/x",
    "http://127.0.0.1:9/library/metadata/3/thumb", "//evil.example/library/metadata/3/thumb",
])
def test_only_library_metadata_paths_are_fetched(
    app: Flask, user: FlaskClient, plex: HostilePlex, thumb: str
) -> None:
    plex.answers["/:/prefs"] = ("image/png", b"secret prefs", 0.0)
    _book_with_thumb(app, "3", thumb)
    response = user.get("/plexbooks/covers/3")
    assert response.status_code == 200 and _is_placeholder(response)  # an absolute URL too: no 500
    assert plex.asked == []


def test_a_slow_plex_gets_one_short_try_then_the_failure_is_cached(
    app: Flask, user: FlaskClient, plex: HostilePlex
) -> None:
    plex.answers["/library/metadata/4/thumb/9"] = ("image/png", PNG, 30.0)
    _book_with_thumb(app, "4", "/library/metadata/4/thumb/9")
    started = time.monotonic()
    assert _is_placeholder(user.get("/plexbooks/covers/4"))
    assert time.monotonic() - started < 2.0  # one try of 0.5 s, no retries
    again = time.monotonic()
    assert _is_placeholder(user.get("/plexbooks/covers/4"))
    assert time.monotonic() - again < 0.3
    assert plex.asked == ["/library/metadata/4/thumb/9"]  # the failure was remembered


def test_a_slow_plex_cannot_take_every_worker(app: Flask, plex: HostilePlex) -> None:
    keys = [str(k) for k in range(10, 18)]
    for key in keys:
        plex.answers[f"/library/metadata/{key}/thumb/9"] = ("image/png", PNG, 30.0)
    add_books(app, [book(k, f"Book {k}", "Author", thumb=f"/library/metadata/{k}/thumb/9") for k in keys])
    clients = [app.test_client() for _ in keys]
    for client in clients:
        sign_in_as(client, app, "user")
    started = time.monotonic()
    with ThreadPoolExecutor(len(keys)) as pool:
        pairs = zip(clients, keys, strict=True)
        answers = list(pool.map(lambda pair: pair[0].get(f"/plexbooks/covers/{pair[1]}"), pairs))
        assert app.test_client().get("/plexbooks/health").status_code == 200
    assert all(a.status_code == 200 and _is_placeholder(a) for a in answers)
    assert plex.most_in_flight <= 2  # PLEXBOOKS_COVER_FETCHES
    assert time.monotonic() - started < 3.0
