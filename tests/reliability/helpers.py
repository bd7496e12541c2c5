"""Helpers shared by the reliability tests: database snapshots, waiting, free ports."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.models import BookRequest, LibraryItem, ScanRun
from tests.plex_conftest_helpers import closed_port_url

__all__ = ["closed_port_url"]  # the reliability tests import it from here

FAST_TIMEOUT = (0.5, 0.5)
FAST_RETRIES = 1
FAST_BACKOFF = 0.05
LISTING = "/library/sections/*/all"



class FastCore(PlexBooksCore):
    """A core whose Plex clients wait only FAST_BACKOFF before their retry (the client default is 0.5 s)."""

    def plex_client(self, url: str | None = None, token: str | None = None, **limits: Any) -> Any:
        client = super().plex_client(url, token, **limits)
        client.backoff = FAST_BACKOFF
        return client


# Bookkeeping a scan may move without changing what a row says about the book.
_BOOKKEEPING = frozenset({"last_seen_scan"})


def configure(core: PlexBooksCore, fake: FakePlex, url: str | None = None) -> PlexBooksCore:
    """Point `core` at the emulator (or at `url` with the emulator's token and section)."""
    core.set_setting("plex_url", url or fake.url)
    core.set_setting("plex_token", fake.token)
    core.set_setting("library_id", str(fake.music_section_id))
    return core


def snapshot(core: PlexBooksCore) -> dict[str, dict[str, Any]]:
    """Every library row, by rating key, with every column except scan bookkeeping."""
    columns = [c.key for c in LibraryItem.__table__.columns if c.key not in _BOOKKEEPING]
    with core.session() as session:
        out: dict[str, dict[str, Any]] = {}
        for row in session.scalars(select(LibraryItem)):
            out[row.rating_key] = {name: getattr(row, name) for name in columns}
    return out


def library_keys(core: PlexBooksCore) -> list[str]:
    """Every mirrored rating key, duplicates included (so a duplicate would show)."""
    with core.session() as session:
        return list(session.scalars(select(LibraryItem.rating_key)))


def library_row(core: PlexBooksCore, rating_key: str) -> LibraryItem | None:
    with core.session() as session:
        return repo.get_library_item(session, rating_key)


def runs(core: PlexBooksCore) -> list[ScanRun]:
    """Every scan run, oldest first."""
    with core.session() as session:
        return list(session.scalars(select(ScanRun).order_by(ScanRun.id)))


def run_of(core: PlexBooksCore, run_id: int) -> ScanRun:
    with core.session() as session:
        run = repo.get_scan_run(session, run_id)
    assert run is not None, f"no scan run {run_id}"
    return run


def requests_by_host_id(core: PlexBooksCore) -> dict[str, BookRequest]:
    with core.session() as session:
        return {r.host_request_id: r for r in session.scalars(select(BookRequest))}


def count_requests(core: PlexBooksCore) -> int:
    with core.session() as session:
        return int(session.scalar(select(func.count()).select_from(BookRequest)) or 0)


def lease_holder(core: PlexBooksCore, name: str) -> str | None:
    with core.session() as session:
        return repo.lease_holder(session, name)


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.02) -> bool:
    """Poll `predicate` until it holds or `timeout` passes; return its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


