"""Scan run records: start, progress, outcome, and the runs a dead process left behind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import ScanRun, utcnow


def start_scan_run(session: Session, kind: str, triggered_by: str | None = None) -> ScanRun:
    """Record a new running scan."""
    run = ScanRun(kind=kind, status="running", started_at=utcnow(), progress_done=0, triggered_by=triggered_by)
    session.add(run)
    session.flush()  # assigns run.id; the caller's session scope commits
    return run


def update_scan_progress(session: Session, run_id: int, done: int, total: int | None) -> None:
    """Write how far a scan has got, so another process can show it."""
    session.execute(update(ScanRun).where(ScanRun.id == run_id).values(progress_done=done, progress_total=total))


def finish_scan_run(
    session: Session,
    run_id: int,
    *,
    status: str,
    summary: dict[str, Any] | None = None,
    error: str | None = None,
    warning: str | None = None,
    only_if_running: bool = False,
) -> None:
    """Close a scan run with its outcome (`only_if_running`: unless another process already closed it)."""
    query = update(ScanRun).where(ScanRun.id == run_id)
    if only_if_running:
        query = query.where(ScanRun.status == "running")
    session.execute(
        query.values(status=status, summary=summary, error=error, warning=warning, finished_at=utcnow())
    )


def cancel_scan_run(session: Session, run_id: int, error: str) -> bool:
    """Mark a running scan cancelled; False when it is not running (finished, failed or unknown)."""
    result = session.execute(
        update(ScanRun)
        .where(ScanRun.id == run_id, ScanRun.status == "running")
        .values(status="cancelled", error=error, finished_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def scan_run_status(session: Session, run_id: int) -> str | None:
    """The run's status as stored now (another process may have changed it)."""
    return session.scalar(select(ScanRun.status).where(ScanRun.id == run_id))


def get_scan_run(session: Session, run_id: int) -> ScanRun | None:
    """Return one scan run, fresh from the database."""
    return session.get(ScanRun, run_id, populate_existing=True)


def recent_scan_runs(session: Session, limit: int = 10) -> Sequence[ScanRun]:
    """Return the latest scan runs, newest first."""
    return session.scalars(select(ScanRun).order_by(ScanRun.id.desc()).limit(limit)).all()


def running_scan_run(session: Session) -> ScanRun | None:
    """Return the newest run still marked running, if any."""
    return session.scalars(
        select(ScanRun).where(ScanRun.status == "running").order_by(ScanRun.id.desc()).limit(1)
    ).first()


def latest_scan_run(
    session: Session, kind: str | None = None, status: str | None = None, triggered_by: str | None = None
) -> ScanRun | None:
    """Return the newest scan run, optionally of one kind, status and trigger."""
    query = select(ScanRun).order_by(ScanRun.id.desc()).limit(1)
    if triggered_by is not None:
        query = query.where(ScanRun.triggered_by == triggered_by)
    if kind is not None:
        query = query.where(ScanRun.kind == kind)
    if status is not None:
        query = query.where(ScanRun.status == status)
    return session.scalars(query).first()


def fail_abandoned_runs(session: Session, error: str) -> int:
    """Mark runs left 'running' by a dead process as failed; call only while holding the scan lease."""
    result = session.execute(
        update(ScanRun).where(ScanRun.status == "running").values(status="failed", error=error, finished_at=utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def record_failed_run(session: Session, kind: str, error: str, triggered_by: str | None = None) -> ScanRun:
    """Record a scan that failed before it could start (so the scan panel shows why)."""
    now = utcnow()
    run = ScanRun(
        kind=kind,
        status="failed",
        started_at=now,
        finished_at=now,
        progress_done=0,
        error=error,
        triggered_by=triggered_by,
    )
    session.add(run)
    session.flush()  # assigns run.id; the caller's session scope commits
    return run
