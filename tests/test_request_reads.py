"""A request's reads share one database session: one connection checked out, given back when it ends.

The counts are SQLAlchemy's own pool events on the plugin's engine, not a mock: before the shared
session, a word search checked out three connections (API key, library version, page) and an
availability call two.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event

from plexbooks_plugin import store as repo

from .viewkit import add_books, app_core, book, build_app, set_api_key


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Flask:
    """A host app with a small library and the host API key set."""
    app = build_app(database_url, tmp_path / "instance")
    add_books(app, [
        book("201", "Dune", "Frank Herbert"),
        book("202", "Dune Messiah", "Frank Herbert"),
        book("203", "The Hobbit", "J.R.R. Tolkien"),
    ])
    return app


@contextmanager
def checkouts(app: Flask) -> Iterator[list[int]]:
    """Count the connections the plugin's pool hands out meanwhile (a one-item list, read after the block)."""
    engine = app_core(app).db.engine
    count = [0]

    def checked_out(*_args: object) -> None:
        count[0] += 1

    event.listen(engine, "checkout", checked_out)
    try:
        yield count
    finally:
        event.remove(engine, "checkout", checked_out)


def checked_out_now(app: Flask) -> int:
    """Connections of the plugin's pool in use at this moment."""
    return int(app_core(app).db.engine.pool.checkedout())  # type: ignore[attr-defined]


def test_a_word_search_reads_in_one_connection_and_gives_it_back(app: Flask) -> None:
    headers = set_api_key(app)
    client = app.test_client()
    assert client.get("/plexbooks/api/library?q=dune", headers=headers).status_code == 200  # builds the search
    with checkouts(app) as count:
        response = client.get("/plexbooks/api/library?q=dune", headers=headers)
    assert response.status_code == 200
    assert [item["rating_key"] for item in response.get_json()["items"]] == ["201", "202"]
    assert count[0] == 1
    assert checked_out_now(app) == 0


def test_a_word_search_asks_two_queries_settings_once(app: Flask) -> None:
    headers = set_api_key(app)
    client = app.test_client()
    assert client.get("/plexbooks/api/library?q=dune", headers=headers).status_code == 200  # builds the search
    statements: list[str] = []

    def executed(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split()))

    engine = app_core(app).db.engine
    event.listen(engine, "before_cursor_execute", executed)
    try:
        assert client.get("/plexbooks/api/library?q=dune", headers=headers).get_json()["total"] == 2
    finally:
        event.remove(engine, "before_cursor_execute", executed)
    # The settings table once (the API key and the library's version), then the page's rows.
    assert len(statements) == 2, statements
    assert "FROM plexbooks_settings" in statements[0] and "plexbooks_library" in statements[1]


def test_an_availability_call_reads_in_one_connection(app: Flask) -> None:
    headers = set_api_key(app)
    client = app.test_client()
    books = {"books": [{"title": "Dune", "author": "Frank Herbert"}, {"title": "Nope", "author": "Nobody"}]}
    assert client.post("/plexbooks/api/availability", json=books, headers=headers).status_code == 200
    with checkouts(app) as count:
        response = client.post("/plexbooks/api/availability", json=books, headers=headers)
    assert [result["available"] for result in response.get_json()["results"]] == [True, False]
    assert count[0] == 1
    assert checked_out_now(app) == 0


def test_the_shared_read_still_sees_a_library_change(app: Flask) -> None:
    headers = set_api_key(app)
    client = app.test_client()
    assert client.get("/plexbooks/api/library?q=zeppelin", headers=headers).get_json()["total"] == 0
    books = {"books": [{"title": "Zeppelin Rising", "author": "A. Writer"}]}
    assert client.post("/plexbooks/api/availability", json=books, headers=headers).get_json()["results"][0][
        "available"] is False
    add_books(app, [book("900", "Zeppelin Rising", "A. Writer")])  # stores and bumps the library version
    body = client.get("/plexbooks/api/library?q=zeppelin", headers=headers).get_json()
    assert [item["rating_key"] for item in body["items"]] == ["900"] and body["total"] == 1
    assert client.post("/plexbooks/api/availability", json=books, headers=headers).get_json()["results"][0][
        "available"] is True


def test_a_changed_api_key_stops_working_on_the_next_request(app: Flask) -> None:
    old = set_api_key(app, "the-first-key-0123456789")
    client = app.test_client()
    assert client.get("/plexbooks/api/library", headers=old).status_code == 200
    new = set_api_key(app, "the-second-key-0123456789")
    assert client.get("/plexbooks/api/library", headers=old).status_code == 401
    assert client.get("/plexbooks/api/library", headers=new).status_code == 200


def test_a_failing_request_gives_its_connection_back(app: Flask) -> None:
    headers = set_api_key(app)
    client = app.test_client()
    with app_core(app).session() as session:
        repo.set_setting(session, "api_key", None)
    assert client.get("/plexbooks/api/library?q=dune", headers=headers).status_code == 401
    assert checked_out_now(app) == 0
