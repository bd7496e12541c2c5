"""The public JSON shapes the web layer answers with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..models import ScanRun, WebhookDelivery


def scan_changes(summary: dict[str, Any] | None) -> dict[str, int] | None:
    """What a finished run changed, in the words the scans page uses.

    "matched" in a summary counts requests completed by the run; books that gained their
    "In Your Library" badge are the new and updated ones, so the two are shown apart.
    """
    if not summary:
        return None
    new, updated = int(summary.get("new") or 0), int(summary.get("updated") or 0)
    return {
        "badges_gained": new + updated,
        "new": new,
        "updated": updated,
        "removed": int(summary.get("removed") or 0),
        "requests_completed": int(summary.get("matched") or 0),
    }


def scan_run_json(run: ScanRun) -> dict[str, Any]:
    """The public shape of one scan run (GET /api/scan/<id>)."""
    duration = None
    if run.started_at and run.finished_at:
        duration = round((run.finished_at - run.started_at).total_seconds(), 3)
    return {
        "run_id": run.id,
        "kind": run.kind,
        "status": run.status,
        "progress": {"done": run.progress_done or 0, "total": run.progress_total},
        "summary": run.summary,
        "changes": scan_changes(run.summary),
        "error": run.error,
        "warning": run.warning,
        "triggered_by": run.triggered_by,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "duration_seconds": duration,
    }


def webhook_delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    """The admin's view of one webhook delivery (never the URL or the secret)."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": delivery.id,
        "event": delivery.event,
        "request_id": delivery.host_request_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "created_at": iso(delivery.created_at),
        "next_attempt_at": iso(delivery.next_attempt_at) if delivery.status == "pending" else None,
        "delivered_at": iso(delivery.delivered_at),
    }
