"""The mirrored Plex library: page upserts, removals, look-ups, search and the matching candidates."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from ..matching import Candidate, normalize_author, normalize_title
from ..models import LibraryItem, utcnow
from ..records import PlexAudiobook


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What one page of upserts changed."""

    new: int
    updated: int
    changed_keys: tuple[str, ...] = ()


# The Plex fields plexbooks mirrors; a row is rewritten only when one of them differs.
_MIRRORED_FIELDS = (
    "guid",
    "asin",
    "title",
    "author",
    "narrator",
    "duration",
    "year",
    "summary",
    "thumb",
    "added_at",
    "updated_at",
)


def _plex_values(item: PlexAudiobook) -> dict[str, Any]:
    return {name: getattr(item, name) for name in _MIRRORED_FIELDS}


def _normalised(item: PlexAudiobook) -> dict[str, Any]:
    # Normalising costs more than comparing, so it runs only for new and changed rows.
    values: dict[str, Any] = {
        "norm_title": normalize_title(item.title)[:1024],
        "norm_author": normalize_author(item.author)[:1024],
    }
    if item.file_path:
        values["file_path"] = item.file_path
    return values


def upsert_library_page(
    session: Session, section_id: str, items: Sequence[PlexAudiobook], scan_id: int | None
) -> UpsertResult:
    """Insert new albums, rewrite changed ones, mark all as seen by `scan_id`; unchanged rows keep their content."""
    if not items:
        return UpsertResult(0, 0)
    by_key: dict[str, PlexAudiobook] = {}
    for item in items:  # Plex can repeat a key across pages: the last copy wins.
        by_key[item.rating_key] = item
    existing = {
        row.rating_key: row
        for row in session.execute(
            select(LibraryItem.id, LibraryItem.rating_key, *(getattr(LibraryItem, f) for f in _MIRRORED_FIELDS)).where(
                LibraryItem.section_id == section_id, LibraryItem.rating_key.in_(list(by_key))
            )
        )
    }
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    unchanged_ids: list[int] = []
    changed: list[str] = []
    for key, item in by_key.items():
        values = _plex_values(item)
        row = existing.get(key)
        if row is None:
            changed.append(key)
            inserts.append(
                {
                    **values,
                    **_normalised(item),
                    "file_path": item.file_path,
                    "section_id": section_id,
                    "rating_key": key,
                    "last_seen_scan": scan_id,
                    "first_seen_at": now,
                    "row_updated_at": now,
                }
            )
        elif any(getattr(row, f) != values[f] for f in _MIRRORED_FIELDS):
            updates.append(
                {**values, **_normalised(item), "id": row.id, "last_seen_scan": scan_id, "row_updated_at": now}
            )
            changed.append(key)
        else:
            unchanged_ids.append(row.id)
    if inserts:
        _insert_library_rows(session, inserts)
    if updates:
        session.execute(update(LibraryItem), updates)
    if unchanged_ids and scan_id is not None:
        session.execute(
            update(LibraryItem)
            .where(LibraryItem.id.in_(unchanged_ids))
            .values(last_seen_scan=scan_id)
            .execution_options(synchronize_session=False)
        )
    return UpsertResult(new=len(inserts), updated=len(updates), changed_keys=tuple(changed))


_DATETIME_COLUMNS = ("first_seen_at", "row_updated_at")


def _insert_library_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert new library rows: COPY on PostgreSQL with psycopg, one executemany elsewhere."""
    connection = session.connection()
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        # psycopg's executemany still sends one INSERT per row: COPY is ~5x faster for a page.
        columns = list(rows[0])
        driver_connection: Any = connection.connection.driver_connection
        with (
            driver_connection.cursor() as cursor,
            cursor.copy(f"COPY plexbooks_library ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                # COPY bypasses UTCDateTime, so store naive UTC here exactly as it would.
                copy.write_row(
                    [
                        row[c].astimezone(UTC).replace(tzinfo=None) if c in _DATETIME_COLUMNS else row[c]
                        for c in columns
                    ]
                )
        return
    # render_nulls keeps every row's column set identical, so the driver gets one executemany
    # per page instead of a statement per distinct set of None columns.
    session.execute(insert(LibraryItem).execution_options(render_nulls=True), rows)


def analyze_library(session: Session) -> None:
    """Refresh the planner's statistics after a large import (PostgreSQL and SQLite both accept ANALYZE)."""
    session.execute(text("ANALYZE plexbooks_library"))


