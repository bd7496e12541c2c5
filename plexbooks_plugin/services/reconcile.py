"""Reconciliation after the library changed: downloaded requests -> available (with the signal), catalog re-match."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .. import signals
from .. import store as repo
from ..matching import CATALOG_THRESHOLD, REQUEST_THRESHOLD, LibraryIndex, Match
from ..models import BookRequest

if TYPE_CHECKING:
    from ..core import PlexBooksCore

log = logging.getLogger(__name__)

CatalogRow = tuple[int, str, str | None, str | None, str | None]


def catalog_entry(raw: Any) -> dict[str, Any] | None:
    """Validate one entry of the host's catalog; None when it has no title or no id to key it by."""
    if not isinstance(raw, dict):
        return None
    title = raw.get("title")
    external_id = raw.get("external_id") or raw.get("id") or raw.get("asin")
    if not isinstance(title, str) or not title.strip() or external_id in (None, ""):
        return None
    return {
        "external_id": str(external_id),
        "title": title.strip(),
        "author": raw.get("author") or None,
        "narrator": raw.get("narrator") or None,
        "asin": raw.get("asin") or None,
    }


def catalog_matches(index: LibraryIndex, rows: Iterable[CatalogRow]) -> list[repo.CatalogMatch]:
    """Decide the availability of each catalog entry (a match at the catalog threshold)."""
    matches: list[repo.CatalogMatch] = []
    for catalog_id, title, author, narrator, asin in rows:
        match = index.best_match(title, author or "", asin=asin, narrator=narrator, threshold=CATALOG_THRESHOLD)
        matches.append(repo.CatalogMatch(catalog_id, match.key if match else None, match.score if match else None))
    return matches


def request_matches(index: LibraryIndex, waiting: Sequence[BookRequest]) -> list[tuple[BookRequest, Match]]:
    """Decide which downloaded requests the library now holds (a match at the request threshold)."""
    found: list[tuple[BookRequest, Match]] = []
    for request in waiting:
        match = index.best_match(request.title, request.author or "", asin=request.asin, threshold=REQUEST_THRESHOLD)
        if match is not None:
            found.append((request, match))
    return found


def refresh_catalog(core: PlexBooksCore, items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Store the host's catalog entries and mark each available when Plex has it (score >= 0.85)."""
    entries: list[dict[str, Any]] = []
    skipped = 0
    received = 0
    for raw in items:
        received += 1
        entry = catalog_entry(raw)
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    with core.session() as session:
        repo.upsert_catalog_items(session, entries)
    result = rematch_catalog(core)
    summary = {"received": received, "stored": len(entries), "skipped": skipped, **result}
    log.info("catalog refresh: %s", summary)
    return summary


def rematch_catalog(core: PlexBooksCore) -> dict[str, int]:
    """Recompute is_available / matched_rating_key / match_score of every catalog entry."""
    with core.session() as session:
        rows = repo.catalog_match_inputs(session)
    if not rows:
        return {"total": 0, "available": 0}  # no catalog: do not build the index for nothing
    matches = catalog_matches(core.library_index(), rows)
    with core.session() as session:
        repo.set_catalog_matches(session, matches)
    return {"total": len(rows), "available": sum(1 for m in matches if m.rating_key is not None)}


def rematch_catalog_quietly(core: PlexBooksCore) -> None:
    """Re-match the catalog after a library change; a failure is logged, never raised."""
    try:
        result = rematch_catalog(core)
        if result["total"]:
            log.info("catalog re-matched after a library change: %s", result)
    except Exception:  # the scan's own outcome matters more than the catalog badges
        log.exception("re-matching the catalog after a scan failed")


def match_downloaded_requests(core: PlexBooksCore) -> list[tuple[str, str]]:
    """Flip downloaded requests that the library now holds to available; return (request id, rating key)."""
    with core.session() as session:
        waiting = repo.downloaded_requests(session)
    if not waiting:
        return []
    matches = request_matches(core.library_index(), waiting)
    flipped: list[tuple[str, str]] = []
    with core.session() as session:
        # One indexed query for every matched album's guid instead of a look-up per request.
        items = repo.get_library_items(session, None, (m.key for _, m in matches))
        for request, match in matches:
            item = items.get(match.key)
            # The conditional UPDATE makes this exactly-once even if two processes match at once.
            if repo.mark_available(
                session, request.id, rating_key=match.key, guid=item.guid if item else None, score=match.score
            ):
                flipped.append((request.host_request_id, match.key))
                log.info(
                    "request %s is available in Plex (rating key %s, %s %.2f)",
                    request.host_request_id, match.key, match.matched_by, match.score,
                )
    # Only now is the flip committed: receivers may read it back.
    for request_id, rating_key in flipped:
        try:
            signals.request_available.send(core, request_id=request_id, rating_key=rating_key)
        except Exception:
            log.exception("a request_available receiver failed for request %s", request_id)
    return flipped
