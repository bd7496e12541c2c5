"""What kind of process loads the app, and what plexbooks starts there: no thread in gunicorn's master."""

from __future__ import annotations

import os
import sys
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.records import PlexAudiobook
from plexbooks_plugin.serving import in_gunicorn_master
from plexbooks_plugin.state import get_core

from .conftest import make_app

T = TypeVar("T")
BOOKS = [PlexAudiobook("1", "local://1", "The Hobbit", "J.R.R. Tolkien"),
         PlexAudiobook("2", "local://2", "Children of Dune", "Frank Herbert")]


def as_gunicorn_master(func: Callable[[], T], monkeypatch: pytest.MonkeyPatch) -> T:
    """Call `func` the way gunicorn's master loads a --preload app: from Arbiter.setup in gunicorn/arbiter.py."""
    monkeypatch.setitem(sys.modules, "gunicorn", sys.modules.get("gunicorn") or types.ModuleType("gunicorn"))
    namespace: dict[str, Any] = {}
    source = "def setup(func):\n    return func()\n"
    exec(compile(source, os.path.join("site-packages", "gunicorn", "arbiter.py"), "exec"), namespace)
    return namespace["setup"](func)  # type: ignore[no-any-return]


@pytest.fixture
def started_threads(monkeypatch: pytest.MonkeyPatch) -> list[threading.Thread]:
    """Every thread started from here on, in order (they still run)."""
    started: list[threading.Thread] = []
    real_start = threading.Thread.start

    def recording_start(thread: threading.Thread) -> None:
        started.append(thread)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", recording_start)
    return started


def test_gunicorn_master_is_recognised_by_its_arbiter_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    assert as_gunicorn_master(in_gunicorn_master, monkeypatch) is True
    assert in_gunicorn_master() is False  # gunicorn imported, but not loading the app


def test_gunicorn_master_warms_up_before_forking_and_starts_no_thread(
    core: PlexBooksCore, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    started_threads: list[threading.Thread],
) -> None:
    """A thread running while gunicorn forks can hold a lock its child then waits on forever (a worker
    stuck writing its first log line): the master warms up in its main thread, the workers inherit the index."""
    with core.session() as session:
        repo.upsert_library_page(session, "4", BOOKS, None)
        repo.bump_library_version(session)
    app = as_gunicorn_master(
        lambda: make_app(database_url, tmp_path / "instance", PLEXBOOKS_WARM_UP=True, PLEXBOOKS_SCHEDULER=False),
        monkeypatch,
    )
    assert started_threads == []
    master = get_core(app)
    assert master.index_rebuilds == 1 and (tmp_path / "instance" / "plexbooks-index.cache").exists()
    index = master.library_index()
    assert index.best_match("The Hobbit", "J.R.R. Tolkien") is not None
    assert master.index_rebuilds == 1  # ready before the fork: no worker builds it again


def test_any_other_host_warms_up_in_the_background(
    core: PlexBooksCore, database_url: str, tmp_path: Path, started_threads: list[threading.Thread]
) -> None:
    make_app(database_url, tmp_path / "instance", PLEXBOOKS_WARM_UP=True, PLEXBOOKS_SCHEDULER=False)
    assert [thread.name for thread in started_threads] == ["plexbooks-warm-up"]
    started_threads[0].join(timeout=30)
