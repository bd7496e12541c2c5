"""Plain records passed between the Plex client, the scanner and the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class PlexAudiobook:
    """One Plex album (an audiobook) as plexbooks stores it."""

    rating_key: str
    guid: str
    title: str
    author: str | None = None
    narrator: str | None = None
    duration: int | None = None  # milliseconds; may exceed 2**31
    year: int | None = None
    summary: str | None = None
    thumb: str | None = None
    added_at: int | None = None  # Plex epoch seconds
    updated_at: int | None = None  # Plex epoch seconds
    file_path: str | None = None
    asin: str | None = None
    guids: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class PlexSection:
    """One library section of a Media Server."""

    id: str
    title: str
    type: str  # "artist" for music libraries (where audiobooks live), "movie", "show", ...
    agent: str | None = None
    locations: tuple[str, ...] = ()
    item_count: int | None = None  # albums in the section, when asked for

    def as_json(self) -> dict[str, Any]:
        """The public shape of a section (settings page, API, connection test)."""
        return {
            "id": str(self.id),
            "title": self.title,
            "type": self.type,
            "locations": list(self.locations),
            "item_count": self.item_count,
        }


@dataclass(frozen=True, slots=True)
class PlexIdentity:
    """What `/identity` (and `/`) say about a Media Server."""

    machine_identifier: str
    version: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class PlexPage:
    """One page of a paged listing: its items and the listing's total size."""

    items: list[PlexAudiobook]
    offset: int
    total_size: int
    skipped: int = 0  # items on the page that could not be parsed
    # Keys of items left out of `items` because their updatedAt equals the caller's (full scans only).
    unchanged: tuple[str, ...] = ()
    # Keys a light listing named as changed whose records were gone when fetched (removed meanwhile).
    vanished: tuple[str, ...] = ()