def count_library(session: Session, section_id: str | None = None) -> int:
    """Count mirrored albums (of one section, or all)."""
    query = select(func.count()).select_from(LibraryItem)
    if section_id is not None:
        query = query.where(LibraryItem.section_id == section_id)
    return int(session.scalar(query) or 0)


def _unseen(section_id: str, scan_id: int) -> Any:
    return (LibraryItem.section_id == section_id) & or_(
        LibraryItem.last_seen_scan.is_(None), LibraryItem.last_seen_scan != scan_id
    )


def count_unseen(session: Session, section_id: str, scan_id: int) -> int:
    """Count albums of the section that scan `scan_id` did not see."""
    return int(session.scalar(select(func.count()).select_from(LibraryItem).where(_unseen(section_id, scan_id))) or 0)


def unseen_keys(session: Session, section_id: str, scan_id: int) -> list[str]:
    """Return the rating keys scan `scan_id` did not see."""
    return list(session.scalars(select(LibraryItem.rating_key).where(_unseen(section_id, scan_id))))


def touch_seen(session: Session, section_id: str, rating_keys: Iterable[str], scan_id: int) -> int:
    """Mark existing albums as seen by `scan_id` without rewriting them (rows a scan could not store)."""
    keys = list(rating_keys)
    touched = 0
    for start in range(0, len(keys), 500):
        result = session.execute(
            update(LibraryItem)
            .where(LibraryItem.section_id == section_id, LibraryItem.rating_key.in_(keys[start : start + 500]))
            .values(last_seen_scan=scan_id)
            .execution_options(synchronize_session=False)
        )
        touched += int(result.rowcount)  # type: ignore[attr-defined]
    return touched


def keys_unseen_since(session: Session, section_id: str, scan_id: int) -> list[str]:
    """Return the rating keys that neither scan `scan_id` nor any later scan saw (scan ids only grow)."""
    return list(
        session.scalars(
            select(LibraryItem.rating_key).where(
                LibraryItem.section_id == section_id,
                or_(LibraryItem.last_seen_scan.is_(None), LibraryItem.last_seen_scan < scan_id),
            )
        )
    )


def remove_library_items(session: Session, section_id: str, rating_keys: Iterable[str]) -> int:
    """Delete the named albums of a section; return how many went."""
    keys = list(rating_keys)
    removed = 0
    for start in range(0, len(keys), 500):  # keep the IN list within every database's limits
        result = session.execute(
            delete(LibraryItem).where(
                LibraryItem.section_id == section_id, LibraryItem.rating_key.in_(keys[start : start + 500])
            )
        )
        removed += int(result.rowcount)  # type: ignore[attr-defined]
    return removed


def count_other_sections(session: Session, selected: Sequence[str]) -> dict[str, int]:
    """Count mirrored albums per section of the sections that are not selected."""
    query = (
        select(LibraryItem.section_id, func.count())
        .where(LibraryItem.section_id.not_in(list(selected)))
        .group_by(LibraryItem.section_id)
    )
    return {section: int(count) for section, count in session.execute(query)}


def remove_other_sections(session: Session, selected: Sequence[str], only: str | None = None) -> int:
    """Drop albums mirrored from sections that are not selected (all of them, or just section `only`)."""
    query = delete(LibraryItem).where(LibraryItem.section_id.not_in(list(selected)))
    if only is not None:
        query = query.where(LibraryItem.section_id == only)
    result = session.execute(query)
    return int(result.rowcount)  # type: ignore[attr-defined]


