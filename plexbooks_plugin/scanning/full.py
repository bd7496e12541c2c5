"""The full scan: every album of the section, then the removal of those Plex no longer lists (when safe)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from .. import store as repo
from ..const import SCAN_LEASE, SCAN_LEASE_TTL, SettingKey
from ..errors import PlexbooksError, ScanFailed
from ..records import PlexAudiobook
from ..services.reconcile import rematch_catalog_quietly
from ..services.removal import (
    held_back_warning,
    incomplete_listing,
    suspicious_removal,
    verification_sample,
    verified_removals,
)
from ..store import bulk
from .job import Counts, Job, Throttle, checkpoint, fence, publish_progress_quietly, store_page
from .lease import acquire_scan_lease, new_holder

if TYPE_CHECKING:
    from ..core import PlexBooksCore

log = logging.getLogger(__name__)

PROGRESS_EVERY = 1000
# A full scan that inserted more rows than this refreshes the planner's statistics afterwards.
ANALYZE_AFTER_NEW = 1000
# A full scan stores this many albums per transaction (fewer commits; each one writes the WAL),
# and whatever it holds at every checkpoint, so progress only counts stored albums.
STORE_BATCH = 2000


def full_scan(job: Job, counts: Counts, *, confirm_removal: bool, progress_every: int, page_size: int | None) -> None:
    """Mirror every album of the section, then remove the unseen ones if the listing was complete and sane."""
    with job.core.session() as session:
        previous = repo.count_library(session, job.section)
        bulk.ensure_secondary_indexes(session)  # a process that died during a first import dropped them
        first_import = bulk.table_is_empty(session)
        if first_import:
            # Build the secondary indexes once after the import instead of row by row during it.
            bulk.drop_secondary_indexes(session)
        # What the mirror holds: albums whose updatedAt did not move are listed by key only.
        known = {} if first_import else repo.library_updated_at(session, job.section)
    listing = _Listing(job, counts, first_import=first_import, progress_every=progress_every)
    try:
        listing.run(job.client.albums(job.section, page_size=page_size, known=known))
    finally:
        del known
        if first_import:
            with job.core.session() as session:
                bulk.ensure_secondary_indexes(session)
    if counts.new > ANALYZE_AFTER_NEW:
        # A large import leaves the planner with stale statistics (PostgreSQL plans as if the table
        # were still nearly empty until autovacuum gets to it).
        with job.core.session() as session:
            repo.analyze_library(session)
    seen = listing.seen
    counts.total = len(seen)
    _protect_pending(job, seen)
    # From here on the listing is complete: only now may rows that were not seen be removed.
    warning = incomplete_listing(unreadable=listing.unreadable, reported_total=listing.reported_total, seen=len(seen))
    if warning:
        counts.warnings.append(warning)
        return
    _remove_unseen(job, counts, previous=previous, seen=seen, confirm_removal=confirm_removal)


class _Listing:
    """A full scan's pass over the listing: stores albums in batches, remembers every key seen."""

    def __init__(self, job: Job, counts: Counts, *, first_import: bool, progress_every: int) -> None:
        self.job, self.counts, self.first_import = job, counts, first_import
        self.seen: set[str] = set()
        self.unreadable = 0
        self.reported_total = 0
        self.done = 0
        self.published = -1  # the progress last written to the run
        self.progress_every = progress_every
        self.next_log = progress_every
        self.batch: list[PlexAudiobook] = []
        self.batch_is_new = first_import  # no key of the batch was stored before: nothing to look up

    def run(self, pages: Any) -> None:
        """Consume the pages and store what they hold; checkpoint; always close the pages."""
        throttle = Throttle(self.job.lease_ttl)
        try:
            for page in pages:
                self._take(page)
                due = throttle.due()
                if due or len(self.batch) >= STORE_BATCH:
                    self._flush()  # so progress only ever counts stored albums
                if due:
                    checkpoint(self.job, self.done, self.reported_total or None)
                    self.published = self.done
                self._log()
            self._flush()
        except BaseException as err:
            if isinstance(err, Exception) and not isinstance(err, ScanFailed):  # a lost lease writes nothing
                self._flush_quietly()  # keep what was listed before the failure
            if self.done != self.published:  # the run shows what was stored before the failure
                publish_progress_quietly(self.job, self.done, self.reported_total or None)
            raise
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()  # stop a page prefetch before anything else uses (or closes) the client
        checkpoint(self.job, self.done, self.reported_total or None)  # always after the last page

    def _take(self, page: Any) -> None:
        self.reported_total = page.total_size
        self.unreadable += page.skipped
        self.counts.skipped += page.skipped
        for item in page.items:
            if item.rating_key in self.seen:
                self.batch_is_new = False  # Plex repeated a key across pages: look the batch's keys up
            self.seen.add(item.rating_key)
        self.seen.update(page.unchanged)
        self.batch.extend(page.items)
        self.done = len(self.seen) + self.unreadable

    def _flush(self) -> None:
        if self.batch:
            stored = store_page(self.job, self.batch, full=True, known_new=self.batch_is_new)
            self.counts.new += stored.new
            self.counts.updated += stored.updated
            self.counts.skipped += len(stored.failed)
        self.batch = []
        self.batch_is_new = self.first_import

    def _flush_quietly(self) -> None:
        try:
            self._flush()
        except Exception:  # the scan's own error matters more
            log.debug("could not store the albums listed before scan run %d failed", self.job.run_id, exc_info=True)

    def _log(self) -> None:
        if self.done >= self.next_log or (self.reported_total and self.done >= self.reported_total):
            log.info(
                "full scan run %d: %d/%s albums (new %d, updated %d, skipped %d)",
                self.job.run_id, self.done, self.reported_total or "?", self.counts.new, self.counts.updated,
                self.counts.skipped,
            )
            self.next_log = self.done + self.progress_every


