"""A rescan lists keys and updatedAt only (includeFields) and fetches the records of changed albums by key."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import parse_qs

import requests
from sqlalchemy import select

from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.crypto import SecretBox
from plexbooks_plugin.db import Database
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.models import LibraryItem
from plexbooks_plugin.plex.client import LIGHT_LISTING
from plexbooks_plugin.scanning import run_scan

from .conftest import DatabaseFactory

pytest_plugins = ["tests.fakeplex_fixtures"]

BASE_TIME = 1_760_000_000  # newer than every generated book
# What a scan stores of an album (the row's own bookkeeping left out).
STORED = ("section_id", "rating_key", "guid", "asin", "title", "author", "narrator", "duration", "year", "summary",
          "thumb", "added_at", "updated_at", "file_path", "norm_title", "norm_author")


def mirror(core: PlexBooksCore) -> dict[str, tuple[Any, ...]]:
    """Every mirrored album's stored fields, by rating key."""
    with core.session() as session:
        return {row.rating_key: tuple(getattr(row, name) for name in STORED)
                for row in session.scalars(select(LibraryItem))}


def listing_queries(fake: FakePlex) -> list[dict[str, list[str]]]:
    return [parse_qs(r.query) for r in fake.requests_to(f"/library/sections/{fake.music_section_id}/all")]


def fetched_keys(fake: FakePlex) -> list[str]:
    """The rating keys whose records were fetched by key (`/library/metadata/a,b,c?includeGuids=1`).

    A removal's 404 check asks for one key without includeGuids: not counted.
    """
    return [key for r in fake.requests_to("/library/metadata/*") if "includeGuids=1" in r.query
            for key in r.path.rsplit("/", 1)[1].split(",")]


def undated(fake: FakePlex) -> set[str]:
    """Albums without an updatedAt: a light listing cannot tell whether they changed, so they are fetched."""
    return {str(a.rating_key) for a in fake.albums() if not a.updated_at}


def change_the_library(fake: FakePlex) -> set[str]:
    """Retitle, re-author, add and remove albums; return the keys a rescan must fetch whole."""
    keys = sorted((str(a.rating_key) for a in fake.albums()), key=int)
    fake.update_album(keys[0], title="Retitled Edition")
    fake.update_album(keys[1], author="Someone Else Entirely")
    fake.remove_album(keys[2])
    added = fake.add_album("A Wholly New Book", "Ivo Brandt", added_at=BASE_TIME)
    # Matched by Plex's own agent: the ASIN is only in a Guid child (sent with includeGuids=1 alone).
    matched = fake.add_album("The Lantern Keeper", "Ysolde Marrow", guid="plex://album/5d07c1a0403c640290c2e6f1",
                             added_at=BASE_TIME + 1, extra_guids=("audible://B0CLANTERN",))
    return {keys[0], keys[1], str(added), str(matched)}


def first_scan_elsewhere(database_factory: DatabaseFactory, fake: FakePlex) -> dict[str, tuple[Any, ...]]:
    """What a first scan of `fake` into a new, empty database stores."""
    core = PlexBooksCore(Database(database_factory.new_url()), SecretBox("another-secret"))
    core.db.upgrade()
    configure(core, fake)
    try:
        run_scan(core, "full", triggered_by="test")
        return mirror(core)
    finally:
        core.db.dispose()


def configure(core: PlexBooksCore, fake: FakePlex) -> PlexBooksCore:
    core.set_setting("plex_url", fake.url)
    core.set_setting("plex_token", fake.token)
    core.set_setting("library_id", fake.music_section_id)
    return core


def test_an_unchanged_rescan_lists_keys_and_updated_at_only_and_fetches_no_record(
    plex_core: PlexBooksCore, fake_plex: FakePlex
) -> None:
    run_scan(plex_core, "full")
    first = listing_queries(fake_plex)
    assert first and all("includeFields" not in q and q["includeGuids"] == ["1"] for q in first)  # whole records
    fake_plex.clear_log()
    summary = run_scan(plex_core, "full")
    assert (summary["total"], summary["new"], summary["updated"], summary["removed"]) == (40, 0, 0, 0)
    light = listing_queries(fake_plex)
    assert light and all(q["includeFields"] == [LIGHT_LISTING["includeFields"]] for q in light)
    assert 0 < len(undated(fake_plex)) < 10  # the generated library has a few
    assert sorted(fetched_keys(fake_plex)) == sorted(undated(fake_plex))


