"""Rendering Plex answers: one dict model per item, written as PMS JSON or PMS XML.

An item is a dict in JSON form: scalars are attributes, lists of dicts are child elements
named by their key (`Genre`, `Guid`, `Media`, `Part`, `Location`), a dict is one child
element (`UltraBlurColors`, `Meta`). JSON puts items with a `ratingKey` under `Metadata` and
the others (sections, root directories) under `Directory`; XML tags albums and artists
`Directory`, tracks `Track`.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from .library import FakeAlbum, FakeArtist, FakeSection, folder_of, song_title, track_durations, track_key

PMS_VERSION = "1.41.3.9314-a0bfb8370"
MEDIA_TAG_PREFIX = "/system/bundle/media/flags/"
MEDIA_TAG_VERSION = 1734358180
IDENTIFIER = "com.plexapp.plugins.library"

_XML_TAG_BY_TYPE = {"album": "Directory", "artist": "Directory", "track": "Track", "movie": "Video"}
_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
)


# ------------------------------------------------------------------------------ serialisers


def to_json(container: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> bytes:
    """A `{"MediaContainer": ...}` JSON document; items split into Metadata and Directory."""
    body = dict(container)
    metadata = [i for i in items if "ratingKey" in i]
    directories = [i for i in items if "ratingKey" not in i]
    if directories:
        body["Directory"] = directories
    if metadata:
        body["Metadata"] = metadata
    return json.dumps({"MediaContainer": body}, ensure_ascii=False, separators=(",", ":")).encode()


def _attr(value: Any) -> str | None:
    if value is None:
        return None
    if value is True:
        return "1"
    if value is False:
        return "0"
    return str(value).translate(_ESCAPES)


def _element(tag: str, node: Mapping[str, Any], out: list[str]) -> None:
    attrs: list[str] = []
    children: list[tuple[str, Any]] = []
    for key, value in node.items():
        if isinstance(value, list):
            children.extend((key, v) for v in value if isinstance(v, Mapping))
        elif isinstance(value, Mapping):
            children.append((key, value))
        else:
            text = _attr(value)
            if text is not None:
                attrs.append(f' {key}="{text}"')
    if children:
        out.append(f"<{tag}{''.join(attrs)}>")
        for child_tag, child in children:
            # Items under a Hub's Metadata are tagged as in listings (Directory for albums, Track, ...).
            _element(item_tag(child) if child_tag == "Metadata" else child_tag, child, out)
        out.append(f"</{tag}>")
    else:
        out.append(f"<{tag}{''.join(attrs)} />")


def item_tag(item: Mapping[str, Any]) -> str:
    """The XML tag PMS uses for an item: Directory (albums, artists, sections), Track, Video."""
    return _XML_TAG_BY_TYPE.get(str(item.get("type")), "Directory") if "ratingKey" in item else "Directory"


def to_xml(container: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> bytes:
    """A PMS XML document: `<MediaContainer ...>` with one element per item."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    attrs: list[str] = []
    extra: list[tuple[str, Any]] = []
    for key, value in container.items():
        if isinstance(value, (list, Mapping)):
            extra.append((key, value))
        else:
            text = _attr(value)
            if text is not None:
                attrs.append(f' {key}="{text}"')
    if not items and not extra:
        out.append(f"<MediaContainer{''.join(attrs)}>\n</MediaContainer>\n")
        return "".join(out).encode()
    out.append(f"<MediaContainer{''.join(attrs)}>\n")
    for key, value in extra:
        for node in value if isinstance(value, list) else [value]:
            if isinstance(node, Mapping):
                _element(key, node, out)
                out.append("\n")
    for item in items:
        _element(item_tag(item), item, out)
        out.append("\n")
    out.append("</MediaContainer>\n")
    return "".join(out).encode()


# ------------------------------------------------------------------------------ items


def container_for_section(section: FakeSection, **extra: Any) -> dict[str, Any]:
    """MediaContainer attributes of a listing inside a section (as in the real captures)."""
    attrs: dict[str, Any] = {
        "allowSync": True,
        "art": "/:/resources/artist-fanart.jpg",
        "content": "secondary",
        "identifier": IDENTIFIER,
        "librarySectionID": section.id,
        "librarySectionTitle": section.title,
        "librarySectionUUID": section.uuid,
        "mediaTagPrefix": MEDIA_TAG_PREFIX,
        "mediaTagVersion": MEDIA_TAG_VERSION,
        "nocache": True,
        "thumb": "/:/resources/artist.png",
        "title1": section.title,
    }
    attrs.update(extra)
    return attrs