def _protect_pending(job: Job, seen: set[str]) -> None:
    """Mark the albums of a held-back removal that this scan saw, so that confirming it keeps them."""
    with job.core.session() as session:
        held = repo.get_json_setting(session, SettingKey.PENDING_REMOVAL_KEYS)
        if isinstance(held, list):
            back = [str(key) for key in held if str(key) in seen]
            if back:
                repo.touch_seen(session, job.section, back, job.run_id)


def _set_pending(session: Session, pending: dict[str, Any] | None, keys: list[str] | None = None) -> None:
    """Record (or clear) a held-back removal: its summary, and apart from it the keys it would delete."""
    repo.set_json_setting(session, SettingKey.PENDING_REMOVAL, pending)
    repo.set_json_setting(session, SettingKey.PENDING_REMOVAL_KEYS, keys if pending is not None else None)


def _remove_unseen(job: Job, counts: Counts, *, previous: int, seen: set[str], confirm_removal: bool) -> None:
    with job.core.session() as session:
        fence(session, job)  # a scan that lost its lease (or was cancelled) removes nothing
        other = repo.remove_other_sections(session, job.section)
        if other:
            log.info("removed %d albums of a previously configured library section", other)
        # A set difference in memory: the scan writes nothing on the rows it saw unchanged.
        gone = [key for key in repo.iter_section_keys(session, job.section) if key not in seen]
        why = suspicious_removal(previous=previous, seen=len(seen), unseen=len(gone))
        if why and not confirm_removal:
            counts.warnings.append(held_back_warning(why))
            _set_pending(
                session,
                {"run_id": job.run_id, "section_id": job.section, "count": len(gone), "previous": previous,
                 "seen": len(seen), "recorded_at": repo.now().isoformat()},
                gone,
            )
            log.warning("full scan run %d: %s; removal held back for confirmation", job.run_id, why)
            if other:
                repo.bump_library_version(session)
            counts.removed = other
            return
    # Asked outside any transaction: these are Plex requests.
    verdict = verified_removals(gone, _ask_plex(job, verification_sample(gone)))
    if verdict.warning:
        counts.warnings.append(verdict.warning)
        log.warning("full scan run %d: %s", job.run_id, verdict.warning)
    with job.core.session() as session:
        fence(session, job)  # the lease may have been lost while Plex was asked
        removed = repo.remove_library_items(session, job.section, verdict.remove)
        if verdict.still_there:  # seen after all: a later confirmation must not remove them either
            repo.touch_seen(session, job.section, verdict.still_there, job.run_id)
        # A complete scan that removed (or had nothing to remove) supersedes any held-back removal.
        _set_pending(session, None)
        if removed or other:
            repo.bump_library_version(session)
    counts.removed = removed + other


def _ask_plex(job: Job, keys: list[str]) -> dict[str, bool | None]:
    """Whether Plex still has each album: False on a 404, True when it answered, None on any failure."""
    answers: dict[str, bool | None] = {}
    for key in keys:
        try:
            answers[key] = job.client.album_exists(key)
        except PlexbooksError as err:
            log.info("could not confirm that album %s is gone (%s); keeping it", key, err)
            answers[key] = None
    return answers


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
                held = repo.get_json_setting(session, SettingKey.PENDING_REMOVAL_KEYS)
                # Of the keys that scan did not see, those no later scan saw either (a removal held back
                # by an older version has no key list: every row that scan did not mark seen).
                among = [str(key) for key in held] if isinstance(held, list) else None
                keys = repo.keys_unseen_since(session, section, int(pending["run_id"]), among=among)
                removed = repo.remove_library_items(session, section, keys)
                if removed:
                    repo.bump_library_version(session)
            else:
                log.info("pending removal dropped: the library section changed since run %s", pending.get("run_id"))
            _set_pending(session, None)
    finally:
        with core.session() as session:
            repo.release_lease(session, SCAN_LEASE, holder)
    log.info("confirmed removal of %d albums held back by scan run %s", removed, pending.get("run_id"))
    if removed:
        rematch_catalog_quietly(core)
    return removed
