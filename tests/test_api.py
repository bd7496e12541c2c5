"""The JSON API of DESIGN.md section 5: every answer, including the error codes."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plexbooks_plugin import store as repo
from plexbooks_plugin.fakeplex import FakePlex

from .fakeplex_fixtures import FakePlexFactory, configure_core, fake_plex_factory  # noqa: F401
from .viewkit import API_KEY, add_books, app_core, book, build_app, csrf_from_page, set_api_key, sign_in_as

LIBRARY_KEYS = {"rating_key", "section_id", "guid", "title", "author", "narrator", "year", "asin", "duration"}
RESULT_KEYS = {"available", "rating_key", "score", "matched_by"}


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Flask:
    """A host app with plexbooks, CSRF off (the CSRF tests turn it on)."""
    return build_app(database_url, tmp_path / "instance")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """An anonymous client."""
    return app.test_client()


@pytest.fixture
def key_headers(app: Flask) -> dict[str, str]:
    """The host's API key header."""
    return set_api_key(app)


@pytest.fixture
def plex(fake_plex_factory: FakePlexFactory) -> FakePlex:  # noqa: F811
    """A running Plex emulator with 40 books."""
    return fake_plex_factory(items=40)


@pytest.fixture
def library(app: Flask) -> None:
    """A small mirrored library."""
    add_books(app, [
        book("101", "The Tenant", "Freida McFadden", asin="B0CW1M3HWK", year=2024, duration=40_000_000_000),
        book("102", "Foundation", "Isaac Asimov", narrator="Scott Brick", year=1951, duration=30_600_000),
        book("103", "Project Hail Mary", "Andy Weir", narrator="Ray Porter", year=2021),
        book("104", "Hollow City", "Ransom Riggs", year=2014),
        book("105", "<script>alert('x')</script>", "Mallory Hacker"),
    ])


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert a JSON error answer of the contract's shape; return its body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    return body  # type: ignore[no-any-return]


# ---------------------------------------------------------------- who may call what

ENDPOINTS: list[tuple[str, str, Any, str]] = [
    ("GET", "/plexbooks/api/libraries", None, "admin"),
    ("POST", "/plexbooks/api/scan", {"kind": "full"}, "admin"),
    ("POST", "/plexbooks/api/scan/confirm-removal", {}, "admin"),
    ("GET", "/plexbooks/api/scan/1", None, "admin"),
    ("POST", "/plexbooks/api/test-connection", {}, "admin"),
    ("POST", "/plexbooks/api/hooks/download-organized", {"request_id": "r1", "title": "T", "path": "/x"}, "admin"),
    ("GET", "/plexbooks/api/library", None, "user"),
    ("POST", "/plexbooks/api/availability", {"books": []}, "user"),
    ("POST", "/plexbooks/api/requests", {"title": "T"}, "user"),
    ("GET", "/plexbooks/api/requests", None, "user"),
    ("GET", "/plexbooks/api/requests/r1", None, "user"),
]


@pytest.mark.parametrize(("method", "path", "body", "role"), ENDPOINTS)
def test_anonymous_callers_get_401_json(client: FlaskClient, method: str, path: str, body: Any, role: str) -> None:
    response = client.open(path, method=method, json=body)
    error_of(response, 401, "unauthorized")


@pytest.mark.parametrize(("method", "path", "body", "role"), [e for e in ENDPOINTS if e[3] == "admin"])
def test_plain_users_get_403_on_admin_endpoints(
    user: FlaskClient, method: str, path: str, body: Any, role: str
) -> None:
    error_of(user.open(path, method=method, json=body), 403, "forbidden")


def test_a_wrong_api_key_is_401_not_a_downgrade(app: Flask, client: FlaskClient) -> None:
    set_api_key(app)
    response = client.get("/plexbooks/api/library", headers={"X-Plexbooks-Key": "not-the-key"})
    error_of(response, 401, "unauthorized")


def test_the_api_key_acts_as_admin(client: FlaskClient, key_headers: dict[str, str], library: None) -> None:
    assert client.get("/plexbooks/api/library", headers=key_headers).status_code == 200
    response = client.post("/plexbooks/api/scan/confirm-removal", headers=key_headers)
    error_of(response, 409, "nothing_pending")


