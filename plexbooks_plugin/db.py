"""The plugin's database: engine, sessions and Alembic migrations (packaged with the wheel)."""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from .errors import ConfigError
from .migrate_lock import migration_lock

VERSION_TABLE = "plexbooks_alembic_version"
DEFAULT_SQLITE_PATH = Path("instance") / "plexbooks.db"


def resolve_database_url(explicit: str | None = None, *, create_folder: bool = True) -> str:
    """Return the URL the CLI uses: explicit, else PLEXBOOKS_DATABASE_URL, else ./instance/plexbooks.db."""
    url = explicit or os.environ.get("PLEXBOOKS_DATABASE_URL")
    if url:
        return url
    if create_folder:
        DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH.absolute()}"


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


POSTGRES_DRIVER_HINT = "pip install plexbooks[postgres]"


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def _postgres_driver(parsed: URL) -> URL:
    """Use psycopg 3 (what plexbooks[postgres] installs) for a plain postgresql:// URL without psycopg2."""
    if parsed.get_backend_name() != "postgresql" or parsed.drivername != "postgresql":
        return parsed
    if not _importable("psycopg2") and _importable("psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_plugin_engine(url: str) -> Engine:
    """Create the plugin's engine, turning a malformed URL or a missing driver into a one-line ConfigError."""
    try:
        parsed = _postgres_driver(make_url(url))
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
    except ImportError as err:
        if url.startswith("postgres"):
            raise ConfigError(
                f"the PostgreSQL driver for {_safe_url(url)!r} is not installed: {POSTGRES_DRIVER_HINT} "
                "(and use a postgresql+psycopg:// URL)"
            ) from err
        raise ConfigError(f"the database driver for {_safe_url(url)!r} is not installed: {err}") from err
    except (ArgumentError, NoSuchModuleError, ValueError) as err:
        raise ConfigError(f"invalid database URL {_safe_url(url)!r}: {err}") from err
    if engine.dialect.name == "sqlite":
        _enable_sqlite_concurrency(engine)
    _forget_pool_after_fork(engine)
    return engine


def _forget_pool_after_fork(engine: Engine) -> None:
    """Give a forked child (gunicorn --preload workers) a pool of its own.

    The parent may hold pooled connections (the start-up warm-up reads the library): a socket used
    by two processes corrupts both sessions. SQLAlchemy's advice: dispose with close=False in the child.
    """
    ref = weakref.ref(engine)

    def forget() -> None:
        alive = ref()
        if alive is not None:
            alive.dispose(close=False)

    os.register_at_fork(after_in_child=forget)


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
