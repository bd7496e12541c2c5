"""Shared fixtures: an isolated database (SQLite, or a PostgreSQL schema per run), a core, a Flask app."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.crypto import SecretBox
from plexbooks_plugin.db import Database
from plexbooks_plugin.models import Base, utcnow

TEST_SECRET = "test-secret-key-not-for-production"
PG_ENV = "PLEXBOOKS_TEST_DATABASE_URL"


def database_header(pg_base: str | None) -> str:
    """The line pytest's header shows: which database this run tests (without any password)."""
    if not pg_base:
        return "plexbooks: testing on SQLite (set PLEXBOOKS_TEST_DATABASE_URL for PostgreSQL)"
    return f"plexbooks: testing on PostgreSQL at {make_url(pg_base).render_as_string(hide_password=True)}"


def pytest_report_header(config: pytest.Config) -> str:
    """Say at the top of every run which database it uses."""
    return database_header(os.environ.get(PG_ENV))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say it again at the end, where `pytest -q` (which hides the header) still shows it."""
    terminalreporter.write_line(database_header(os.environ.get(PG_ENV)))


def _schema_url(base_url: str, schema: str) -> str:
    """Point every connection of `base_url` at `schema` (libpq options travel in the URL)."""
    url = make_url(base_url)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


class DatabaseFactory:
    """Makes empty databases of the kind this run tests: SQLite files, or PostgreSQL schemas."""

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self.pg_base = os.environ.get(PG_ENV)
        self._schemas: list[str] = []

    @property
    def dialect(self) -> str:
        """'postgresql' when the run targets PostgreSQL, else 'sqlite'."""
        return "postgresql" if self.pg_base else "sqlite"

    def new_url(self) -> str:
        """Return the URL of a new, empty database."""
        name = f"pbt_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        if not self.pg_base:
            return f"sqlite:///{self.tmp_dir / (name + '.db')}"
        engine = create_engine(self.pg_base)
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        engine.dispose()
        self._schemas.append(name)
        return _schema_url(self.pg_base, name)

    def cleanup(self) -> None:
        """Drop the PostgreSQL schemas this run made."""
        if not self.pg_base or not self._schemas:
            return
        engine = create_engine(self.pg_base)
        with engine.begin() as conn:
            for name in self._schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        engine.dispose()


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    """Make empty databases for tests that need their own (migrations, several processes)."""
    factory = DatabaseFactory(tmp_path_factory.mktemp("db"))
    yield factory
    factory.cleanup()


@pytest.fixture(scope="session")
def shared_database_url(database_factory: DatabaseFactory) -> str:
    """One migrated database per run; tests empty its tables instead of recreating it."""
    url = database_factory.new_url()
    database = Database(url)
    database.upgrade()
    database.dispose()
    return url


@pytest.fixture
def database_url(shared_database_url: str) -> str:
    """The shared database, emptied before the test."""
    engine = create_engine(shared_database_url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()
    return shared_database_url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A Database on the emptied shared database."""
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def box() -> SecretBox:
    """The secret box the tests encrypt with."""
    return SecretBox(TEST_SECRET)


@pytest.fixture
def core(database: Database, box: SecretBox) -> PlexBooksCore:
    """A core on the test database, with short Plex timeouts and no retry delay surprises."""
    return PlexBooksCore(database, box, plex_timeout=(2.0, 5.0), plex_retries=1)


def make_app(database_url: str, instance_path: Path, **config: Any) -> Any:
    """Build a host Flask app with plexbooks mounted, for tests."""
    from flask import Flask

    from plexbooks_plugin import PlexBooks

    app = Flask("testhost", instance_path=str(instance_path))
    # The emulator's owner is a Plex Home: tests that sign accounts in directly keep the profile picker
    # off; the Plex Home tests (test_home_signin.py) turn it on.
    config.setdefault("PLEXBOOKS_HOME_PROFILES", False)
    app.config.update({
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "PLEXBOOKS_DATABASE_URL": database_url,
        "PLEXBOOKS_PLEX_TIMEOUT": (2.0, 5.0),
        "PLEXBOOKS_PLEX_RETRIES": 1,
        **config,
    })
    PlexBooks(app)
    return app


# Signed-in browsers for the page and API tests; each test module provides its own `app`.


@pytest.fixture
def user(app: Any) -> Any:
    """A test client signed in as a plain Plex user."""
    from .viewkit import sign_in_as

    client = app.test_client()
    sign_in_as(client, app, "user", "sam")
    return client


@pytest.fixture
def admin(app: Any) -> Any:
    """A test client signed in as the server owner."""
    from .viewkit import sign_in_as

    client = app.test_client()
    sign_in_as(client, app, "admin", "olivia")
    return client


class FakeClock:
    """A controllable clock for lease and scheduling tests: starts at now, moves only when told."""

    def __init__(self) -> None:
        self.now: datetime = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self.now += delta
