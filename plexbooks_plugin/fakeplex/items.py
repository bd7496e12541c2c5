"""Looking items up in the fake library and turning them into Plex item dicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import render
from .library import FakeAlbum, FakeSection, split_track_key
from .store import FakeLibrary


def album_converter(
    library: FakeLibrary, section: FakeSection, include_guids: bool = False
) -> Callable[[FakeAlbum], dict[str, Any]]:
    """A function rendering albums of `section` as listing items."""
    artists = library.artists

    def convert(album: FakeAlbum) -> dict[str, Any]:
        return render.album_dict(album, artists[album.artist_key], section, include_guids=include_guids)

    return convert


# Attributes a trimmed album item can be made of without rendering the whole item (the scan's
# light listing asks for ratingKey and updatedAt of 100,000 albums; rendering each whole to throw
# most of it away would cost the emulator as much as the whole listing).
_CHEAP_FIELDS: dict[str, Callable[[FakeAlbum], Any]] = {
    "ratingKey": lambda album: str(album.rating_key),
    "type": lambda album: "album",
    "title": lambda album: album.title,
    "addedAt": lambda album: album.added_at,
    "updatedAt": lambda album: album.updated_at or None,
}


def names(value: str | None) -> frozenset[str] | None:
    """A comma-separated includeFields/excludeFields/*Elements value as a set (None when absent)."""
    if value is None:
        return None
    return frozenset(name.strip() for name in value.split(",") if name.strip())


def trimmed_converter(
    convert: Callable[[FakeAlbum], dict[str, Any]],
    *,
    include_fields: frozenset[str] | None,
    exclude_fields: frozenset[str] | None,
    include_elements: frozenset[str] | None,
    exclude_elements: frozenset[str] | None,
) -> Callable[[FakeAlbum], dict[str, Any]]:
    """`convert` with PMS's response customization (only these attributes / child elements, or all but these).

    Here `includeFields` also leaves out child elements that `includeElements` does not name (the spec
    leaves it open; plexbooks asks with `excludeElements` as well, so either reading serves it).
    """
    if include_fields is None and exclude_fields is None and include_elements is None and exclude_elements is None:
        return convert
    if include_fields is not None and include_fields <= _CHEAP_FIELDS.keys() and include_elements is None:
        getters = [(name, _CHEAP_FIELDS[name]) for name in _CHEAP_FIELDS if name in include_fields]

        def cheap(album: FakeAlbum) -> dict[str, Any]:
            item = {name: value for name, get in getters if (value := get(album)) is not None}
            if album.fields:  # a test's override of a field stays what the listing sends
                item.update((k, v) for k, v in album.fields.items() if k in include_fields)
            return item

        return cheap

    def trimmed(album: FakeAlbum) -> dict[str, Any]:
        item = {}
        for name, value in convert(album).items():
            if isinstance(value, list):  # a child element: with includeFields, only those includeElements names
                if include_elements is not None:
                    keep = name in include_elements
                else:
                    keep = include_fields is None and name not in (exclude_elements or ())
            else:
                keep = (include_fields is None or name in include_fields) and name not in (exclude_fields or ())
            if keep:
                item[name] = value
        return item

    return trimmed


def item_detail(library: FakeLibrary, key: int) -> tuple[dict[str, Any], FakeSection]:
    """The detail dict of any item (album, artist, track) and its section; KeyError if unknown."""
    if key in library.albums:
        album = library.albums[key]
        section = library.sections[album.section_id]
        artist = library.artists[album.artist_key]
        return render.album_dict(album, artist, section, detail=True), section
    if key in library.artists:
        fake_artist = library.artists[key]
        section = library.sections[fake_artist.section_id]
        item = render.artist_dict(fake_artist)
        item.update(
            librarySectionTitle=section.title,
            librarySectionID=section.id,
            librarySectionKey=f"/library/sections/{section.id}",
        )
        return item, section
    split = split_track_key(key)
    if split is not None and split[0] in library.albums:
        album = library.albums[split[0]]
        section = library.sections[album.section_id]
        tracks = render.track_dicts(album, library.artists[album.artist_key], section)
        if split[1] <= len(tracks):
            return tracks[split[1] - 1], section
    raise KeyError(key)
