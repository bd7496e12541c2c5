"""/hubs/search: the Media Server's global search, answered as one Hub per result type (artists, albums)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from . import render, responses
from .library import FakeAlbum, FakeArtist, FakeSection
from .responses import BadRequest
from .state import ServerState
from .store import fold

DEFAULT_HUB_SIZE = 10


def _limit(request: Request) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return DEFAULT_HUB_SIZE
    if not raw.isdigit():
        raise BadRequest
    return int(raw)


def _music_sections(state: ServerState, request: Request) -> list[FakeSection]:
    raw = request.args.get("sectionId")
    found = [s for s in state.library.sections.values() if s.type == "artist"]
    if raw is None:
        return found
    if not raw.isdigit():
        raise BadRequest
    return [s for s in found if s.id == int(raw)]


def _with_section(item: dict[str, Any], section: FakeSection) -> dict[str, Any]:
    item.update(librarySectionID=section.id, librarySectionTitle=section.title,
                librarySectionKey=f"/library/sections/{section.id}")
    return item


def _hub(kind: str, title: str, context: str, items: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    shown = items[:limit]
    keys = ",".join(i["ratingKey"] for i in items)
    hub: dict[str, Any] = {
        "title": title,
        "type": kind,
        "hubIdentifier": kind,
        "context": context,
        "size": len(shown),
        "more": len(items) > len(shown),
        "style": "shelf",
        "hubKey": f"/library/metadata/{','.join(i['ratingKey'] for i in shown)}" if shown else "",
        "key": f"/library/metadata/{keys}" if keys else "",
    }
    if shown:
        hub["Metadata"] = shown
    return hub


def search(state: ServerState, request: Request) -> Response:
    """GET /hubs/search?query=..[&limit][&sectionId]: artists and albums whose title contains the query."""
    query = request.args.get("query", "")
    limit = _limit(request)
    library = state.library
    needle = fold(query)
    artists: list[dict[str, Any]] = []
    albums: list[dict[str, Any]] = []
    for section in _music_sections(state, request):
        if not needle:
            continue
        found_albums: list[FakeAlbum] = library.filter_title(library.sorted_albums(section.id), query)
        albums += [_with_section(_album(state, a, section), section) for a in found_albums]
        found_artists: list[FakeArtist] = [a for a in library.artists_in(section.id) if needle in fold(a.title)]
        artists += [_with_section(render.artist_dict(a), section) for a in found_artists]
    hubs = [
        _hub("artist", "Artists", "hub.music.artists", artists, limit),
        _hub("album", "Albums", "hub.music.albums", albums, limit),
    ]
    return responses.pms(request, state.xml_only, {"size": len(hubs), "Hub": hubs})


def _album(state: ServerState, album: FakeAlbum, section: FakeSection) -> dict[str, Any]:
    return render.album_dict(album, state.library.artists[album.artist_key], section)