# ---------------------------------------------------------------- GET /api/libraries


def test_libraries_lists_only_music_libraries_with_counts(app: Flask, admin: FlaskClient, plex: FakePlex) -> None:
    configure_core(app_core(app), plex)
    response = admin.get("/plexbooks/api/libraries")
    assert response.status_code == 200, response.get_data(as_text=True)
    libraries = response.get_json()
    assert isinstance(libraries, list) and libraries
    for entry in libraries:
        assert set(entry) >= {"id", "title", "type", "locations", "item_count"}
        assert entry["type"] == "artist"
        assert isinstance(entry["locations"], list)
    audiobooks = next(e for e in libraries if e["id"] == str(plex.music_section_id))
    assert audiobooks["item_count"] == 40


def test_libraries_before_plex_is_configured_is_409(admin: FlaskClient) -> None:
    body = error_of(admin.get("/plexbooks/api/libraries"), 409, "not_configured")
    assert "Settings" in body["message"]


def test_libraries_with_plex_down_is_502_unreachable(app: Flask, admin: FlaskClient) -> None:
    core = app_core(app)
    core.set_setting("plex_url", "http://127.0.0.1:9")  # discard port: nothing listens
    core.set_setting("plex_token", "whatever")
    error_of(admin.get("/plexbooks/api/libraries"), 502, "plex_unreachable")


def test_libraries_with_a_bad_token_is_502_unauthorized(app: Flask, admin: FlaskClient, plex: FakePlex) -> None:
    configure_core(app_core(app), plex)
    app_core(app).set_setting("plex_token", "wrong-token")
    body = error_of(admin.get("/plexbooks/api/libraries"), 502, "plex_unauthorized")
    assert "wrong-token" not in json.dumps(body)


# ---------------------------------------------------------------- POST /api/test-connection


def test_connection_test_reports_server_and_music_libraries(admin: FlaskClient, plex: FakePlex) -> None:
    response = admin.post("/plexbooks/api/test-connection", json={"url": plex.url, "token": plex.token})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["ok"] is True
    assert body["machine_identifier"] == plex.machine_identifier
    assert body["version"]
    assert any(lib["id"] == str(plex.music_section_id) for lib in body["music_libraries"])
    assert plex.token not in response.get_data(as_text=True)


def test_connection_test_rejects_a_non_http_url(admin: FlaskClient) -> None:
    body = error_of(admin.post("/plexbooks/api/test-connection", json={"url": "ftp://nas", "token": "t"}),
                    400, "invalid_settings")
    assert "http" in body["message"]


# ---------------------------------------------------------------- scans


