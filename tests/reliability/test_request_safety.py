"""Requests and the host (issue 12): a late host status never undoes progress (item 8), and
`request_available` receivers run inside the host app's context (item 17). The database is checked after each.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, current_app

from plexbooks_plugin import hooks, signals
from plexbooks_plugin.scanning import run_scan
from tests.fakeplex_fixtures import FakePlexFactory
from tests.viewkit import app_core

from .helpers import configure, requests_by_host_id

BOOK = {"title": "The Quiet Orchard", "author": "Mara Vellacott", "asin": "B0QUIET001"}
DROPPED = {"title": "Salt Roads North", "author": "Ivo Brannagh", "asin": "B0SALT0001"}


@pytest.mark.parametrize("late_status", ["pending", "searching", "downloading", "failed"])
def test_a_late_host_status_never_keeps_a_book_plex_has_from_becoming_available(
    app: Flask, fake_plex_factory: FakePlexFactory, late_status: str
) -> None:
    fake = fake_plex_factory(items=5)
    core = configure(app_core(app), fake)
    for request_id, book in (("late", BOOK), ("dropped", DROPPED)):
        organised = hooks.on_download_organized(request_id=request_id, path=f"/books/{request_id}", core=core, **book)
        assert organised["status"] == "downloaded"
    # The host's status updates arrive after the download was organised.
    assert hooks.on_request_status(request_id="late", status=late_status, core=core)["status"] == late_status
    assert hooks.on_request_status(request_id="dropped", status="cancelled", core=core)["status"] == "cancelled"
    late_key = fake.add_album(BOOK["title"], BOOK["author"], asin=BOOK["asin"])
    fake.add_album(DROPPED["title"], DROPPED["author"], asin=DROPPED["asin"])

    summary = run_scan(core, "full")

    assert summary["matched"] == 1
    stored = requests_by_host_id(core)
    assert (stored["late"].status, stored["late"].plex_rating_key) == ("available", late_key)
    assert stored["late"].available_at is not None
    assert (stored["dropped"].status, stored["dropped"].plex_rating_key) == ("cancelled", None)
    # And once available, a later host status does not take it back.
    assert hooks.on_request_status(request_id="late", status="downloading", core=core)["status"] == "available"
    assert requests_by_host_id(core)["late"].status == "available"


def test_request_available_receivers_run_inside_the_host_app_context(
    app: Flask, fake_plex_factory: FakePlexFactory
) -> None:
    """A receiver that needs the app (Flask-SQLAlchemy, current_app.config) works from a scan outside any request."""
    fake = fake_plex_factory(items=5)
    core = configure(app_core(app), fake)
    app.config["HOST_MARKER"] = "the host's config"
    received: list[tuple[str, str, Any]] = []

    def receiver(sender: Any, *, request_id: str, rating_key: str, **_: Any) -> None:
        received.append((request_id, rating_key, current_app.config["HOST_MARKER"]))

    signals.request_available.connect(receiver)
    try:
        hooks.on_download_organized(request_id="ctx", path="/books/ctx", core=core, **BOOK)
        key = fake.add_album(BOOK["title"], BOOK["author"], asin=BOOK["asin"])
        run_scan(core, "recent")  # called the way the scheduler calls it: no app context
    finally:
        signals.request_available.disconnect(receiver)
    assert received == [("ctx", key, "the host's config")]
    assert requests_by_host_id(core)["ctx"].status == "available"
