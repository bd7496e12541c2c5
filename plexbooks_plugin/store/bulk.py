"""Bulk writes of the mirrored library: raw multi-row inserts and indexes deferred on a first import.

A first full scan inserts every album of the library. Maintaining the indexes row by row (random
keys: guid, asin, rating key, normalised title, and the (section, rating key) uniqueness) rewrote
the same index pages at every commit (1.3 GB written for a 51 MB database at 100,000 albums; with
only the unique index kept, 2.8x the bytes for 2x the albums); building them once after the import
is a sort per index. These helpers do that for an empty table only, and always put the indexes
back, even after a failed import (and at the start of every full scan, in case a process died).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Index, delete, func, select, text
from sqlalchemy.orm import Session

from ..models import LibraryItem

# Column order of the tuples `insert_rows` takes.
INSERT_COLUMNS = (
    "section_id", "rating_key", "guid", "asin", "title", "author", "narrator", "duration", "year", "summary",
    "thumb", "added_at", "updated_at", "file_path", "norm_title", "norm_author", "last_seen_scan",
    "first_seen_at", "row_updated_at",
)
_DATETIME_COLUMNS = frozenset({"first_seen_at", "row_updated_at"})
# SQLAlchemy's SQLite DateTime storage format: raw inserts must write exactly what it reads back.
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def library_indexes() -> list[Index]:
    """Every index of the library table, the (section_id, rating_key) unique one first."""
    table: Any = LibraryItem.__table__
    return sorted(table.indexes, key=lambda ix: (not ix.unique, str(ix.name)))


def table_is_empty(session: Session) -> bool:
    """Whether the library table holds no row at all (of any section)."""
    return session.scalar(select(LibraryItem.id).limit(1)) is None


def drop_indexes(session: Session) -> None:
    """Drop the library's indexes, the unique one too (a first import into an empty table builds them afterwards).

    The scan keeps each key once by itself; a duplicate can only come from another writer during
    the import, and `drop_duplicate_rows` settles that before the unique index is built again.
    """
    connection = session.connection()
    for index in library_indexes():
        index.drop(connection, checkfirst=True)


def ensure_indexes(session: Session) -> None:
    """Create every library index that is missing (idempotent; cheap when they all exist).

    Raises IntegrityError when the unique index cannot be built over duplicate rows: roll back,
    `drop_duplicate_rows`, and try again.
    """
    connection = session.connection()
    for index in library_indexes():
        index.create(connection, checkfirst=True)


def drop_duplicate_rows(session: Session) -> int:
    """Keep the newest row of each (section_id, rating_key) and delete the others; return how many went.

    Locks the table against writers until the transaction ends (PostgreSQL; SQLite's DELETE takes
    its single write lock), so the unique index created next in the same transaction finds no new copy.
    """
    if session.connection().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE plexbooks_library IN SHARE ROW EXCLUSIVE MODE"))
    newest = select(func.max(LibraryItem.id)).group_by(LibraryItem.section_id, LibraryItem.rating_key)
    result: Any = session.execute(
        delete(LibraryItem).where(LibraryItem.id.not_in(newest)).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def stamp(value: datetime, dialect: str) -> Any:
    """A datetime as the library's UTCDateTime column stores it (raw inserts bypass the type)."""
    naive = value.astimezone(UTC).replace(tzinfo=None)
    return naive.strftime(_SQLITE_DATETIME) if dialect == "sqlite" else naive


def insert_rows(session: Session, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert library rows given as tuples in INSERT_COLUMNS order: COPY on psycopg, one executemany elsewhere.

    The datetime columns must already be in the form `stamp` gives for this dialect.
    """
    if not rows:
        return
    connection = session.connection()
    columns = ", ".join(INSERT_COLUMNS)
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        # psycopg's executemany sends one INSERT per row: COPY is ~5x faster for a page.
        driver_connection: Any = connection.connection.driver_connection
        with (
            driver_connection.cursor() as cursor,
            cursor.copy(f"COPY plexbooks_library ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" if connection.dialect.paramstyle == "qmark" else "%s" for _ in INSERT_COLUMNS)
    raw: Any = connection.connection.driver_connection
    driver_cursor = raw.cursor()
    try:
        driver_cursor.executemany(f"INSERT INTO plexbooks_library ({columns}) VALUES ({marks})", rows)
    finally:
        driver_cursor.close()
