"""Hostile or stalled Plex servers against the scan (issue 12, items 5 and 6), with the database checked after each.

- every Plex request has a total deadline (a server trickling a byte at a time is cut off);
- a scan that stalled past its lease stops without storing, removing or recording anything more;
- a running scan can be cancelled (status `cancelled`), keeping what it stored and removing nothing;
- a listing that ignores the page size is stored in batches; one that ignores the offset is refused.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from plexbooks_plugin import store as repo
from plexbooks_plugin.const import SCAN_LEASE, SCAN_LEASE_TTL
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.crypto import SecretBox
from plexbooks_plugin.db import Database
from plexbooks_plugin.errors import PlexUnreachable
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.models import utcnow
from plexbooks_plugin.plex.client import PlexClient
from plexbooks_plugin.plex.paging import PAGES_AHEAD
from plexbooks_plugin.scanning import ScanFailed, ScanStopped, cancel_scan, full, run_scan
from tests.fakeplex_fixtures import FakePlexFactory

from .helpers import LISTING, configure, lease_holder, library_keys, run_of, runs, wait_until

SECONDS_PER_READ = 10.0  # what the controllable clock says each read of a trickling body took


def ticking_clock(step: float) -> Callable[[], float]:
    """A monotonic clock that moves `step` seconds each time it is read."""
    ticks = itertools.count()
    return lambda: next(ticks) * step


class ManualClock:
    """The wall clock leases are judged by, moved by the test."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move the clock on."""
        self.now += delta


class SlowReadCore(PlexBooksCore):
    """A core whose Plex clients see every read take SECONDS_PER_READ on their deadline clock."""

    def plex_client(self, url: str | None = None, token: str | None = None) -> Any:
        client = super().plex_client(url, token)
        client.clock = ticking_clock(SECONDS_PER_READ)
        return client


@pytest.fixture
def fake(fake_plex_factory: FakePlexFactory) -> FakePlex:
    """An emulator with 20 books."""
    return fake_plex_factory(items=20)


@pytest.fixture
def clock() -> ManualClock:
    """The lease clock every core of a test shares."""
    return ManualClock()


@pytest.fixture
def make_core(database: Database, box: SecretBox, clock: ManualClock) -> Iterator[Callable[[], PlexBooksCore]]:
    """Cores (think: processes) on the test database, sharing the lease clock."""
    made: list[PlexBooksCore] = []

    def make() -> PlexBooksCore:
        core = PlexBooksCore(database, box, plex_timeout=(2.0, 5.0), plex_retries=0, clock=clock)
        made.append(core)
        return core

    yield make


