"""The plugin's database: engine, sessions and Alembic migrations (packaged with the wheel)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from .errors import ConfigError
from .migrate_lock import migration_lock

VERSION_TABLE = "plexbooks_alembic_version"
DEFAULT_SQLITE_PATH = Path("instance") / "plexbooks.db"


def resolve_database_url(explicit: str | None = None) -> str:
    """Return the URL the CLI uses: explicit, else PLEXBOOKS_DATABASE_URL, else ./instance/plexbooks.db."""
    url = explicit or os.environ.get("PLEXBOOKS_DATABASE_URL")
    if url:
        return url
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH.resolve()}"


def _enable_sqlite_concurrency(engine: Engine) -> None:
    """Let the web workers and the scan thread share a SQLite file without 'database is locked'."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()


def create_plugin_engine(url: str) -> Engine:
    """Create the plugin's engine, turning a malformed URL into a one-line ConfigError."""
    try:
        parsed = make_url(url)
        kwargs: dict[str, Any] = {"future": True}
        if parsed.get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
            if parsed.get_driver_name() == "psycopg":
                # psycopg prepares a statement after 5 runs, and PostgreSQL then settles on a generic
                # plan made while the table was nearly empty: a sequential scan per 500-key page lookup.
                kwargs["connect_args"] = {"prepare_threshold": None}
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ValueError, ImportError) as err:
        raise ConfigError(f"invalid database URL {_safe_url(url)!r}: {err}") from err
    if engine.dialect.name == "sqlite":
        _enable_sqlite_concurrency(engine)
    return engine


def _safe_url(url: str) -> str:
    """Hide a password in a database URL before it is printed."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url.split("@")[-1]


def migrations_config(connection: Connection | None = None) -> Config:
    """Build the Alembic config for the packaged migrations, optionally bound to a host connection."""
    script_location = resources.files("plexbooks_plugin.migrations")
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["connection"] = connection
    return cfg


class Database:
    """The plugin's engine and session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_plugin_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a session that commits on success and rolls back on error."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def upgrade(self, revision: str = "head") -> None:
        """Bring the database to `revision` with the packaged migrations, one process at a time."""
        with migration_lock(self.engine), self.engine.begin() as connection:
            command.upgrade(migrations_config(connection), revision)

    def downgrade(self, revision: str = "base") -> None:
        """Take the database back to `revision`."""
        with self.engine.begin() as connection:
            command.downgrade(migrations_config(connection), revision)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
