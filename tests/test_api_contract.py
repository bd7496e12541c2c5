"""The API and its OpenAPI document agree on what schemathesis found (issue 12 item 11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .viewkit import build_app, host_client, set_api_key


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Flask:
    app = build_app(database_url, tmp_path / "instance")
    set_api_key(app)

    @app.errorhandler(404)
    def host_page(_: Exception) -> Any:  # the host's own HTML 404 page, which API paths must not get
        return "<h1>Host page not found</h1>", 404

    return app


@pytest.fixture
def host(app: Flask) -> FlaskClient:
    """A client carrying the host's API key."""
    return host_client(app)


@pytest.fixture
def document(host: FlaskClient) -> dict[str, Any]:
    return host.get("/plexbooks/api/openapi.json").get_json()  # type: ignore[no-any-return]


def _json_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.is_json, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    assert set(body) >= {"error", "message"}
    return body


@pytest.mark.parametrize("path", ["/plexbooks/api/nope", "/plexbooks/api/scan/abc", "/plexbooks/api/"])
def test_unknown_api_paths_answer_json_404(host: FlaskClient, path: str) -> None:
    assert _json_error(host.get(path), 404)["error"] == "not_found"


def test_the_wrong_method_answers_json_405_with_allow(host: FlaskClient) -> None:
    response = host.delete("/plexbooks/api/library")
    assert _json_error(response, 405)["error"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_paths_outside_the_api_keep_the_hosts_pages(host: FlaskClient) -> None:
    assert host.get("/elsewhere").get_data(as_text=True) == "<h1>Host page not found</h1>"


@pytest.mark.parametrize("status", ["", "bogus", "PENDING"])
def test_status_outside_its_enum_is_400(host: FlaskClient, status: str) -> None:
    assert _json_error(host.get(f"/plexbooks/api/requests?status={status}"), 400)["field"] == "status"


def test_documented_limits_match_the_api(host: FlaskClient, document: dict[str, Any]) -> None:
    listing = document["paths"]["/api/requests"]["get"]
    assert "400" in listing["responses"]  # limit and status are validated
    page = next(p for p in document["paths"]["/api/library"]["get"]["parameters"] if p["name"] == "page")
    _json_error(host.get(f"/plexbooks/api/library?page={page['schema']['maximum'] + 1}"), 400)
    assert host.get(f"/plexbooks/api/library?page={page['schema']['maximum']}").status_code == 200


def test_empty_titles_are_invalid_in_the_document_too(document: dict[str, Any]) -> None:
    import re

    title = document["components"]["schemas"]["NewRequest"]["properties"]["title"]
    assert not re.search(title["pattern"], "") and not re.search(title["pattern"], "  \t")
    assert re.search(title["pattern"], "Dune")


def test_the_hook_path_is_optional_and_hook_failed_is_documented(host: FlaskClient, document: dict[str, Any]) -> None:
    assert "path" not in document["components"]["schemas"]["DownloadOrganized"]["required"]
    assert "500" in document["paths"]["/api/hooks/download-organized"]["post"]["responses"]
    hook = host.post("/plexbooks/api/hooks/download-organized", json={"request_id": "r1", "title": "No Path"})
    assert hook.status_code == 200, hook.get_data(as_text=True)


@pytest.mark.parametrize("run_id", ["1394579144017439", "2147483648", "-1"])
def test_scan_ids_beyond_the_database_integers_are_404(host: FlaskClient, run_id: str) -> None:
    # Found by the schemathesis run on PostgreSQL: an id past int4 was a 500.
    _json_error(host.get(f"/plexbooks/api/scan/{run_id}"), 404)
