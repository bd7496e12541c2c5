"""One scan in flight: its job record, running totals, checkpoints and page storage."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from .. import store as repo
from ..const import SCAN_LEASE
from ..errors import PlexbooksError, ScanStopped
from ..plex.redact import error_line, redact
from ..records import PlexAudiobook

if TYPE_CHECKING:
    from ..core import PlexBooksCore

log = logging.getLogger(__name__)

# Progress and lease renewal are written at most this often (seconds) during a full scan, and at
# most a third of the lease's lifetime apart; always after the last page. Tests may set it to 0.
CHECKPOINT_INTERVAL = 1.0


@dataclass
class Job:
    """One scan in flight: who holds the lease, what to scan, with which client."""

    core: PlexBooksCore
    kind: str
    run_id: int
    holder: str
    section: str
    client: Any  # plex.client.PlexClient
    lease_ttl: timedelta
    secrets: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()  # every selected library; `section` is the one being scanned


@dataclass
class Counts:
    """Running totals of one scan, turned into its summary."""

    total: int = 0
    new: int = 0
    updated: int = 0
    removed: int = 0
    matched: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the mirrored library changed."""
        return bool(self.new or self.updated or self.removed)

    @property
    def warning(self) -> str | None:
        """All warnings as one line, or None."""
        return "; ".join(self.warnings) or None

    def summary(self, job: Job, seconds: float) -> dict[str, Any]:
        """The summary the CLI prints and the scan API returns."""
        return {
            "run_id": job.run_id,
            "kind": job.kind,
            "total": self.total,
            "new": self.new,
            "updated": self.updated,
            "removed": self.removed,
            "matched": self.matched,
            "skipped": self.skipped,
            "warning": self.warning,
            "seconds": round(seconds, 3),
        }


@dataclass(frozen=True)
class Stored:
    """What storing one page did."""

    new: int = 0
    updated: int = 0
    failed: tuple[str, ...] = ()


class Throttle:
    """Says when a full scan's next checkpoint is due: every CHECKPOINT_INTERVAL, and well within the lease."""

    def __init__(self, lease_ttl: timedelta, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = min(CHECKPOINT_INTERVAL, lease_ttl.total_seconds() / 3)
        self.clock = clock
        self.last = clock()

    def due(self) -> bool:
        """True when a checkpoint is due now (and starts the next interval)."""
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            return True
        return False


LOST_LEASE = "the scan lost its lock to another scan (it stalled longer than the lease) and stopped"


def fence(session: Session, job: Job) -> None:
    """Stop the scan unless it still holds the lease and its run is still running; renew the lease.

    Called inside every transaction that writes what a scan found, so a scan that stalled, lost its
    lease or was cancelled cannot store, remove or record anything after that.
    """
    if not repo.renew_lease(session, SCAN_LEASE, job.holder, job.lease_ttl, job.core.clock()):
        raise ScanStopped(job.run_id, LOST_LEASE)
    status = repo.scan_run_status(session, job.run_id)
    if status == "cancelled":
        raise ScanStopped(job.run_id, "the scan was cancelled")
    if status != "running":
        raise ScanStopped(job.run_id, f"the scan stopped: its run was marked {status} by another process")


def checkpoint(job: Job, done: int, total: int | None) -> None:
    """Publish progress and renew the lease; stop the scan if it lost the lease or was cancelled."""
    with job.core.session() as session:
        fence(session, job)
        repo.update_scan_progress(session, job.run_id, done, total)


def publish_progress_quietly(job: Job, done: int, total: int | None) -> None:
    """Record progress; a failure is logged (the scan's own error matters more)."""
    try:
        with job.core.session() as session:
            repo.update_scan_progress(session, job.run_id, done, total)
    except Exception:
        log.debug("could not record the progress of scan run %d", job.run_id, exc_info=True)


def fail_run(job: Job, counts: Counts, message: str, *, only_if_running: bool = False) -> None:
    """Record the run as failed with `message` (`only_if_running`: keep a status another process set); never raises."""
    try:
        with job.core.session() as session:
            repo.finish_scan_run(
                session, job.run_id, status="failed", summary=counts.summary(job, 0.0), error=message,
                warning=counts.warning, only_if_running=only_if_running,
            )
    except Exception:
        log.exception("could not record the failure of scan run %d", job.run_id)


def error_message(job: Job, err: BaseException) -> str:
    """The message a failed run records: a plexbooks error whole, any other error's first line, tokens masked."""
    if isinstance(err, PlexbooksError):
        return redact(str(err).strip() or type(err).__name__, job.secrets)
    return error_line(err, typed=True, secrets=job.secrets)


def store_page(job: Job, items: Sequence[PlexAudiobook], *, full: bool = False, known_new: bool = False) -> Stored:
    """Store a page in one transaction; if that fails, row by row so one bad album costs only itself.

    A full scan (`full`) leaves unchanged rows alone (it finds removals from the keys it saw);
    `known_new` says no key of the page is stored yet (a first import), so none is looked up.
    """
    if not items:
        return Stored()
    core = job.core
    try:
        with core.session() as session:
            fence(session, job)
            result = repo.upsert_library_page(
                session, job.section, items, job.run_id, touch_unchanged=not full, known_empty=known_new
            )
            if result.new or result.updated:
                repo.bump_library_version(session)
        return Stored(result.new, result.updated)
    except ScanStopped:
        raise
    except Exception as err:
        log.warning(
            "a page of %d albums could not be stored at once (%s); storing them one by one",
            len(items), error_line(err, typed=True),
        )
    new = updated = 0
    failed: list[str] = []
    for item in items:
        try:
            with core.session() as session:
                fence(session, job)
                result = repo.upsert_library_page(session, job.section, [item], job.run_id)
        except ScanStopped:
            raise
        except Exception as err:
            log.warning("skipped album %s (%.80r): %s", item.rating_key, item.title, error_line(err, typed=True))
            failed.append(item.rating_key)
            continue
        new += result.new
        updated += result.updated
    # An album that exists but could not be rewritten is still in Plex: keep its old row. If the
    # database itself is failing this raises too, and the scan fails without removing anything.
    with core.session() as session:
        fence(session, job)
        if failed:
            repo.touch_seen(session, job.section, failed, job.run_id)
        if new or updated:
            repo.bump_library_version(session)
    return Stored(new, updated, tuple(failed))
