"""Realtime detection: the listener's decisions (pure, with a clock) and the listener against the emulator."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.crypto import SecretBox
from plexbooks_plugin.db import Database
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.realtime import ask_to_reconnect, decisions, listener, read_status
from plexbooks_plugin.realtime.decisions import AlbumEvent, PendingAlbums, album_events, backoff_delay, websocket_url
from plexbooks_plugin.scanning import run_scan
from plexbooks_plugin.scheduler import JobSpec, PlexBooksScheduler

from .reliability.helpers import wait_until

pytest_plugins = ["tests.fakeplex_fixtures"]

TTL = timedelta(seconds=1)




# ------------------------------------------------------------------ decisions


def timeline(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"NotificationContainer": {"type": "timeline", "size": len(entries), "TimelineEntry": list(entries)}}


def entry(key: int, state: int, kind: int = 9, section: str = "4", **extra: Any) -> dict[str, Any]:
    return {"identifier": "com.plexapp.plugins.library", "sectionID": section, "itemID": str(key),
            "type": kind, "state": state, **extra}


def test_only_album_entries_of_selected_libraries_matter() -> None:
    message = timeline(entry(1, 5), entry(2, 5, kind=10), entry(3, 5, kind=8), entry(4, 5, section="9"),
                       entry(5, 9), {"type": 9, "state": "x"}, entry(6, 0, identifier="com.plexapp.system"))
    assert album_events(message, {"4"}) == [AlbumEvent("4", "1", 5), AlbumEvent("4", "5", 9)]
    assert album_events({"NotificationContainer": {"type": "activity"}}, {"4"}) == []
    assert album_events(["not", "a", "mapping"], {"4"}) == []


def test_a_burst_is_fetched_in_a_few_batches() -> None:
    pending = PendingAlbums()
    batches: list[dict[str, str]] = []
    now = 100.0
    for n in range(300):  # a bulk import: 300 processed entries, 10 ms apart (3 s)
        now = 100.0 + n * 0.01
        pending.add(AlbumEvent("4", str(n), 5), now)
        if batch := pending.due(now):
            batches.append(batch.fetch)
    batches.append(pending.due(now + decisions.DEBOUNCE_SECONDS).fetch)  # the rest, once quiet
    assert len(batches) <= 3 / decisions.MAX_WAIT_SECONDS + 2
    assert sum(len(b) for b in batches) == 300 and len(pending) == 0


def test_debounce_and_max_wait() -> None:
    pending = PendingAlbums()
    pending.add(AlbumEvent("4", "1", 5), 10.0)
    pending.add(AlbumEvent("4", "2", 1), 10.0 + decisions.DEBOUNCE_SECONDS * 0.9)  # progress of another album
    assert not pending.due(10.0 + decisions.DEBOUNCE_SECONDS / 2)  # still within the debounce window
    assert pending.next_due_in(10.0 + decisions.DEBOUNCE_SECONDS / 2) == pytest.approx(decisions.DEBOUNCE_SECONDS / 2)
    assert pending.due(10.0 + decisions.DEBOUNCE_SECONDS).fetch == {"1": "4"}  # the progress entry did not delay it
    assert not pending.due(11.0).fetch  # album 2 only progressed: it waits for its quiet period
    assert pending.due(10.0 + decisions.QUIET_SECONDS + 1).fetch == {"2": "4"}
    assert pending.next_due_in(20.0) is None
    # A steady stream never goes quiet: the oldest is fetched after MAX_WAIT.
    step = decisions.DEBOUNCE_SECONDS / 2
    for n in range(100):
        pending.add(AlbumEvent("4", str(100 + n), 5), 20.0 + n * step)
        batch = pending.due(20.0 + n * step)
        if batch:
            assert n * step >= decisions.MAX_WAIT_SECONDS
            assert len(batch.fetch) == n + 1
            break
    else:
        pytest.fail("a steady stream was never fetched")


def test_an_album_that_never_reaches_processed_is_fetched_after_a_quiet_period() -> None:
    pending = PendingAlbums()
    pending.add(AlbumEvent("4", "7", 0), 50.0)
    pending.add(AlbumEvent("4", "7", 1), 50.2)
    assert not pending.due(50.2 + decisions.QUIET_SECONDS - 0.1)
    assert pending.due(50.2 + decisions.QUIET_SECONDS).fetch == {"7": "4"}
    # A processed entry supersedes the quiet wait; a delete supersedes both.
    pending.add(AlbumEvent("4", "8", 0), 60.0)
    pending.add(AlbumEvent("4", "8", 5), 60.1)
    pending.add(AlbumEvent("4", "9", 5), 60.1)
    pending.add(AlbumEvent("4", "9", 9), 60.2)
    batch = pending.due(61.0)
    assert batch.fetch == {"8": "4"} and batch.check_deleted == {"9": "4"} and len(pending) == 0


def test_backoff_doubles_up_to_thirty_seconds() -> None:
    assert [backoff_delay(n) for n in range(8)] == [0, 1, 2, 4, 8, 16, 30, 30]
    assert backoff_delay(10_000) == 30


def test_websocket_url_never_holds_the_token() -> None:
    assert websocket_url("http://10.0.0.2:32400/") == "ws://10.0.0.2:32400/:/websockets/notifications"
    assert websocket_url("https://plex.example") == "wss://plex.example/:/websockets/notifications"
    with pytest.raises(ValueError):
        websocket_url("ftp://x")


# ------------------------------------------------------------------ against the emulator


@pytest.fixture
def started() -> Iterator[list[PlexBooksScheduler]]:
    made: list[PlexBooksScheduler] = []
    yield made
    for sched in made:
        sched.stop(timeout=5)


def listening(core: PlexBooksCore, started: list[PlexBooksScheduler], jobs: list[JobSpec] | None = None,
              ) -> PlexBooksScheduler:
    """A leader scheduler with no periodic jobs (unless given): only the listener notices changes."""
    sched = PlexBooksScheduler(core, tick_seconds=0.05, leader_ttl=TTL, jobs=jobs or [])
    started.append(sched)
    return sched.start()


def downloaded(core: PlexBooksCore, request_id: str, title: str, author: str) -> None:
    with core.session() as session:
        repo.mark_downloaded(session, host_request_id=request_id, title=title, author=author, path="/x")


def status_of(core: PlexBooksCore, request_id: str) -> str | None:
    with core.session() as session:
        request = repo.get_request(session, request_id)
        return request.status if request else None


def mirrored(core: PlexBooksCore, key: str) -> bool:
    with core.session() as session:
        return repo.get_library_item(session, key) is not None


def caught_up(core: PlexBooksCore) -> bool:
    """Whether the listener's catch-up poll after connecting has finished."""
    with core.session() as session:
        runs = repo.recent_scan_runs(session)
    return any(r.triggered_by == "realtime" and r.status == "succeeded" for r in runs)