def wait_for_run(client: FlaskClient, run_id: int, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Poll GET /api/scan/<id> until the run finishes."""
    deadline = time.monotonic() + 30
    while True:
        body = client.get(f"/plexbooks/api/scan/{run_id}", headers=headers).get_json()
        if body["status"] != "running" or time.monotonic() > deadline:
            return body  # type: ignore[no-any-return]
        time.sleep(0.05)


def test_scan_starts_202_and_reports_progress_and_summary(app: Flask, admin: FlaskClient, plex: FakePlex) -> None:
    configure_core(app_core(app), plex)
    response = admin.post("/plexbooks/api/scan", json={"kind": "full"})
    assert response.status_code == 202, response.get_data(as_text=True)
    assert set(response.get_json()) == {"run_id"}
    run = wait_for_run(admin, response.get_json()["run_id"])
    assert set(run) >= {"run_id", "kind", "status", "progress", "summary", "error"}
    assert run["status"] == "succeeded", run
    assert run["kind"] == "full"
    assert set(run["progress"]) == {"done", "total"}
    assert run["progress"]["done"] == run["progress"]["total"] == 40
    assert {"total", "new", "updated", "removed", "matched"} <= set(run["summary"])
    assert run["summary"]["new"] == 40
    assert run["error"] is None


def test_scan_while_one_runs_is_409_with_the_running_id(app: Flask, admin: FlaskClient, plex: FakePlex) -> None:
    core = configure_core(app_core(app), plex)
    with core.session() as session:
        running = repo.start_scan_run(session, "full", triggered_by="elsewhere")
        assert repo.acquire_lease(session, "scan", "another-process", timedelta(minutes=5))
    body = error_of(admin.post("/plexbooks/api/scan", json={"kind": "recent"}), 409, "scan_running")
    assert body["run_id"] == running.id


def test_scan_kind_is_validated(app: Flask, admin: FlaskClient, plex: FakePlex) -> None:
    configure_core(app_core(app), plex)
    body = error_of(admin.post("/plexbooks/api/scan", json={"kind": "everything"}), 400, "invalid_field")
    assert body["field"] == "kind"
    error_of(admin.post("/plexbooks/api/scan", data="kind=full"), 400, "invalid_json")
    error_of(admin.post("/plexbooks/api/scan", json=["full"]), 400, "invalid_json")


def test_scan_before_plex_is_configured_is_409_not_configured(admin: FlaskClient) -> None:
    error_of(admin.post("/plexbooks/api/scan", json={"kind": "full"}), 409, "not_configured")


def test_unknown_scan_run_is_404(admin: FlaskClient) -> None:
    error_of(admin.get("/plexbooks/api/scan/424242"), 404, "not_found")


def test_failed_scan_reports_its_error(app: Flask, admin: FlaskClient) -> None:
    core = app_core(app)
    core.set_setting("plex_url", "http://127.0.0.1:9")
    core.set_setting("plex_token", "t")
    core.set_setting("library_id", "1")
    response = admin.post("/plexbooks/api/scan", json={"kind": "recent"})
    assert response.status_code == 202
    run = wait_for_run(admin, response.get_json()["run_id"])
    assert run["status"] == "failed"
    assert run["error"]


def test_confirm_removal_applies_a_held_back_removal(app: Flask, admin: FlaskClient, library: None) -> None:
    core = app_core(app)
    with core.session() as session:
        run = repo.start_scan_run(session, "full")
        repo.finish_scan_run(session, run.id, status="succeeded", summary={"total": 0}, warning="held back")
        repo.set_json_setting(session, "pending_removal", {
            "run_id": run.id + 1, "section_id": "7", "count": 5, "previous": 5, "seen": 0,
        })
    response = admin.post("/plexbooks/api/scan/confirm-removal")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["confirmed"] is True and body["removed"] == 5
    with core.session() as session:
        assert repo.count_library(session) == 0
    error_of(admin.post("/plexbooks/api/scan/confirm-removal"), 409, "nothing_pending")


# ---------------------------------------------------------------- GET /api/library


def test_library_lists_items_with_the_contract_fields(user: FlaskClient, library: None) -> None:
    response = user.get("/plexbooks/api/library")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 5
    assert all(set(item) == LIBRARY_KEYS for item in body["items"])
    tenant = next(i for i in body["items"] if i["rating_key"] == "101")
    assert tenant == {
        "rating_key": "101", "section_id": "7", "guid": "plex://album/101", "title": "The Tenant",
        "author": "Freida McFadden",
        "narrator": None, "year": 2024, "asin": "B0CW1M3HWK", "duration": 40_000_000_000,
    }


def test_library_searches_title_and_author_and_pages(user: FlaskClient, library: None) -> None:
    assert [i["title"] for i in user.get("/plexbooks/api/library?q=hail").get_json()["items"]] == ["Project Hail Mary"]
    assert [i["rating_key"] for i in user.get("/plexbooks/api/library?q=asimov").get_json()["items"]] == ["102"]
    first = user.get("/plexbooks/api/library?per_page=2&page=1").get_json()
    third = user.get("/plexbooks/api/library?per_page=2&page=3").get_json()
    assert first["total"] == third["total"] == 5
    assert len(first["items"]) == 2 and len(third["items"]) == 1
    assert user.get("/plexbooks/api/library?page=99").get_json()["items"] == []


@pytest.mark.parametrize("query", ["page=0", "page=abc", "per_page=0", "per_page=100000"])
def test_library_rejects_bad_paging(user: FlaskClient, query: str) -> None:
    body = error_of(user.get(f"/plexbooks/api/library?{query}"), 400, "invalid_field")
    assert body["field"] == query.split("=")[0]


# ---------------------------------------------------------------- POST /api/availability


def test_availability_answers_in_order(user: FlaskClient, library: None) -> None:
    books = [
        {"title": "Some Book Nobody Has", "author": "Nobody"},
        {"title": "Anything", "author": "Anyone", "asin": "B0CW1M3HWK"},
        {"title": "The Tenant (Unabridged)", "author": "Freida McFadden"},
        {"title": "Foundation and Empire", "author": "Isaac Asimov"},
        {"title": "Hollow Kingdom", "author": "Ransom Riggs"},
        {"title": "Foundation", "author": "Isaac Asimov"},
    ]
    response = user.post("/plexbooks/api/availability", json={"books": books})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert len(results) == len(books)
    assert all(set(r) == RESULT_KEYS for r in results)
    assert results[0] == {"available": False, "rating_key": None, "score": None, "matched_by": None}
    assert results[1]["available"] and results[1]["rating_key"] == "101" and results[1]["matched_by"] == "asin"
    assert results[1]["score"] == 1.0
    assert results[2]["available"] and results[2]["rating_key"] == "101" and results[2]["matched_by"] == "fuzzy"
    assert 0.7 <= results[2]["score"] <= 1.0
    assert not results[3]["available"]  # a sequel is not its predecessor
    assert not results[4]["available"]
    assert results[5]["rating_key"] == "102"


def test_availability_sees_a_new_scan_without_a_restart(app: Flask, user: FlaskClient, library: None) -> None:
    ask = {"books": [{"title": "Brand New Book", "author": "Fresh Author"}]}
    assert not user.post("/plexbooks/api/availability", json=ask).get_json()["results"][0]["available"]
    add_books(app, [book("106", "Brand New Book", "Fresh Author")])
    assert user.post("/plexbooks/api/availability", json=ask).get_json()["results"][0]["rating_key"] == "106"


def test_availability_empty_list_is_fine(user: FlaskClient) -> None:
    assert user.post("/plexbooks/api/availability", json={"books": []}).get_json() == {"results": []}


@pytest.mark.parametrize(("body", "field"), [
    ({}, "books"),
    ({"books": "Dune"}, "books"),
    ({"books": [{"title": "ok", "author": "x"}, "Dune"]}, "books[1]"),
    ({"books": [{"author": "x"}]}, "books[0].title"),
    ({"books": [{"title": 42, "author": "x"}]}, "books[0].title"),
    ({"books": [{"title": "ok", "author": ["a", "b"]}]}, "books[0].author"),
    ({"books": [{"title": "ok", "asin": 12345}]}, "books[0].asin"),
])
def test_availability_names_the_wrong_field(user: FlaskClient, body: dict[str, Any], field: str) -> None:
    assert error_of(user.post("/plexbooks/api/availability", json=body), 400, "invalid_field")["field"] == field


def test_availability_caps_the_number_of_books(user: FlaskClient) -> None:
    books = [{"title": f"Book {i}", "author": "A"} for i in range(501)]
    body = error_of(user.post("/plexbooks/api/availability", json={"books": books}), 400, "too_many_books")
    assert body["limit"] == 500


def test_oversized_bodies_are_413(user: FlaskClient) -> None:
    big = json.dumps({"books": [{"title": "x" * 1000, "author": "y"}] * 1100})
    assert len(big) > 1024 * 1024
    response = user.post("/plexbooks/api/availability", data=big, content_type="application/json")
    error_of(response, 413, "body_too_large")


# ---------------------------------------------------------------- POST /api/requests


def test_request_for_a_missing_book_is_201(admin: FlaskClient, library: None) -> None:
    response = admin.post("/plexbooks/api/requests", json={
        "title": "A Book Nobody Owns", "author": "Nobody In Particular", "host_request_id": "host-1",
    })
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["request_id"] == "host-1" and body["host_request_id"] == "host-1"
    assert body["status"] == "pending"
    assert body["title"] == "A Book Nobody Owns"
    assert body["rating_key"] is None


def test_request_without_a_host_id_gets_one(user: FlaskClient) -> None:
    body = user.post("/plexbooks/api/requests", json={"title": "Untracked", "author": None}).get_json()
    assert body["request_id"]
    assert user.get(f"/plexbooks/api/requests/{body['request_id']}").get_json()["title"] == "Untracked"


def test_request_for_an_owned_book_is_409_already_available(user: FlaskClient, library: None) -> None:
    response = user.post("/plexbooks/api/requests", json={"title": "Project Hail Mary", "author": "Andy Weir"})
    body = error_of(response, 409, "already_available")
    assert body["rating_key"] == "103"
    assert body["book"]["title"] == "Project Hail Mary"
    by_asin = error_of(user.post("/plexbooks/api/requests", json={"title": "x", "asin": "B0CW1M3HWK"}),
                       409, "already_available")
    assert by_asin["rating_key"] == "101" and by_asin["matched_by"] == "asin"


def test_request_twice_is_409_already_requested(admin: FlaskClient, library: None) -> None:
    first = admin.post("/plexbooks/api/requests", json={"title": "Dune Messiah", "author": "Frank Herbert",
                                                        "host_request_id": "h-7"})
    assert first.status_code == 201
    same_id = error_of(admin.post("/plexbooks/api/requests", json={"title": "Other", "host_request_id": "h-7"}),
                       409, "already_requested")
    assert same_id["request_id"] == "h-7"
    same_book = error_of(admin.post("/plexbooks/api/requests", json={"title": "Dune Messiah (Unabridged)",
                                                                    "author": "Frank Herbert"}),
                         409, "already_requested")
    assert same_book["request_id"] == "h-7"


def test_only_admins_may_force(user: FlaskClient, admin: FlaskClient, library: None) -> None:
    owned = {"title": "Project Hail Mary", "author": "Andy Weir", "force": True}
    error_of(user.post("/plexbooks/api/requests", json=owned), 403, "forbidden")
    response = admin.post("/plexbooks/api/requests", json=owned)
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending"


@pytest.mark.parametrize(("body", "field"), [
    ({}, "title"),
    ({"title": ""}, "title"),
    ({"title": 12}, "title"),
    ({"title": "ok", "author": 5}, "author"),
    ({"title": "ok", "host_request_id": {"id": 1}}, "host_request_id"),
    ({"title": "ok", "force": "yes"}, "force"),
])
def test_request_body_errors_name_the_field(user: FlaskClient, body: dict[str, Any], field: str) -> None:
    assert error_of(user.post("/plexbooks/api/requests", json=body), 400, "invalid_field")["field"] == field


# ---------------------------------------------------------------- GET /api/requests/<id>


def test_get_request_by_host_id(admin: FlaskClient) -> None:
    admin.post("/plexbooks/api/requests", json={"title": "Shown", "author": "A", "host_request_id": "req/with/slash"})
    response = admin.get("/plexbooks/api/requests/req/with/slash")
    assert response.status_code == 200
    assert response.get_json()["status"] == "pending"
    listing = admin.get("/plexbooks/api/requests").get_json()
    assert listing["total"] == 1 and listing["items"][0]["request_id"] == "req/with/slash"


def test_unknown_request_is_404(user: FlaskClient) -> None:
    error_of(user.get("/plexbooks/api/requests/nope"), 404, "not_found")


# ---------------------------------------------------------------- POST /api/hooks/download-organized


def test_hook_marks_a_known_request_downloaded(client: FlaskClient, admin: FlaskClient,
                                               key_headers: dict[str, str]) -> None:
    admin.post("/plexbooks/api/requests", json={"title": "Waiting", "author": "A", "host_request_id": "h-1"})
    response = client.post("/plexbooks/api/hooks/download-organized", headers=key_headers, json={
        "request_id": "h-1", "title": "Waiting", "author": "A", "path": "/data/Audiobooks/A/Waiting",
    })
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["request_id"] == "h-1" and body["status"] == "downloaded"
    assert admin.get("/plexbooks/api/requests/h-1").get_json()["status"] == "downloaded"


def test_hook_creates_an_unannounced_request(client: FlaskClient, key_headers: dict[str, str]) -> None:
    response = client.post("/plexbooks/api/hooks/download-organized", headers=key_headers, json={
        "request_id": 77, "title": "Surprise", "author": "B", "path": "/data/B/Surprise", "asin": "B000000077",
    })
    assert response.status_code == 200
    assert response.get_json()["request_id"] == "77"
    found = client.get("/plexbooks/api/requests/77", headers=key_headers).get_json()
    assert found["status"] == "downloaded" and found["asin"] == "B000000077"


def test_hook_validates_its_body(client: FlaskClient, key_headers: dict[str, str]) -> None:
    url = "/plexbooks/api/hooks/download-organized"
    body = error_of(client.post(url, headers=key_headers, json={"title": "x", "path": "/p"}), 400, "invalid_field")
    assert body["field"] == "request_id"
    body = error_of(client.post(url, headers=key_headers, json={"request_id": "1", "title": 3}), 400, "invalid_field")
    assert body["field"] == "title"


def test_hook_as_signed_in_admin(admin: FlaskClient) -> None:
    response = admin.post("/plexbooks/api/hooks/download-organized",
                          json={"request_id": "a-1", "title": "By Hand", "path": "/p"})
    assert response.status_code == 200


# ---------------------------------------------------------------- CSRF


def test_browser_posts_need_the_csrf_token(database_url: str, tmp_path: Path) -> None:
    app = build_app(database_url, tmp_path / "csrf-instance", WTF_CSRF_ENABLED=True)
    browser = app.test_client()
    sign_in_as(browser, app, "user")
    ask = {"books": [{"title": "Dune", "author": "Frank Herbert"}]}
    error_of(browser.post("/plexbooks/api/availability", json=ask), 400, "csrf_failed")
    token = csrf_from_page(browser)
    ok = browser.post("/plexbooks/api/availability", json=ask, headers={"X-CSRFToken": token})
    assert ok.status_code == 200
    host = app.test_client()
    headers = set_api_key(app, API_KEY)
    assert host.post("/plexbooks/api/availability", json=ask, headers=headers).status_code == 200


def test_oversized_chunked_bodies_are_413(user: FlaskClient) -> None:
    import io

    big = json.dumps({"books": [{"title": "x" * 1000, "author": "y"}] * 1100}).encode()
    response = user.post(
        "/plexbooks/api/availability", input_stream=io.BytesIO(big), content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # what waitress and gunicorn say for chunked bodies
    )
    error_of(response, 413, "body_too_large")


def test_cancel_a_running_scan(app: Flask, admin: FlaskClient, user: FlaskClient, tmp_path: Path,
                               database_url: str) -> None:
    """Issue 12, item 5: POST /api/scan/<id>/cancel (admin, CSRF) ends a running run as cancelled."""
    with app_core(app).session() as session:
        run_id = repo.start_scan_run(session, "full").id
        finished = repo.start_scan_run(session, "recent")
        repo.finish_scan_run(session, finished.id, status="succeeded")
    error_of(user.post(f"/plexbooks/api/scan/{run_id}/cancel"), 403, "forbidden")
    guarded = build_app(database_url, tmp_path / "csrf", WTF_CSRF_ENABLED=True)
    browser = guarded.test_client()
    sign_in_as(browser, guarded, "admin")
    error_of(browser.post(f"/plexbooks/api/scan/{run_id}/cancel"), 400, "csrf_failed")
    response = admin.post(f"/plexbooks/api/scan/{run_id}/cancel")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "cancelled"
    assert admin.get(f"/plexbooks/api/scan/{run_id}").get_json()["status"] == "cancelled"
    assert error_of(admin.post(f"/plexbooks/api/scan/{run_id}/cancel"), 409, "not_running")["run_status"] == "cancelled"
    error_of(admin.post(f"/plexbooks/api/scan/{finished.id}/cancel"), 409, "not_running")
    error_of(admin.post("/plexbooks/api/scan/424242/cancel"), 404, "not_found")
    with app_core(app).session() as session:
        assert repo.get_scan_run(session, run_id).status == "cancelled"  # type: ignore[union-attr]
        assert repo.get_scan_run(session, finished.id).status == "succeeded"  # type: ignore[union-attr]
