"""Migrations: up and down on this run's database kind, and parity with the models."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from plexbooks_plugin.db import VERSION_TABLE, Database, migrations_config
from plexbooks_plugin.models import Base

PLUGIN_TABLES = {table.name for table in Base.metadata.sorted_tables}


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_then_downgrade(database_factory) -> None:  # type: ignore[no-untyped-def]
    url = database_factory.new_url()
    db = Database(url)
    db.upgrade()
    assert PLUGIN_TABLES | {VERSION_TABLE} <= _tables(url)
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()
    assert current == ScriptDirectory.from_config(migrations_config()).get_current_head()  # upgrade reached head
    db.downgrade("base")
    assert not (PLUGIN_TABLES & _tables(url)), "downgrade left plexbooks tables behind"
    db.upgrade()  # and back up again: the migration is repeatable
    assert _tables(url) >= PLUGIN_TABLES
    db.dispose()


def test_models_and_migrations_describe_the_same_schema(database_factory) -> None:  # type: ignore[no-untyped-def]
    url = database_factory.new_url()
    db = Database(url)
    db.upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": lambda obj, name, type_, reflected, compare_to: not (
                    type_ == "table" and name == VERSION_TABLE
                ),
            },
        )
        diff = compare_metadata(context, Base.metadata)
    db.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_on_a_connection_the_host_owns(database_factory) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from plexbooks_plugin.db import migrations_config

    url = database_factory.new_url()
    engine = create_engine(url)
    with engine.begin() as connection:
        command.upgrade(migrations_config(connection), "head")
    assert set(inspect(engine).get_table_names()) >= PLUGIN_TABLES
    engine.dispose()


def test_host_tables_are_left_alone(database_factory) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    url = database_factory.new_url()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE host_books (id INTEGER PRIMARY KEY, title VARCHAR(50))"))
    db = Database(url)
    db.upgrade()
    db.downgrade("base")
    assert "host_books" in _tables(url)
    db.dispose()
    engine.dispose()


def test_the_search_text_migration_refolds_stored_titles(database_factory) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from plexbooks_plugin.library_search import search_text
    from plexbooks_plugin.matching import normalize_title

    url = database_factory.new_url()
    db = Database(url)
    db.upgrade("0002")
    titles = ["The Hobbit (Unabridged)", "Book Two: Émile's Return", "Dune"]
    with db.engine.begin() as connection:
        for i, title in enumerate(titles, start=1):
            connection.execute(
                text("INSERT INTO plexbooks_library (section_id, rating_key, guid, title, norm_title, norm_author, "
                     "first_seen_at, row_updated_at) VALUES ('1', :key, 'local://x', :title, :norm, '', "
                     "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"key": str(i), "title": title, "norm": normalize_title(title)},
            )
    db.upgrade()
    with db.engine.connect() as connection:
        stored = dict(connection.execute(text("SELECT title, norm_title FROM plexbooks_library")).all())
    assert stored == {title: search_text(title) for title in titles}
    db.downgrade("0002")
    with db.engine.connect() as connection:
        stored = dict(connection.execute(text("SELECT title, norm_title FROM plexbooks_library")).all())
    assert stored == {title: normalize_title(title) for title in titles}
    db.dispose()


def test_the_library_uniqueness_becomes_an_index_and_keeps_the_rows(database_factory) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    url = database_factory.new_url()
    db = Database(url)
    db.upgrade("0006")
    insert = text(
        "INSERT INTO plexbooks_library (section_id, rating_key, guid, title, norm_title, norm_author, first_seen_at,"
        " row_updated_at) VALUES ('4', :key, :key, 'Dune', 'dune', 'frank herbert', :now, :now)"
    )
    now = datetime(2026, 11, 28, 12, 0, 0)
    with db.engine.begin() as connection:
        connection.execute(insert, {"key": "101", "now": now})
        connection.execute(insert, {"key": "102", "now": now})
    db.upgrade()
    names = {index["name"] for index in inspect(db.engine).get_indexes("plexbooks_library") if index["unique"]}
    assert "uq_plexbooks_library_section_id_rating_key" in names
    with db.engine.connect() as connection:
        kept = connection.execute(text("SELECT rating_key FROM plexbooks_library ORDER BY rating_key")).scalars()
        assert kept.all() == ["101", "102"]
    with pytest.raises(IntegrityError, match=r"(?i)unique"), db.engine.begin() as connection:  # the same rule
        connection.execute(insert, {"key": "101", "now": now})
    db.downgrade("0006")
    with pytest.raises(IntegrityError, match=r"(?i)unique"), db.engine.begin() as connection:  # the constraint
        connection.execute(insert, {"key": "102", "now": now})
    db.dispose()