def section_dict(section: FakeSection, scanned_at: int) -> dict[str, Any]:
    """A `/library/sections` Directory entry, keys and types as in the real capture."""
    kind = "artist" if section.type == "artist" else section.type
    return {
        "allowSync": True,
        "art": f"/:/resources/{kind}-fanart.jpg",
        "composite": f"/library/sections/{section.id}/composite/{scanned_at}",
        "filters": True,
        "refreshing": False,
        "thumb": f"/:/resources/{kind}.png",
        "key": str(section.id),
        "type": section.type,
        "title": section.title,
        "agent": section.agent,
        "scanner": section.scanner,
        "language": section.language,
        "uuid": section.uuid,
        "updatedAt": scanned_at,
        "createdAt": section.created_at,
        "scannedAt": scanned_at,
        "content": True,
        "directory": True,
        "contentChangedAt": 18253756 + section.id,
        "hidden": 0,
        "Location": [
            {"id": section.id if i == 0 else section.id * 100 + i, "path": path}
            for i, path in enumerate(section.locations)
        ],
    }


def artist_dict(artist: FakeArtist) -> dict[str, Any]:
    """An artist (type 8) item."""
    k = artist.rating_key
    return {
        "ratingKey": str(k),
        "key": f"/library/metadata/{k}/children",
        "guid": artist.guid,
        "type": "artist",
        "title": artist.title,
        "summary": "",
        "index": 1,
        "thumb": f"/library/metadata/{k}/thumb/{artist.added_at}",
        "art": f"/library/metadata/{k}/art/{artist.added_at}",
        "addedAt": artist.added_at,
        "updatedAt": artist.added_at,
    }


def album_dict(
    album: FakeAlbum,
    artist: FakeArtist,
    section: FakeSection,
    *,
    include_guids: bool = False,
    detail: bool = False,
) -> dict[str, Any]:
    """An album (type 9) item in the key order and types of the real captures."""
    k = album.rating_key
    ak = album.artist_key
    thumb = f"/library/metadata/{k}/thumb/{album.updated_at or album.added_at}"
    art = f"/library/metadata/{ak}/art/{artist.added_at}"
    d: dict[str, Any] = {
        "ratingKey": str(k),
        "key": f"/library/metadata/{k}/children",
        "parentRatingKey": str(ak),
        "guid": album.guid,
        "parentGuid": artist.guid,
    }
    if album.studio:
        d["studio"] = album.studio
    d["type"] = "album"
    d["title"] = album.title
    if detail:
        d["librarySectionTitle"] = section.title
        d["librarySectionID"] = section.id
        d["librarySectionKey"] = f"/library/sections/{section.id}"
    if album.title_sort:
        d["titleSort"] = album.title_sort
    d["parentKey"] = f"/library/metadata/{ak}"
    if album.author:
        d["parentTitle"] = album.author
    if album.narrator:
        d["originalTitle"] = album.narrator
    d["summary"] = album.summary
    d["index"] = 1
    if album.year:
        d["year"] = album.year
    d["thumb"] = thumb
    d["art"] = art
    d["parentThumb"] = f"/library/metadata/{ak}/thumb/{artist.added_at}"
    if album.year:
        d["originallyAvailableAt"] = f"{album.year}-{1 + k % 12:02d}-{1 + k % 28:02d}"
    if album.duration is not None:
        d["duration"] = album.duration
    if detail or album.duration is not None:
        d["leafCount"] = album.track_count
    d["addedAt"] = album.added_at
    if album.updated_at:
        d["updatedAt"] = album.updated_at
    if album.fields:
        d.update(album.fields)
    d["Image"] = [
        {"alt": album.title, "type": "coverPoster", "url": thumb},
        {"alt": album.title, "type": "background", "url": art},
    ]
    if album.genre:
        d["Genre"] = [{"tag": album.genre}]
    if (include_guids or detail) and album.extra_guids:
        d["Guid"] = [{"id": g} for g in album.extra_guids]
    return d


def track_dicts(album: FakeAlbum, artist: FakeArtist, section: FakeSection) -> list[dict[str, Any]]:
    """The tracks of an album, with Media/Part children pointing at files in its folder."""
    tracks = []
    folder = folder_of(album, section.location)
    durations = track_durations(album)
    single = len(durations) == 1
    ext = album.extension
    container = {"m4b": "mp4", "mp3": "mp3", "flac": "flac"}.get(ext, ext)
    codec = {"m4b": "aac", "mp3": "mp3", "flac": "flac"}.get(ext, ext)
    added = album.added_at
    for index, duration in enumerate(durations, start=1):
        tk = track_key(album.rating_key, index)
        if album.music:
            title = song_title(album.rating_key, index)
            name = f"{index:02d} - {title}.{ext}"
        elif single:
            name = f"{folder.rsplit('/', 1)[-1]}.{ext}"
            title = album.title
        else:
            name = f"Part {index:02d}.{ext}"
            title = f"Part {index:02d}"
        bitrate = 64 if ext != "flac" else 900
        track: dict[str, Any] = {
            "ratingKey": str(tk),
            "key": f"/library/metadata/{tk}",
            "parentRatingKey": str(album.rating_key),
            "grandparentRatingKey": str(artist.rating_key),
            "guid": f"local://{tk}" if album.guid.startswith("local://") else f"plex://track/{tk:024x}",
            "parentGuid": album.guid,
            "grandparentGuid": artist.guid,
            "type": "track",
            "title": title,
            "grandparentKey": f"/library/metadata/{artist.rating_key}",
            "parentKey": f"/library/metadata/{album.rating_key}",
            "grandparentTitle": artist.title,
            "parentTitle": album.title,
            "summary": "",
            "index": index,
            "parentIndex": 1,
            "thumb": f"/library/metadata/{album.rating_key}/thumb/{album.updated_at or added}",
            "parentThumb": f"/library/metadata/{album.rating_key}/thumb/{album.updated_at or added}",
            "grandparentThumb": f"/library/metadata/{artist.rating_key}/thumb/{artist.added_at}",
            "duration": duration,
            "addedAt": added,
            "updatedAt": album.updated_at or added,
        }
        if album.narrator:
            track["originalTitle"] = album.narrator
        size = duration * bitrate // 8  # bytes at the nominal bitrate (kbit/s * ms / 8)
        track["Media"] = [
            {
                "id": tk - 900_000_000,
                "duration": duration,
                "bitrate": bitrate,
                "audioChannels": 2,
                "audioCodec": codec,
                "container": container,
                "Part": [
                    {
                        "id": tk - 800_000_000,
                        "key": f"/library/parts/{tk - 800_000_000}/{added}/file.{ext}",
                        "duration": duration,
                        "file": f"{folder}/{name}",
                        "size": size,
                        "container": container,
                    }
                ],
            }
        ]
        tracks.append(track)
    return tracks


