"""The recently-added poll: every album added or changed since the last poll, by filtered queries.

Every selected library is polled in turn, from its own watermarks. Two queries per library, since Plex
ANDs the filters of one query: `addedAt>>=` (new albums, however many: a 5,000-book import is paged
through) and `updatedAt>>=` with `addedAt<<=` (metadata corrections of older albums: a fixed match
changes the title or author without adding anything), each from its own watermark minus a margin;
the two never return the same album.
The very first poll (no watermark, nothing mirrored) reads only the newest page: the full scan
mirrors the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from .. import store as repo
from ..const import SettingKey
from ..records import PlexAudiobook, PlexPage
from ..services.watermark import filter_since, merge_watermark, newest_stamp, parse_watermark
from .job import Counts, Job, Throttle, checkpoint, fence, store_page

RECENT_PAGE_SIZE = 10  # the first poll's one page of newest albums
FILTERED_PAGE_SIZE = 200

# (query field, setting holding its watermark)
_MARKS = (("addedAt", SettingKey.RECENT_WATERMARK), ("updatedAt", SettingKey.RECENT_UPDATED_WATERMARK))


@dataclass
class _Poll:
    """What one poll of a section has done so far."""

    seen: set[str]
    added: list[int | None]
    updated: list[int | None]


def recent_scan(job: Job, counts: Counts) -> None:
    """Poll every selected library for the albums added or changed since its watermarks."""
    done = 0
    for section in job.sections or (job.section,):
        done += _recent_section(replace(job, section=section), counts, done)
    counts.total = done
    checkpoint(job, done, done)


def _recent_section(job: Job, counts: Counts, before_now: int) -> int:
    """Mirror one library's albums added or changed since its watermarks, move them on; return how many."""
    marks = _load_marks(job, job.section)
    poll = _Poll(set(), [], [])
    if marks["addedAt"] is None:
        first = job.client.recently_added(job.section, page_size=RECENT_PAGE_SIZE, max_pages=1)
        for page in first:
            _store(job, counts, poll, page)
    else:
        throttle = Throttle(job.lease_ttl)
        added_since = filter_since(marks["addedAt"] or 0)
        for field, _key in _MARKS:
            since = filter_since(marks[field] or marks["addedAt"] or 0)
            # The updatedAt query skips what the addedAt query already returned (added after
            # `added_since`): an import is read once, and only the corrections come back here.
            before = added_since + 1 if field == "updatedAt" else None
            pages = job.client.albums_since(
                job.section, field, since, page_size=FILTERED_PAGE_SIZE, added_before=before
            )
            for page in pages:
                _store(job, counts, poll, page)
                if throttle.due():
                    checkpoint(job, before_now + len(poll.seen), None)
    _save_marks(job, job.section, marks, {"addedAt": poll.added, "updatedAt": poll.updated})
    return len(poll.seen)


def _store(job: Job, counts: Counts, poll: _Poll, page: PlexPage) -> None:
    """Store a page's albums not already stored by this poll (paging may repeat one while Plex adds more)."""
    counts.skipped += page.skipped
    fresh: list[PlexAudiobook] = [item for item in page.items if item.rating_key not in poll.seen]
    if not fresh:
        return
    stored = store_page(job, fresh)
    counts.new += stored.new
    counts.updated += stored.updated
    counts.skipped += len(stored.failed)
    poll.seen.update(item.rating_key for item in fresh)
    poll.added.extend(item.added_at for item in fresh)
    poll.updated.extend(item.updated_at for item in fresh)


def _load_marks(job: Job, section: str) -> dict[str, int | None]:
    """Each field's stored watermark, else the newest value mirrored (a database that predates it)."""
    with job.core.session() as session:
        stored = {field: parse_watermark(repo.get_setting(session, key), section) for field, key in _MARKS}
        if stored["addedAt"] is None:
            stored["addedAt"] = repo.newest_added_at(session, section)
        if stored["updatedAt"] is None:
            stored["updatedAt"] = repo.newest_updated_at(session, section)
    return stored


def _save_marks(
    job: Job, section: str, marks: dict[str, int | None], seen: dict[str, Iterable[int | None]]
) -> None:
    with job.core.session() as session:
        fence(session, job)  # a scan that lost its lease or was cancelled moves no watermark
        for field, key in _MARKS:
            newest = newest_stamp(seen[field], marks[field])
            stored = repo.get_setting(session, key)
            if newest is not None and newest != parse_watermark(stored, section):
                # One setting holds every selected library's mark: only this library's entry changes.
                repo.set_setting(session, key, merge_watermark(stored, section, newest, job.sections or (section,)))
