"""The fake Plex library: sections, artists and albums, generated deterministically from a seed."""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from typing import Any

from . import data

TRACK_BASE = 1_000_000_000  # track rating keys are TRACK_BASE + album_key * 100 + index
MAX_TRACKS = 99
_EPOCH_2016 = 1451606400  # 2016-01-01
_EPOCH_2025_06 = 1748736000  # 2025-06-01
_ARTICLES = re.compile(r"^(the|a|an)\s+", re.IGNORECASE)
_UNSAFE_PATH = re.compile(r'[\\/:*?"<>|]')
_REGIONS = ("us", "us", "us", "uk", "au", "ca", "de")  # Audible stores, weighted as libraries hold them


@dataclass(slots=True)
class FakeSection:
    """One library section (a Directory of /library/sections)."""

    id: int
    title: str
    type: str  # "artist" (music), "movie"
    agent: str
    scanner: str
    location: str
    uuid: str
    created_at: int
    language: str = "en"
    extra_locations: tuple[str, ...] = ()  # further folders of the library (a second disk)

    @property
    def locations(self) -> list[str]:
        """Every folder of the library, the main one first."""
        return [self.location, *self.extra_locations]


@dataclass(slots=True)
class FakeArtist:
    """An album artist (type 8); audiobook libraries file authors (or narrators) here."""

    rating_key: int
    section_id: int
    title: str
    guid: str
    added_at: int


@dataclass(slots=True)
class FakeAlbum:
    """One album (type 9): for the audiobook section, one book."""

    rating_key: int
    section_id: int
    title: str
    author: str | None  # parentTitle; None renders no parentTitle (as some listings do)
    narrator: str | None  # originalTitle
    guid: str
    artist_key: int
    added_at: int
    updated_at: int | None = None
    year: int | None = None
    duration: int | None = None  # what the listing shows (often absent)
    true_duration: int = 0  # what the tracks add up to
    summary: str = ""
    studio: str | None = None
    genre: str | None = None
    track_count: int = 1
    extra_guids: tuple[str, ...] = ()  # Guid children (includeGuids=1)
    folder: str = ""  # empty: derived from the section location, author and title on demand
    title_sort: str | None = None
    extension: str = "m4b"
    fields: dict[str, Any] = field(default_factory=dict)  # extra Plex attributes from tests
    music: bool = False  # a music album: its tracks are songs, not parts of a book

    @property
    def sort_key(self) -> str:
        """Plex sorts titles without leading articles, case-insensitively."""
        return (self.title_sort or _ARTICLES.sub("", self.title)).casefold()


_ASIN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def make_asin(rng: random.Random) -> str:
    """A plausible audiobook ASIN: B0 plus eight upper-case letters and digits."""
    bits = rng.getrandbits(48)  # one call instead of eight: generation speed matters at 100k
    chars = []
    for _ in range(8):
        bits, digit = divmod(bits, 36)
        chars.append(_ASIN_ALPHABET[digit])
    return "B0" + "".join(chars)


def audnexus_guid(asin: str, region: str = "us") -> str:
    """The guid the Audnexus agent writes for a book."""
    return f"com.plexapp.agents.audnexus://{asin}_{region}?lang=en"


def hex_id(*parts: object, length: int = 24) -> str:
    """A deterministic hex id (for plex:// guids, uuids, machine identifiers)."""
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:length]


def safe_path_part(text: str) -> str:
    """A file-system-safe version of a name, as audiobook organisers write them."""
    text = text.replace(": ", " - ")
    return _UNSAFE_PATH.sub("-", text).strip(" .-") or "Unknown"


def album_folder(location: str, author: str | None, title: str) -> str:
    """The folder of a book: <location>/<author>/<title>."""
    return f"{location}/{safe_path_part(author or 'Unknown Author')}/{safe_path_part(title)}"


def track_key(album_key: int, index: int) -> int:
    """The rating key of an album's track (1-based index)."""
    return TRACK_BASE + album_key * 100 + index


def split_track_key(key: int) -> tuple[int, int] | None:
    """(album key, track index) of a track rating key, or None when it is not a track key."""
    if key < TRACK_BASE:
        return None
    album_key, index = divmod(key - TRACK_BASE, 100)
    return (album_key, index) if index >= 1 else None


def folder_of(album: FakeAlbum, location: str) -> str:
    """The album's folder on the server's disk."""
    return album.folder or album_folder(location, album.author, album.title)


def track_durations(album: FakeAlbum) -> list[int]:
    """Durations (ms) of an album's tracks, adding up to its true duration."""
    count = max(1, min(MAX_TRACKS, album.track_count))
    base, rest = divmod(max(album.true_duration, count), count)
    return [base + (1 if i < rest else 0) for i in range(count)]


