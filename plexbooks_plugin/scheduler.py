"""The background scheduler: periodic full scans and recently-added polls, one leader across processes.

Each process that mounts plexbooks (several gunicorn workers, say) may start a `PlexBooksScheduler`.
All of them tick; only the one holding the ``scheduler`` lease in the database runs jobs. The leader
renews the lease every tick; when it stops (lease released) or dies (lease expires) another takes over.

The tick loop never runs a job itself: due jobs go to a single worker thread, so a long full scan
neither delays the lease renewal (which would hand leadership away mid-scan) nor `stop()`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import schedule

from . import store as repo
from .const import DEFAULT_LEADER_TTL, LEADER_LEASE, SCAN_LEASE, SettingKey
from .core import PlexBooksCore
from .errors import ScanFailed, ScanRunning
from .plex.redact import error_line
from .realtime import RealtimeListener
from .scanning import run_full_scan, run_recent_scan
from .webhooks import WebhookSender

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    """One periodic job: its function, its interval (seconds, None or 0 = off) and its scan kind."""

    name: str
    func: Callable[[PlexBooksCore], Any]
    interval: Callable[[PlexBooksCore], float | None]
    kind: str | None = None  # the scan kind to record a failure under, when the job failed before recording
    # Run at once on taking leadership when the last run of `kind` is older than the interval, so a
    # restart (or a new leader) does not postpone an overdue full scan by another interval.
    catch_up: bool = False
    # The job returns None when it skipped because Plex is not configured yet: it then runs again at
    # every tick until it does run (configuring Plex must not wait a whole interval for the first scan).
    retry_until_configured: bool = False


def _setting_seconds(core: PlexBooksCore, key: str, unit_seconds: float) -> float | None:
    value = core.get_setting(key)
    try:
        number = float(value) if value is not None else 0.0
    except ValueError:
        log.warning("setting %s has an unusable value %r; the job is off", key, value)
        return None
    return number * unit_seconds if number > 0 else None


def scheduler_holder(holder_id: str) -> str:
    """The name a process's scheduler holds the leader lease under (its listener records `holder_id`)."""
    return f"{holder_id}:scheduler"


def full_scan_interval(core: PlexBooksCore) -> float | None:
    """Seconds between full scans, from `full_scan_hours` (default 6)."""
    return _setting_seconds(core, SettingKey.FULL_SCAN_HOURS, 3600.0)


def recent_scan_interval(core: PlexBooksCore) -> float | None:
    """Seconds between recently-added polls, from `recent_scan_minutes` (default 5; 0 = off)."""
    return _setting_seconds(core, SettingKey.RECENT_SCAN_MINUTES, 60.0)


DEFAULT_JOBS: tuple[JobSpec, ...] = (
    JobSpec("full_scan", run_full_scan, full_scan_interval, kind="full", catch_up=True, retry_until_configured=True),
    JobSpec(
        "recent_scan", run_recent_scan, recent_scan_interval, kind="recent", catch_up=True, retry_until_configured=True
    ),
)


