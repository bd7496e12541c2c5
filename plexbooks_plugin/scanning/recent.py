"""The recently-added poll: the newest albums since the watermark, usually in one request."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import replace

from .. import store as repo
from ..const import SettingKey
from ..records import PlexAudiobook
from ..services.watermark import at_watermark, merge_watermark, next_watermark, parse_watermark, walk_page
from .job import Counts, Job, Stored, checkpoint, store_page

RECENT_PAGE_SIZE = 10
RECENT_MAX_PAGES = 20


def recent_scan(job: Job, counts: Counts) -> None:
    """Poll every selected library for the albums added since its watermark."""
    done = 0
    for section in job.sections or (job.section,):
        done += _recent_section(replace(job, section=section), counts)
    checkpoint(job, done, done)


def _recent_section(job: Job, counts: Counts) -> int:
    """Mirror the library's albums added since its watermark (newest first), move the watermark on; return how many."""
    with job.core.session() as session:
        stored_mark = parse_watermark(repo.get_setting(session, SettingKey.RECENT_WATERMARK), job.section)
        watermark = stored_mark if stored_mark is not None else repo.newest_added_at(session, job.section)
    first_poll = watermark is None
    fresh: dict[str, PlexAudiobook] = {}
    reached = False
    pages = 0
    polled = job.client.recently_added(job.section, page_size=RECENT_PAGE_SIZE, max_pages=RECENT_MAX_PAGES)
    for page in polled:
        pages += 1
        counts.skipped += page.skipped
        mirrored: Container[str] = ()
        keys = at_watermark(page.items, watermark)
        if keys:  # one indexed query per page, so a poll right after an import still makes one request
            with job.core.session() as session:
                mirrored = set(repo.get_library_items(session, job.section, keys))
        walk = walk_page(page.items, watermark, mirrored)
        fresh.update((item.rating_key, item) for item in walk.fresh)
        reached = walk.reached
        # Stop as soon as we know there is nothing newer: with nothing new this is ONE request.
        if reached or first_poll:
            break
    getattr(polled, "close", lambda: None)()
    if not reached and not first_poll and pages >= RECENT_MAX_PAGES:
        counts.warnings.append(
            f"more than {RECENT_PAGE_SIZE * RECENT_MAX_PAGES} albums were added since the last poll; "
            "the next full scan picks up the rest"
        )
    items = list(fresh.values())
    stored = store_page(job, items) if items else Stored()
    counts.total += len(items)
    counts.new += stored.new
    counts.updated += stored.updated
    counts.skipped += len(stored.failed)
    newest = next_watermark(items, watermark)
    if newest is not None and newest != stored_mark:
        with job.core.session() as session:
            marks = repo.get_setting(session, SettingKey.RECENT_WATERMARK)
            merged = merge_watermark(marks, job.section, newest, job.sections or (job.section,))
            repo.set_setting(session, SettingKey.RECENT_WATERMARK, merged)
    return len(items)
