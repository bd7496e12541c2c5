"""The recently-added poll's watermarks: the newest Plex addedAt and updatedAt a poll has seen, per library section."""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass

from ..records import PlexAudiobook


def parse_watermark(value: str | None, section: str) -> int | None:
    """Read the section's entry of "section:addedAt[,section:addedAt...]"; other sections' entries do not count."""
    for entry in (value or "").split(","):
        owner, _, mark = entry.rpartition(":")
        if owner == section:
            try:
                return int(mark)
            except ValueError:
                return None
    return None


def merge_watermark(value: str | None, section: str, added_at: int, selected: Sequence[str]) -> str:
    """The stored watermarks with `section`'s set to `added_at`, keeping only the selected sections' entries."""
    marks = {s: m for s in selected if s != section and (m := parse_watermark(value, s)) is not None}
    marks[section] = added_at
    return ",".join(format_watermark(s, marks[s]) for s in selected if s in marks)


def format_watermark(section: str, added_at: int) -> str:
    """The stored form of a watermark."""
    return f"{section}:{added_at}"


def at_watermark(items: Iterable[PlexAudiobook], watermark: int | None) -> list[str]:
    """Rating keys of a page's items added in the watermark's own second (they may be mirrored already)."""
    if watermark is None:
        return []
    return [item.rating_key for item in items if item.added_at == watermark]


@dataclass(frozen=True)
class PageWalk:
    """What one newest-first page holds for the poll: its new items, and whether older pages can be skipped."""

    fresh: list[PlexAudiobook]
    reached: bool


def walk_page(items: Sequence[PlexAudiobook], watermark: int | None, mirrored: Container[str]) -> PageWalk:
    """Take a page's items newer than the watermark; stop at an older one or at a mirrored one of its second.

    Equal timestamps are kept: several books can be added within the same second. A book of the
    watermark's second that is already mirrored means the older pages hold nothing new.
    """
    fresh: list[PlexAudiobook] = []
    reached = False
    for item in items:
        if watermark is not None and item.added_at is not None and item.added_at < watermark:
            return PageWalk(fresh, True)
        if item.rating_key in mirrored:
            reached = True  # the rest of this page is still read: it costs no request
        fresh.append(item)
    return PageWalk(fresh, reached)


def next_watermark(items: Iterable[PlexAudiobook], watermark: int | None) -> int | None:
    """The watermark after a poll that stored `items`: it never moves backwards."""
    return newest_stamp((i.added_at for i in items), watermark)


# Plex stamps an album's addedAt/updatedAt when its transaction starts, so an album committed a little
# later can carry a slightly older stamp than one already seen: every filtered query reaches back this far.
FILTER_MARGIN_SECONDS = 120


def filter_since(watermark: int, margin: int = FILTER_MARGIN_SECONDS) -> int:
    """The value of an `addedAt>>=` / `updatedAt>>=` filter (strictly after) for a watermark."""
    return max(0, watermark - max(0, margin) - 1)


def newest_stamp(values: Iterable[int | None], watermark: int | None) -> int | None:
    """The watermark after a poll saw items with these stamps: the newest, never moving backwards."""
    newest = max((v for v in values if v is not None), default=None)
    if watermark is not None and (newest is None or newest < watermark):
        return watermark
    return newest
