"""The scheduler: its own schedule.Scheduler, jobs that fail without killing the loop, one leader."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import schedule

from plexbooks_plugin import store as repo
from plexbooks_plugin.const import SCAN_LEASE
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.crypto import SecretBox
from plexbooks_plugin.db import Database
from plexbooks_plugin.errors import ScanRunning
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.scheduler import LEADER_LEASE, JobSpec, PlexBooksScheduler

from .conftest import FakeClock
from .reliability.helpers import wait_until

pytest_plugins = ["tests.fakeplex_fixtures"]

TICK = 0.02
TTL = timedelta(seconds=0.5)


@pytest.fixture
def schedulers() -> Iterator[list[PlexBooksScheduler]]:
    """Schedulers a test starts; stopped at teardown even when the test fails."""
    made: list[PlexBooksScheduler] = []
    yield made
    for sched in made:
        sched.stop(timeout=2)


def every(seconds: float) -> Callable[[PlexBooksCore], float]:
    return lambda _core: seconds


def test_uses_its_own_schedule_instance(core: PlexBooksCore) -> None:
    sched = PlexBooksScheduler(core, tick_seconds=TICK, leader_ttl=TTL)
    sched.tick()
    assert sched.is_leader
    assert schedule.default_scheduler.jobs == []  # the module-global scheduler is never touched
    assert set(sched.intervals()) == {"full_scan", "recent_scan"}
    sched.stop()


def test_intervals_follow_settings_at_runtime(core: PlexBooksCore) -> None:
    sched = PlexBooksScheduler(core, tick_seconds=TICK, leader_ttl=TTL)
    sched.tick()
    assert sched.intervals() == {"full_scan": 6 * 3600, "recent_scan": 5 * 60}
    core.set_setting("full_scan_hours", "2")
    core.set_setting("recent_scan_minutes", "0")  # 0 turns the poll off
    sched.tick()
    assert sched.intervals() == {"full_scan": 2 * 3600}
    core.set_setting("recent_scan_minutes", "10")
    sched.tick()
    assert sched.intervals() == {"full_scan": 2 * 3600, "recent_scan": 600}
    sched.stop()


def test_default_jobs_skip_quietly_without_configuration(core: PlexBooksCore) -> None:
    sched = PlexBooksScheduler(core, tick_seconds=TICK, leader_ttl=TTL)
    assert sched.run_pending_now(all_jobs=True) == {"full_scan": True, "recent_scan": True}
    with core.session() as session:
        assert repo.recent_scan_runs(session) == []  # not configured: nothing to record
    sched.stop()


def test_a_raising_job_is_recorded_and_the_loop_goes_on(
    core: PlexBooksCore, schedulers: list[PlexBooksScheduler]
) -> None:
    calls: list[str] = []

    def boom(_core: PlexBooksCore) -> None:
        calls.append("boom")
        raise RuntimeError("boom: the job broke")

    def fine(_core: PlexBooksCore) -> None:
        calls.append("fine")

    sched = PlexBooksScheduler(
        core,
        tick_seconds=TICK,
        leader_ttl=TTL,
        jobs=[JobSpec("boom", boom, every(0.05), kind="full"), JobSpec("fine", fine, every(0.05))],
    )
    schedulers.append(sched.start())
    assert wait_until(lambda: calls.count("boom") >= 2 and calls.count("fine") >= 2)
    assert sched.running and sched.is_leader
    # A job after a failing one still ran: the failure did not end the loop or the worker.
    assert calls.index("fine", calls.index("boom")) > calls.index("boom")
    assert sched.failures["boom"] >= 2 and "fine" not in sched.failures
    with core.session() as session:
        run = repo.latest_scan_run(session, "full", "failed")
        assert run is not None and run.error == "boom: the job broke" and run.triggered_by == "scheduler"


def test_scan_running_is_not_a_failure(core: PlexBooksCore) -> None:
    def busy(_core: PlexBooksCore) -> None:
        raise ScanRunning(7)

    sched = PlexBooksScheduler(core, tick_seconds=TICK, leader_ttl=TTL, jobs=[JobSpec("busy", busy, every(60), "full")])
    assert sched.run_pending_now(all_jobs=True) == {"busy": True}
    assert sched.failures == {}
    with core.session() as session:
        assert repo.recent_scan_runs(session) == []
    sched.stop()


def test_a_job_that_found_a_scan_running_runs_once_it_ends(core: PlexBooksCore) -> None:
    calls: list[str] = []

    def job(c: PlexBooksCore) -> None:
        with c.session() as session:
            if repo.lease_holder(session, SCAN_LEASE, c.clock()) is not None:
                raise ScanRunning(3)
        calls.append("ran")

    with core.session() as session:
        assert repo.acquire_lease(session, SCAN_LEASE, "other:1:scan", timedelta(seconds=30))
    sched = PlexBooksScheduler(core, tick_seconds=TICK, leader_ttl=TTL, jobs=[JobSpec("j", job, every(3600))])
    assert sched.run_pending_now(all_jobs=True) == {"j": True} and calls == []
    assert sched.run_pending_now() == {}  # still busy: not queued again
    with core.session() as session:
        repo.release_lease(session, SCAN_LEASE, "other:1:scan")
    assert sched.run_pending_now() == {"j": True} and calls == ["ran"]
    assert sched.run_pending_now() == {}  # once, not every tick
    sched.stop()


def test_stop_is_prompt_even_with_a_long_tick(core: PlexBooksCore) -> None:
    sched = PlexBooksScheduler(core, tick_seconds=30, leader_ttl=TTL, jobs=[]).start()
    assert wait_until(lambda: sched.is_leader)
    started = time.monotonic()
    sched.stop(timeout=5)
    assert time.monotonic() - started < 1.0
    assert not sched.running and not sched.is_leader
    with core.session() as session:
        assert repo.lease_holder(session, LEADER_LEASE) is None  # handed back at once


def second_core(database_url: str, box: SecretBox) -> PlexBooksCore:
    """Another core on the same database: what a second worker process would have."""
    return PlexBooksCore(Database(database_url), box)


def test_one_leader_across_processes_and_takeover_on_stop(
    core: PlexBooksCore, database_url: str, box: SecretBox, schedulers: list[PlexBooksScheduler]
) -> None:
    runs: dict[str, int] = {"a": 0, "b": 0}
    lock = threading.Lock()

    def counter(name: str) -> Callable[[PlexBooksCore], None]:
        def job(_core: PlexBooksCore) -> None:
            with lock:
                runs[name] += 1

        return job

    other = second_core(database_url, box)
    try:
        a = PlexBooksScheduler(core, tick_seconds=TICK, leader_ttl=TTL, jobs=[JobSpec("j", counter("a"), every(0.03))])
        b = PlexBooksScheduler(other, tick_seconds=TICK, leader_ttl=TTL, jobs=[JobSpec("j", counter("b"), every(0.03))])
        schedulers.extend([a, b])
        a.start()
        assert wait_until(lambda: a.is_leader)
        b.start()
        assert wait_until(lambda: runs["a"] >= 3)
        assert a.is_leader and not b.is_leader
        assert runs["b"] == 0  # the follower never runs jobs
        a.stop()
        assert wait_until(lambda: b.is_leader, timeout=2)
        assert wait_until(lambda: runs["b"] >= 2)
        assert not a.is_leader
    finally:
        other.db.dispose()


def test_leadership_is_taken_over_when_the_leader_dies(core: PlexBooksCore) -> None:
    # A leader that died without handing back: its lease is still live for a moment.
    clock = core.clock = FakeClock()
    with core.session() as session:
        assert repo.acquire_lease(session, LEADER_LEASE, "dead-host:1:scheduler", timedelta(seconds=30), clock())
    sched = PlexBooksScheduler(core, tick_seconds=TICK, leader_ttl=TTL, jobs=[])
    sched.tick()
    assert not sched.is_leader
    clock.advance(timedelta(seconds=31))  # the dead leader's lease expires
    sched.tick()
    assert sched.is_leader
    with core.session() as session:
        assert repo.lease_holder(session, LEADER_LEASE) == sched.holder


def test_overdue_full_scan_runs_on_taking_leadership(core: PlexBooksCore) -> None:
    ran: list[str] = []
    jobs = [
        JobSpec("full", lambda _c: ran.append("full"), every(3600), kind="full", catch_up=True),
        JobSpec("plain", lambda _c: ran.append("plain"), every(3600)),
    ]
    sched = PlexBooksScheduler(core, tick_seconds=TICK, leader_ttl=TTL, jobs=jobs)
    # No full scan ever ran: it is overdue and runs at once; the plain job waits its interval.
    assert sched.run_pending_now() == {"full": True}
    assert ran == ["full"]
    sched.stop()
    with core.session() as session:
        repo.start_scan_run(session, "full", "test")
    sched = PlexBooksScheduler(core, tick_seconds=TICK, leader_ttl=TTL, jobs=jobs)
    assert sched.run_pending_now() == {}  # a recent full scan: not overdue
    sched.stop()


def test_default_jobs_scan_the_configured_library(plex_core: PlexBooksCore, fake_plex: FakePlex) -> None:
    sched = PlexBooksScheduler(plex_core, tick_seconds=TICK, leader_ttl=TTL)
    # Never scanned: both jobs are overdue when the scheduler first leads.
    assert sched.run_pending_now() == {"full_scan": True, "recent_scan": True}
    with plex_core.session() as session:
        runs = repo.recent_scan_runs(session)
        assert sorted((r.kind, r.status, r.triggered_by) for r in runs) == [
            ("full", "succeeded", "scheduler"), ("recent", "succeeded", "scheduler")
        ]
        assert repo.count_library(session) == 40
    fake_plex.set_fault("503", on_path="/library/sections/*/all")
    assert sched.run_job_now("full_scan") is False
    with plex_core.session() as session:
        failed = [r for r in repo.recent_scan_runs(session) if r.status == "failed"]
    assert len(failed) == 1 and "503" in (failed[0].error or "")  # recorded once, by the scanner
    sched.stop()


def test_a_scheduler_started_before_configuration_runs_the_first_full_scan_once_configured(
    core: PlexBooksCore, fake_plex: FakePlex
) -> None:
    """Issue 12, item 4: configuring Plex after the scheduler started must not wait six hours."""
    sched = PlexBooksScheduler(core, tick_seconds=TICK, leader_ttl=TTL)
    assert sched.run_pending_now() == {"full_scan": True, "recent_scan": True}  # skipped: not configured
    with core.session() as session:
        assert repo.recent_scan_runs(session) == []
    core.set_setting("plex_url", fake_plex.url)
    core.set_setting("plex_token", fake_plex.token)
    core.set_setting("library_id", fake_plex.music_section_id)
    ran = sched.run_pending_now()  # the next tick, well within any interval
    assert ran == {"full_scan": True, "recent_scan": True}
    with core.session() as session:
        assert sorted((r.kind, r.status) for r in repo.recent_scan_runs(session)) == [
            ("full", "succeeded"), ("recent", "succeeded")
        ]
        assert repo.count_library(session) == 40
    assert sched.run_pending_now() == {}  # and then they wait their intervals again
    sched.stop()
