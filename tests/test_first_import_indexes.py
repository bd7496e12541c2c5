"""A first import builds the library's indexes (the unique one too) after its rows, and always puts them back."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.db import Database
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.models import LibraryItem
from plexbooks_plugin.scanning import ScanFailed, full, run_scan
from plexbooks_plugin.store import bulk

pytest_plugins = ["tests.fakeplex_fixtures"]

UNIQUE = "uq_plexbooks_library_section_id_rating_key"
EVERY_INDEX = {str(index.name) for index in bulk.library_indexes()}


def index_names(database: Database) -> set[str]:
    """The library table's indexes as the database reports them."""
    return {str(index["name"]) for index in inspect(database.engine).get_indexes("plexbooks_library")}


def rows_per_key(core: PlexBooksCore) -> dict[str, int]:
    with core.session() as session:
        query = select(LibraryItem.rating_key, func.count()).group_by(LibraryItem.section_id, LibraryItem.rating_key)
        return {key: count for key, count in session.execute(query)}


def copy_of_row(session: Any, key: str) -> LibraryItem:
    """A new row with the stored content of album `key` (the same section and key)."""
    row = session.scalars(select(LibraryItem).where(LibraryItem.rating_key == key)).one()
    return LibraryItem(**{column: getattr(row, column) for column in bulk.INSERT_COLUMNS})


def test_the_unique_index_is_a_named_index_every_database_reports() -> None:
    assert UNIQUE in EVERY_INDEX and [ix.name for ix in bulk.library_indexes() if ix.unique] == [UNIQUE]


def test_a_first_import_stores_without_the_indexes_and_builds_every_one_afterwards(
    plex_core: PlexBooksCore, fake_plex: FakePlex, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen_while_storing: list[set[str]] = []
    real_store_page = full.store_page

    def spy(job: Any, items: Any, **options: Any) -> Any:
        seen_while_storing.append(index_names(plex_core.db))
        return real_store_page(job, items, **options)

    monkeypatch.setattr(full, "store_page", spy)
    monkeypatch.setattr(full, "STORE_BATCH", 10)
    summary = run_scan(plex_core, "full", page_size=10)
    assert summary["new"] == 40 and len(seen_while_storing) == 4
    assert all(UNIQUE not in names for names in seen_while_storing)  # no row-by-row upkeep of the index
    assert index_names(plex_core.db) >= EVERY_INDEX
    assert set(rows_per_key(plex_core).values()) == {1}
    with pytest.raises(IntegrityError), plex_core.session() as session:  # the rule holds again
        session.add(copy_of_row(session, next(iter(rows_per_key(plex_core)))))
        session.flush()


def test_an_album_the_realtime_listener_stored_during_a_first_import_is_kept_once(
    plex_core: PlexBooksCore, fake_plex: FakePlex, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_store_page = full.store_page
    raced: list[str] = []

    def store_after_the_listener(job: Any, items: Any, **options: Any) -> Any:
        if not raced:
            # Plex announced this album and the listener mirrored it before the scan stored its page.
            album = items[-1]
            with plex_core.session() as session:
                repo.upsert_library_page(session, job.section, [album], None)
            raced.append(album.rating_key)
        return real_store_page(job, items, **options)

    monkeypatch.setattr(full, "store_page", store_after_the_listener)
    monkeypatch.setattr(full, "STORE_BATCH", 10)
    with caplog.at_level(logging.WARNING, logger="plexbooks_plugin.scanning.full"):
        summary = run_scan(plex_core, "full", page_size=10)
    assert summary["new"] == 40
    counts = rows_per_key(plex_core)
    assert len(counts) == 40 and set(counts.values()) == {1}  # each album once, the raced one included
    assert raced and counts[raced[0]] == 1
    assert index_names(plex_core.db) >= EVERY_INDEX
    assert "dropped 1 duplicate library rows" in caplog.text


def test_a_first_import_that_fails_half_way_puts_every_index_back(
    plex_core: PlexBooksCore, fake_plex: FakePlex
) -> None:
    fake_plex.set_fault(500, on_path=f"/library/sections/{fake_plex.music_section_id}/all", on_page=2)
    with pytest.raises(ScanFailed):
        run_scan(plex_core, "full", page_size=10)
    assert 0 < len(rows_per_key(plex_core)) < 40  # what was listed before the failure is kept
    assert index_names(plex_core.db) >= EVERY_INDEX


def test_the_next_scan_repairs_what_a_process_that_died_during_a_first_import_left(
    plex_core: PlexBooksCore, fake_plex: FakePlex
) -> None:
    run_scan(plex_core, "full")
    key = next(iter(rows_per_key(plex_core)))
    with plex_core.session() as session:  # the process died with the indexes dropped and a row twice
        bulk.drop_indexes(session)
        session.add(copy_of_row(session, key))
    assert rows_per_key(plex_core)[key] == 2 and UNIQUE not in index_names(plex_core.db)
    summary = run_scan(plex_core, "full")
    assert summary["removed"] == 0
    counts = rows_per_key(plex_core)
    assert len(counts) == 40 and set(counts.values()) == {1}
    assert index_names(plex_core.db) >= EVERY_INDEX

