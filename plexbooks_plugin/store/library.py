"""The mirrored Plex library: page upserts, removals, look-ups, search and the matching candidates."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, delete, false, func, or_, select, text, update
from sqlalchemy.orm import Session

from ..library_search import LibrarySearch, search_text
from ..matching import Candidate, normalize_author
from ..models import LibraryItem, ListedBook, utcnow
from ..records import PlexAudiobook
from . import bulk as library_bulk


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


@lru_cache(maxsize=65536)
def _norm_author(author: str | None) -> str:
    # Authors repeat across a library (a few thousand for 100,000 books): parse each once.
    return normalize_author(author)[:1024]


def _normalised(item: PlexAudiobook) -> dict[str, Any]:
    # Normalising costs more than comparing, so it runs only for new and changed rows.
    values: dict[str, Any] = {
        "norm_title": search_text(item.title)[:1024],
        "norm_author": _norm_author(item.author),
    }
    if item.file_path:
        values["file_path"] = item.file_path
    return values


def _insert_tuple(item: PlexAudiobook, section_id: str, scan_id: int | None, stamp: Any) -> tuple[Any, ...]:
    """One new row in `library_bulk.INSERT_COLUMNS` order."""
    return (
        section_id, item.rating_key, item.guid, item.asin, item.title, item.author, item.narrator, item.duration,
        item.year, item.summary, item.thumb, item.added_at, item.updated_at, item.file_path,
        search_text(item.title)[:1024], _norm_author(item.author), scan_id, stamp, stamp,
    )


def _existing_rows(session: Session, section_id: str, keys: list[str], known_empty: bool) -> dict[str, Any]:
    if known_empty:
        return {}
    columns = (LibraryItem.id, LibraryItem.rating_key, *(getattr(LibraryItem, f) for f in _MIRRORED_FIELDS))
    found: dict[str, Any] = {}
    for start in range(0, len(keys), 1000):  # keep the IN list within every database's limits
        query = select(*columns).where(
            LibraryItem.section_id == section_id, LibraryItem.rating_key.in_(keys[start : start + 1000])
        )
        found.update((row.rating_key, row) for row in session.execute(query))
    return found


def upsert_library_page(
    session: Session,
    section_id: str,
    items: Sequence[PlexAudiobook],
    scan_id: int | None,
    *,
    touch_unchanged: bool = True,
    known_empty: bool = False,
) -> UpsertResult:
    """Insert new albums, rewrite changed ones, mark them seen by `scan_id`; unchanged rows keep their content.

    Unchanged rows get `last_seen_scan` too unless `touch_unchanged` is False (a full scan finds
    removals from the keys it saw instead). `known_empty` says the section holds no row yet (a
    first import), which skips looking the keys up.
    """
    if not items:
        return UpsertResult(0, 0)
    by_key: dict[str, PlexAudiobook] = {}
    for item in items:  # Plex can repeat a key across pages: the last copy wins.
        by_key[item.rating_key] = item
    existing = _existing_rows(session, section_id, list(by_key), known_empty)
    now = utcnow()
    stamp = library_bulk.stamp(now, session.connection().dialect.name)
    inserts: list[tuple[Any, ...]] = []
    updates: list[dict[str, Any]] = []
    unchanged_ids: list[int] = []
    changed: list[str] = []
    for key, item in by_key.items():
        row = existing.get(key)
        if row is None:
            changed.append(key)
            inserts.append(_insert_tuple(item, section_id, scan_id, stamp))
            continue
        values = _plex_values(item)
        if any(getattr(row, f) != values[f] for f in _MIRRORED_FIELDS):
            updates.append(
                {**values, **_normalised(item), "id": row.id, "last_seen_scan": scan_id, "row_updated_at": now}
            )
            changed.append(key)
        else:
            unchanged_ids.append(row.id)
    library_bulk.insert_rows(session, inserts)
    if updates:
        session.execute(update(LibraryItem), updates)
    if unchanged_ids and scan_id is not None and touch_unchanged:
        session.execute(
            update(LibraryItem)
            .where(LibraryItem.id.in_(unchanged_ids))
            .values(last_seen_scan=scan_id)
            .execution_options(synchronize_session=False)
        )
    return UpsertResult(new=len(inserts), updated=len(updates), changed_keys=tuple(changed))


def analyze_library(session: Session) -> None:
    """Refresh the planner's statistics after a large import (PostgreSQL and SQLite both accept ANALYZE)."""
    session.execute(text("ANALYZE plexbooks_library"))


