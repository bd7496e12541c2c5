"""The Media Server's library endpoints: sections, listings, recently added, metadata, children, refresh."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from . import render, responses
from .items import album_converter, item_detail, names, trimmed_converter
from .library import FakeAlbum, FakeArtist, FakeSection
from .query import BadFilter, Condition, apply_filters, parse_filters
from .responses import BadRequest
from .state import ServerState
from .store import BadSort

TYPE_ARTIST, TYPE_ALBUM, TYPE_TRACK = 8, 9, 10
_RECENT_DEFAULT_LIMIT = 50


def _section(state: ServerState, sid: int) -> FakeSection:
    return state.library.sections[sid]  # KeyError -> 404


def _as_is(item: dict[str, Any]) -> dict[str, Any]:
    return item


def sections(state: ServerState, request: Request) -> Response:
    """/library/sections: every section with its locations."""
    library = state.library
    entries = [render.section_dict(s, library.scanned_at) for s in library.sections.values()]
    container = {"size": len(entries), "allowSync": False, "title1": "Plex Library"}
    return responses.pms(request, state.xml_only, container, entries)


def _listing_type(request: Request, section: FakeSection) -> int:
    raw_type = request.args.get("type")
    if raw_type is not None and not raw_type.strip().isdigit():
        raise BadRequest
    default_type = TYPE_ARTIST if section.type == "artist" else 1
    return int(raw_type) if raw_type else default_type


def section_all(state: ServerState, request: Request, sid: int, *, search: bool = False) -> Response:
    """/library/sections/{id}/all: artists (default), albums (type=9) or tracks of a music section."""
    section = _section(state, sid)
    kind = _listing_type(request, section)
    title = request.args.get("title")
    if search and not title:
        title = request.args.get("query")
    container = render.container_for_section(section)
    if request.args.get("includeMeta") == "1" and section.type == "artist":
        container["Meta"] = render.music_meta(sid)
    if section.type != "artist":
        container.update(title2="All", viewGroup=section.type)
        return responses.listing(request, state.xml_only, container, [], _as_is)
    if kind == TYPE_ALBUM:
        return _album_listing(state, request, section, container, title)
    if kind == TYPE_ARTIST:
        return _artist_listing(state, request, section, container, title)
    if kind == TYPE_TRACK:
        # Track listings are not emulated (nothing in plexbooks needs them): an empty listing.
        container.update(title2="All Tracks", viewGroup="track")
        return responses.listing(request, state.xml_only, container, [], _as_is)
    raise BadRequest


def _filters(request: Request, scope: str) -> list[Condition]:
    try:
        return parse_filters(request.args.items(multi=True), scope)
    except BadFilter as err:
        raise BadRequest from err


def _album_listing(
    state: ServerState, request: Request, section: FakeSection, container: dict[str, Any], title: str | None
) -> Response:
    library = state.library
    conditions = _filters(request, "album")
    try:
        albums = library.sorted_albums(section.id, request.args.get("sort"))
    except BadSort as err:
        raise BadRequest from err
    if title:
        albums = library.filter_title(albums, title)
    selected = apply_filters(albums, conditions, _album_values(state))
    container.update(title2="All Albums", viewGroup="album", viewMode=65592)
    include_guids = request.args.get("includeGuids") == "1"
    convert = album_converter(library, section, include_guids)
    if not request.environ.get(responses.WHOLE_RECORDS):
        args = request.args
        convert = trimmed_converter(
            convert, include_fields=names(args.get("includeFields")), exclude_fields=names(args.get("excludeFields")),
            include_elements=names(args.get("includeElements")), exclude_elements=names(args.get("excludeElements")),
        )
    return responses.listing(request, state.xml_only, container, selected, convert)


def _artist_listing(
    state: ServerState, request: Request, section: FakeSection, container: dict[str, Any], title: str | None
) -> Response:
    conditions = _filters(request, "artist")
    try:
        artists = state.library.artists_in(section.id, request.args.get("sort"))
    except BadSort as err:
        raise BadRequest from err
    if title:
        needle = title.casefold()
        artists = [a for a in artists if needle in a.title.casefold()]
    artists = list(apply_filters(artists, conditions, _artist_values))
    container.update(title2="All Artists", viewGroup="artist", viewMode=65592)
    return responses.listing(request, state.xml_only, container, artists, render.artist_dict)


def _album_values(state: ServerState) -> Callable[[FakeAlbum], dict[str, int | None]]:
    artists = state.library.artists

    def values(album: FakeAlbum) -> dict[str, int | None]:
        artist = artists[album.artist_key]
        return {
            "id": album.rating_key,
            "addedAt": album.added_at,
            "updatedAt": album.updated_at or album.added_at,
            "artist.id": album.artist_key,
            "artist.addedAt": artist.added_at,
            "artist.updatedAt": artist.added_at,
        }

    return values


def _artist_values(artist: FakeArtist) -> dict[str, int | None]:
    return {"id": artist.rating_key, "addedAt": artist.added_at, "updatedAt": artist.added_at}


def section_search(state: ServerState, request: Request, sid: int) -> Response:
    """/library/sections/{id}/search: the listing filtered by `title` or `query`."""
    return section_all(state, request, sid, search=True)


def section_albums(state: ServerState, request: Request, sid: int) -> Response:
    """/library/sections/{id}/albums: every album by title."""
    section = _section(state, sid)
    albums = state.library.sorted_albums(sid)
    container = render.container_for_section(section, title2="All Albums", viewGroup="album")
    return responses.listing(request, state.xml_only, container, albums, album_converter(state.library, section))


def section_recent(state: ServerState, request: Request, sid: int) -> Response:
    """/library/sections/{id}/recentlyAdded: the newest albums (50 unless paged)."""
    section = _section(state, sid)
    albums = state.library.sorted_albums(sid, "addedAt:desc") if section.type == "artist" else []
    container = render.container_for_section(section, title2="Recently Added", mixedParents=True)
    return responses.listing(
        request, state.xml_only, container, albums, album_converter(state.library, section),
        default_limit=_RECENT_DEFAULT_LIMIT,
    )


def section_collections(state: ServerState, request: Request, sid: int) -> Response:
    """/library/sections/{id}/collections: always empty."""
    section = _section(state, sid)
    container = render.container_for_section(section, title2="Collections")
    if request.args.get("includeMeta") == "1":
        container["Meta"] = render.collection_meta(sid)
    return responses.listing(request, state.xml_only, container, [], _as_is)


def section_refresh(state: ServerState, request: Request, sid: int) -> Response:
    """/library/sections/{id}/refresh[?path=..]: recorded in refresh_calls (DELETE cancels, unrecorded)."""
    _section(state, sid)
    if request.method != "DELETE":
        state.refresh_calls.append((str(sid), request.args.get("path")))
        state.announcer.section_scanned(sid)
    response = Response(b"", status=200)
    response.headers["X-Plex-Protocol"] = "1.0"
    return response


def recently_added(state: ServerState, request: Request) -> Response:
    """/library/recentlyAdded: the newest albums of every music section."""
    library = state.library
    music = [s for s in library.sections.values() if s.type == "artist"]
    albums = sorted(
        (a for s in music for a in library.sorted_albums(s.id, "addedAt:desc")),
        key=lambda a: (a.added_at, a.rating_key),
        reverse=True,
    )

    def convert(album: Any) -> dict[str, Any]:
        section = library.sections[album.section_id]
        item = render.album_dict(album, library.artists[album.artist_key], section)
        item["librarySectionID"] = section.id
        item["librarySectionTitle"] = section.title
        return item

    container = {
        "allowSync": False,
        "identifier": render.IDENTIFIER,
        "mediaTagPrefix": render.MEDIA_TAG_PREFIX,
        "mediaTagVersion": render.MEDIA_TAG_VERSION,
        "mixedParents": True,
    }
    return responses.listing(
        request, state.xml_only, container, albums, convert, default_limit=_RECENT_DEFAULT_LIMIT
    )


def metadata(state: ServerState, request: Request, keys: str) -> Response:
    """/library/metadata/{a,b,c}: the items that exist; 404 only when none does."""
    items: list[dict[str, Any]] = []
    section: FakeSection | None = None
    for raw in keys.split(","):
        if raw.strip().isdigit():
            try:
                item, section = item_detail(state.library, int(raw))
            except KeyError:
                continue
            items.append(item)
    if not items or section is None:
        raise KeyError(keys)
    container: dict[str, Any] = {
        "size": len(items),
        "allowSync": True,
        "identifier": render.IDENTIFIER,
        "librarySectionID": section.id,
        "librarySectionTitle": section.title,
        "librarySectionUUID": section.uuid,
        "mediaTagPrefix": render.MEDIA_TAG_PREFIX,
        "mediaTagVersion": render.MEDIA_TAG_VERSION,
    }
    return responses.pms(request, state.xml_only, container, items)


def children(state: ServerState, request: Request, key: str) -> Response:
    """/library/metadata/{key}/children: an album's tracks or an artist's albums."""
    if not key.isdigit():
        raise KeyError(key)
    k = int(key)
    library = state.library
    if k in library.albums:
        return _album_tracks(state, request, k)
    if k in library.artists:
        return _artist_albums(state, request, k)
    item_detail(library, k)  # a track: it exists (else 404) but has no children
    return responses.listing(request, state.xml_only, {"identifier": render.IDENTIFIER}, [], _as_is)


def _album_tracks(state: ServerState, request: Request, key: int) -> Response:
    library = state.library
    album = library.albums[key]
    artist = library.artists[album.artist_key]
    section = library.sections[album.section_id]
    tracks = render.track_dicts(album, artist, section)
    container = render.container_for_section(
        section,
        grandparentRatingKey=artist.rating_key,
        grandparentThumb=f"/library/metadata/{artist.rating_key}/thumb/{artist.added_at}",
        grandparentTitle=artist.title,
        key=str(key),
        parentIndex=1,
        parentTitle=album.title,
        parentYear=album.year,
        summary=album.summary,
        title1=artist.title,
        title2=album.title,
        viewGroup="track",
        viewMode=65593,
    )
    return responses.listing(request, state.xml_only, container, tracks, _as_is)


def _artist_albums(state: ServerState, request: Request, key: int) -> Response:
    library = state.library
    artist = library.artists[key]
    section = library.sections[artist.section_id]
    with library.lock:
        albums = sorted(
            (a for a in library.albums.values() if a.artist_key == key), key=lambda a: (a.year or 0, a.sort_key)
        )
    container = render.container_for_section(
        section, key=str(key), parentTitle=artist.title, title1=section.title, title2=artist.title,
        viewGroup="album",
    )
    return responses.listing(request, state.xml_only, container, albums, album_converter(library, section))
