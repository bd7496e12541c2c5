"""The full scan: every album of the section, then the removal of those Plex no longer lists (when safe)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .. import store as repo
from ..const import SCAN_LEASE, SCAN_LEASE_TTL, SettingKey
from ..services.reconcile import rematch_catalog_quietly
from ..services.removal import held_back_warning, incomplete_listing, suspicious_removal
from .job import Counts, Job, Throttle, checkpoint, publish_progress_quietly, store_page
from .lease import acquire_scan_lease, new_holder

if TYPE_CHECKING:
    from ..core import PlexBooksCore

log = logging.getLogger(__name__)

PROGRESS_EVERY = 1000
# A full scan that inserted more rows than this refreshes the planner's statistics afterwards.
ANALYZE_AFTER_NEW = 1000


def full_scan(job: Job, counts: Counts, *, confirm_removal: bool, progress_every: int, page_size: int | None) -> None:
    """Mirror every album of the section, then remove the unseen ones if the listing was complete and sane."""
    with job.core.session() as session:
        previous = repo.count_library(session, job.section)
    seen: set[str] = set()
    unreadable = 0
    reported_total = 0
    next_log = progress_every
    throttle = Throttle(job.lease_ttl)
    done = 0
    published = -1  # the progress last written to the run
    pages = job.client.albums(job.section, page_size=page_size)
    try:
        for page in pages:
            reported_total = page.total_size
            unreadable += page.skipped
            stored = store_page(job, page.items)
            counts.new += stored.new
            counts.updated += stored.updated
            counts.skipped += page.skipped + len(stored.failed)
            seen.update(item.rating_key for item in page.items)
            done = len(seen) + unreadable
            if throttle.due():
                checkpoint(job, done, reported_total or None)
                published = done
            if done >= next_log or (reported_total and done >= reported_total):
                log.info(
                    "full scan run %d: %d/%s albums (new %d, updated %d, skipped %d)",
                    job.run_id, done, reported_total or "?", counts.new, counts.updated, counts.skipped,
                )
                next_log = done + progress_every
    except BaseException:
        if done != published:  # the run shows what was stored before the failure
            publish_progress_quietly(job, done, reported_total or None)
        raise
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()  # stop a page prefetch before anything else uses (or closes) the client
    checkpoint(job, done, reported_total or None)  # always after the last page
    if counts.new > ANALYZE_AFTER_NEW:
        # A large import leaves the planner with stale statistics (PostgreSQL plans as if the table
        # were still nearly empty until autovacuum gets to it).
        with job.core.session() as session:
            repo.analyze_library(session)
    counts.total = len(seen)
    # From here on the listing is complete: only now may rows that were not seen be removed.
    warning = incomplete_listing(unreadable=unreadable, reported_total=reported_total, seen=len(seen))
    if warning:
        counts.warnings.append(warning)
        return
    _remove_unseen(job, counts, previous=previous, seen=len(seen), confirm_removal=confirm_removal)


def _remove_unseen(job: Job, counts: Counts, *, previous: int, seen: int, confirm_removal: bool) -> None:
    with job.core.session() as session:
        other = repo.remove_other_sections(session, job.section)
        if other:
            log.info("removed %d albums of a previously configured library section", other)
        unseen = repo.count_unseen(session, job.section, job.run_id)
        why = suspicious_removal(previous=previous, seen=seen, unseen=unseen)
        if why and not confirm_removal:
            counts.warnings.append(held_back_warning(why))
            repo.set_json_setting(
                session,
                SettingKey.PENDING_REMOVAL,
                {"run_id": job.run_id, "section_id": job.section, "count": unseen, "previous": previous,
                 "seen": seen, "recorded_at": repo.now().isoformat()},
            )
            log.warning("full scan run %d: %s; removal held back for confirmation", job.run_id, why)
            removed = 0
        else:
            gone = repo.unseen_keys(session, job.section, job.run_id)
            removed = repo.remove_library_items(session, job.section, gone)
            # A complete scan that removed (or had nothing to remove) supersedes any held-back removal.
            repo.set_json_setting(session, SettingKey.PENDING_REMOVAL, None)
        if removed or other:
            repo.bump_library_version(session)
    counts.removed = removed + other


def pending_removal(core: PlexBooksCore) -> dict[str, Any] | None:
    """Return the removal a full scan held back for confirmation, or None."""
    with core.session() as session:
        value = repo.get_json_setting(session, SettingKey.PENDING_REMOVAL)
    return value if isinstance(value, dict) else None


def confirm_pending_removal(core: PlexBooksCore, *, lease_ttl: timedelta | None = None) -> int:
    """Remove the albums a held-back full scan did not see and no later scan saw either; return how many.

    Rows a later scan (full or recently-added) saw are kept: scan ids only grow, so "not seen since
    run N" is `last_seen_scan < N`. Raises ScanRunning while a scan runs.
    """
    if not pending_removal(core):
        return 0
    holder = new_holder(core)
    acquire_scan_lease(core, holder, lease_ttl or SCAN_LEASE_TTL)
    removed = 0
    try:
        with core.session() as session:
            # Read again under the lease: a scan or another confirmation may have settled it meanwhile.
            pending = repo.get_json_setting(session, SettingKey.PENDING_REMOVAL)
            if not isinstance(pending, dict):
                return 0
            section = repo.get_setting(session, SettingKey.LIBRARY_ID)
            if section and str(pending.get("section_id")) == section:
                keys = repo.keys_unseen_since(session, section, int(pending["run_id"]))
                removed = repo.remove_library_items(session, section, keys)
                if removed:
                    repo.bump_library_version(session)
            else:
                log.info("pending removal dropped: the library section changed since run %s", pending.get("run_id"))
            repo.set_json_setting(session, SettingKey.PENDING_REMOVAL, None)
    finally:
        with core.session() as session:
            repo.release_lease(session, SCAN_LEASE, holder)
    log.info("confirmed removal of %d albums held back by scan run %s", removed, pending.get("run_id"))
    if removed:
        rematch_catalog_quietly(core)
    return removed
