"""Bulk writes of the mirrored library: raw multi-row inserts and secondary indexes deferred on a first import.

A first full scan inserts every album of the library. Maintaining five secondary indexes row by
row (random keys: guid, asin, rating key, normalised title) rewrote the same index pages again and
again (1.3 GB written for a 51 MB database at 100,000 albums); building them once after the import
is a sort per index. These helpers do that for an empty table only, and always put the indexes
back, even after a failed import (and at the start of every full scan, in case a process died).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Index, select
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


def secondary_indexes() -> list[Index]:
    """The library's indexes other than the (section_id, rating_key) uniqueness the upsert relies on."""
    table: Any = LibraryItem.__table__
    return sorted((ix for ix in table.indexes if not ix.unique), key=lambda ix: str(ix.name))


def table_is_empty(session: Session) -> bool:
    """Whether the library table holds no row at all (of any section)."""
    return session.scalar(select(LibraryItem.id).limit(1)) is None


def drop_secondary_indexes(session: Session) -> None:
    """Drop the secondary indexes (a first import into an empty table builds them afterwards)."""
    connection = session.connection()
    for index in secondary_indexes():
        index.drop(connection, checkfirst=True)


def ensure_secondary_indexes(session: Session) -> None:
    """Create every secondary index that is missing (idempotent; cheap when they all exist)."""
    connection = session.connection()
    for index in secondary_indexes():
        index.create(connection, checkfirst=True)


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
