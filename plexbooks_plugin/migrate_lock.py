"""One migration at a time across processes: several workers starting on an empty database all start.

PostgreSQL: a session-level advisory lock. SQLite: an exclusive lock on a file next to the database
(BEGIN IMMEDIATE would not do: Alembic's DDL commits on its own connection). Whoever gets the lock
second finds the version table already at head and has nothing left to do; Alembic reads the
version only once it holds the lock, so nobody creates a table twice.
"""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, text

if os.name == "nt":  # pragma: no cover - Windows
    import msvcrt
else:
    import fcntl

log = logging.getLogger(__name__)

# pg_advisory_lock takes a bigint; a fixed key derived from the version table's name keeps it stable.
ADVISORY_KEY = zlib.crc32(b"plexbooks_alembic_version")


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold the plugin's migration lock for `engine`'s database while the block runs."""
    if engine.dialect.name == "postgresql":
        with _postgres_lock(engine):
            yield
        return
    lock_path = sqlite_lock_path(engine)
    if lock_path is None or not lock_path.parent.is_dir():
        # In memory, another dialect, or a folder that does not exist (connecting fails with the
        # usual clear error): nothing to share a lock with.
        yield
        return
    with _file_lock(lock_path):
        yield


@contextmanager
def _postgres_lock(engine: Engine) -> Iterator[None]:
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            connection.commit()


def sqlite_lock_path(engine: Engine) -> Path | None:
    """The lock file of a SQLite database file (None for other dialects and in-memory databases)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if database in (None, "", ":memory:") or str(database).startswith("file::memory:"):
        return None
    return Path(f"{database}.plexbooks-migrate.lock")


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "a+b") as handle:
        _lock(handle)
        try:
            yield
        finally:
            _unlock(handle)


def _lock(handle: IO[bytes]) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        handle.seek(0)
        while True:
            try:
                msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
                return
            except OSError:  # LK_LOCK gives up after 10 s; keep waiting like flock does
                continue
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)


def _unlock(handle: IO[bytes]) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