class PlexBooksScheduler:
    """Runs the plugin's periodic jobs in a daemon thread, on the leader process only."""

    def __init__(
        self,
        core: PlexBooksCore,
        *,
        tick_seconds: float = 1.0,
        leader_ttl: timedelta = DEFAULT_LEADER_TTL,
        jobs: Sequence[JobSpec] | None = None,
        realtime: bool = True,
    ) -> None:
        self.core = core
        self.tick_seconds = tick_seconds
        self.leader_ttl = leader_ttl
        self.jobs: dict[str, JobSpec] = {job.name: job for job in (jobs if jobs is not None else DEFAULT_JOBS)}
        self.holder = scheduler_holder(core.holder_id)
        # Our own Scheduler: the module-global one is shared with whatever else the host schedules.
        self._scheduler = schedule.Scheduler()
        self._scheduled: dict[str, tuple[float, schedule.Job]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._worker: threading.Thread | None = None
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._queued: set[str] = set()
        self._queued_lock = threading.Lock()
        self._is_leader = False
        self._deferred: set[str] = set()  # jobs that found another scan running: run when it ends
        #: name -> number of runs that finished (successfully or not); for tests and the status page
        self.runs: dict[str, int] = {}
        self.failures: dict[str, int] = {}
        # Jobs that were due but skipped because Plex was not configured yet: retried every tick
        # until they run, so configuring Plex after start does not wait a whole interval.
        self._awaiting_config: set[str] = set()
        # The notification listener runs while this scheduler leads (only one WebSocket per cluster).
        self.listener: RealtimeListener | None = RealtimeListener(core) if realtime else None
        self.webhooks = WebhookSender(core)  # the outbox is sent by the leader only, beside the jobs

    # ------------------------------------------------------------------ lifecycle

    @property
    def is_leader(self) -> bool:
        """Whether this scheduler currently holds the leader lease."""
        return self._is_leader

    @property
    def running(self) -> bool:
        """Whether the tick thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> PlexBooksScheduler:
        """Start the tick thread and the job worker (daemon threads); returns self."""
        if self.running:
            return self
        self._stop.clear()
        self._queue = queue.Queue()  # a fresh queue: a worker of an earlier start() may still hold the old one
        with self._queued_lock:
            self._queued.clear()
        self._worker = threading.Thread(target=self._work, name="plexbooks-scheduler-jobs", daemon=True)
        self._worker.start()
        self._thread = threading.Thread(target=self._loop, name="plexbooks-scheduler", daemon=True)
        self._thread.start()
        log.info("plexbooks scheduler started (holder %s)", self.holder)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop ticking, hand leadership back, and wait up to `timeout` for the threads to end."""
        self._stop.set()
        self._queue.put(None)  # wakes the worker; it finishes a running job first
        if self._thread is not None:
            self._thread.join(timeout)
        if self._worker is not None:
            self._worker.join(timeout)
        self._step_down(release=True)
        log.info("plexbooks scheduler stopped")

    def intervals(self) -> dict[str, float]:
        """The interval (seconds) each job is scheduled at right now; empty unless leader."""
        return {name: interval for name, (interval, _job) in self._scheduled.items()}

    # ------------------------------------------------------------------ one tick

    def tick(self) -> None:
        """Renew (or try to take) leadership; as leader, follow the interval settings and queue due jobs."""
        try:
            with self.core.session() as session:
                current = repo.lease_holder(session, LEADER_LEASE, self.core.clock())
                # Followers only read: trying to insert a live lease every tick would fill the
                # database log with duplicate-key errors.
                leader = (current is None or current == self.holder) and repo.acquire_lease(
                    session, LEADER_LEASE, self.holder, self.leader_ttl, self.core.clock()
                )
        except Exception as err:
            # Without the database we cannot prove we lead: act as a follower until it is back.
            log.warning("scheduler could not reach the database: %s", error_line(err))
            leader = False
        if not leader:
            if self._is_leader:
                log.info("scheduler lost leadership")
            self._step_down(release=False)
            return
        if not self._is_leader:
            log.info("scheduler is now the leader (%s)", self.holder)
            self._is_leader = True
        self._sync_jobs()
        for name in sorted(self._awaiting_config):
            self._submit(name)
        self._resubmit_deferred()
        # Only a started scheduler runs these threads (a bare tick() from a test or the CLI does not).
        if self.running and not self._stop.is_set():
            if self.listener is not None:
                self.listener.start()  # a no-op while it runs; it reads the `realtime` setting itself
            self.webhooks.start()
        self._scheduler.run_pending()

    def run_pending_now(self, *, all_jobs: bool = False) -> dict[str, bool]:
        """Tick once and run the due jobs (or every job) in the calling thread; name -> succeeded."""
        self.tick()
        if not self._is_leader:
            return {}
        due = self._drain_queue()
        if all_jobs:
            due = list(self.jobs)
        return {name: self.run_job_now(name) for name in due}

    def run_job_now(self, name: str) -> bool:
        """Run one job in the calling thread with the loop's error handling; True unless it failed."""
        spec = self.jobs[name]
        try:
            result = spec.func(self.core)
            if result is None and spec.retry_until_configured:  # not configured yet: again next tick
                self._awaiting_config.add(name)
            else:
                self._awaiting_config.discard(name)
            return True
        except ScanRunning as err:
            self._awaiting_config.discard(name)  # a scan runs (one started from the settings page, say)
            # Not a failure, but not done either: it runs once the other scan ends (an overdue full
            # scan must not wait another six hours because the listener's catch-up poll was running).
            log.info("job %s deferred: %s", name, err)
            self._deferred.add(name)
            return True
        except ScanFailed as err:
            # The scanner already logged it and recorded it on its run.
            self.failures[name] = self.failures.get(name, 0) + 1
            log.warning("job %s failed (scan run %s): %s", name, err.run_id, err)
            return False
        except Exception as err:
            self.failures[name] = self.failures.get(name, 0) + 1
            log.exception("job %s failed", name)
            if spec.kind is not None:
                self._record_failure(spec.kind, err)
            return False
        finally:
            self.runs[name] = self.runs.get(name, 0) + 1

    # ------------------------------------------------------------------ internals

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a tick must never end the loop
                log.exception("scheduler tick failed")
            # Event.wait, not sleep: stop() ends the loop at once.
            self._stop.wait(self.tick_seconds)

    def _work(self) -> None:
        while True:
            name = self._queue.get()
            if name is None or self._stop.is_set():
                return
            with self._queued_lock:
                self._queued.discard(name)
            if name in self.jobs:
                self.run_job_now(name)

    def _submit(self, name: str) -> None:
        """Called by `schedule` when a job is due: queue it once (a due job already queued is not doubled)."""
        with self._queued_lock:
            if name in self._queued:
                return
            self._queued.add(name)
        self._queue.put(name)

    def _drain_queue(self) -> list[str]:
        names: list[str] = []
        while True:
            try:
                name = self._queue.get_nowait()
            except queue.Empty:
                break
            if name is not None:
                names.append(name)
        with self._queued_lock:
            self._queued.clear()
        return names

    def _sync_jobs(self) -> None:
        """Schedule each job at its current interval; settings are re-read every tick, so changes apply at once."""
        for name, spec in self.jobs.items():
            try:
                interval = spec.interval(self.core)
            except Exception:
                log.exception("could not read the interval of job %s", name)
                continue
            current = self._scheduled.get(name)
            if current is not None and interval == current[0]:
                continue
            if current is not None:
                self._scheduler.cancel_job(current[1])
                del self._scheduled[name]
            if not interval:
                if current is not None:
                    log.info("job %s turned off", name)
                continue
            # `schedule` accepts fractional seconds at runtime (it builds a timedelta); its hint says int.
            job = self._scheduler.every(interval).seconds.do(partial(self._submit, name))  # type: ignore[arg-type]
            self._scheduled[name] = (interval, job)
            log.info("job %s scheduled every %s", name, _human(interval))
            if current is None and spec.catch_up and spec.kind and self._overdue(spec.kind, interval):
                log.info("job %s is overdue; running it now", name)
                self._submit(name)

    def _resubmit_deferred(self) -> None:
        """Queue the deferred jobs again once no scan holds the scan lease."""
        if not self._deferred:
            return
        try:
            with self.core.session() as session:
                busy = repo.lease_holder(session, SCAN_LEASE, self.core.clock()) is not None
        except Exception:
            return
        if busy:
            return
        for name in list(self._deferred):
            self._deferred.discard(name)
            if name in self._scheduled:
                self._submit(name)

    def _overdue(self, kind: str, interval: float) -> bool:
        try:
            with self.core.session() as session:
                last = repo.latest_scan_run(session, kind)
        except Exception:
            return False
        return last is None or (repo.now() - last.started_at).total_seconds() >= interval

    def _step_down(self, *, release: bool) -> None:
        self._is_leader = False
        self._deferred.clear()
        if self.listener is not None and self.listener.running:
            self.listener.stop()
        if self.webhooks.running:
            self.webhooks.stop()
        self._scheduler.clear()
        self._scheduled.clear()
        if release:
            try:
                with self.core.session() as session:
                    repo.release_lease(session, LEADER_LEASE, self.holder)
            except Exception:  # it expires on its own
                log.exception("could not release the scheduler lease")

    def _record_failure(self, kind: str, err: BaseException) -> None:
        message = error_line(err)
        try:
            with self.core.session() as session:
                repo.record_failed_run(session, kind, message, triggered_by="scheduler")
        except Exception:
            log.exception("could not record the failed %s scan", kind)


def _human(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"