def test_with_polling_off_an_added_book_is_available_within_ten_seconds(
    plex_core: PlexBooksCore, fake_plex: FakePlex, started: list[PlexBooksScheduler]
) -> None:
    plex_core.set_setting("recent_scan_minutes", "0")
    run_scan(plex_core, "full")
    listening(plex_core, started)
    assert fake_plex.wait_for_websocket_clients(1, timeout=10)
    assert wait_until(lambda: (read_status(plex_core) or {}).get("state") == "connected")
    assert wait_until(lambda: caught_up(plex_core))
    fake_plex.clear_log()
    downloaded(plex_core, "req-1", "The Lantern Keeper", "Mira Okafor")
    added = time.monotonic()
    key = str(fake_plex.add_album("The Lantern Keeper", "Mira Okafor"))
    assert wait_until(lambda: status_of(plex_core, "req-1") == "available", timeout=10)
    assert time.monotonic() - added < 10 and mirrored(plex_core, key)
    # Fetched by key, not by a listing.
    assert fake_plex.requests_to(f"/library/metadata/{key}")
    assert not fake_plex.requests_to("/library/sections/*")
    assert wait_until(lambda: (read_status(plex_core) or {}).get("events", 0) >= 1, timeout=5)
    status = read_status(plex_core) or {}
    assert status["since"] and status["last_event_at"] and fake_plex.token not in str(status)


