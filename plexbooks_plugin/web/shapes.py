"""The public JSON shapes the web layer answers with."""

from __future__ import annotations

from typing import Any

from ..models import ScanRun


def scan_run_json(run: ScanRun) -> dict[str, Any]:
    """The public shape of one scan run (GET /api/scan/<id>)."""
    return {
        "run_id": run.id,
        "kind": run.kind,
        "status": run.status,
        "progress": {"done": run.progress_done or 0, "total": run.progress_total},
        "summary": run.summary,
        "error": run.error,
        "warning": run.warning,
        "triggered_by": run.triggered_by,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