def get_library_item(session: Session, rating_key: str, section_id: str | None = None) -> LibraryItem | None:
    """Return one mirrored album by rating key (uses the (section, key) index when the section is given)."""
    query = select(LibraryItem).where(LibraryItem.rating_key == rating_key)
    if section_id is not None:
        query = query.where(LibraryItem.section_id == section_id)
    return session.scalars(query.limit(1)).first()


def get_library_items(session: Session, section_id: str | None, rating_keys: Iterable[str]) -> dict[str, LibraryItem]:
    """Return the named albums keyed by rating key, in as few indexed queries as the keys need."""
    keys = list(dict.fromkeys(rating_keys))
    found: dict[str, LibraryItem] = {}
    for start in range(0, len(keys), 500):
        query = select(LibraryItem).where(LibraryItem.rating_key.in_(keys[start : start + 500]))
        if section_id is not None:
            query = query.where(LibraryItem.section_id == section_id)
        found.update((row.rating_key, row) for row in session.scalars(query))
    return found


def library_changes_since(session: Session, since: datetime) -> list[Candidate]:
    """Return the matching candidates of rows inserted or rewritten at or after `since`."""
    query = select(
        LibraryItem.rating_key, LibraryItem.title, LibraryItem.author, LibraryItem.narrator, LibraryItem.asin
    ).where(LibraryItem.row_updated_at >= since)
    return [
        Candidate(key=key, title=title, author=author, narrator=narrator, asin=asin)
        for key, title, author, narrator, asin in session.execute(query)
    ]


def library_keys(session: Session) -> set[str]:
    """Return every mirrored rating key (to find removals cheaply)."""
    return set(session.scalars(select(LibraryItem.rating_key)))


def _like_pattern(text: str) -> str:
    """Build a LIKE 'contains' pattern in which the user's own % and _ are literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def library_page(
    session: Session, q: str | None, page: int, per_page: int, section_id: str | None = None
) -> tuple[list[LibraryItem], int]:
    """Return one page of the mirrored library (title/author search, one section or all) and the matching total."""
    query = select(LibraryItem)
    if section_id is not None:
        query = query.where(LibraryItem.section_id == section_id)
    if q:
        query = query.where(
            or_(
                LibraryItem.norm_title.like(_like_pattern(normalize_title(q)), escape="\\"),
                LibraryItem.norm_author.like(_like_pattern(normalize_author(q)), escape="\\"),
            )
        )
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.scalars(
        query.order_by(LibraryItem.norm_title, LibraryItem.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


def iter_library(session: Session, batch: int = 2000, section_id: str | None = None) -> Iterator[LibraryItem]:
    """Yield every mirrored album (of one section, or all) in id order, a batch at a time (bounded memory)."""
    last_id = 0
    while True:
        query = select(LibraryItem).where(LibraryItem.id > last_id)
        if section_id is not None:
            query = query.where(LibraryItem.section_id == section_id)
        rows = session.scalars(query.order_by(LibraryItem.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def library_candidates(session: Session) -> Iterator[Candidate]:
    """Yield the matching candidates of the whole mirrored library, streamed in key order."""
    query = select(
        LibraryItem.rating_key, LibraryItem.title, LibraryItem.author, LibraryItem.narrator, LibraryItem.asin
    ).execution_options(yield_per=5000)
    for key, title, author, narrator, asin in session.execute(query):
        yield Candidate(key=key, title=title, author=author, narrator=narrator, asin=asin)


def newest_added_at(session: Session, section_id: str) -> int | None:
    """Return the largest Plex addedAt mirrored for the section."""
    value = session.scalar(select(func.max(LibraryItem.added_at)).where(LibraryItem.section_id == section_id))
    return None if value is None else int(value)
