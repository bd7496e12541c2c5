"""core.library_index(): built once, then kept up to date incrementally as the library changes."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from plexbooks_plugin import index_cache as core_module
from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.records import PlexAudiobook

SECTION = "1"
LIBRARY = [
    PlexAudiobook("101", "plex://album/a", "Foundation (Unabridged)", "Isaac Asimov", narrator="Scott Brick"),
    PlexAudiobook("102", "plex://album/b", "The Tenant", "Freida McFadden", asin="B0CW1HJ7ND"),
    PlexAudiobook("103", "plex://album/c", "Nightfall", "Isaac Asimov"),
    PlexAudiobook("104", "local://104", "Hollow City", "Ransom Riggs"),
]


def store(core: PlexBooksCore, items: list[PlexAudiobook]) -> None:
    with core.session() as session:
        repo.upsert_library_page(session, SECTION, items, None)
        repo.bump_library_version(session)


def remove(core: PlexBooksCore, keys: list[str]) -> None:
    with core.session() as session:
        repo.remove_library_items(session, SECTION, keys)
        repo.bump_library_version(session)


def best(core: PlexBooksCore, title: str, author: str) -> str | None:
    match = core.library_index().best_match(title, author, threshold=0.85)
    return match.key if match else None


def test_first_use_builds_and_an_unchanged_version_reuses(core: PlexBooksCore) -> None:
    store(core, LIBRARY)
    index = core.library_index()
    assert len(index) == 4 and core.index_rebuilds == 1
    assert core.library_index() is index and core.index_rebuilds == 1


def test_a_new_item_is_added_without_a_rebuild(core: PlexBooksCore) -> None:
    store(core, LIBRARY)
    index = core.library_index()
    assert best(core, "Project Hail Mary", "Andy Weir") is None
    store(core, [PlexAudiobook("105", "plex://album/e", "Project Hail Mary", "Andy Weir")])
    assert core.library_index() is index and core.index_rebuilds == 1
    assert len(index) == 5 and best(core, "Project Hail Mary", "Andy Weir") == "105"


def test_a_changed_item_is_replaced_without_a_rebuild(core: PlexBooksCore) -> None:
    store(core, LIBRARY)
    index = core.library_index()
    assert best(core, "Nightfall", "Isaac Asimov") == "103"
    store(core, [PlexAudiobook("103", "plex://album/c", "The Gods Themselves", "Isaac Asimov")])
    assert core.library_index() is index and core.index_rebuilds == 1
    assert len(index) == 4
    assert best(core, "Nightfall", "Isaac Asimov") is None
    assert best(core, "The Gods Themselves", "Isaac Asimov") == "103"


def test_a_removed_item_is_dropped_without_a_rebuild(core: PlexBooksCore) -> None:
    store(core, LIBRARY)
    index = core.library_index()
    assert best(core, "Hollow City", "Ransom Riggs") == "104"
    remove(core, ["104"])
    assert core.library_index() is index and core.index_rebuilds == 1
    assert len(index) == 3 and "104" not in index
    assert best(core, "Hollow City", "Ransom Riggs") is None


def test_a_removal_and_an_addition_in_one_change_are_both_seen(core: PlexBooksCore) -> None:
    store(core, LIBRARY)
    index = core.library_index()
    with core.session() as session:  # one version bump for both: the row count alone stays at 4
        repo.remove_library_items(session, SECTION, ["102"])
        repo.upsert_library_page(session, SECTION, [PlexAudiobook("106", "plex://f", "Dune", "Frank Herbert")], None)
        repo.bump_library_version(session)
    assert core.library_index() is index and core.index_rebuilds == 1
    assert "102" not in index and "106" in index and len(index) == 4
    assert best(core, "Dune", "Frank Herbert") == "106" and best(core, "The Tenant", "Freida McFadden") is None


def test_rows_stamped_before_the_last_sync_within_the_margin_are_still_read(core: PlexBooksCore) -> None:
    # A page's transaction can commit after its rows' stamp (and after another process synced).
    store(core, LIBRARY)
    index = core.library_index()
    stamped = repo.now()
    core.index_cache._synced_at = stamped + timedelta(seconds=2)  # as if the sync ran 2 s after the stamp
    store(core, [PlexAudiobook("107", "plex://g", "Ubik", "Philip K. Dick")])
    assert core.library_index() is index and "107" in index
    assert timedelta(seconds=2) <= core_module.INDEX_SYNC_MARGIN


def test_a_large_change_rebuilds_and_invalidate_drops(core: PlexBooksCore, monkeypatch: pytest.MonkeyPatch) -> None:
    store(core, LIBRARY)
    index = core.library_index()
    monkeypatch.setattr(core_module, "INDEX_REBUILD_MIN", 1)
    store(core, [PlexAudiobook(str(200 + n), f"plex://{n}", f"Volume {n} of Many", "Some Author") for n in range(5)])
    rebuilt = core.library_index()
    assert rebuilt is not index and len(rebuilt) == 9 and core.index_rebuilds == 2
    core.invalidate_index()
    assert core.library_index() is not rebuilt and core.index_rebuilds == 3


def test_concurrent_callers_share_one_sync(core: PlexBooksCore) -> None:
    store(core, LIBRARY)
    index = core.library_index()
    store(core, [PlexAudiobook("108", "plex://h", "Solaris", "Stanislaw Lem")])
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(core.library_index())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(s is index for s in seen) and "108" in index and core.index_rebuilds == 1
