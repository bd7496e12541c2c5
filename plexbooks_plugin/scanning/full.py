"""The full scan: every album of the section, then the removal of those Plex no longer lists (when safe)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .. import store as repo
from ..const import SCAN_LEASE, SCAN_LEASE_TTL, SettingKey
from ..services.libraries import remember_library_titles, split_ids
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
    """Mirror every album of each selected library, then remove what is gone where that is safe.

    Removal safety is judged per library; rows of libraries no longer selected are held back like a
    shrink until an admin confirms. Held-back removals are recorded in ``pending_removal``.
    """
    with job.core.session() as session:
        earlier = _pending_sections(repo.get_json_setting(session, SettingKey.PENDING_REMOVAL))
    held: dict[str, dict[str, Any]] = {}
    offset = 0
    for section in job.sections or (job.section,):
        part = replace(job, section=section)
        outcome = _scan_section(part, counts, offset, confirm_removal, progress_every, page_size)
        offset += outcome.done
        if outcome.held is not None:
            held[section] = outcome.held
        elif outcome.incomplete and section in earlier:
            held[section] = earlier[section]  # an incomplete listing settles nothing: keep the earlier hold
    held.update(_remove_deselected(job, counts, confirm_removal=confirm_removal))
    with job.core.session() as session:
        repo.set_json_setting(session, SettingKey.PENDING_REMOVAL, _pending_record(job, held))
    remember_library_titles(job.core, job.client)


@dataclass
class _SectionOutcome:
    done: int = 0
    incomplete: bool = False
    held: dict[str, Any] | None = None


def _scan_section(
    job: Job, counts: Counts, offset: int, confirm_removal: bool, progress_every: int, page_size: int | None
) -> _SectionOutcome:
    """Mirror one library; remove its unseen rows if its listing was complete and the removal looks sane."""
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
                checkpoint(job, offset + done, offset + reported_total or None)
                published = done
            if done >= next_log or (reported_total and done >= reported_total):
                log.info(
                    "full scan run %d, library %s: %d/%s albums (new %d, updated %d, skipped %d)",
                    job.run_id, job.section, done, reported_total or "?", counts.new, counts.updated, counts.skipped,
                )
                next_log = done + progress_every
    except BaseException:
        if done != published:  # the run shows what was stored before the failure
            publish_progress_quietly(job, offset + done, offset + reported_total or None)
        raise
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()  # stop a page prefetch before anything else uses (or closes) the client
    checkpoint(job, offset + done, offset + reported_total or None)  # always after the last page
    if counts.new > ANALYZE_AFTER_NEW:
        # A large import leaves the planner with stale statistics (PostgreSQL plans as if the table
        # were still nearly empty until autovacuum gets to it).
        with job.core.session() as session:
            repo.analyze_library(session)
    counts.total += len(seen)
    # From here on the listing is complete: only now may rows that were not seen be removed.
    warning = incomplete_listing(unreadable=unreadable, reported_total=reported_total, seen=len(seen))
    if warning:
        counts.warnings.append(_in_library(job, warning))
        return _SectionOutcome(done, incomplete=True)
    held = _remove_unseen(job, counts, previous=previous, seen=len(seen), confirm_removal=confirm_removal)
    return _SectionOutcome(done, held=held)


def _in_library(job: Job, message: str) -> str:
    return f"library {job.section}: {message}" if len(job.sections) > 1 else message


def _remove_unseen(
    job: Job, counts: Counts, *, previous: int, seen: int, confirm_removal: bool
) -> dict[str, Any] | None:
    """Remove the library's unseen rows, or hold them back (returning the hold) when that looks like a mistake."""
    with job.core.session() as session:
        unseen = repo.count_unseen(session, job.section, job.run_id)
        why = suspicious_removal(previous=previous, seen=seen, unseen=unseen)
        if why and not confirm_removal:
            counts.warnings.append(_in_library(job, held_back_warning(why)))
            log.warning("full scan run %d: library %s: %s; removal held back", job.run_id, job.section, why)
            return {"run_id": job.run_id, "count": unseen, "previous": previous, "seen": seen}
        gone = repo.unseen_keys(session, job.section, job.run_id)
        removed = repo.remove_library_items(session, job.section, gone)
        if removed:
            repo.bump_library_version(session)
    counts.removed += removed
    return None


def _remove_deselected(job: Job, counts: Counts, *, confirm_removal: bool) -> dict[str, dict[str, Any]]:
    """Rows of libraries no longer selected: removed only with confirmation, else held back (returned)."""
    selected = list(job.sections or (job.section,))
    with job.core.session() as session:
        others = repo.count_other_sections(session, selected)
        if not others:
            return {}
        total = sum(others.values())
        if confirm_removal:
            removed = repo.remove_other_sections(session, selected)
            repo.bump_library_version(session)
            counts.removed += removed
            log.info("removed %d albums of libraries no longer selected (%s)", removed, ", ".join(others))
            return {}
    why = f"{total} albums belong to libraries no longer selected ({', '.join(sorted(others))})"
    counts.warnings.append(held_back_warning(why))
    log.warning("full scan run %d: %s; removal held back", job.run_id, why)
    return {
        section: {"run_id": job.run_id, "count": count, "previous": count, "seen": 0, "deselected": True}
        for section, count in others.items()
    }


def _pending_sections(value: Any) -> dict[str, dict[str, Any]]:
    """The held-back removals per library of a stored ``pending_removal`` (older single-library records too)."""
    if not isinstance(value, dict):
        return {}
    sections = value.get("sections")
    if isinstance(sections, dict):
        return {str(k): v for k, v in sections.items() if isinstance(v, dict)}
    if "section_id" in value and "run_id" in value:
        return {str(value["section_id"]): value}
    return {}


def _pending_record(job: Job, held: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The stored ``pending_removal``: totals for the pages, and each library's hold."""
    if not held:
        return None
    return {
        "run_id": job.run_id,
        "section_id": next(iter(held)),
        "count": sum(int(entry["count"]) for entry in held.values()),
        "previous": sum(int(entry.get("previous", 0)) for entry in held.values()),
        "seen": sum(int(entry.get("seen", 0)) for entry in held.values()),
        "recorded_at": repo.now().isoformat(),
        "sections": held,
    }


def _confirm_section(session: Any, section: str, entry: dict[str, Any], selected: list[str]) -> int:
    """Carry out one library's held-back removal if it still applies; return the rows removed."""
    if entry.get("deselected"):
        if section in selected:
            log.info("pending removal of library %s dropped: it is selected again", section)
            return 0
        return repo.remove_other_sections(session, selected, only=section)
    if section not in selected:
        log.info("pending removal of library %s dropped: it is no longer selected", section)
        return 0
    keys = repo.keys_unseen_since(session, section, int(entry["run_id"]))
    return repo.remove_library_items(session, section, keys)


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
            selected = split_ids(repo.get_setting(session, SettingKey.LIBRARY_IDS))
            for section, entry in _pending_sections(pending).items():
                removed += _confirm_section(session, section, entry, selected)
            if removed:
                repo.bump_library_version(session)
            repo.set_json_setting(session, SettingKey.PENDING_REMOVAL, None)
    finally:
        with core.session() as session:
            repo.release_lease(session, SCAN_LEASE, holder)
    log.info("confirmed removal of %d albums held back by scan run %s", removed, pending.get("run_id"))
    if removed:
        rematch_catalog_quietly(core)
    return removed
