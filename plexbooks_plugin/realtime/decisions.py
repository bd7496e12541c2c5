"""What the notification listener does with Plex's timeline entries, and when: pure, with the clock passed in.

Timeline states (python-plexapi's alert.py, Tautulli's activity handler): 0 created, 1 progress,
2 matching, 3 downloading, 4 processing downloaded metadata, 5 processed, 9 deleted. A library
without an agent never reaches 5 (it ends at 1), so an album that went quiet is fetched anyway.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

ALBUM_TYPE = 9
LIBRARY_IDENTIFIER = "com.plexapp.plugins.library"
STATE_PROCESSED = 5
STATE_DELETED = 9

# A burst (a bulk import sends hundreds of entries) is fetched once it has been quiet this long...
DEBOUNCE_SECONDS = 0.25
# ...or once its oldest entry waited this long, so a steady stream still lands within seconds.
MAX_WAIT_SECONDS = 1.0
# An album seen only in states 0-4 (no agent, or a stuck agent) is fetched after this much silence.
QUIET_SECONDS = 5.0
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class AlbumEvent:
    """One timeline entry about an album of a selected library."""

    section_id: str
    rating_key: str
    state: int


def album_events(message: Any, sections: Collection[str]) -> list[AlbumEvent]:
    """The album entries of one notification message (parsed JSON) that concern `sections`; others ignored."""
    container = message.get("NotificationContainer") if isinstance(message, Mapping) else None
    if not isinstance(container, Mapping) or container.get("type") != "timeline":
        return []
    entries = container.get("TimelineEntry")
    if not isinstance(entries, list):
        return []
    events: list[AlbumEvent] = []
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("identifier", LIBRARY_IDENTIFIER) != LIBRARY_IDENTIFIER:
            continue
        try:
            kind, state = int(entry.get("type", -1)), int(entry.get("state", -1))
        except (TypeError, ValueError):
            continue
        section, key = str(entry.get("sectionID", "")), str(entry.get("itemID", ""))
        if kind == ALBUM_TYPE and section in sections and key.isdigit():
            events.append(AlbumEvent(section, key, state))
    return events


@dataclass(frozen=True)
class Batch:
    """Work due now: albums to fetch and mirror (key -> section), albums to check for a 404."""

    fetch: dict[str, str] = field(default_factory=dict)
    check_deleted: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.fetch or self.check_deleted)


class PendingAlbums:
    """Albums heard about and not yet handled; `due(now)` says which are ready (debounce and quiet period)."""

    def __init__(self) -> None:
        self._processed: dict[str, tuple[str, float]] = {}  # key -> (section, first heard)
        self._deleted: dict[str, tuple[str, float]] = {}
        self._quiet: dict[str, tuple[str, float]] = {}  # key -> (section, last heard) for states 0-4
        self._last_event = 0.0

    def add(self, event: AlbumEvent, now: float) -> None:
        """Note one album event heard at `now`."""
        key, section = event.rating_key, event.section_id
        if event.state in (STATE_DELETED, STATE_PROCESSED):
            self._last_event = now  # only what makes a batch extends the burst (not other albums' progress)
        if event.state == STATE_DELETED:
            self._processed.pop(key, None)
            self._quiet.pop(key, None)
            self._deleted.setdefault(key, (section, now))
        elif event.state == STATE_PROCESSED:
            self._quiet.pop(key, None)
            self._deleted.pop(key, None)
            self._processed.setdefault(key, (section, now))
        elif key not in self._processed:
            self._deleted.pop(key, None)
            self._quiet[key] = (section, now)

    def __len__(self) -> int:
        return len(self._processed) + len(self._deleted) + len(self._quiet)

    def _burst_ready(self, now: float) -> bool:
        oldest = min((t for _s, t in [*self._processed.values(), *self._deleted.values()]), default=None)
        if oldest is None:
            return False
        return now - self._last_event >= DEBOUNCE_SECONDS or now - oldest >= MAX_WAIT_SECONDS

    def due(self, now: float) -> Batch:
        """Take the albums ready at `now` out of the pending set."""
        batch = Batch()
        if self._burst_ready(now):
            batch.fetch.update({k: s for k, (s, _t) in self._processed.items()})
            batch.check_deleted.update({k: s for k, (s, _t) in self._deleted.items()})
            self._processed.clear()
            self._deleted.clear()
        for key, (section, heard) in list(self._quiet.items()):
            if now - heard >= QUIET_SECONDS:
                batch.fetch[key] = section
                del self._quiet[key]
        return batch

    def next_due_in(self, now: float) -> float | None:
        """Seconds until `due` may return something (0 = now), or None when nothing is pending."""
        waits: list[float] = []
        if self._processed or self._deleted:
            oldest = min(t for _s, t in [*self._processed.values(), *self._deleted.values()])
            waits.append(min(self._last_event + DEBOUNCE_SECONDS, oldest + MAX_WAIT_SECONDS) - now)
        waits.extend(heard + QUIET_SECONDS - now for _s, heard in self._quiet.values())
        return max(0.0, min(waits)) if waits else None


def backoff_delay(failures: int) -> float:
    """Seconds to wait before reconnect attempt number `failures` (1, 2, 4, ... at most 30)."""
    if failures <= 0:
        return 0.0
    return min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** min(failures - 1, 16))


def websocket_url(plex_url: str) -> str:
    """The notification WebSocket of a server URL (http -> ws, https -> wss); never holds the token."""
    base = plex_url.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base[len("https://"):] + "/:/websockets/notifications"
    if base.startswith("http://"):
        return "ws://" + base[len("http://"):] + "/:/websockets/notifications"
    raise ValueError("the Plex server URL must start with http:// or https://")
