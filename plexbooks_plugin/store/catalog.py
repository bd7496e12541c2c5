"""The host's catalog entries and their availability in Plex."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..matching import normalize_asin
from ..models import CatalogItem, utcnow


def upsert_catalog_items(session: Session, items: Iterable[dict[str, Any]]) -> list[CatalogItem]:
    """Store or update the host's catalog entries (keyed by external id)."""
    rows: list[CatalogItem] = []
    for item in items:
        external_id = str(item["external_id"])
        row = session.scalars(select(CatalogItem).where(CatalogItem.external_id == external_id)).first()
        if row is None:
            row = CatalogItem(external_id=external_id, title=item["title"])
            session.add(row)
        row.title = item["title"]
        row.author = item.get("author")
        row.narrator = item.get("narrator")
        row.asin = normalize_asin(item.get("asin"))
        row.updated_at = utcnow()
        rows.append(row)
    session.flush()
    return rows


def catalog_match_inputs(session: Session) -> list[tuple[int, str, str | None, str | None, str | None]]:
    """Return (id, title, author, narrator, asin) of every catalog entry, for re-matching."""
    rows = session.execute(
        select(CatalogItem.id, CatalogItem.title, CatalogItem.author, CatalogItem.narrator, CatalogItem.asin).order_by(
            CatalogItem.id
        )
    )
    return [(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


@dataclass(frozen=True, slots=True)
class CatalogMatch:
    """The availability of one catalog entry, as the catalog refresh computed it."""

    catalog_id: int
    rating_key: str | None
    score: float | None


def set_catalog_matches(session: Session, matches: Iterable[CatalogMatch]) -> int:
    """Write is_available / matched_rating_key / match_score of catalog entries; return rows changed."""
    now = utcnow()
    params = [
        {
            "id": m.catalog_id,
            "is_available": m.rating_key is not None,
            "matched_rating_key": m.rating_key,
            "match_score": m.score,
            "updated_at": now,
        }
        for m in matches
    ]
    if not params:
        return 0
    # ORM bulk UPDATE by primary key: one executemany instead of a round trip per entry.
    session.execute(update(CatalogItem), params)
    return len(params)
