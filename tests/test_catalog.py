"""Catalog refresh: the host's catalog entries are marked available at the stricter 0.85 threshold."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.hooks import on_catalog_refreshed
from plexbooks_plugin.matching import CATALOG_THRESHOLD, REQUEST_THRESHOLD, match_score
from plexbooks_plugin.models import CatalogItem
from plexbooks_plugin.records import PlexAudiobook
from plexbooks_plugin.scanning import refresh_catalog, run_scan

pytest_plugins = ["tests.fakeplex_fixtures"]

LIBRARY = [
    PlexAudiobook("101", "plex://album/a", "Foundation (Unabridged)", "Isaac Asimov", narrator="Scott Brick"),
    PlexAudiobook("102", "plex://album/b", "The Tenant", "Freida McFadden", asin="B0CW1HJ7ND"),
    PlexAudiobook("103", "plex://album/c", "Nightfall", "Isaac Asimov"),
    PlexAudiobook("104", "local://104", "Hollow City", "Ransom Riggs"),
]


@pytest.fixture
def library_core(core: PlexBooksCore) -> PlexBooksCore:
    """A core whose mirrored library holds LIBRARY."""
    with core.session() as session:
        repo.upsert_library_page(session, "1", LIBRARY, None)
        repo.bump_library_version(session)
    return core


def catalog(core: PlexBooksCore) -> dict[str, CatalogItem]:
    with core.session() as session:
        return {row.external_id: row for row in session.scalars(select(CatalogItem))}


def test_exact_and_edition_variants_are_available(library_core: PlexBooksCore) -> None:
    result = refresh_catalog(
        library_core,
        [
            {"external_id": "aud-1", "title": "Foundation", "author": "Isaac Asimov"},
            {"external_id": "aud-2", "title": "The Tenant: A Novel", "author": "Freida McFadden"},
            {"external_id": "aud-3", "title": "Hollow City", "author": "Ransom Riggs"},
        ],
    )
    assert result["stored"] == 3 and result["available"] == 3 and result["total"] == 3
    rows = catalog(library_core)
    assert rows["aud-1"].is_available and rows["aud-1"].matched_rating_key == "101"
    assert rows["aud-2"].matched_rating_key == "102" and rows["aud-3"].matched_rating_key == "104"
    assert all(row.match_score is not None and row.match_score >= CATALOG_THRESHOLD for row in rows.values())


def test_asin_equality_matches_whatever_the_title(library_core: PlexBooksCore) -> None:
    refresh_catalog(library_core, [{"id": "x", "title": "Der Mieter", "author": "F. McFadden", "asin": "b0cw1hj7nd"}])
    row = catalog(library_core)["x"]
    assert row.is_available and row.matched_rating_key == "102"


@pytest.mark.parametrize(
    ("title", "author"),
    [
        ("Foundation and Empire", "Isaac Asimov"),  # a sequel is not its predecessor
        ("Nightfall", "Jake Halpern"),  # same title, clearly different author
        ("Hollow Kingdom", "Ransom Riggs"),  # content words differ
        ("Something Else Entirely", "Nobody"),
    ],
)
def test_near_misses_are_not_available(library_core: PlexBooksCore, title: str, author: str) -> None:
    refresh_catalog(library_core, [{"external_id": "miss", "title": title, "author": author}])
    row = catalog(library_core)["miss"]
    assert not row.is_available and row.matched_rating_key is None and row.match_score is None


def test_catalog_uses_the_stricter_threshold(library_core: PlexBooksCore) -> None:
    # The right title with no author: good enough to finish a request, not for an "In Your Library" badge.
    score = match_score("Hollow City", None, "Hollow City", "Ransom Riggs")
    assert REQUEST_THRESHOLD <= score < CATALOG_THRESHOLD
    assert library_core.library_index().best_match("Hollow City", None, threshold=REQUEST_THRESHOLD) is not None
    refresh_catalog(library_core, [{"external_id": "mid", "title": "Hollow City"}])
    row = catalog(library_core)["mid"]
    assert not row.is_available and row.matched_rating_key is None


def test_bad_entries_are_skipped_and_refresh_updates(library_core: PlexBooksCore) -> None:
    items: list[Any] = [
        {"title": "No Id"},
        {"external_id": "no-title"},
        "not a dict",
        {"external_id": "e1", "title": "Something Else Entirely", "author": "Nobody"},
    ]
    result = refresh_catalog(library_core, items)
    assert (result["received"], result["stored"], result["skipped"], result["available"]) == (4, 1, 3, 0)
    refresh_catalog(library_core, [{"external_id": "e1", "title": "Nightfall", "author": "Isaac Asimov"}])
    row = catalog(library_core)["e1"]
    assert row.is_available and row.matched_rating_key == "103" and row.title == "Nightfall"


def test_hook_refreshes_the_catalog(library_core: PlexBooksCore) -> None:
    result = on_catalog_refreshed(
        items=[{"external_id": "h1", "title": "Foundation", "author": "Asimov, Isaac"}], core=library_core
    )
    assert result["available"] == 1 and "error" not in result


def test_a_scan_that_changes_the_library_rematches_the_catalog(
    plex_core: PlexBooksCore, fake_plex: FakePlex
) -> None:
    run_scan(plex_core, "full")
    refresh_catalog(plex_core, [{"external_id": "c1", "title": "The Orchard Keeper's Ledger", "author": "Pia Lund"}])
    assert not catalog(plex_core)["c1"].is_available
    key = fake_plex.add_album("The Orchard Keeper's Ledger", "Pia Lund", added_at=1_760_000_000)
    run_scan(plex_core, "recent")
    row = catalog(plex_core)["c1"]
    assert row.is_available and row.matched_rating_key == str(key)
    fake_plex.remove_album(key)
    run_scan(plex_core, "full")
    assert not catalog(plex_core)["c1"].is_available
