"""The availability index saved at warm-up is loaded by the next process, kept current, and never trusted blindly."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.crypto import SecretBox
from plexbooks_plugin.db import Database
from plexbooks_plugin.matching import REQUEST_THRESHOLD
from plexbooks_plugin.records import PlexAudiobook

BOOKS = [
    PlexAudiobook("1", "local://1", "The Hobbit", "J.R.R. Tolkien"),
    PlexAudiobook("2", "local://2", "Project Hail Mary", "Andy Weir", asin="B08G9PRS1K"),
    PlexAudiobook("3", "local://3", "Children of Dune", "Frank Herbert"),
]
QUESTIONS = [("The Hobbit (Unabridged)", "Tolkien, J.R.R."), ("project hail mary", "Andy Weir"),
             ("Dune Messiah", "Frank Herbert"), ("Children of Dune", "Frank Herbert")]


def _answers(core: PlexBooksCore) -> list[str | None]:
    index = core.library_index()
    return [m.key if (m := index.best_match(t, a, threshold=REQUEST_THRESHOLD)) else None for t, a in QUESTIONS]


def _fresh(database: Database, secret: str, path: Path) -> PlexBooksCore:
    core = PlexBooksCore(database, SecretBox(secret))
    core.index_file = path
    return core


@pytest.fixture()
def cache(core: PlexBooksCore, tmp_path: Path) -> Path:
    with core.session() as session:
        repo.upsert_library_page(session, "4", BOOKS, None)
        repo.bump_library_version(session)
    return tmp_path / "instance" / "plexbooks-index.cache"


def test_the_next_start_loads_the_saved_index_instead_of_building(core: PlexBooksCore, cache: Path) -> None:
    first = _fresh(core.db, "secret-one", cache)
    first.warm_up()
    assert first.index_rebuilds == 1 and cache.exists()
    assert cache.stat().st_mode & 0o077 == 0  # readable by this user only
    second = _fresh(core.db, "secret-one", cache)
    second.warm_up()
    assert second.index_rebuilds == 0
    assert _answers(second) == _answers(first) == ["1", "2", None, "3"]


def test_a_loaded_index_catches_up_with_changes_made_since(core: PlexBooksCore, cache: Path) -> None:
    _fresh(core.db, "secret-one", cache).warm_up()
    with core.session() as session:
        repo.upsert_library_page(session, "4", [PlexAudiobook("4", "local://4", "Dune Messiah", "Frank Herbert")], None)
        repo.remove_library_items(session, "4", ["1"])
        repo.bump_library_version(session)
    later = _fresh(core.db, "secret-one", cache)
    later.warm_up()
    assert later.index_rebuilds == 0  # loaded, then synced
    assert _answers(later) == [None, "2", "4", "3"]


@pytest.mark.parametrize("spoil", ["other secret", "garbage", "other database"])
def test_a_foreign_or_broken_file_is_ignored(core: PlexBooksCore, cache: Path, spoil: str) -> None:
    _fresh(core.db, "secret-one", cache).warm_up()
    secret = "secret-one"
    if spoil == "other secret":
        secret = "secret-two"
    elif spoil == "garbage":
        cache.write_bytes(b"gAAAA" + b"x" * 100)
    else:
        with core.session() as session:
            repo.set_setting(session, "client_identifier", "another-install")
    other = _fresh(core.db, secret, cache)
    other.warm_up()
    assert other.index_rebuilds == 1  # built from the database instead
    assert _answers(other) == ["1", "2", None, "3"]


def test_a_restarted_host_has_the_saved_index_before_it_serves(core: PlexBooksCore, cache: Path,
                                                               database_url: str) -> None:
    from plexbooks_plugin.state import get_core

    from .conftest import make_app

    instance = cache.parent
    first = get_core(make_app(database_url, instance, PLEXBOOKS_WARM_UP=True, PLEXBOOKS_SCHEDULER=False))
    _join_warm_ups()  # the first start builds in the background, then saves
    assert first.index_rebuilds == 1 and (instance / "plexbooks-index.cache").exists()
    restarted = get_core(make_app(database_url, instance, PLEXBOOKS_WARM_UP=True, PLEXBOOKS_SCHEDULER=False))
    assert restarted.index_rebuilds == 0  # loaded in init_app, before any request
    assert _answers(restarted) == ["1", "2", None, "3"]
    _join_warm_ups()
    assert restarted.index_rebuilds == 0


def _join_warm_ups() -> None:
    for thread in threading.enumerate():
        if thread.name == "plexbooks-warm-up":
            thread.join(timeout=30)
