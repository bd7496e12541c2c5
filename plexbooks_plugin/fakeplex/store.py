"""The emulator's library state: generation, mutation hooks, and cached sort orders."""

from __future__ import annotations

import threading
import time
import unicodedata
from dataclasses import fields as dataclass_fields
from typing import Any

from . import data
from .library import (
    _EPOCH_2016,
    _EPOCH_2025_06,
    MUSIC_AGENTS,
    SECOND_AUDIOBOOK_SECTION,
    FakeAlbum,
    FakeArtist,
    FakeSection,
    LibraryGenerator,
    album_folder,
    audnexus_guid,
    build_sections,
    hex_id,
    make_asin,
    second_audiobook_section,
)

AUDIOBOOK_SECTION = 4
UNKNOWN_ARTIST = "[Unknown Artist]"
MUSIC_SECTION = 2
_FIRST_KEY = 1001
_ALBUM_FIELDS = {f.name for f in dataclass_fields(FakeAlbum)} - {"rating_key", "fields"}
_SORT_FIELDS = {
    "titleSort": lambda a: (a.sort_key, a.rating_key),
    "title": lambda a: (a.sort_key, a.rating_key),
    "addedAt": lambda a: (a.added_at, a.rating_key),
    "updatedAt": lambda a: (a.updated_at or a.added_at, a.rating_key),
    "year": lambda a: (a.year or 0, a.rating_key),
    "originallyAvailableAt": lambda a: (a.year or 0, a.rating_key),
    "ratingKey": lambda a: a.rating_key,
    "id": lambda a: a.rating_key,
    "duration": lambda a: (a.true_duration, a.rating_key),
    "random": lambda a: (a.rating_key * 2654435761) % 4294967296,
}


class BadSort(ValueError):
    """A sort parameter the emulator does not know (PMS answers 400)."""


