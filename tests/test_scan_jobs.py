"""The scans page's jobs panel, run history and finished-run result (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from plexbooks_plugin import store as repo
from plexbooks_plugin.models import ScanRun
from plexbooks_plugin.web.jobs import human_interval, human_seconds, next_run_at
from plexbooks_plugin.web.shapes import scan_changes

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