def scan_in_thread(core: PlexBooksCore, **kwargs: Any) -> tuple[threading.Thread, dict[str, Any]]:
    """Run a full scan in a thread; its summary or error lands in the returned dict."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["summary"] = run_scan(core, "full", **kwargs)
        except Exception as err:  # the test looks at it
            outcome["error"] = err

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def hold_second_page(fake: FakePlex) -> tuple[threading.Event, Any]:
    """Make the second page of the listing (10 per page) wait until the returned gate is set."""
    gate = threading.Event()
    fault = fake.set_fault("hold", on_path=LISTING, on_page=1, count=1, gate=gate)
    return gate, fault


# ---------------------------------------------------------------- item 5: deadlines


def test_a_trickling_server_is_cut_off_at_the_request_deadline(fake: FakePlex) -> None:
    fake.set_fault("trickle", on_path="/identity", delay=0.005)
    client = PlexClient(fake.url, fake.token, retries=0, deadline=60.0)
    client.clock = ticking_clock(SECONDS_PER_READ)  # every read of the body "takes" 10 s
    with pytest.raises(PlexUnreachable, match=r"did not finish answering /identity within 60 s"):
        client.identity()
    client.close()


def test_a_scan_against_a_trickling_listing_fails_in_time_and_removes_nothing(
    fake: FakePlex, database: Database, box: SecretBox
) -> None:
    core = configure(SlowReadCore(database, box, plex_timeout=(2.0, 5.0), plex_retries=0, plex_deadline=60.0), fake)
    run_scan(core, "full")
    before = sorted(library_keys(core))
    fake.set_fault("trickle", on_path=LISTING, delay=0.001)
    with pytest.raises(ScanFailed, match="did not finish answering"):
        run_scan(core, "full")
    assert sorted(library_keys(core)) == before
    assert [run.status for run in runs(core)] == ["succeeded", "failed"]
    assert lease_holder(core, SCAN_LEASE) is None


# ---------------------------------------------------------------- item 5: fencing on the lease


def test_a_stalled_scan_that_lost_its_lease_stores_and_removes_nothing(
    fake: FakePlex, make_core: Callable[[], PlexBooksCore], clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(full, "STORE_BATCH", 10)  # store each page of 10 as it arrives
    stalled, other = configure(make_core(), fake), make_core()
    gate, fault = hold_second_page(fake)
    thread, outcome = scan_in_thread(stalled, page_size=10)
    assert fault.entered.wait(10)
    assert wait_until(lambda: len(library_keys(stalled)) == 10)  # its first page is stored
    clock.advance(SCAN_LEASE_TTL + timedelta(minutes=1))  # the stalled scan's lease expires
    new_keys = [fake.add_album(f"Late Arrival {n}", "Pia Okonkwo") for n in range(5)]
    run_scan(other, "recent")  # takes the expired lease and mirrors (at least) the 5 new books
    after_recent = set(library_keys(stalled))
    assert set(new_keys) <= after_recent
    gate.set()  # the stalled scan's page arrives at last
    thread.join(20)
    assert isinstance(outcome.get("error"), ScanStopped), outcome
    stalled_run, recent_run = runs(stalled)
    assert stalled_run.status == "failed" and "before it finished" in (stalled_run.error or "")
    assert recent_run.status == "succeeded"
    keys = library_keys(stalled)
    assert set(keys) == after_recent  # nothing removed, the held page not stored
    assert lease_holder(stalled, SCAN_LEASE) is None


# ---------------------------------------------------------------- item 5: cancelling


def test_cancelling_a_running_scan_stops_it_and_keeps_what_it_stored(
    fake: FakePlex, make_core: Callable[[], PlexBooksCore], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(full, "STORE_BATCH", 10)  # store each page of 10 as it arrives
    core = configure(make_core(), fake)
    gate, fault = hold_second_page(fake)
    thread, outcome = scan_in_thread(core, page_size=10)
    assert fault.entered.wait(10)
    assert wait_until(lambda: len(library_keys(core)) == 10)
    run_id = runs(core)[0].id
    assert cancel_scan(make_core(), run_id, by="admin1")  # from another process
    gate.set()
    thread.join(20)
    assert isinstance(outcome.get("error"), ScanStopped)
    run = run_of(core, run_id)
    assert (run.status, run.error) == ("cancelled", "cancelled by admin1")
    assert len(library_keys(core)) == 10  # kept, and nothing removed
    assert lease_holder(core, SCAN_LEASE) is None
    assert not cancel_scan(core, run_id)  # only a running scan can be cancelled
    assert run_scan(core, "full")["total"] == 20  # the next scan runs normally
    assert run_of(core, run_id).status == "cancelled"


# ---------------------------------------------------------------- item 6: listings that ignore paging


def test_a_listing_that_ignores_the_page_size_is_stored_in_batches(
    fake_plex_factory: FakePlexFactory, database: Database, box: SecretBox, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = fake_plex_factory(items=1200)
    core = configure(PlexBooksCore(database, box), fake)
    fake.set_fault("unpaged", on_path=LISTING)
    sizes: list[int] = []
    real = repo.upsert_library_page

    def spy(session: Any, section: str, items: Any, scan_id: Any, **options: Any) -> Any:
        sizes.append(len(items))
        return real(session, section, items, scan_id, **options)

    monkeypatch.setattr(repo, "upsert_library_page", spy)
    monkeypatch.setattr(full, "STORE_BATCH", 500)  # a transaction per page-size batch, to see the batches
    summary = run_scan(core, "full", page_size=500)
    assert len(fake.requests_to("/library/sections/4/all")) == 1  # one answer held everything
    assert sizes == [500, 500, 200]  # stored in batches of the page size, never row by row
    assert "one by one" not in caplog.text
    assert summary["total"] == summary["new"] == 1200 and len(set(library_keys(core))) == 1200


def test_a_listing_that_ignores_the_offset_is_refused(fake: FakePlex, database: Database, box: SecretBox) -> None:
    core = configure(PlexBooksCore(database, box), fake)
    run_scan(core, "full")
    fake.clear_log()  # count the second scan's requests only
    fake.set_fault("stuck_paging", on_path=LISTING, size=10_000_000)
    with pytest.raises(ScanFailed, match="ignored paging") as failure:
        run_scan(core, "full", page_size=5)
    assert "claiming 10,000,000" in str(failure.value)
    # Gave up at once (the first page and those asked for ahead of it), not after 2 million pages.
    assert len(fake.requests_to("/library/sections/4/all")) <= 1 + PAGES_AHEAD
    assert len(library_keys(core)) == 20  # a failed listing removes nothing
    assert [run.status for run in runs(core)] == ["succeeded", "failed"]