def fold(text: str) -> str:
    """Case- and accent-insensitive form used by the title filter."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def parse_sort(sort: str | None) -> tuple[str, bool]:
    """("addedAt", True) for "addedAt:desc" or "album.addedAt:desc"; titleSort by default."""
    if not sort:
        return "titleSort", False
    first = sort.split(",", 1)[0].strip()
    field, _, direction = first.partition(":")
    field = field.rsplit(".", 1)[-1]
    if field not in _SORT_FIELDS or direction not in ("", "asc", "desc", "nullsLast"):
        raise BadSort(sort)
    return field, direction == "desc"


class FakeLibrary:
    """Sections, artists and albums of the fake server; every method is thread-safe."""

    def __init__(self, items: int, seed: int, second_audiobooks: int = 0) -> None:
        self.lock = threading.RLock()
        self.sections: dict[int, FakeSection] = {s.id: s for s in build_sections()}
        if second_audiobooks > 0:
            self.sections[SECOND_AUDIOBOOK_SECTION] = second_audiobook_section()
        self.albums: dict[int, FakeAlbum] = {}
        self.artists: dict[int, FakeArtist] = {}
        self._artist_by_name: dict[tuple[int, str], int] = {}
        self._next_key = _FIRST_KEY
        self.version = 0
        self.scanned_at = _EPOCH_2025_06
        self._sorted: dict[tuple[int, str, bool], list[FakeAlbum]] = {}
        self._folded: dict[int, str] = {}
        self._generate_music(seed)
        self._generate_audiobooks(max(0, int(items)), seed, AUDIOBOOK_SECTION)
        if second_audiobooks > 0:
            # Another seed: the second library holds other books (a few well-known titles recur).
            self._generate_audiobooks(int(second_audiobooks), seed + 7919, SECOND_AUDIOBOOK_SECTION)

    # ------------------------------------------------------------------------------ keys

    def _new_key(self) -> int:
        key = self._next_key
        self._next_key += 1
        return key

    def artist_for(self, section_id: int, name: str | None, added_at: int) -> FakeArtist:
        """The artist an album files under (created on first use)."""
        title = name or ""
        existing = self._artist_by_name.get((section_id, title))
        if existing is not None:
            return self.artists[existing]
        key = self._new_key()
        artist = FakeArtist(
            rating_key=key,
            section_id=section_id,
            title=title or UNKNOWN_ARTIST,  # PMS files albums without an artist tag here
            guid=f"plex://artist/{hex_id('artist', section_id, title)}" if title else f"local://{key}",
            added_at=added_at,
        )
        self.artists[key] = artist
        self._artist_by_name[(section_id, title)] = key
        return artist

    # ------------------------------------------------------------------------------ generation

    def _generate_music(self, seed: int) -> None:
        section = self.sections[MUSIC_SECTION]
        for i, (title, artist_name, year) in enumerate(data.MUSIC_ALBUMS):
            added = 1_530_000_000 + i * 86_400 * 17
            artist = self.artist_for(MUSIC_SECTION, artist_name, added)
            key = self._new_key()
            tracks = 8 + (i * 5) % 7
            self.albums[key] = FakeAlbum(
                rating_key=key,
                section_id=MUSIC_SECTION,
                title=title,
                author=artist_name,
                narrator=None,
                guid=f"plex://album/{hex_id('music', seed, title)}",
                artist_key=artist.rating_key,
                added_at=added,
                updated_at=added + 3600,
                year=year,
                duration=None,
                true_duration=tracks * 240_000,
                summary="",
                studio=None,
                genre="Pop/Rock",
                track_count=tracks,
                folder=album_folder(section.location, artist_name, title),
                extension="flac",
                music=True,
            )

    def _generate_audiobooks(self, count: int, seed: int, section_id: int) -> None:
        """Generate `count` books into `section_id` (rating keys grow with addedAt)."""
        gen = LibraryGenerator(seed)
        rng = gen.rng
        reals = list(data.REAL_TITLES)
        rng.shuffle(reals)
        n_real = min(len(reals), (count * 2) // 3)
        real_at = set(rng.sample(range(count), n_real)) if n_real else set()
        # Rating keys grow with addedAt, as they do on a server that has been adding books for years.
        span = _EPOCH_2025_06 - _EPOCH_2016
        random_ = gen.random
        added = sorted(_EPOCH_2016 + int(random_() * span) for _ in range(count))
        publishers, genres = data.PUBLISHERS, data.GENRES
        n_publishers, n_genres = len(publishers), len(genres)
        lower_genre = {g: g.lower() for g in genres}
        by_name = self._artist_by_name
        albums = self.albums
        # Picks are inlined as seq[int(random() * n)]: at 100,000 books, call overhead is the cost.
        for i in range(count):
            real = i in real_at
            if real:
                title, author = reals.pop()
            else:
                title, author = gen.title(), gen.person()
            title = gen.decorate(title, i, real=real)
            parent, narrator = gen.credits(author, i)
            added_at = added[i]
            artist_key = by_name.get((section_id, parent or ""))
            if artist_key is None:
                artist_key = self.artist_for(section_id, parent, added_at).rating_key
            key = self._new_key()
            guid, extra = gen.guid(key)
            # Every 149th is a box set beyond 596 hours: more than 2**31 milliseconds.
            if i % 149 == 31:
                true_duration = 2**31 + 1 + int(random_() * 1_352_516_352)
            else:
                true_duration = 3_600_000 + int(random_() * 140_400_000)  # 1 to 40 hours
            tracks = 1 if random_() < 0.6 else 2 + int(random_() * 39)
            genre = genres[int(random_() * n_genres)]
            albums[key] = FakeAlbum(
                rating_key=key,
                section_id=section_id,
                title=title,
                author=parent,
                narrator=narrator,
                guid=guid,
                artist_key=artist_key,
                added_at=added_at,
                updated_at=None if i % 23 == 3 else added_at + int(random_() * 31_536_000),
                year=None if i % 37 == 5 else 1950 + int(random_() * 75),
                duration=None if random_() < 0.25 else true_duration,
                true_duration=true_duration,
                summary=f"{title}, a {lower_genre[genre]} audiobook by {author}.",
                studio=None if i % 10 == 9 else publishers[int(random_() * n_publishers)],
                genre=genre,
                track_count=tracks,
                extra_guids=extra,
                extension="m4b" if tracks == 1 else "mp3",
            )

    # ------------------------------------------------------------------------------ mutation

    def _changed(self) -> None:
        self.version += 1
        self._sorted.clear()

    def add_album(
        self,
        title: str,
        author: str | None,
        *,
        narrator: str | None = None,
        asin: str | None = None,
        guid: str | None = None,
        added_at: int | None = None,
        section_id: int = AUDIOBOOK_SECTION,
        **fields: Any,
    ) -> FakeAlbum:
        """Add an album as if Plex had just scanned it in."""
        with self.lock:
            if section_id not in self.sections or self.sections[section_id].type != "artist":
                raise KeyError(f"section {section_id} is not a music section")
            added = int(added_at if added_at is not None else time.time())
            artist = self.artist_for(section_id, author, added)
            key = self._new_key()
            if guid is None:
                guid = audnexus_guid(asin) if asin else f"local://{key}"
            plex_fields = {k: v for k, v in fields.items() if k not in _ALBUM_FIELDS}
            known = {k: v for k, v in fields.items() if k in _ALBUM_FIELDS}
            true_duration = known.pop("true_duration", None) or known.get("duration") or 36_000_000
            album = FakeAlbum(
                rating_key=key,
                section_id=section_id,
                title=title,
                author=author,
                narrator=narrator,
                guid=guid,
                artist_key=artist.rating_key,
                added_at=added,
                updated_at=known.pop("updated_at", added),
                true_duration=true_duration,
                folder=known.pop("folder", None)
                or album_folder(self.sections[section_id].location, author, title),
                fields=plex_fields,
                music=self.sections[section_id].agent in MUSIC_AGENTS,
            )
            for name, value in known.items():
                setattr(album, name, value)
            if "track_count" in known:
                album.extension = "m4b" if album.track_count == 1 else "mp3"
            self.albums[key] = album
            self._changed()
            return album

    def update_album(self, rating_key: int, **fields: Any) -> FakeAlbum:
        """Change an album's fields (dataclass names, or raw Plex attributes); bumps updatedAt."""
        with self.lock:
            album = self.albums[int(rating_key)]
            if "asin" in fields:
                asin = fields.pop("asin")
                fields.setdefault("guid", audnexus_guid(asin) if asin else f"local://{album.rating_key}")
            if "author" in fields and fields["author"] != album.author:
                album.artist_key = self.artist_for(album.section_id, fields["author"], album.added_at).rating_key
            for name, value in fields.items():
                if name in _ALBUM_FIELDS:
                    setattr(album, name, value)
                else:
                    album.fields[name] = value
            if "updated_at" not in fields:
                album.updated_at = max(int(time.time()), (album.updated_at or album.added_at) + 1)
            if "duration" in fields and fields["duration"] and "true_duration" not in fields:
                album.true_duration = fields["duration"]
            self._folded.pop(album.rating_key, None)
            self._changed()
            return album

    def remove_album(self, rating_key: int) -> None:
        """Delete an album, as when a book is removed from disk and the library emptied of it."""
        with self.lock:
            del self.albums[int(rating_key)]
            self._folded.pop(int(rating_key), None)
            self._changed()

    # ------------------------------------------------------------------------------ queries

    def sorted_albums(self, section_id: int, sort: str | None = None) -> list[FakeAlbum]:
        """A section's albums in a sort order (cached until the library changes)."""
        field, desc = parse_sort(sort)
        cache_key = (section_id, field, desc)
        with self.lock:
            cached = self._sorted.get(cache_key)
            if cached is None:
                albums = [a for a in self.albums.values() if a.section_id == section_id]
                albums.sort(key=_SORT_FIELDS[field], reverse=desc)
                self._sorted[cache_key] = cached = albums
            return cached

    def filter_title(self, albums: list[FakeAlbum], title: str) -> list[FakeAlbum]:
        """Albums whose title contains `title`, ignoring case and accents (as Plex does)."""
        needle = fold(title)
        with self.lock:
            out = []
            for album in albums:
                folded = self._folded.get(album.rating_key)
                if folded is None:
                    folded = self._folded[album.rating_key] = fold(album.title)
                if needle in folded:
                    out.append(album)
            return out

    def artists_in(self, section_id: int, sort: str | None = None) -> list[FakeArtist]:
        """A section's artists that have at least one album (by title, or addedAt/ratingKey)."""
        field, desc = parse_sort(sort)
        with self.lock:
            used = {a.artist_key for a in self.albums.values() if a.section_id == section_id}
            artists = [self.artists[k] for k in used]
        if field == "addedAt":
            return sorted(artists, key=lambda a: (a.added_at, a.rating_key), reverse=desc)
        if field in ("ratingKey", "id"):
            return sorted(artists, key=lambda a: a.rating_key, reverse=desc)
        return sorted(artists, key=lambda a: (fold(a.title), a.rating_key), reverse=desc)


__all__ = ["AUDIOBOOK_SECTION", "MUSIC_SECTION", "BadSort", "FakeLibrary", "fold", "make_asin", "parse_sort"]
