"""The full scan: every album of each selected library, then the removal of those Plex no longer lists (when safe)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from .. import store as repo
from ..errors import PlexbooksError, ScanFailed
from ..records import PlexAudiobook
from ..services.libraries import remember_library_titles
from ..services.removal import (
    held_back_warning,
    incomplete_listing,
    suspicious_removal,
    verification_sample,
    verified_removals,
)
from ..store import bulk
from .job import Counts, Job, Throttle, checkpoint, fence, publish_progress_quietly, store_page
from .pending import HeldKeys, Holds, read_pending, write_pending

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
    """Mirror every album of each selected library, then remove what is gone where that is safe.

    Every library is listed first; then removal safety is judged per library. Rows of libraries no
    longer selected are held back like a shrink until an admin confirms.
    """
    restore_indexes(job.core)  # a process that died during a first import dropped them
    with job.core.session() as session:
        first_import = bulk.table_is_empty(session)
        if first_import:
            # Build the indexes once after the import instead of row by row during it.
            bulk.drop_indexes(session)
        earlier, earlier_keys = read_pending(session)
    listings: list[_Listing] = []
    try:
        for section in job.sections or (job.section,):
            offset = sum(listing.done for listing in listings)
            listing = _Listing(replace(job, section=section), counts, first_import=first_import,
                               progress_every=progress_every, offset=offset)
            listings.append(listing)
            listing.list_section(page_size)
    finally:
        if first_import:
            restore_indexes(job.core)
    if counts.new > ANALYZE_AFTER_NEW:
        # A large import leaves the planner with stale statistics (PostgreSQL plans as if the table
        # were still nearly empty until autovacuum gets to it).
        with job.core.session() as session:
            repo.analyze_library(session)
    counts.total = sum(len(listing.seen) for listing in listings)
    holds: Holds = {}
    held_keys: HeldKeys = {}
    for listing in listings:
        _settle_section(listing, counts, earlier, earlier_keys, holds, held_keys, confirm_removal=confirm_removal)
    holds.update(_remove_deselected(job, counts, confirm_removal=confirm_removal))
    with job.core.session() as session:
        fence(session, job)  # a scan that lost its lease (or was cancelled) records no hold
        write_pending(session, job.run_id, holds, held_keys)
    remember_library_titles(job.core, job.client)


def restore_indexes(core: PlexBooksCore) -> None:
    """Build the library indexes that are missing; keep the newest of duplicate rows if the unique one needs it."""
    try:
        with core.session() as session:
            bulk.ensure_indexes(session)
    except IntegrityError:
        # Another writer (the realtime listener) stored an album this import stored too, while no
        # unique index could refuse it: both copies mirror Plex, the newer one stays.
        with core.session() as session:
            dropped = bulk.drop_duplicate_rows(session)
            bulk.ensure_indexes(session)
        log.warning("dropped %d duplicate library rows stored while a first import ran", dropped)


def _settle_section(
    listing: _Listing, counts: Counts, earlier: Holds, earlier_keys: HeldKeys, holds: Holds, held_keys: HeldKeys,
    *, confirm_removal: bool,
) -> None:
    """Remove one library's unseen rows if its listing was complete and sane; record its hold otherwise."""
    job, section = listing.job, listing.job.section
    _protect_pending(job, listing.seen, earlier_keys.get(section))
    # From here on the listing is complete: only now may rows that were not seen be removed.
    # Albums listed, then gone when their records were fetched, were listed all the same.
    vanished = sum(1 for key in listing.vanished if key not in listing.seen)
    warning = incomplete_listing(
        unreadable=listing.unreadable, reported_total=listing.reported_total, seen=len(listing.seen) + vanished
    )
    if warning:
        counts.warnings.append(_in_library(job, warning))
        if section in earlier:  # an incomplete listing settles nothing: keep the earlier hold
            holds[section] = earlier[section]
            if section in earlier_keys:
                held_keys[section] = earlier_keys[section]
        return
    hold = _remove_unseen(job, counts, stored=listing.stored, seen=listing.seen, confirm_removal=confirm_removal)
    if hold is not None:
        holds[section], held_keys[section] = hold


