"""Full and recently-added scans against the Plex emulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from plexbooks_plugin import scanning as scanner
from plexbooks_plugin import signals
from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.errors import ConfigError, ScanRunning
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.models import LibraryItem
from plexbooks_plugin.plex.client import KEYS_PER_REQUEST
from plexbooks_plugin.records import PlexAudiobook
from plexbooks_plugin.scanning import ScanFailed, confirm_pending_removal, run_scan, start_scan, wait_for_scan
from plexbooks_plugin.scanning import job as scanning_job

from .conftest import FakeClock

# Fixtures only: importing names from the module would keep pytest from rewriting its asserts.
pytest_plugins = ["tests.fakeplex_fixtures"]
FakePlexFactory = Callable[..., FakePlex]

BASE_TIME = 1_760_000_000  # newer than every generated book


def configure_core(core: PlexBooksCore, fake: FakePlex) -> None:
    core.set_setting("plex_url", fake.url)
    core.set_setting("plex_token", fake.token)
    core.set_setting("library_id", fake.music_section_id)


def rows(core: PlexBooksCore) -> dict[str, LibraryItem]:
    """Every mirrored album by rating key."""
    with core.session() as session:
        return {row.rating_key: row for row in session.scalars(select(LibraryItem))}


def count(core: PlexBooksCore) -> int:
    with core.session() as session:
        return repo.count_library(session)


def run_row(core: PlexBooksCore, run_id: int) -> Any:
    with core.session() as session:
        return repo.get_scan_run(session, run_id)


@pytest.fixture
def available_signals() -> Iterator[list[dict[str, Any]]]:
    """Collect request_available signals sent during the test."""
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append({"sender": sender, **kwargs})

    signals.request_available.connect(receiver)
    yield received
    signals.request_available.disconnect(receiver)


# ------------------------------------------------------------------ full scan


def test_first_scan_mirrors_the_library(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    summary = run_scan(plex_core, "full", triggered_by="test")
    assert summary["total"] == 40 and summary["new"] == 40
    assert (summary["updated"], summary["removed"], summary["matched"], summary["skipped"]) == (0, 0, 0, 0)
    assert summary["warning"] is None
    mirrored = rows(plex_core)
    assert len(mirrored) == 40
    assert all(row.section_id == str(fake_plex.music_section_id) for row in mirrored.values())
    assert all(row.last_seen_scan == summary["run_id"] for row in mirrored.values())
    run = run_row(plex_core, summary["run_id"])
    assert run.status == "succeeded" and run.triggered_by == "test"
    assert (run.progress_done, run.progress_total) == (40, 40)
    assert run.summary["new"] == 40
    with plex_core.session() as session:
        assert repo.lease_holder(session, scanner.SCAN_LEASE) is None
        assert repo.library_version(session) >= 1


def test_rescan_without_changes_rewrites_nothing(plex_core: PlexBooksCore) -> None:
    first = run_scan(plex_core, "full")
    before = {key: (row.row_updated_at, row.title, row.guid) for key, row in rows(plex_core).items()}
    with plex_core.session() as session:
        version = repo.library_version(session)
    summary = run_scan(plex_core, "full")
    assert (summary["total"], summary["new"], summary["updated"], summary["removed"]) == (40, 0, 0, 0)
    after = rows(plex_core)
    assert {key: (row.row_updated_at, row.title, row.guid) for key, row in after.items()} == before
    # Not even the bookkeeping: removals are found from the keys the scan saw, in memory.
    assert all(row.last_seen_scan == first["run_id"] for row in after.values())
    with plex_core.session() as session:
        assert repo.library_version(session) == version  # nothing changed: the index is kept


def test_added_changed_rematched_and_removed_items(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    run_scan(plex_core, "full")
    keys = sorted(rows(plex_core), key=int)
    local_key = fake_plex.add_album(
        "The Quiet Orchard", "Maren Holt", guid="local://99001", added_at=BASE_TIME
    )
    run_scan(plex_core, "full")
    assert rows(plex_core)[str(local_key)].guid == "local://99001"

    changed, removed = keys[0], keys[1]
    added = fake_plex.add_album("A Wholly New Book", "Ivo Brandt", added_at=BASE_TIME + 10)
    fake_plex.update_album(changed, title="Retitled Edition")
    fake_plex.update_album(local_key, guid="plex://album/5d07bcb0403c6402904a5c6a")  # Plex matched it
    fake_plex.remove_album(removed)
    summary = run_scan(plex_core, "full")
    assert (summary["new"], summary["updated"], summary["removed"]) == (1, 2, 1)
    assert summary["total"] == 41
    mirrored = rows(plex_core)
    assert str(added) in mirrored and removed not in mirrored
    assert mirrored[changed].title == "Retitled Edition"
    rematched = mirrored[str(local_key)]
    assert rematched.guid == "plex://album/5d07bcb0403c6402904a5c6a"  # same row, guid followed
    assert rematched.title == "The Quiet Orchard"


def test_shrunken_library_is_held_back_until_confirmed(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    run_scan(plex_core, "full")
    keys = sorted(rows(plex_core), key=int)
    for key in keys[:25]:  # 25 of 40 gone: more than half
        fake_plex.remove_album(key)
    summary = run_scan(plex_core, "full")
    assert summary["removed"] == 0 and summary["total"] == 15
    assert "25 of 40" in summary["warning"]
    run = run_row(plex_core, summary["run_id"])
    assert run.status == "succeeded" and run.warning == summary["warning"]
    assert count(plex_core) == 40
    pending = scanner.pending_removal(plex_core)
    assert pending is not None and pending["run_id"] == summary["run_id"] and pending["count"] == 25

    # A recently-added poll in between does not make the confirmation remove what it saw.
    fresh = fake_plex.add_album("Arrived Meanwhile", "Noor Vance", added_at=BASE_TIME + 100)
    run_scan(plex_core, "recent")
    assert confirm_pending_removal(plex_core) == 25
    remaining = rows(plex_core)
    assert len(remaining) == 16 and str(fresh) in remaining
    assert not set(keys[:25]) & set(remaining)
    assert scanner.pending_removal(plex_core) is None
    assert confirm_pending_removal(plex_core) == 0


def test_a_missing_album_is_removed_only_after_plex_answers_404(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    run_scan(plex_core, "full")
    key = sorted(rows(plex_core), key=int)[5]
    fake_plex.remove_album(key)
    fake_plex.set_fault(500, on_path=f"/library/metadata/{key}")
    summary = run_scan(plex_core, "full")
    assert summary["removed"] == 0 and key in rows(plex_core)
    assert "kept" in (summary["warning"] or "")
    fake_plex.clear_faults()
    fake_plex.request_log.clear()
    summary = run_scan(plex_core, "full")
    assert summary["removed"] == 1 and key not in rows(plex_core)
    asked = fake_plex.requests_to(f"/library/metadata/{key}")
    assert len(asked) == 1  # asked once, answered 404 (the album is gone)


def test_empty_library_removes_nothing_unless_confirmed(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    run_scan(plex_core, "full")
    for key in list(rows(plex_core)):
        fake_plex.remove_album(key)
    summary = run_scan(plex_core, "full")
    assert summary["total"] == 0 and summary["removed"] == 0
    assert "no albums" in summary["warning"]
    assert count(plex_core) == 40
    confirmed = run_scan(plex_core, "full", confirm_removal=True)
    assert confirmed["removed"] == 40 and confirmed["warning"] is None
    assert count(plex_core) == 0
    assert scanner.pending_removal(plex_core) is None


def test_plex_failure_on_page_three_fails_the_run_and_removes_nothing(
    core: PlexBooksCore, fake_plex_factory: FakePlexFactory
) -> None:
    fake = fake_plex_factory(items=1500, seed=2)
    configure_core(core, fake)
    first = run_scan(core, "full")
    assert first["total"] == 1500
    keys = sorted(rows(core), key=int)
    for key in keys[:10]:
        fake.remove_album(key)
    fake.set_fault("500", on_path="/library/sections/*/all", on_page=2)  # the third page of 500
    with pytest.raises(ScanFailed) as caught:
        run_scan(core, "full")
    message = str(caught.value)
    assert "500" in message and fake.token not in message
    run = run_row(core, caught.value.run_id)
    assert run.status == "failed" and run.error == message and run.finished_at is not None
    # The two pages stored before the failure, but for the albums of that rescan's light listing
    # still waiting to have their records fetched by key (fewer than one request's worth).
    assert 1000 - KEYS_PER_REQUEST < run.progress_done <= 1000
    assert count(core) == 1500  # nothing removed after a partial scan
    with core.session() as session:
        assert repo.lease_holder(session, scanner.SCAN_LEASE) is None

    fake.clear_faults()
    summary = run_scan(core, "full")
    assert summary["removed"] == 10 and summary["total"] == 1490
    assert count(core) == 1490


def test_one_bad_album_is_skipped_and_the_rest_stored(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    # A duration no 64-bit column holds: the batch insert fails, row-by-row isolates the culprit.
    bad = fake_plex.add_album("An Impossibly Long Book", "Edda Lorne", duration=2**70, added_at=BASE_TIME)
    summary = run_scan(plex_core, "full")
    assert summary["skipped"] == 1 and summary["new"] == 40 and summary["total"] == 41
    mirrored = rows(plex_core)
    assert len(mirrored) == 40 and str(bad) not in mirrored
    assert run_row(plex_core, summary["run_id"]).status == "succeeded"


def test_existing_row_that_cannot_be_rewritten_is_kept(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    run_scan(plex_core, "full")
    key = sorted(rows(plex_core), key=int)[0]
    old_title = rows(plex_core)[key].title
    fake_plex.update_album(key, duration=2**70, title="Broken Now")
    summary = run_scan(plex_core, "full")
    assert summary["skipped"] == 1 and summary["removed"] == 0
    assert rows(plex_core)[key].title == old_title  # kept as it was, not deleted as unseen


def test_rows_of_a_previous_section_are_dropped_once_confirmed(plex_core: PlexBooksCore) -> None:
    with plex_core.session() as session:
        repo.upsert_library_page(session, "999", [PlexAudiobook("1", "local://1", "Old Library Book")], None)
    summary = run_scan(plex_core, "full")
    assert summary["removed"] == 0 and "no longer selected (999)" in summary["warning"]
    assert any(row.section_id == "999" for row in rows(plex_core).values())  # held back like a shrink
    assert confirm_pending_removal(plex_core) == 1
    assert all(row.section_id != "999" for row in rows(plex_core).values())


def test_unconfigured_scan_raises_config_error_and_records_nothing(core: PlexBooksCore) -> None:
    with pytest.raises(ConfigError):
        run_scan(core, "full")
    with core.session() as session:
        assert repo.recent_scan_runs(session) == []


def test_unreachable_plex_fails_with_one_clear_line(core: PlexBooksCore) -> None:
    core.set_setting("plex_url", "http://127.0.0.1:9")  # nothing listens on the discard port
    core.set_setting("plex_token", "secret-token-abcdef")
    core.set_setting("library_id", "1")
    with pytest.raises(ScanFailed) as caught:
        run_scan(core, "full")
    assert "\n" not in str(caught.value) and "secret-token-abcdef" not in str(caught.value)
    assert run_row(core, caught.value.run_id).status == "failed"


# ------------------------------------------------------------------ one scan at a time


def test_two_scans_at_once_one_runs_the_other_gets_its_id(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    fake_plex.set_fault("latency", delay=0.3, on_path="/library/sections/*/all", count=1)
    run_id = start_scan(plex_core, "full", triggered_by="test")
    with pytest.raises(ScanRunning) as caught:
        start_scan(plex_core, "recent")
    assert caught.value.run_id == run_id
    with pytest.raises(ScanRunning):
        run_scan(plex_core, "full")
    assert wait_for_scan(plex_core, run_id, timeout=10)
    assert run_row(plex_core, run_id).status == "succeeded"
    assert run_scan(plex_core, "recent")["run_id"] > run_id  # the lease is free again


def test_concurrent_threads_and_processes_share_one_lease(
    plex_core: PlexBooksCore, fake_plex: FakePlex, database_url: str, box: Any
) -> None:
    from plexbooks_plugin.db import Database

    other = PlexBooksCore(Database(database_url), box)  # a second process, as far as leases go
    fake_plex.set_fault("latency", delay=0.3, on_path="/library/sections/*/all", count=1)
    barrier = threading.Barrier(3)
    outcomes: list[Any] = []

    def scan(target: PlexBooksCore) -> None:
        barrier.wait()
        try:
            outcomes.append(run_scan(target, "full"))
        except ScanRunning as err:
            outcomes.append(err)

    threads = [threading.Thread(target=scan, args=(c,)) for c in (plex_core, plex_core, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    other.db.dispose()
    summaries = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, ScanRunning)]
    assert len(summaries) == 1 and len(refused) == 2
    assert all(err.run_id == summaries[0]["run_id"] for err in refused)


def test_runs_abandoned_by_a_dead_process_are_failed(plex_core: PlexBooksCore) -> None:
    clock = plex_core.clock = FakeClock()
    with plex_core.session() as session:
        assert repo.acquire_lease(session, scanner.SCAN_LEASE, "dead:1:scan", timedelta(minutes=1), clock())
        stale = repo.start_scan_run(session, "full", "dead")
    with pytest.raises(ScanRunning) as caught:
        run_scan(plex_core, "full")
    assert caught.value.run_id == stale.id
    clock.advance(timedelta(minutes=2))  # the dead holder's lease expires
    summary = run_scan(plex_core, "full")
    assert summary["total"] == 40
    assert run_row(plex_core, stale.id).status == "failed"


def test_the_lease_is_renewed_while_scanning(
    plex_core: PlexBooksCore, fake_plex: FakePlex, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = plex_core.clock = FakeClock()
    started = clock()
    monkeypatch.setattr(scanning_job, "CHECKPOINT_INTERVAL", 0)  # every page is stored and renews the lease
    renewed_later = threading.Event()
    real_renew = repo.renew_lease

    def renew(session: Any, name: str, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
        held = real_renew(session, name, holder, ttl, now)
        if held and now is not None and now >= started + timedelta(seconds=45):
            renewed_later.set()
        return held

    monkeypatch.setattr(repo, "renew_lease", renew)
    listing = "/library/sections/*/all"
    second, third = threading.Event(), threading.Event()
    hold_second = fake_plex.set_fault("hold", on_path=listing, on_page=1, count=1, gate=second)
    fake_plex.set_fault("hold", on_path=listing, on_page=2, count=1, gate=third)
    run_id = start_scan(plex_core, "full", page_size=10, lease_ttl=timedelta(minutes=1))  # expires at +60 s
    try:
        assert hold_second.entered.wait(10)
        clock.advance(timedelta(seconds=45))
        second.set()  # the second page is stored (renewing the lease) at +45 s, while the third is held
        assert renewed_later.wait(10)
        clock.advance(timedelta(seconds=45))  # +90 s: past the first expiry, only the renewal keeps the lease
        with pytest.raises(ScanRunning) as caught:
            run_scan(plex_core, "full")
        assert caught.value.run_id == run_id
    finally:
        second.set()
        third.set()
    assert wait_for_scan(plex_core, run_id, timeout=10)
    assert run_row(plex_core, run_id).status == "succeeded"


def test_progress_and_lease_are_written_at_most_every_interval(
    plex_core: PlexBooksCore, fake_plex: FakePlex, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = repo.update_scan_progress

    def counting(session: Any, run_id: int, done: int, total: int | None) -> None:
        calls.append(done)
        real(session, run_id, done, total)

    monkeypatch.setattr(repo, "update_scan_progress", counting)
    for album in fake_plex.albums():  # every album dated: the rescan's light listing fetches none by key
        if not album.updated_at:
            fake_plex.update_album(album.rating_key)
    summary = run_scan(plex_core, "full", page_size=10)  # 4 pages within far less than a second
    assert calls == [40]  # only the final checkpoint
    assert (run_row(plex_core, summary["run_id"]).progress_done, summary["total"]) == (40, 40)
    calls.clear()
    monkeypatch.setattr(scanning_job, "CHECKPOINT_INTERVAL", 0)
    run_scan(plex_core, "full", page_size=10)
    assert calls == [10, 20, 30, 40, 40]  # every page, then the end


def test_a_scan_that_lost_its_lease_stops(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    clock = plex_core.clock = FakeClock()
    gate = threading.Event()
    hold = fake_plex.set_fault("hold", on_path="/library/sections/*/all", on_page=0, count=1, gate=gate)
    run_id = start_scan(plex_core, "full", page_size=10, lease_ttl=timedelta(minutes=1))
    try:
        assert hold.entered.wait(10)
        clock.advance(timedelta(minutes=2))  # the scan stalls on its first page longer than its lease
        with plex_core.session() as session:
            assert repo.acquire_lease(session, scanner.SCAN_LEASE, "other:1:scan", timedelta(minutes=5), clock())
    finally:
        gate.set()
    assert wait_for_scan(plex_core, run_id, timeout=10)
    run = run_row(plex_core, run_id)
    assert run.status == "failed" and "lost its lock" in run.error
    with plex_core.session() as session:
        assert repo.lease_holder(session, scanner.SCAN_LEASE, clock()) == "other:1:scan"  # not released by the loser


# ------------------------------------------------------------------ recently added


def test_thirty_books_added_between_polls_are_all_found(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    run_scan(plex_core, "full")
    assert run_scan(plex_core, "recent")["new"] == 0
    added = [
        str(fake_plex.add_album(f"Freshly Added Volume {n}", f"Author Number {n}", added_at=BASE_TIME + n))
        for n in range(30)
    ]
    summary = run_scan(plex_core, "recent")
    assert summary["new"] == 30 and summary["removed"] == 0
    assert set(added) <= set(rows(plex_core))
    assert run_scan(plex_core, "recent")["new"] == 0


def test_poll_with_nothing_new_makes_one_request_per_filter(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    run_scan(plex_core, "full")
    run_scan(plex_core, "recent")
    fake_plex.request_log.clear()
    summary = run_scan(plex_core, "recent")
    assert summary["new"] == 0 and summary["updated"] == 0
    # One addedAt>>= and one updatedAt>>= query (Plex ANDs the filters of one query).
    assert len(fake_plex.request_log) == 2
    queries = [r.query for r in fake_plex.request_log]
    assert "addedAt%3E%3E=" in queries[0] and "updatedAt%3E%3E=" in queries[1]
    assert "addedAt%3C%3C=" in queries[1]  # corrections only: what the first query returned is not read twice


def test_an_import_sharing_one_second_costs_few_requests_and_then_one(
    plex_core: PlexBooksCore, fake_plex: FakePlex
) -> None:
    run_scan(plex_core, "full")
    run_scan(plex_core, "recent")
    added = {str(fake_plex.add_album(f"Imported Volume {n}", f"Author {n}", added_at=BASE_TIME)) for n in range(30)}
    fake_plex.request_log.clear()
    summary = run_scan(plex_core, "recent")
    assert summary["new"] == 30 and added <= set(rows(plex_core))
    assert len(fake_plex.request_log) == 2  # one page of each filtered query holds all 30
    fake_plex.request_log.clear()
    summary = run_scan(plex_core, "recent")  # the newest books share the watermark's second
    assert summary["new"] == 0 and summary["updated"] == 0
    assert len(fake_plex.request_log) == 2
    # A book arriving later within the watermark's second is still found.
    late = str(fake_plex.add_album("Late In The Same Second", "Tova Linde", added_at=BASE_TIME))
    assert run_scan(plex_core, "recent")["new"] == 1 and late in rows(plex_core)


def test_an_import_of_many_pages_is_mirrored_by_the_next_poll(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    run_scan(plex_core, "full")
    run_scan(plex_core, "recent")
    added = {
        str(fake_plex.add_album(f"Bulk Import Volume {n}", f"Author {n}", added_at=BASE_TIME + n % 7))
        for n in range(450)
    }
    fake_plex.request_log.clear()
    summary = run_scan(plex_core, "recent")
    assert summary["new"] == 450 and added <= set(rows(plex_core)) and summary["warning"] is None
    assert len(fake_plex.request_log) == 4  # 3 pages of addedAt, 1 (empty) of updatedAt
    assert run_scan(plex_core, "recent")["new"] == 0


def test_a_corrected_title_reaches_the_mirror_at_the_next_poll(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    run_scan(plex_core, "full")
    run_scan(plex_core, "recent")
    key = sorted(rows(plex_core), key=int)[3]
    fake_plex.update_album(key, title="The Corrected Title")
    summary = run_scan(plex_core, "recent")
    assert summary["updated"] == 1 and summary["new"] == 0
    assert rows(plex_core)[key].title == "The Corrected Title"
    assert run_scan(plex_core, "recent")["updated"] == 0


def test_first_poll_without_watermark_reads_one_page(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    summary = run_scan(plex_core, "recent")  # nothing mirrored, no watermark yet
    assert summary["new"] == 10 and len(fake_plex.request_log) == 1
    fresh = fake_plex.add_album("After The Watermark", "Tova Linde", added_at=BASE_TIME)
    assert run_scan(plex_core, "recent")["new"] == 1
    assert str(fresh) in rows(plex_core)


def test_recent_poll_changes_nothing_else_and_removes_nothing(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    run_scan(plex_core, "full")
    fake_plex.remove_album(sorted(rows(plex_core), key=int)[0])
    assert run_scan(plex_core, "recent")["removed"] == 0
    assert count(plex_core) == 40


# ------------------------------------------------------------------ downloaded -> available


def downloaded(core: PlexBooksCore, request_id: str, title: str, author: str) -> None:
    with core.session() as session:
        repo.mark_downloaded(session, host_request_id=request_id, title=title, author=author, path="/x")


def request_status(core: PlexBooksCore, request_id: str) -> Any:
    with core.session() as session:
        return repo.get_request(session, request_id)


@pytest.mark.parametrize("kind", ["full", "recent"])
def test_downloaded_request_becomes_available(
    plex_core: PlexBooksCore, fake_plex: FakePlex, available_signals: list[dict[str, Any]], kind: str
) -> None:
    run_scan(plex_core, "full")
    downloaded(plex_core, "host-42", "The Lantern Keeper's Daughter (Unabridged)", "Ottoline Marsh")
    downloaded(plex_core, "host-43", "A Book Nobody Has", "Nobody At All")
    assert run_scan(plex_core, kind)["matched"] == 0  # Plex does not have it yet
    key = fake_plex.add_album("The Lantern Keeper's Daughter", "Ottoline Marsh", added_at=BASE_TIME)
    summary = run_scan(plex_core, kind)
    assert summary["matched"] == 1
    request = request_status(plex_core, "host-42")
    assert request.status == "available" and request.plex_rating_key == str(key)
    assert request.plex_guid and request.match_score >= 0.70
    assert request_status(plex_core, "host-43").status == "downloaded"
    assert [(s["request_id"], s["rating_key"], s["sender"]) for s in available_signals] == [
        ("host-42", str(key), plex_core)
    ]
    assert run_scan(plex_core, kind)["matched"] == 0  # exactly once
    assert len(available_signals) == 1


def test_a_failing_signal_receiver_does_not_fail_the_scan(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    def broken(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("receiver broke")

    signals.request_available.connect(broken)
    try:
        fake_plex.add_album("Signal Test Book", "Rhea Castell", added_at=BASE_TIME)
        downloaded(plex_core, "host-7", "Signal Test Book", "Rhea Castell")
        summary = run_scan(plex_core, "full")
    finally:
        signals.request_available.disconnect(broken)
    assert summary["matched"] == 1
    assert request_status(plex_core, "host-7").status == "available"


# ------------------------------------------------------------------ the CLI runs the same code path


def test_cli_scan_prints_the_summary_and_fails_in_one_line(
    plex_core: PlexBooksCore, fake_plex: FakePlex, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from click.testing import CliRunner

    from plexbooks_plugin.cli import main

    from .conftest import TEST_SECRET

    monkeypatch.setenv("PLEXBOOKS_SECRET_KEY", TEST_SECRET)  # the key the test core encrypted the token with
    runner = CliRunner()
    result = runner.invoke(main, ["scan", "--database-url", database_url])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["total"] == 40 and summary["new"] == 40
    assert run_row(plex_core, summary["run_id"]).triggered_by == "cli"

    fake_plex.set_fault("503", on_path="/library/sections/*/all")
    result = runner.invoke(main, ["scan", "--recent", "--database-url", database_url])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("plexbooks: error: ") and "503" in lines[0]
