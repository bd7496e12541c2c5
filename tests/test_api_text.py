"""Any text, NUL bytes and lone surrogates included, gets 2xx or 400 from the API, never 500 (issue 12 item 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .viewkit import build_app, host_client, set_api_key

BAD_TEXT = ["a\x00b", "a\ud800b", "\udfff", "\x00"]


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Flask:
    """A host app with plexbooks and the host API key."""
    app = build_app(database_url, tmp_path / "instance")
    set_api_key(app)
    return app


@pytest.fixture
def host(app: Flask) -> FlaskClient:
    """A client carrying the host's API key."""
    return host_client(app)


def _post(client: FlaskClient, path: str, body: dict[str, object]) -> int:
    # json.dumps escapes surrogates as \\udXXX, which the server's parser turns back into lone surrogates.
    response = client.post(path, json=body)
    assert response.is_json, response.get_data(as_text=True)
    return response.status_code


@pytest.mark.parametrize("text", BAD_TEXT)
@pytest.mark.parametrize("field", ["title", "author", "asin", "host_request_id"])
def test_request_fields_with_bad_text_are_400(host: FlaskClient, field: str, text: str) -> None:
    body = {"title": "A Title", field: text}
    assert _post(host, "/plexbooks/api/requests", body) == 400


@pytest.mark.parametrize("text", BAD_TEXT)
@pytest.mark.parametrize("field", ["request_id", "title", "author", "path", "asin"])
def test_hook_fields_with_bad_text_are_400(host: FlaskClient, field: str, text: str) -> None:
    body = {"request_id": "r1", "title": "A Title", "path": "/books/a", field: text}
    assert _post(host, "/plexbooks/api/hooks/download-organized", body) == 400


@pytest.mark.parametrize("text", BAD_TEXT)
def test_availability_with_bad_text_is_400(host: FlaskClient, text: str) -> None:
    assert _post(host, "/plexbooks/api/availability", {"books": [{"title": text}]}) == 400


@pytest.mark.parametrize("path", [
    "/plexbooks/api/requests/a%00b", "/plexbooks/api/requests?status=a%00b", "/plexbooks/api/library?q=a%00b",
    "/plexbooks/api/requests?a%00=1", "/plexbooks/api/scan/1?x=%00",
])
def test_nul_in_urls_is_400(host: FlaskClient, path: str) -> None:
    response = host.get(path)
    assert response.status_code == 400, (response.status_code, response.get_data(as_text=True))
    assert response.get_json()["error"] == "invalid_text"


@pytest.mark.parametrize("path", [
    "/plexbooks/api/requests/a%ED%A0%80b", "/plexbooks/api/requests/%FF", "/plexbooks/api/requests?status=%ED%A0%80",
    "/plexbooks/api/library?q=%ED%A0%80", "/plexbooks/api/library?q=%FF%FE",
])
def test_undecodable_bytes_in_urls_are_not_500(host: FlaskClient, path: str) -> None:
    # Werkzeug decodes URLs with errors="replace": the server sees U+FFFD, which is ordinary text.
    response = host.get(path)
    assert response.status_code < 500, (response.status_code, response.get_data(as_text=True))
    assert response.is_json


def test_ordinary_unicode_is_still_accepted(host: FlaskClient) -> None:
    body = {"title": "Ἰλιάς — 三体 🎧", "author": "Ὅμηρος", "host_request_id": "r-ünï"}
    assert _post(host, "/plexbooks/api/requests", body) == 201
    assert host.get("/plexbooks/api/requests/r-%C3%BCn%C3%AF").status_code == 200
