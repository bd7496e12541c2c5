"""The public JSON shapes the web layer answers with, and the one availability answer (API and badges)."""

from __future__ import annotations

from typing import Any

from ..matching import REQUEST_THRESHOLD, LibraryIndex
from ..models import ScanRun

NOT_AVAILABLE: dict[str, Any] = {"available": False, "rating_key": None, "score": None, "matched_by": None}


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


def section_json(section: Any) -> dict[str, Any]:
    """The public shape of one Plex library section."""
    return {
        "id": str(section.id),
        "title": section.title,
        "type": section.type,
        "locations": list(section.locations or ()),
        "item_count": section.item_count,
    }


def availability_result(index: LibraryIndex, book: dict[str, Any]) -> dict[str, Any]:
    """Answer one availability question from the in-memory index (no Plex call)."""
    match = index.best_match(
        book["title"], book.get("author"), asin=book.get("asin"), narrator=book.get("narrator"),
        threshold=REQUEST_THRESHOLD,
    )
    if match is None:
        return dict(NOT_AVAILABLE)
    return {
        "available": True,
        "rating_key": match.key,
        "score": round(float(match.score), 4),
        "matched_by": match.matched_by,
    }
