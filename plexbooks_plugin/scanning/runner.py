"""Every scan, whoever starts it (CLI, scan button, scheduler), runs through here.

1. check the configuration (a ConfigError is raised before anything is recorded);
2. take the cluster-wide ``scan`` lease (`ScanRunning` with the running id when it is taken), mark runs
   left ``running`` by a dead process as failed, record the new run;
3. page through Plex (`full` or `recent`), storing each page in its own transaction;
4. full scans only: remove the rows the scan did not see, unless `services.removal` says that looks
   like a mistake (then the removal waits in the ``pending_removal`` setting for confirmation);
5. reconcile (`services.reconcile`): waiting requests now in the library become available.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .. import store as repo
from ..const import SCAN_LEASE_TTL, SettingKey
from ..errors import ScanFailed, ScanStopped
from ..models import SCAN_KINDS
from ..services.reconcile import match_downloaded_requests, rematch_catalog_quietly
from .full import PROGRESS_EVERY, full_scan
from .job import Counts, Job, error_message, fail_run, fence
from .lease import acquire_scan_lease, new_holder, release_scan_lease
from .recent import recent_scan

if TYPE_CHECKING:
    from ..core import PlexBooksCore

log = logging.getLogger(__name__)


def run_scan(
    core: PlexBooksCore,
    kind: str,
    *,
    triggered_by: str | None = None,
    confirm_removal: bool = False,
    progress_every: int = PROGRESS_EVERY,
    page_size: int | None = None,
    lease_ttl: timedelta | None = None,
) -> dict[str, Any]:
    """Run a full or recently-added scan now and return its summary; raises ScanRunning or a PlexbooksError."""
    job = _begin(core, kind, triggered_by, lease_ttl)
    return _execute(job, confirm_removal=confirm_removal, progress_every=progress_every, page_size=page_size)


def start_scan(
    core: PlexBooksCore,
    kind: str,
    *,
    triggered_by: str | None = None,
    confirm_removal: bool = False,
    page_size: int | None = None,
    lease_ttl: timedelta | None = None,
) -> int:
    """Take the lease and record the run now, scan in a background thread; return the run id."""
    job = _begin(core, kind, triggered_by, lease_ttl)
    thread = threading.Thread(
        target=_execute_in_background,
        args=(job, confirm_removal, page_size),
        name=f"plexbooks-scan-{job.run_id}",
        daemon=True,  # a scan must never keep the host from exiting; the lease expires instead
    )
    core.scan_threads.add(job.run_id, thread)
    try:
        thread.start()
    except BaseException as err:
        core.scan_threads.discard(job.run_id)
        fail_run(job, Counts(), f"could not start the scan thread: {err}")
        _release(job)
        raise
    return job.run_id


def wait_for_scan(core: PlexBooksCore, run_id: int, timeout: float | None = None) -> bool:
    """Wait for a scan started by `start_scan` on this core; return True when it has finished."""
    return core.scan_threads.wait(run_id, timeout)


def run_full_scan(core: PlexBooksCore) -> dict[str, Any] | None:
    """Scheduler job: a full scan, skipped quietly while Plex or the library is not configured."""
    if not _configured(core):
        log.debug("full scan skipped: Plex or the library is not configured yet")
        return None
    return run_scan(core, "full", triggered_by="scheduler")


def run_recent_scan(core: PlexBooksCore) -> dict[str, Any] | None:
    """Scheduler job: a recently-added poll, skipped quietly while Plex or the library is not configured."""
    if not _configured(core):
        log.debug("recently-added poll skipped: Plex or the library is not configured yet")
        return None
    return run_scan(core, "recent", triggered_by="scheduler")


def cancel_scan(core: PlexBooksCore, run_id: int, *, by: str | None = None) -> bool:
    """Mark a running scan cancelled; it stops at its next write, storing and removing nothing more.

    Works across processes (the scan checks its run's status in every write). False when the run
    is not running.
    """
    with core.session() as session:
        cancelled = repo.cancel_scan_run(session, run_id, f"cancelled by {by or 'an admin'}")
    if cancelled:
        log.info("scan run %d cancelled by %s", run_id, by or "an admin")
    return cancelled


def _configured(core: PlexBooksCore) -> bool:
    return core.plex_configured() and bool(core.get_setting(SettingKey.LIBRARY_IDS))


def _begin(core: PlexBooksCore, kind: str, triggered_by: str | None, lease_ttl: timedelta | None) -> Job:
    if kind not in SCAN_KINDS:
        raise ValueError(f"unknown scan kind {kind!r}; expected one of {', '.join(SCAN_KINDS)}")
    # Configuration problems surface before anything is locked or recorded.
    client = core.plex_client()
    try:
        sections = core.library_sections()
        token = core.get_setting(SettingKey.PLEX_TOKEN) or ""
        holder = new_holder(core)
        ttl = lease_ttl or SCAN_LEASE_TTL
        acquire_scan_lease(core, holder, ttl)
    except BaseException:
        client.close()
        raise
    try:
        with core.session() as session:
            abandoned = repo.fail_abandoned_runs(
                session, "the scan stopped before it finished (its process ended or lost the scan lock)"
            )
            if abandoned:
                log.warning("marked %d abandoned scan run(s) as failed", abandoned)
            run = repo.start_scan_run(session, kind, triggered_by)
            run_id = run.id
    except BaseException:
        client.close()
        release_scan_lease(core, holder)
        raise
    log.info(
        "%s scan run %d started (libraries %s, by %s)", kind, run_id, ",".join(sections), triggered_by or "unknown"
    )
    return Job(core, kind, run_id, holder, sections[0], client, ttl, (token,) if token else (), tuple(sections))


def _release(job: Job) -> None:
    try:
        job.client.close()  # its HTTP connection pool is per scan
    except Exception:
        log.debug("closing the Plex client failed", exc_info=True)
    try:
        release_scan_lease(job.core, job.holder)
    except Exception:  # the lease expires on its own; never hide the scan's own outcome
        log.exception("could not release the scan lease of run %d", job.run_id)


def _execute(job: Job, *, confirm_removal: bool, progress_every: int, page_size: int | None) -> dict[str, Any]:
    started = time.monotonic()
    counts = Counts()
    try:
        if job.kind == "full":
            full_scan(job, counts, confirm_removal=confirm_removal, progress_every=progress_every, page_size=page_size)
        else:
            recent_scan(job, counts)
        counts.matched = len(match_downloaded_requests(job.core))
        if counts.changed:
            rematch_catalog_quietly(job.core)
        summary = counts.summary(job, time.monotonic() - started)
        with job.core.session() as session:
            fence(session, job)  # a run cancelled or taken over keeps the status it was given
            repo.finish_scan_run(session, job.run_id, status="succeeded", summary=summary, warning=counts.warning)
        log.info("%s scan run %d finished: %s", job.kind, job.run_id, summary)
        return summary
    except ScanStopped as err:
        log.warning("%s scan run %d: %s", job.kind, job.run_id, err)
        # Cancelled, or failed by the scan that took the lease over: that status stands.
        fail_run(job, counts, str(err), only_if_running=True)
        raise
    except Exception as err:
        message = error_message(job, err)
        log.error("%s scan run %d failed: %s", job.kind, job.run_id, message)
        fail_run(job, counts, message)
        if isinstance(err, ScanFailed):
            raise
        raise ScanFailed(job.run_id, message) from err
    finally:
        _release(job)


def _execute_in_background(job: Job, confirm_removal: bool, page_size: int | None) -> None:
    try:
        _execute(job, confirm_removal=confirm_removal, progress_every=PROGRESS_EVERY, page_size=page_size)
    except Exception:
        pass  # already logged and recorded on the run by _execute
    finally:
        job.core.scan_threads.discard(job.run_id)