def test_a_light_rescan_stores_exactly_what_a_first_scan_stores(
    plex_core: PlexBooksCore, fake_plex: FakePlex, database_factory: DatabaseFactory
) -> None:
    run_scan(plex_core, "full")
    changed = change_the_library(fake_plex)
    fake_plex.clear_log()
    summary = run_scan(plex_core, "full")
    assert (summary["new"], summary["updated"], summary["removed"], summary["total"]) == (2, 2, 1, 41)
    assert sorted(fetched_keys(fake_plex)) == sorted(changed | undated(fake_plex))  # only these are fetched whole
    assert mirror(plex_core) == first_scan_elsewhere(database_factory, fake_plex)


def test_a_server_sending_whole_records_anyway_gives_the_same_rows(
    plex_core: PlexBooksCore, fake_plex: FakePlex, database_factory: DatabaseFactory
) -> None:
    run_scan(plex_core, "full")
    changed = change_the_library(fake_plex)
    fake_plex.set_fault("whole_records", on_path=f"/library/sections/{fake_plex.music_section_id}/all")
    fake_plex.clear_log()
    summary = run_scan(plex_core, "full")
    assert (summary["new"], summary["updated"], summary["removed"]) == (2, 2, 1)
    # The listing's whole items lack their Guid children (no includeGuids), which may hold the only
    # ASIN: the changed ones are fetched by key all the same.
    assert sorted(fetched_keys(fake_plex)) == sorted(changed | undated(fake_plex))
    fake_plex.clear_faults()
    rescanned = mirror(plex_core)
    assert rescanned == first_scan_elsewhere(database_factory, fake_plex)
    assert "B0CLANTERN" in {row[STORED.index("asin")] for row in rescanned.values()}


def test_a_changed_album_deleted_before_its_record_is_fetched_is_removed(
    plex_core: PlexBooksCore, fake_plex: FakePlex
) -> None:
    for key in undated(fake_plex):
        fake_plex.update_album(key)  # dated: the only album fetched by key is the doomed one
    run_scan(plex_core, "full")
    doomed = sorted((str(a.rating_key) for a in fake_plex.albums()), key=int)[5]
    fake_plex.update_album(doomed, title="Changed, Then Deleted")
    gate = threading.Event()
    fetch = fake_plex.set_fault("hold", on_path="/library/metadata/*", count=1, gate=gate)

    def delete_while_the_fetch_waits() -> None:
        assert fetch.entered.wait(10)
        fake_plex.remove_album(doomed)
        gate.set()

    deleter = threading.Thread(target=delete_while_the_fetch_waits)
    deleter.start()
    try:
        summary = run_scan(plex_core, "full")
    finally:
        gate.set()
        deleter.join(10)
    assert fetch.entered.is_set()
    # Listed, then gone when fetched: it counts as listed (the listing is complete), is not seen,
    # and the set difference with its 404 check removes it in this very scan.
    assert (summary["removed"], summary["total"], summary["warning"]) == (1, 39, None)
    assert doomed not in mirror(plex_core)


def test_the_emulator_trims_items_to_the_fields_asked_for(fake_plex: FakePlex) -> None:
    def items(query: str) -> list[dict[str, Any]]:
        answer = requests.get(
            f"{fake_plex.url}/library/sections/{fake_plex.music_section_id}/all?type=9&{query}",
            headers={"X-Plex-Token": fake_plex.token, "Accept": "application/json"}, timeout=10,
        )
        metadata: list[dict[str, Any]] = answer.json()["MediaContainer"]["Metadata"]
        return metadata

    light = items("includeFields=ratingKey,updatedAt&excludeElements=Collection,Genre,Guid,Image")
    assert len(light) == 40 and all(set(item) <= {"ratingKey", "updatedAt"} and "ratingKey" in item for item in light)
    trimmed = items("excludeFields=summary&excludeElements=Image")
    assert all("summary" not in item and "Image" not in item and "title" in item for item in trimmed)
    assert any("Genre" in item for item in trimmed)
    assert all("Genre" not in item for item in items("includeFields=ratingKey,title,parentTitle"))