def test_a_dropped_websocket_reconnects_and_catches_up(
    plex_core: PlexBooksCore, fake_plex: FakePlex, started: list[PlexBooksScheduler]
) -> None:
    plex_core.set_setting("recent_scan_minutes", "0")
    run_scan(plex_core, "full")
    run_scan(plex_core, "recent")  # the watermarks the catch-up starts from
    listening(plex_core, started)
    assert fake_plex.wait_for_websocket_clients(1, timeout=10)
    fake_plex.reject_websockets(status=503)
    fake_plex.drop_websockets()
    assert fake_plex.wait_for_websocket_clients(0, timeout=5)
    assert wait_until(lambda: (read_status(plex_core) or {}).get("state") == "refused", timeout=10)
    downloaded(plex_core, "req-2", "While We Were Away", "Tova Linde")
    key = str(fake_plex.add_album("While We Were Away", "Tova Linde"))  # nobody hears it
    fake_plex.finish_processing()
    fake_plex.reject_websockets(status=None)
    assert fake_plex.wait_for_websocket_clients(1, timeout=35)
    assert wait_until(lambda: status_of(plex_core, "req-2") == "available", timeout=10)
    assert mirrored(plex_core, key)


def test_a_refused_websocket_leaves_polling_working(
    plex_core: PlexBooksCore, fake_plex: FakePlex, started: list[PlexBooksScheduler]
) -> None:
    fake_plex.reject_websockets(status=403)
    run_scan(plex_core, "full")
    run_scan(plex_core, "recent")
    poll = JobSpec("recent_scan", lambda c: run_scan(c, "recent", triggered_by="scheduler"), lambda _c: 0.3)
    listening(plex_core, started, jobs=[poll])
    assert wait_until(lambda: (read_status(plex_core) or {}).get("state") == "refused")
    assert "403" in (read_status(plex_core) or {}).get("error", "")
    downloaded(plex_core, "req-3", "Polling Still Works", "Ada Brand")
    fake_plex.add_album("Polling Still Works", "Ada Brand")
    assert wait_until(lambda: status_of(plex_core, "req-3") == "available", timeout=10)
    assert fake_plex.websocket_clients == 0


def test_a_deleted_album_disappears_only_after_a_404(
    plex_core: PlexBooksCore, fake_plex: FakePlex, started: list[PlexBooksScheduler]
) -> None:
    plex_core.set_setting("recent_scan_minutes", "0")
    run_scan(plex_core, "full")
    keys = sorted((str(a.rating_key) for a in fake_plex.albums()), key=int)
    kept, gone = keys[0], keys[1]
    sched = listening(plex_core, started)
    assert fake_plex.wait_for_websocket_clients(1, timeout=10)
    fake_plex.set_fault(500, on_path=f"/library/metadata/{kept}")
    fake_plex.remove_album(kept)
    assert wait_until(lambda: bool(fake_plex.requests_to(f"/library/metadata/{kept}")), timeout=10)
    assert sched.listener is not None
    batches = sched.listener.applied_batches
    assert wait_until(lambda: sched.listener is not None and sched.listener.applied_batches > batches, timeout=10)
    assert mirrored(plex_core, kept)  # Plex answered 500, not 404: the row stays
    fake_plex.clear_faults()
    fake_plex.remove_album(gone)
    assert wait_until(lambda: not mirrored(plex_core, gone), timeout=10)
    assert mirrored(plex_core, kept)