class _Listing:
    """A full scan's pass over one library's listing: stores albums in batches, remembers every key seen."""

    def __init__(self, job: Job, counts: Counts, *, first_import: bool, progress_every: int, offset: int) -> None:
        self.job, self.counts, self.first_import = job, counts, first_import
        self.offset = offset  # albums of the libraries listed before this one (progress covers them all)
        self.stored: dict[str, int | None] = {}  # the library's rows before the scan: key -> updatedAt
        self.seen: set[str] = set()
        self.vanished: set[str] = set()  # listed as changed, gone when fetched: removed meanwhile (not seen)
        self.unreadable = 0
        self.reported_total = 0
        self.done = 0
        self.published = -1  # the progress last written to the run
        self.progress_every = progress_every
        self.next_log = progress_every
        self.batch: list[PlexAudiobook] = []
        self.batch_is_new = first_import  # no key of the batch was stored before: nothing to look up

    def list_section(self, page_size: int | None) -> None:
        """List the library and store what it holds."""
        if not self.first_import:  # a first import starts from an empty table
            with self.job.core.session() as session:
                # What the mirror holds: albums whose updatedAt did not move are listed by key only.
                self.stored = repo.library_updated_at(session, self.job.section)
        self.run(self.job.client.albums(self.job.section, page_size=page_size, known=self.stored))

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
                    self._checkpoint()
                self._log()
            self._flush()
        except BaseException as err:
            if isinstance(err, Exception) and not isinstance(err, ScanFailed):  # a lost lease writes nothing
                self._flush_quietly()  # keep what was listed before the failure
            if self.done != self.published:  # the run shows what was stored before the failure
                publish_progress_quietly(self.job, self.offset + self.done, self._total())
            raise
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()  # stop a page prefetch before anything else uses (or closes) the client
        self._checkpoint()  # always after the last page

    def _total(self) -> int | None:
        return self.offset + self.reported_total if self.reported_total else None

    def _checkpoint(self) -> None:
        checkpoint(self.job, self.offset + self.done, self._total())
        self.published = self.done

    def _take(self, page: Any) -> None:
        self.reported_total = page.total_size
        self.unreadable += page.skipped
        self.counts.skipped += page.skipped
        for item in page.items:
            if item.rating_key in self.seen:
                self.batch_is_new = False  # Plex repeated a key across pages: look the batch's keys up
            self.seen.add(item.rating_key)
        self.seen.update(page.unchanged)
        self.vanished.update(page.vanished)
        self.batch.extend(page.items)
        self.done = len(self.seen) + self.unreadable + len(self.vanished)

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
                "full scan run %d, library %s: %d/%s albums (new %d, updated %d, skipped %d)",
                self.job.run_id, self.job.section, self.done, self.reported_total or "?", self.counts.new,
                self.counts.updated, self.counts.skipped,
            )
            self.next_log = self.done + self.progress_every


def _in_library(job: Job, message: str) -> str:
    return f"library {job.section}: {message}" if len(job.sections) > 1 else message


def _protect_pending(job: Job, seen: set[str], held: list[str] | None) -> None:
    """Mark the albums of the library's held-back removal that this scan saw, so that confirming it keeps them."""
    back = [key for key in held or () if key in seen]
    if back:
        with job.core.session() as session:
            repo.touch_seen(session, job.section, back, job.run_id)


def _remove_unseen(
    job: Job, counts: Counts, *, stored: dict[str, int | None], seen: set[str], confirm_removal: bool
) -> tuple[dict[str, Any], list[str]] | None:
    """Remove the library's rows Plex no longer has, or hold them back (returning the hold and its keys).

    `stored`: the library's rows when the scan began. A row added since (by this scan, or by the
    realtime listener: Plex has it) is not among them, so it is never removed here.
    """
    if not stored:
        return None  # nothing was there before the scan (a first import): nothing to remove
    # A set difference in memory, with the keys read before the listing: the scan writes nothing on
    # the rows it saw unchanged, and reads no key twice.
    previous = len(stored)
    gone = [key for key in stored if key not in seen]
    why = suspicious_removal(previous=previous, seen=len(seen), unseen=len(gone))
    if why and not confirm_removal:
        counts.warnings.append(_in_library(job, held_back_warning(why)))
        log.warning("full scan run %d: library %s: %s; removal held back for confirmation", job.run_id, job.section,
                    why)
        return {"run_id": job.run_id, "count": len(gone), "previous": previous, "seen": len(seen)}, gone
    # Asked outside any transaction: these are Plex requests.
    verdict = verified_removals(gone, _ask_plex(job, verification_sample(gone)))
    if verdict.warning:
        counts.warnings.append(_in_library(job, verdict.warning))
        log.warning("full scan run %d: library %s: %s", job.run_id, job.section, verdict.warning)
    with job.core.session() as session:
        fence(session, job)  # the lease may have been lost while Plex was asked
        removed = repo.remove_library_items(session, job.section, verdict.remove)
        if verdict.still_there:  # seen after all: a later confirmation must not remove them either
            repo.touch_seen(session, job.section, verdict.still_there, job.run_id)
        if removed:
            repo.bump_library_version(session)
    counts.removed += removed
    return None


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


def _remove_deselected(job: Job, counts: Counts, *, confirm_removal: bool) -> Holds:
    """Rows of libraries no longer selected: removed only with confirmation, else held back (returned)."""
    selected = list(job.sections or (job.section,))
    with job.core.session() as session:
        fence(session, job)
        others = repo.count_other_sections(session, selected)
        if not others:
            return {}
        if confirm_removal:
            removed = repo.remove_other_sections(session, selected)
            repo.bump_library_version(session)
            counts.removed += removed
            log.info("removed %d albums of libraries no longer selected (%s)", removed, ", ".join(sorted(others)))
            return {}
    why = f"{sum(others.values())} albums belong to libraries no longer selected ({', '.join(sorted(others))})"
    counts.warnings.append(held_back_warning(why))
    log.warning("full scan run %d: %s; removal held back", job.run_id, why)
    return {
        section: {"run_id": job.run_id, "count": count, "previous": count, "seen": 0, "deselected": True}
        for section, count in others.items()
    }