def count_library(session: Session, section_id: str | None = None) -> int:
    """Count mirrored albums (of one section, or all)."""
    query = select(func.count()).select_from(LibraryItem)
    if section_id is not None:
        query = query.where(LibraryItem.section_id == section_id)
    return int(session.scalar(query) or 0)


def library_updated_at(session: Session, section_id: str) -> dict[str, int | None]:
    """Every mirrored album of the section by rating key: Plex's updatedAt, None when it had none."""
    query = (
        select(LibraryItem.rating_key, LibraryItem.updated_at)
        .where(LibraryItem.section_id == section_id)
        .execution_options(yield_per=10_000)
    )
    return {key: None if updated is None else int(updated) for key, updated in session.execute(query)}


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


def keys_unseen_since(
    session: Session, section_id: str, scan_id: int, among: Sequence[str] | None = None
) -> list[str]:
    """Return the rating keys (of `among`, or all) that neither scan `scan_id` nor a later scan marked seen."""
    unseen = (LibraryItem.section_id == section_id) & or_(
        LibraryItem.last_seen_scan.is_(None), LibraryItem.last_seen_scan < scan_id
    )
    if among is None:
        return list(session.scalars(select(LibraryItem.rating_key).where(unseen)))
    found: list[str] = []
    for start in range(0, len(among), 500):
        chunk = among[start : start + 500]
        found.extend(session.scalars(select(LibraryItem.rating_key).where(unseen, LibraryItem.rating_key.in_(chunk))))
    return found


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


#: What a listing reads of each row: the listed columns only, as plain rows (no ORM objects to build).
_LISTED_COLUMNS = tuple(getattr(LibraryItem, name) for name in ListedBook._fields)


def library_page(
    session: Session,
    q: str | None,
    page: int,
    per_page: int,
    search: LibrarySearch | None = None,
    section_id: str | None = None,
) -> tuple[list[ListedBook], int]:
    """Return one page of the mirrored library (title/author search, one section or all) and the matching total.

    With `search` (the in-memory index of the same rows), a search of every section reads only the
    page's rows; a search within one section filters in SQL (the index holds no sections).
    """
    if q and search is not None and section_id is None:
        wanted, total = search.page_of_matches(search_text(q), normalize_author(q), (page - 1) * per_page, per_page)
        found = {row.id: row for row in _listed(session, select(*_LISTED_COLUMNS).where(LibraryItem.id.in_(wanted)))}
        return [found[i] for i in wanted if i in found], total
    query = select(*_LISTED_COLUMNS)
    if section_id is not None:
        query = query.where(LibraryItem.section_id == section_id)
    if q:
        # A query of leading articles only ("the") folds to an empty title, whose pattern "%%" would
        # match every book: only non-empty folded terms are searched.
        terms = [(column, folded) for column, folded in (
            (LibraryItem.norm_title, search_text(q)), (LibraryItem.norm_author, normalize_author(q)),
        ) if folded]
        matches = (column.like(_like_pattern(folded), escape="\\") for column, folded in terms)
        query = query.where(or_(false(), *matches))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    ordered = query.order_by(LibraryItem.norm_title, LibraryItem.id).offset((page - 1) * per_page).limit(per_page)
    return _listed(session, ordered), total


def _listed(session: Session, query: Select[Any]) -> list[ListedBook]:
    """The rows of a `_LISTED_COLUMNS` query as `ListedBook`s."""
    return [ListedBook(*row) for row in session.execute(query)]


def library_search_rows(session: Session) -> Iterator[tuple[int, str, str]]:
    """Yield (id, norm_title, norm_author) of every album in the library page's order, for `LibrarySearch`."""
    query = select(LibraryItem.id, LibraryItem.norm_title, LibraryItem.norm_author).order_by(
        LibraryItem.norm_title, LibraryItem.id
    )
    for row in session.execute(query.execution_options(yield_per=10_000)):
        yield (row[0], row[1], row[2])


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
    return _newest(session, section_id, LibraryItem.added_at)


def newest_updated_at(session: Session, section_id: str) -> int | None:
    """Return the largest Plex updatedAt mirrored for the section."""
    return _newest(session, section_id, LibraryItem.updated_at)


def _newest(session: Session, section_id: str, column: Any) -> int | None:
    value = session.scalar(select(func.max(column)).where(LibraryItem.section_id == section_id))
    return None if value is None else int(value)