def test_an_album_of_a_library_without_an_agent_is_fetched_after_a_quiet_period(
    plex_core: PlexBooksCore, fake_plex: FakePlex, started: list[PlexBooksScheduler], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(decisions, "QUIET_SECONDS", 1.0)
    plex_core.set_setting("recent_scan_minutes", "0")
    run_scan(plex_core, "full")
    fake_plex.never_process(True)
    listening(plex_core, started)
    assert fake_plex.wait_for_websocket_clients(1, timeout=10)
    downloaded(plex_core, "req-4", "No Agent Here", "Ines Varga")
    fake_plex.add_album("No Agent Here", "Ines Varga")
    assert wait_until(lambda: status_of(plex_core, "req-4") == "available", timeout=10)


def test_only_the_leader_of_two_workers_holds_the_websocket(
    plex_core: PlexBooksCore, fake_plex: FakePlex, database_url: str, box: SecretBox,
    started: list[PlexBooksScheduler],
) -> None:
    other = PlexBooksCore(Database(database_url), box)  # a second worker process on the same database
    try:
        first = listening(plex_core, started)
        assert wait_until(lambda: first.is_leader)
        second = listening(other, started)
        assert fake_plex.wait_for_websocket_clients(1, timeout=10)
        for _ in range(3):
            second.tick()  # as a follower: it must not start a listener
        assert fake_plex.websocket_clients == 1 and not second.is_leader
        assert second.listener is not None and not second.listener.running
        first.stop()
        assert wait_until(lambda: second.is_leader, timeout=5)
        assert wait_until(lambda: second.listener is not None and second.listener.running, timeout=5)
        assert fake_plex.wait_for_websocket_clients(1, timeout=10)
        assert wait_until(lambda: (read_status(plex_core) or {}).get("holder") == other.holder_id
                          and (read_status(plex_core) or {}).get("state") == "connected")
    finally:
        for sched in started:
            sched.stop(timeout=5)
        other.db.dispose()


def test_realtime_off_holds_no_websocket(
    plex_core: PlexBooksCore, fake_plex: FakePlex, started: list[PlexBooksScheduler]
) -> None:
    plex_core.set_setting("realtime", "false")
    sched = listening(plex_core, started)
    assert wait_until(lambda: (read_status(plex_core) or {}).get("state") == "off")
    assert fake_plex.websocket_clients == 0 and sched.is_leader


def test_the_token_never_reaches_the_logs_even_at_debug(
    plex_core: PlexBooksCore, fake_plex: FakePlex, started: list[PlexBooksScheduler], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    listening(plex_core, started)
    assert fake_plex.wait_for_websocket_clients(1, timeout=10)
    assert wait_until(lambda: caught_up(plex_core))
    fake_plex.drop_websockets()
    assert fake_plex.wait_for_websocket_clients(1, timeout=10)  # a reconnect logs its handshake again
    # The emulator's own server side (websockets.server) is not plexbooks: everything else is checked.
    ours = [r for r in caplog.records if not r.name.startswith("websockets.server")]
    handshake = [r.getMessage() for r in ours if r.name == "plexbooks.realtime.websocket"]
    assert any("X-Plex-Token" in line for line in handshake)  # the client logged its headers, masked
    assert fake_plex.token not in "\n".join(r.getMessage() for r in ours)


def test_reconnect_now_cuts_the_backoff_short_and_catches_up(
    plex_core: PlexBooksCore, fake_plex: FakePlex, started: list[PlexBooksScheduler], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(decisions, "BACKOFF_FIRST_SECONDS", 30.0)  # every retry would wait the longest
    monkeypatch.setattr(listener, "CONFIG_CHECK_SECONDS", 0.2)
    plex_core.set_setting("recent_scan_minutes", "0")
    fake_plex.reject_websockets(status=503)
    listening(plex_core, started)
    assert wait_until(lambda: (read_status(plex_core) or {}).get("state") == "refused")
    assert (read_status(plex_core) or {})["retry_in"] == 30 and (read_status(plex_core) or {})["retry_at"]
    fake_plex.reject_websockets(status=None)
    asked = time.monotonic()
    ask_to_reconnect(plex_core)  # what the jobs panel's "Reconnect now" does, from any process
    assert fake_plex.wait_for_websocket_clients(1, timeout=10)
    assert time.monotonic() - asked < 10  # not the 30 s the backoff said
    assert wait_until(lambda: caught_up(plex_core))
    status = read_status(plex_core) or {}
    assert status["state"] == "connected" and status.get("retry_at") is None and status["reconnects"] == 0
