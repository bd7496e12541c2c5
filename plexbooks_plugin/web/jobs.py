"""The scans page's jobs panel: each periodic job with its interval, next and last run, and its outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from .. import store as repo
from ..core import PlexBooksCore
from ..models import ScanRun
from ..scheduler import full_scan_interval, recent_scan_interval
from .shapes import scan_run_json


@dataclass(frozen=True)
class JobRow:
    """One periodic job as the panel shows it."""

    kind: str
    label: str
    interval: str  # "every 6 h", or "off"
    next_run: str | None  # ISO time, or None when off
    overdue: bool
    last_run: dict[str, Any] | None
    last_success: dict[str, Any] | None


def human_interval(seconds: float | None) -> str:
    """'every 6 h', 'every 5 min', 'every 90 s', or 'off'."""
    if not seconds:
        return "off"
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"every {int(seconds // 3600)} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"every {int(seconds // 60)} min"
    return f"every {seconds:g} s"


def human_seconds(seconds: float | None) -> str:
    """A run's duration: '0.4 s', '12 s', '3 min 5 s', '1 h 2 min'; '' when unknown."""
    if seconds is None or seconds < 0:
        return ""
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def next_run_at(last_started: datetime | None, interval: float | None, now: datetime) -> tuple[datetime | None, bool]:
    """When the scheduler runs a job next (its last start plus the interval) and whether that is past."""
    if not interval:
        return None, False
    if last_started is None:
        return now, True
    due = last_started + timedelta(seconds=interval)
    return due, due <= now


def _job(session: Session, kind: str, label: str, interval: float | None, now: datetime) -> JobRow:
    last: ScanRun | None = repo.latest_scan_run(session, kind)
    success = repo.latest_scan_run(session, kind, status="succeeded")
    due, overdue = next_run_at(last.started_at if last else None, interval, now)
    return JobRow(
        kind=kind, label=label, interval=human_interval(interval),
        next_run=due.isoformat() if due else None, overdue=overdue,
        last_run=scan_run_json(last) if last else None,
        last_success=scan_run_json(success) if success else None,
    )


def jobs_overview(core: PlexBooksCore, session: Session) -> list[JobRow]:
    """The full scan and the recently-added poll, in the order the panel lists them."""
    now = repo.now()
    return [
        _job(session, "full", "Full scan", full_scan_interval(core), now),
        _job(session, "recent", "Recently-added check", recent_scan_interval(core), now),
    ]