class LibraryGenerator:
    """Builds the generated audiobook albums; kept separate so 100,000 items stay fast."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.random = self.rng.random
        self._used_asins: set[str] = set()

    def pick(self, seq: tuple[str, ...] | list[str]) -> str:
        """rng.choice, several times faster (random() is C; choice() is Python)."""
        return seq[int(self.random() * len(seq))]

    def randint(self, low: int, high: int) -> int:
        """rng.randint(low, high) via random(): uniform enough for fake data, much faster."""
        return low + int(self.random() * (high - low + 1))

    def asin(self) -> str:
        """A unique ASIN."""
        while True:
            value = make_asin(self.rng)
            if value not in self._used_asins:
                self._used_asins.add(value)
                return value

    def credits(self, author: str, index: int) -> tuple[str | None, str | None]:
        """(the artist a book is filed under, its narrator): mostly the author, now and then the narrator."""
        random_ = self.random
        narrators = data.NARRATORS
        narrator = narrators[int(random_() * len(narrators))] if random_() < 0.55 else None
        parent: str | None = author
        if narrator and random_() < 0.06:
            # Filed under the narrator, with the author as the secondary artist.
            parent, narrator = narrator, author
        if index % 101 == 50:
            parent = None  # some listings carry no parentTitle at all
        return parent, narrator

    def guid(self, key: int) -> tuple[str, tuple[str, ...]]:
        """A book's guid and extra Guids: Audnexus 60 %, plex:// 25 % (some with more Guids), local:// 15 %."""
        random_ = self.random
        roll = random_()
        if roll < 0.6:
            return audnexus_guid(self.asin(), _REGIONS[int(random_() * len(_REGIONS))]), ()
        if roll >= 0.85:
            return f"local://{key}", ()
        guid = f"plex://album/{hex_id('album', self.seed, key)}"
        sub = random_()
        if sub < 0.15:
            return guid, (f"audible://{self.asin()}",)
        if sub < 0.3:
            return guid, (f"mbid://{hex_id('mbid', self.seed, key, length=32)}",)
        return guid, ()

    def person(self) -> str:
        """A generated author name (with diacritics now and then)."""
        return f"{self.pick(data.FIRST_NAMES)} {self.pick(data.LAST_NAMES)}"

    def title(self) -> str:
        """A generated book title."""
        pick = self.pick
        pattern = int(self.random() * 6)
        adj, noun, other = pick(data.ADJECTIVES), pick(data.NOUNS), pick(data.NOUNS)
        if pattern == 0:
            return f"The {adj} {noun}"
        if pattern == 1:
            return f"{noun} of {other}s"
        if pattern == 2:
            return f"The {noun} of the {adj} {other}"
        if pattern == 3:
            return f"A {noun} of {adj} {other}s"
        if pattern == 4:
            return f"{adj} {noun}"
        return f"The {noun}'s {other}"

    def decorate(self, title: str, index: int, *, real: bool = False) -> str:
        """Add the variations real libraries have: editions, series numbers, subtitles, emoji.

        Real titles only get edition markers, so they stay matchable against real catalogs.
        """
        roll = self.random()
        if roll < 0.12:
            title = f"{title} (Unabridged)"
        elif real:
            pass
        elif roll < 0.24:
            series = f"{self.pick(data.ADJECTIVES)} {self.pick(data.SERIES_WORDS)}"
            number = self.randint(1, 9)
            title = f"{title}: {series}, Book {number}" if self.random() < 0.5 else f"{title}, Book {number}"
        elif roll < 0.29:
            title = f"{title}: A Novel"
        elif roll < 0.39:
            title = f"{title}: {self.pick(data.SUBTITLES)}"
        if index % 211 == 7:
            title = f"{title} {self.pick(data.EMOJI)}"
        return title


MUSIC_AGENTS = frozenset({"tv.plex.agents.music", "com.plexapp.agents.lastfm"})
SECOND_AUDIOBOOK_SECTION = 5


def second_audiobook_section(location_root: str = "/data") -> FakeSection:
    """An optional second audiobook library (5), with two folders: a children's library on another disk."""
    return FakeSection(
        SECOND_AUDIOBOOK_SECTION, "Kids Audiobooks", "artist", "com.plexapp.agents.audnexus", "Plex Music Scanner",
        f"{location_root}/kids-audiobooks", hex_id("section", SECOND_AUDIOBOOK_SECTION, length=32),
        1_499_601_583 + 180, extra_locations=("/mnt/disk2/kids-audiobooks",),
    )


def song_title(album_key: int, index: int) -> str:
    """A song's title, stable per album and track."""
    seed = int(hex_id("song", album_key, index, length=8), 16)
    adjective = data.ADJECTIVES[seed % len(data.ADJECTIVES)]
    noun = data.NOUNS[(seed // 97) % len(data.NOUNS)]
    return f"{adjective} {noun}"


def build_sections(location_root: str = "/data") -> list[FakeSection]:
    """The sections of the fake server: Movies (1), Music (2) and Audiobooks (4)."""
    created = 1_499_601_583
    return [
        FakeSection(1, "Movies", "movie", "tv.plex.agents.movie", "Plex Movie",
                    f"{location_root}/movies", hex_id("section", 1, length=32), created),
        FakeSection(2, "Music", "artist", "tv.plex.agents.music", "Plex Music",
                    f"{location_root}/music", hex_id("section", 2, length=32), created + 60),
        # Key 3 was deleted long ago, as happens on real servers: ids are not positions.
        FakeSection(4, "Audiobooks", "artist", "com.plexapp.agents.audnexus", "Plex Music Scanner",
                    f"{location_root}/audiobooks", hex_id("section", 4, length=32), created + 120),
    ]
