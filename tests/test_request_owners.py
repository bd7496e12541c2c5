"""Requests record who asked; a plain user sees only their own (issue 12 item 14, DESIGN.md section 7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plexbooks_plugin import store as repo

from .viewkit import app_core, build_app, host_client, set_api_key, sign_in_as


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Flask:
    """A host app with plexbooks and the host API key."""
    app = build_app(database_url, tmp_path / "instance")
    set_api_key(app)
    return app


def _client(app: Flask, role: str | None, username: str | None = None) -> FlaskClient:
    if role is None:
        return host_client(app)
    client = app.test_client()
    sign_in_as(client, app, role, username)
    return client


@pytest.fixture
def sam(app: Flask) -> FlaskClient:
    return _client(app, "user", "sam")


@pytest.fixture
def kim(app: Flask) -> FlaskClient:
    return _client(app, "user", "kim")


@pytest.fixture
def host(app: Flask) -> FlaskClient:
    return _client(app, None)


@pytest.fixture
def olivia(app: Flask) -> FlaskClient:
    return _client(app, "admin", "olivia")


def _create(client: FlaskClient, title: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/plexbooks/api/requests", json={"title": title, **fields})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()  # type: ignore[no-any-return]


def _ids(client: FlaskClient) -> set[str]:
    response = client.get("/plexbooks/api/requests")
    assert response.status_code == 200
    return {item["request_id"] for item in response.get_json()["items"]}


def test_requests_record_the_signed_in_user(app: Flask, sam: FlaskClient) -> None:
    made = _create(sam, "Sam's Book")
    assert made["requested_by"] == "sam"
    with app_core(app).session() as session:
        row = repo.get_request(session, made["request_id"])
        assert row is not None and row.requested_by is not None
        assert repo.get_user(session, row.requested_by).username == "sam"  # type: ignore[union-attr]


def test_a_plain_user_lists_and_reads_only_their_own(
    sam: FlaskClient, kim: FlaskClient, host: FlaskClient, olivia: FlaskClient
) -> None:
    mine = _create(sam, "Sam's Book")["request_id"]
    theirs = _create(kim, "Kim's Book")["request_id"]
    hosts = _create(host, "The Host's Book", host_request_id="h-1")["request_id"]
    assert _ids(sam) == {mine}
    assert _ids(kim) == {theirs}
    assert _ids(host) == _ids(olivia) == {mine, theirs, hosts}
    assert sam.get(f"/plexbooks/api/requests/{mine}").status_code == 200
    for other in (theirs, hosts):
        response = sam.get(f"/plexbooks/api/requests/{other}")
        assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    assert olivia.get(f"/plexbooks/api/requests/{theirs}").status_code == 200


def test_the_host_key_names_who_asked(app: Flask, sam: FlaskClient, host: FlaskClient) -> None:
    for_sam = _create(host, "For Sam", host_request_id="h-sam", requested_by="sam")
    assert for_sam["requested_by"] == "sam"
    _create(host, "For Nobody Yet", host_request_id="h-new", requested_by="newcomer")
    assert _ids(sam) == {"h-sam"}
    newcomer = _client(app, "user", "newcomer")  # signs in after the host asked for them
    assert _ids(newcomer) == {"h-new"}


def test_downloaded_path_only_for_admins_and_the_host_key(
    sam: FlaskClient, host: FlaskClient, olivia: FlaskClient
) -> None:
    made = _create(sam, "Sam's Book")
    assert "downloaded_path" not in made
    rid = made["request_id"]
    hook = host.post("/plexbooks/api/hooks/download-organized",
                     json={"request_id": rid, "title": "Sam's Book", "path": "/srv/secret/library/Sam"})
    assert hook.status_code == 200, hook.get_data(as_text=True)
    for path in (f"/plexbooks/api/requests/{rid}", "/plexbooks/api/requests"):
        assert "/srv/secret" not in sam.get(path).get_data(as_text=True)
    assert host.get(f"/plexbooks/api/requests/{rid}").get_json()["downloaded_path"] == "/srv/secret/library/Sam"
    assert olivia.get("/plexbooks/api/requests").get_json()["items"][0]["downloaded_path"] == "/srv/secret/library/Sam"


@pytest.mark.parametrize("field", ["host_request_id", "requested_by"])
def test_a_plain_user_may_not_set_host_fields(app: Flask, sam: FlaskClient, field: str) -> None:
    response = sam.post("/plexbooks/api/requests", json={"title": "Claimed", field: "h-42"})
    assert response.status_code == 400
    assert response.get_json()["field"] == field
    with app_core(app).session() as session:
        assert repo.list_requests(session) == []


def test_admins_and_the_host_key_may_set_the_host_request_id(host: FlaskClient, olivia: FlaskClient) -> None:
    assert _create(host, "One", host_request_id="h-1")["request_id"] == "h-1"
    assert _create(olivia, "Two", host_request_id="h-2")["request_id"] == "h-2"