def _sorts(*keys: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [
        {"defaultDirection": direction, "descKey": f"{key}:desc", "key": key, "title": title}
        for key, direction, title in keys
    ]


_MUSIC_SORTS = {
    "artist": _sorts(("titleSort", "asc", "Title"), ("addedAt", "desc", "Date Added"),
                     ("lastViewedAt", "desc", "Date Played"), ("viewCount", "desc", "Plays")),
    "album": _sorts(("titleSort", "asc", "Album"), ("artist.titleSort", "asc", "Album Artist"),
                    ("year", "desc", "Year"), ("originallyAvailableAt", "desc", "Release Date"),
                    ("addedAt", "desc", "Date Added"), ("lastViewedAt", "desc", "Date Played"),
                    ("viewCount", "desc", "Plays"), ("random", "asc", "Randomly")),
    "track": _sorts(("titleSort", "asc", "Title"), ("addedAt", "desc", "Date Added"),
                    ("duration", "desc", "Duration")),
}


def music_meta(section_id: int) -> dict[str, Any]:
    """The `Meta` block (`includeMeta=1`): filter types and sorts python-plexapi validates against."""
    types = []
    for libtype, number, title in (("artist", 8, "Artists"), ("album", 9, "Albums"), ("track", 10, "Tracks")):
        types.append(
            {
                "key": f"/library/sections/{section_id}/all?type={number}",
                "type": libtype,
                "title": title,
                "active": libtype == "artist",
                "Filter": [
                    {"filter": "genre", "filterType": "string",
                     "key": f"/library/sections/{section_id}/genre?type={number}", "title": "Genre",
                     "type": "filter"},
                ],
                "Sort": _MUSIC_SORTS[libtype],
                "Field": [
                    {"key": "title", "title": "Title", "type": "string"},
                    {"key": "addedAt", "title": "Date Added", "type": "date"},
                ],
            }
        )
    field_types = [
        {"type": "string", "Operator": [{"key": "=", "title": "contains"}, {"key": "==", "title": "is"}]},
        {"type": "date", "Operator": [{"key": "<<=", "title": "is before"}, {"key": ">>=", "title": "is after"}]},
        {"type": "integer", "Operator": [{"key": "=", "title": "is"}]},
        {"type": "tag", "Operator": [{"key": "=", "title": "is"}]},
    ]
    return {"Type": types, "FieldType": field_types}


def collection_meta(section_id: int) -> dict[str, Any]:
    """The `Meta` block of `/library/sections/{id}/collections`."""
    return {
        "Type": [
            {
                "key": f"/library/sections/{section_id}/collections",
                "type": "collection",
                "title": "Collections",
                "active": True,
                "Sort": _sorts(("titleSort", "asc", "Title"), ("addedAt", "desc", "Date Added")),
            }
        ],
        "FieldType": [],
    }


# ------------------------------------------------------------------------------ pages


HTML_PAGES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def html_error(status: int) -> bytes:
    """PMS's small HTML error page (as in the 401 capture)."""
    title = HTML_PAGES.get(status, "Error")
    return f"<html><head><title>{title}</title></head><body><h1>{status} {title}</h1></body></html>".encode()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


@lru_cache(maxsize=64)
def png(color: tuple[int, int, int], size: int = 8) -> bytes:
    """A tiny solid-colour PNG (covers in the demo differ by album)."""
    row = b"\x00" + bytes(color) * size
    raw = row * size
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(raw))
        + _png_chunk(b"IEND", b"")
    )


def cover_color(key: int) -> tuple[int, int, int]:
    """A stable, pleasant colour per rating key."""
    palette = (
        (178, 58, 72), (52, 101, 164), (70, 137, 102), (204, 142, 53), (111, 76, 155),
        (47, 133, 145), (160, 82, 45), (89, 98, 117),
    )
    return palette[key % len(palette)]

