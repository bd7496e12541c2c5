"""The scans page's jobs panel (the realtime listener's row too), run history and finished-run result (issue 17)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.db import Database
from plexbooks_plugin.models import ScanRun
from plexbooks_plugin.realtime import listener, read_status
from plexbooks_plugin.scheduler import PlexBooksScheduler
from plexbooks_plugin.web.jobs import human_interval, human_seconds, next_run_at
from plexbooks_plugin.web.shapes import scan_changes

from .fakeplex_fixtures import FakePlexFactory, configure_core, fake_plex_factory  # noqa: F401
from .reliability.helpers import wait_until
from .viewkit import app_core, build_app

T0 = datetime(2026, 1, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Flask:
    """A host app with plexbooks, CSRF off."""
    return build_app(database_url, tmp_path / "instance")


def html_of(response: object) -> str:
    """The body of a page answer."""
    return response.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


def test_intervals_and_durations_read_like_words() -> None:
    assert human_interval(6 * 3600) == "every 6 h"
    assert human_interval(300) == "every 5 min"
    assert human_interval(None) == "off"
    assert human_seconds(0.42) == "0.4 s"
    assert human_seconds(185) == "3 min 5 s"
    assert human_seconds(3720) == "1 h 2 min"
    assert human_seconds(None) == ""


def test_the_next_run_is_the_last_start_plus_the_interval() -> None:
    assert next_run_at(T0, 3600, T0 + timedelta(minutes=10)) == (T0 + timedelta(hours=1), False)
    assert next_run_at(T0, 3600, T0 + timedelta(hours=2)) == (T0 + timedelta(hours=1), True)
    assert next_run_at(None, 3600, T0) == (T0, True)
    assert next_run_at(T0, None, T0) == (None, False)


def test_badges_gained_and_requests_completed_are_apart() -> None:
    assert scan_changes({"new": 12, "updated": 3, "removed": 1, "matched": 0}) == {
        "badges_gained": 15, "new": 12, "updated": 3, "removed": 1, "requests_completed": 0,
    }
    assert scan_changes(None) is None


def _finished_run(app: Flask, kind: str, started: datetime, seconds: float, summary: dict[str, int]) -> int:
    with app_core(app).session() as session:
        run = repo.start_scan_run(session, kind)
        repo.finish_scan_run(session, run.id, status="succeeded", summary=summary)
        session.execute(update(ScanRun).where(ScanRun.id == run.id).values(
            started_at=started, finished_at=started + timedelta(seconds=seconds)))
        return run.id


def test_the_jobs_panel_lists_each_job_with_its_schedule_and_last_outcome(app: Flask, admin: FlaskClient) -> None:
    core = app_core(app)
    core.set_setting("full_scan_hours", "6")
    core.set_setting("recent_scan_minutes", "0")
    now = repo.now()
    _finished_run(app, "full", now - timedelta(hours=1), 185, {"total": 301, "new": 15, "updated": 0, "matched": 0})
    page = html_of(admin.get("/plexbooks/scan"))
    full = page.split('data-pb-job="full"', 1)[1].split("</tr>", 1)[0]
    assert "every 6 h" in full and "3 min 5 s" in full and "pb-pill--succeeded" in full
    assert (now + timedelta(hours=5)).isoformat()[:15] in full  # next run: last start + 6 h
    assert 'data-pb-run-now="full"' in full and ">Run now<" in full
    recent = page.split('data-pb-job="recent"', 1)[1].split("</tr>", 1)[0]
    assert "off" in recent and "never" in recent


def test_history_rows_show_the_duration_and_what_changed(app: Flask, admin: FlaskClient) -> None:
    _finished_run(app, "full", repo.now() - timedelta(hours=3), 42, {"total": 301, "new": 15, "updated": 0,
                                                                     "removed": 0, "matched": 0})
    page = html_of(admin.get("/plexbooks/scan"))
    history = page.split('id="pb-runs"', 1)[1]
    assert "<th>Duration</th>" in history and "<th>What changed</th>" in history
    assert ">42 s<" in history
    assert "15</b> badges gained" in history and "0</b> requests completed" in history
    assert "matched" not in page


def test_a_run_that_finished_before_the_page_loaded_shows_its_result(app: Flask, admin: FlaskClient) -> None:
    run_id = _finished_run(app, "recent", repo.now() - timedelta(seconds=5), 0.3,
                           {"total": 2, "new": 2, "updated": 0, "removed": 0, "matched": 1})
    page = html_of(admin.get("/plexbooks/scan"))
    progress = page.split('id="pb-scan-progress"', 1)[1].split("</section>", 1)[0]
    assert "hidden" not in progress.split(">", 1)[0]
    assert f"(run {run_id})" in progress and "pb-pill--succeeded" in progress
    assert "pb-progress--indeterminate" not in progress and 'aria-valuenow="2"' in progress
    assert "2 of 2 books" in progress and "Finished in 0.3 s." in progress and "1</b> request completed" in progress


def test_an_old_run_is_not_shown_as_just_finished(app: Flask, admin: FlaskClient) -> None:
    _finished_run(app, "full", repo.now() - timedelta(hours=2), 10, {"total": 1})
    page = html_of(admin.get("/plexbooks/scan"))
    assert 'id="pb-scan-progress" hidden' in page


def test_the_scan_api_reports_duration_and_changes(app: Flask, admin: FlaskClient) -> None:
    run_id = _finished_run(app, "full", repo.now() - timedelta(minutes=1), 12.5,
                           {"total": 3, "new": 1, "updated": 2, "removed": 0, "matched": 1})
    body = admin.get(f"/plexbooks/api/scan/{run_id}").get_json()
    assert body["duration_seconds"] == 12.5
    assert body["changes"] == {"badges_gained": 3, "new": 1, "updated": 2, "removed": 0, "requests_completed": 1}


# ---------------------------------------------------------------- the realtime listener's row


def realtime_row(page: str) -> str:
    """The jobs panel's realtime listener row, as text without tags."""
    row = page.split('data-pb-job="realtime"', 1)[1].split(">", 1)[1].split("</tr>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())


@pytest.fixture
def leader(app: Flask, database_url: str) -> Iterator[Callable[[], PlexBooksScheduler]]:
    """Start the scheduler leader in a "process" of its own: another core on the page's database."""
    made: list[tuple[PlexBooksScheduler, PlexBooksCore]] = []

    def start() -> PlexBooksScheduler:
        core = PlexBooksCore(Database(database_url), app_core(app).box)
        sched = PlexBooksScheduler(core, tick_seconds=0.05, leader_ttl=timedelta(seconds=1), jobs=[])
        made.append((sched, core))
        return sched.start()

    yield start
    for sched, core in made:
        sched.stop(timeout=5)
        core.db.dispose()


def status(app: Flask) -> dict[str, Any]:
    """What the listener recorded, as any process reads it."""
    return read_status(app_core(app)) or {}


def catch_ups(app: Flask) -> list[ScanRun]:
    """The listener's catch-up polls that finished, newest first."""
    with app_core(app).session() as session:
        return [r for r in repo.recent_scan_runs(session, limit=50)
                if r.triggered_by == "realtime" and r.status == "succeeded"]


def test_the_jobs_panel_shows_the_realtime_listener_that_another_process_holds(
    app: Flask, admin: FlaskClient, fake_plex_factory: FakePlexFactory,  # noqa: F811
    leader: Callable[[], PlexBooksScheduler], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(listener, "CONFIG_CHECK_SECONDS", 0.3)  # "Reconnect now" is noticed this often
    plex = fake_plex_factory(items=10)
    core = configure_core(app_core(app), plex)
    core.set_setting("recent_scan_minutes", "0")
    leader()
    assert plex.wait_for_websocket_clients(1, timeout=10)
    assert wait_until(lambda: status(app).get("state") == "connected" and bool(catch_ups(app)))
    row = realtime_row(html_of(admin.get("/plexbooks/scan")))
    assert row.startswith("Realtime listener live connected since ")
    assert "Last notification: none yet" in row and "Reconnects: 0" in row
    assert re.search(r"Last catch-up poll: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC succeeded", row), row

    plex.add_album("Heard Over The Socket", "Ada Brand")  # Plex announces it on the WebSocket
    assert wait_until(lambda: status(app).get("events", 0) >= 1)
    page = html_of(admin.get("/plexbooks/scan"))
    row = realtime_row(page)
    heard = str(status(app)["last_event_at"])
    assert f"Last notification: {heard[:19].replace('T', ' ')} UTC" in row and "heard)" in row
    assert 'data-pb-realtime-state="connected"' in page and "Live updates from Plex" not in page  # shown once
    answer = admin.get("/plexbooks/api/detection").get_json()["realtime"]
    assert answer["state"] == "connected" and answer["last_event_at"] == heard and answer["can_reconnect"]
    assert answer["last_catch_up"]["status"] == "succeeded" and plex.token not in str(answer)

    # Reconnect now: the leader drops the connection, connects again and catches up.
    before = len(catch_ups(app))
    flashed = html_of(admin.post("/plexbooks/scan/realtime/reconnect", follow_redirects=True))
    assert "reconnects within a few seconds" in flashed
    assert wait_until(lambda: status(app).get("reconnects") == 1 and status(app).get("state") == "connected")
    assert wait_until(lambda: len(catch_ups(app)) > before)
    assert "Reconnects: 1" in realtime_row(html_of(admin.get("/plexbooks/scan")))


def test_a_refused_websocket_reads_reconnecting_with_the_next_attempt(
    app: Flask, admin: FlaskClient, fake_plex_factory: FakePlexFactory,  # noqa: F811
    leader: Callable[[], PlexBooksScheduler],
) -> None:
    plex = fake_plex_factory(items=5)
    configure_core(app_core(app), plex).set_setting("recent_scan_minutes", "0")
    plex.reject_websockets(status=403)
    leader()
    assert wait_until(lambda: status(app).get("state") == "refused")
    row = realtime_row(html_of(admin.get("/plexbooks/scan")))
    assert "reconnecting Plex refused the WebSocket (HTTP 403) · next attempt at " in row, row
    assert re.search(r"next attempt at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", row), row


def test_without_a_leader_or_with_realtime_off_nothing_listens(app: Flask, admin: FlaskClient) -> None:
    with app_core(app).session() as session:  # left behind by a process that is gone
        repo.set_json_setting(session, "realtime_status", {"state": "connected", "holder": "gone:1:x", "events": 3,
                                                           "since": "2026-11-28T01:02:03+00:00"})
    page = html_of(admin.get("/plexbooks/scan"))
    row = realtime_row(page)
    assert 'data-pb-realtime-state="not_running"' in page and "connected" not in row
    assert "not running no plexbooks process leads the scheduler, and only its leader listens" in row
    assert re.search(r'aria-label="Reconnect the realtime listener now"\s+disabled', page)
    flashed = html_of(admin.post("/plexbooks/scan/realtime/reconnect", follow_redirects=True))
    assert "not running, so there is nothing to reconnect" in flashed
    assert app_core(app).get_setting("realtime_reconnect") is None
    app_core(app).set_setting("realtime", "false")
    row = realtime_row(html_of(admin.get("/plexbooks/scan")))
    assert row.startswith("Realtime listener off off turned off in Settings"), row
