"""What the emulator announces on the notification WebSocket when its library changes, as PMS does.

Timeline states (python-plexapi's alert.py, Tautulli's activity handler): 0 created (with
metadataState "created"), 1 progress (tracks: mediaState "analyzing"), 5 processed (no metadataState),
9 deleted (metadataState "deleted"). An added album sends its artist (when new), the album and its
tracks as created, then progress, then, after the processing delay, processed; a library without an
agent stops at progress.
"""

from __future__ import annotations

import uuid
from typing import Any

from . import notifications as shapes
from .library import FakeAlbum, FakeArtist, FakeSection, track_key
from .notifications import Notifier
from .render import IDENTIFIER
from .store import FakeLibrary

TYPE_ARTIST, TYPE_ALBUM, TYPE_TRACK = 8, 9, 10
NO_AGENT = "com.plexapp.agents.none"  # "Personal Media": items are never processed by an agent
SCAN_ACTIVITY = "library.update.section"


def _entry(section_id: int, key: int, kind: int, title: str, state: int, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "identifier": IDENTIFIER,
        "sectionID": str(section_id),
        "itemID": str(key),
        "type": kind,
        "title": title,
        "state": state,
    }
    entry.update({k: v for k, v in extra.items() if v is not None})
    entry["updatedAt"] = shapes.stamp()
    return entry


def album_entries(
    album: FakeAlbum,
    artist: FakeArtist,
    state: int,
    *,
    with_artist: bool,
    track_extra: dict[str, Any] | None = None,
    **extra: Any,
) -> list[dict[str, Any]]:
    """Entries for an album's artist (when asked), the album and each of its tracks (plus `track_extra`)."""
    sid = album.section_id
    entries = []
    if with_artist:
        entries.append(_entry(sid, artist.rating_key, TYPE_ARTIST, artist.title, state, **extra))
    entries.append(
        _entry(sid, album.rating_key, TYPE_ALBUM, album.title, state, parentItemID=str(artist.rating_key), **extra)
    )
    count = max(1, min(99, album.track_count))
    for index in range(1, count + 1):
        title = album.title if count == 1 else f"Part {index:02d}"
        entries.append(
            _entry(sid, track_key(album.rating_key, index), TYPE_TRACK, title, state,
                   parentItemID=str(album.rating_key), rootItemID=str(artist.rating_key), **extra,
                   **(track_extra or {}))
        )
    return entries


class Announcer:
    """Turns library changes into notification messages, now and after the processing delay."""

    def __init__(self, library: FakeLibrary, notifier: Notifier) -> None:
        self.library = library
        self.notifier = notifier

    def _reaches_processed(self, section: FakeSection) -> bool:
        return self.notifier.reaches_processed and section.agent != NO_AGENT

    def album_added(self, album: FakeAlbum, new_artist: bool) -> None:
        """A scan found a new album: activity, created, progress, later processed, status."""
        section = self.library.sections[album.section_id]
        artist = self.library.artists[album.artist_key]
        notifier = self.notifier
        scan = str(uuid.uuid4())
        title = f"Scanning {section.title}"
        notifier.publish(shapes.activity("started", scan, SCAN_ACTIVITY, title, 0, section.id))
        notifier.publish(shapes.timeline(
            album_entries(album, artist, 0, with_artist=new_artist, metadataState="created")
        ))
        notifier.publish(shapes.timeline(
            album_entries(album, artist, 1, with_artist=new_artist, track_extra={"mediaState": "analyzing"})
        ))
        notifier.publish(shapes.activity("ended", scan, SCAN_ACTIVITY, title, 100, section.id))
        notifier.publish(shapes.status("Library scan complete", f"{section.title} scanned", "LIBRARY_UPDATE"))
        if self._reaches_processed(section):
            processed = album_entries(album, artist, 5, with_artist=new_artist)
            notifier.later(notifier.processing_delay, lambda: notifier.publish(shapes.timeline(processed)))

    def album_updated(self, album: FakeAlbum) -> None:
        """An album's metadata changed (a match was fixed): progress now, processed after the delay."""
        section = self.library.sections[album.section_id]
        artist = self.library.artists[album.artist_key]
        notifier = self.notifier
        entry = album_entries(album, artist, 1, with_artist=False, metadataState="loading")[:1]
        notifier.publish(shapes.timeline(entry))
        if self._reaches_processed(section):
            processed = album_entries(album, artist, 5, with_artist=False)[:1]
            notifier.later(notifier.processing_delay, lambda: notifier.publish(shapes.timeline(processed)))

    def album_removed(self, album: FakeAlbum, artist_emptied: bool) -> None:
        """An album is gone: deleted entries for its tracks, itself and its artist when now empty."""
        artist = self.library.artists[album.artist_key]
        entries = album_entries(album, artist, 9, with_artist=artist_emptied, metadataState="deleted")
        # Children first, as PMS removes them: tracks, the album, then the artist.
        self.notifier.publish(shapes.timeline(entries[::-1]))

    def section_scanned(self, section_id: int) -> None:
        """A refresh of a section: the scan activity and its status message."""
        section = self.library.sections[section_id]
        scan = str(uuid.uuid4())
        title = f"Scanning {section.title}"
        self.notifier.publish(shapes.activity("started", scan, SCAN_ACTIVITY, title, 0, section.id))
        self.notifier.publish(shapes.activity("ended", scan, SCAN_ACTIVITY, title, 100, section.id))
        self.notifier.publish(shapes.status("Library scan complete", f"{section.title} scanned"))
