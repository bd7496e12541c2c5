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
