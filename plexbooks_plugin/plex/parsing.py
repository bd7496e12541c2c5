"""Turning Plex Media Server answers (JSON or XML) into one Python shape and into records.

Both wire formats are normalised to the JSON form: a `MediaContainer` dict whose metadata
items (anything with a `ratingKey`, whatever its XML tag) sit in a `Metadata` list, sections
in a `Directory` list, child elements in lists, and the typed fields as ints. So the same
library read as XML or as JSON yields identical `PlexAudiobook` records.
"""

from __future__ import annotations

import json
import math
import ntpath
import posixpath
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple
from xml.parsers import expat

import orjson
import xmltodict

from ..errors import PlexResponseError
from ..records import PlexAudiobook, PlexSection

MAX_XML_DEPTH = 64

# Attributes that are integers in Plex's JSON; XML carries them as strings.
INT_FIELDS = frozenset(
    {
        "duration", "year", "addedAt", "updatedAt", "size", "totalSize", "offset",
        "leafCount", "viewedLeafCount", "childCount", "index", "parentIndex", "viewCount",
        "skipCount", "lastViewedAt", "librarySectionID", "createdAt", "scannedAt",
        "contentChangedAt", "mediaTagVersion", "bitrate", "audioChannels", "id",
        "parentYear", "loudnessAnalysisVersion", "viewOffset",
    }
)
# Child elements that JSON renders as a single object rather than a list.
_XML_SINGLETONS = frozenset({"UltraBlurColors", "Meta"})
# XML tags under which PMS puts metadata items; JSON puts them all under "Metadata".
_ITEM_TAGS = ("Metadata", "Directory", "Track", "Video", "Photo", "Artist", "Album")

_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html)", re.IGNORECASE)


class _DepthLimitedParser:
    """Wraps an expat parser so element nesting deeper than a limit aborts the parse.

    xmltodict keeps its own stack, but a 100,000-deep document still costs memory and the
    normalisation below recurses; real Plex answers are about 5 levels deep.
    """

    def __init__(self, parser: Any, max_depth: int) -> None:
        object.__setattr__(self, "_parser", parser)
        object.__setattr__(self, "_max_depth", max_depth)
        object.__setattr__(self, "_depth", 0)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "StartElementHandler":
            inner_start = value

            def start(*args: Any) -> None:
                depth = self._depth + 1
                if depth > self._max_depth:
                    raise ValueError(f"XML nested deeper than {self._max_depth} levels")
                object.__setattr__(self, "_depth", depth)
                inner_start(*args)

            setattr(self._parser, name, start)
        elif name == "EndElementHandler":
            inner_end = value

            def end(*args: Any) -> None:
                object.__setattr__(self, "_depth", self._depth - 1)
                inner_end(*args)

            setattr(self._parser, name, end)
        else:
            setattr(self._parser, name, value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._parser, name)


class _DepthLimitedExpat:
    """Stands in for the pyexpat module in xmltodict.parse (its `expat=` argument)."""

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth

    def ParserCreate(self, *args: Any, **kwargs: Any) -> _DepthLimitedParser:
        """Create a real expat parser wrapped with the depth limit."""
        return _DepthLimitedParser(expat.ParserCreate(*args, **kwargs), self.max_depth)


def _force_list(path: Any, key: str, value: Any) -> bool:
    """xmltodict hook: every capitalised child element becomes a list, like JSON arrays."""
    # `path` holds the ancestors: empty for the root element, which stays a dict.
    return bool(path) and bool(key) and key[0].isupper() and key not in _XML_SINGLETONS


def looks_like_html(body: bytes, content_type: str) -> bool:
    """True for an HTML page (a login portal, a proxy error page) instead of Plex data."""
    return content_type == "text/html" or bool(_HTML_START.match(body[:512]))


def parse_xml(body: bytes, *, max_depth: int = MAX_XML_DEPTH) -> dict[str, Any]:
    """Parse Plex XML safely: DTDs/entities refused up front, nesting bounded, lists forced."""
    # Refusing any DTD before expat sees it stops billion-laughs and external entities cold;
    # Plex never sends one. disable_entities below is the second lock on the same door.
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise ValueError("XML with a DOCTYPE or ENTITY declaration is refused")
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in body[:64]:
        # UTF-16 would hide a DOCTYPE from the byte search above; Plex always sends UTF-8.
        raise ValueError("XML that is not UTF-8 is refused")
    doc = xmltodict.parse(
        body,
        attr_prefix="",
        cdata_key="#text",
        force_list=_force_list,
        disable_entities=True,
        expat=_DepthLimitedExpat(max_depth),
    )
    if not isinstance(doc, dict):
        raise ValueError("the XML document is empty")
    return doc


def _convert_xml(value: Any) -> Any:
    """Recursively convert an xmltodict node to the JSON form (typed ints, dicts for empties)."""
    if value is None:
        return {}
    if isinstance(value, list):
        return [_convert_xml(v) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, val in value.items():
        if key == "#text":
            continue
        if isinstance(val, str):
            out[key] = _to_int_if_typed(key, val)
        else:
            out[key] = _convert_xml(val)
    return out


def _to_int_if_typed(key: str, val: str) -> Any:
    if key in INT_FIELDS:
        try:
            return int(val)
        except ValueError:
            try:
                return int(float(val))
            except (ValueError, OverflowError):  # "abc", "nan", "inf", "1e400"
                return val
    return val


def _normalise_container(container: dict[str, Any]) -> dict[str, Any]:
    """Move every item that has a ratingKey into `Metadata`, as PMS's JSON does."""
    metadata: list[Any] = []
    directories: list[Any] = []
    for tag in _ITEM_TAGS:
        entries = container.pop(tag, None)
        if entries is None:
            continue
        if not isinstance(entries, list):
            entries = [entries]
        for entry in entries:
            if isinstance(entry, dict) and "ratingKey" in entry:
                metadata.append(entry)
            elif tag == "Directory":
                directories.append(entry)
            else:
                metadata.append(entry)  # an item without ratingKey: kept so it is counted
    if metadata:
        container["Metadata"] = metadata
    if directories:
        container["Directory"] = directories
    return container


def _loads(body: bytes) -> Any:
    """Decode JSON with orjson (about twice as fast); whatever it refuses goes through `json` as before.

    orjson refuses a few things the standard decoder reads (NaN, integers beyond 64 bits, lone
    surrogates): those answers decode exactly as they always did.
    """
    try:
        return orjson.loads(body)
    except (orjson.JSONDecodeError, RecursionError):
        return json.loads(body)


def parse_container(body: bytes, content_type: str) -> dict[str, Any]:
    """Parse a PMS answer (JSON or XML by Content-Type, else sniffed) into its MediaContainer dict.

    Raises ValueError with a short reason when the body is not a MediaContainer.
    """
    if looks_like_html(body, content_type):
        raise ValueError("the answer is an HTML page, not Plex data (is the URL a Plex server?)")
    stripped = body.lstrip()[:1]
    is_json = "json" in content_type or (not content_type.endswith("xml") and stripped in (b"{", b"["))
    if is_json:
        try:
            data = _loads(body)
        except RecursionError as err:
            raise ValueError("the JSON answer is nested too deeply") from err
        except ValueError as err:
            raise ValueError(f"the JSON answer is malformed ({err.__class__.__name__})") from err
        if not isinstance(data, dict) or not isinstance(data.get("MediaContainer"), dict):
            raise ValueError("the JSON answer has no MediaContainer object")
        container = data["MediaContainer"]
        for key in ("Metadata", "Directory"):
            if key in container and not isinstance(container[key], list):
                raise ValueError(f"MediaContainer.{key} is not a list")
        return container
    if stripped != b"<":
        raise ValueError("the answer is neither JSON nor XML")
    try:
        doc = parse_xml(body)
    except expat.ExpatError as err:
        raise ValueError(f"the XML answer is malformed ({err})") from err
    root = doc.get("MediaContainer")
    if root is None and "MediaContainer" in doc:
        root = {}
    if not isinstance(root, dict):
        raise ValueError("the XML answer has no MediaContainer element")
    return _normalise_container(_convert_xml(root))


def parse_or_raise(body: bytes, content_type: str, label: str, path: str) -> dict[str, Any]:
    """parse_container, mapping any failure to PlexResponseError naming the remote and path."""
    try:
        return parse_container(body, content_type)
    except (ValueError, RecursionError) as err:
        raise PlexResponseError(f"{label} sent an answer plexbooks cannot read for {path}: {err}") from err


# ---------------------------------------------------------------------------------------------
# Field helpers: lenient about types, since XML, JSON and odd servers all differ.


def as_str(value: Any) -> str | None:
    """A non-empty string (numbers are stringified), else None."""
    if type(value) is str:  # nearly every value: one check instead of four (a scan asks ~800,000 times)
        return value.strip() or None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def as_int(value: Any) -> int | None:
    """An int from an int or a numeric string, else None (bools are not numbers here)."""
    if type(value) is int:  # the usual JSON value (bool is a subclass, not this type)
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        # JSON parses NaN, Infinity and 1e400 into floats that int() refuses.
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                return int(float(value))
            except (ValueError, OverflowError):
                return None
    return None


def items_of(container: Mapping[str, Any], key: str = "Metadata") -> list[Any]:
    """The list under `key` (or [] when absent)."""
    value = container.get(key)
    return value if isinstance(value, list) else []


# ---------------------------------------------------------------------------------------------
# ASINs


# audnexus writes com.plexapp.agents.audnexus://B08G9PRS1K_us?lang=en; the older Audible
# agent com.plexapp.agents.audible://B0...?lang=en; some tools audible://, asin://.
_ASIN_GUID = re.compile(
    r"^(?:com\.plexapp\.agents\.)?(?:audnexus|audible|audiobooks|audibleasin|asin)://"
    r"([A-Za-z0-9]{10})(?:_[A-Za-z]{2,3})?(?=$|[/?#&_])",
    re.IGNORECASE,
)


def asin_from_guid(guid: str | None) -> str | None:
    """The ASIN (10 characters, upper case, no region suffix) in an audiobook agent guid."""
    if not guid:
        return None
    match = _ASIN_GUID.match(guid.strip())
    return match.group(1).upper() if match else None


def guids_of(item: Mapping[str, Any]) -> tuple[str, ...]:
    """The item's guid followed by its `Guid` children (includeGuids=1), de-duplicated."""
    seen: list[str] = []
    primary = as_str(item.get("guid"))
    if primary:
        seen.append(primary)
    children = item.get("Guid")
    if isinstance(children, list):
        for child in children:
            gid = as_str(child.get("id")) if isinstance(child, dict) else as_str(child)
            if gid and gid not in seen:
                seen.append(gid)
    return tuple(seen)


def asin_from_guids(guids: Iterable[str]) -> str | None:
    """The first ASIN found in a sequence of guids."""
    for guid in guids:
        asin = asin_from_guid(guid)
        if asin:
            return asin
    return None


# ---------------------------------------------------------------------------------------------
# Records


def album_from_item(item: Any, *, file_path: str | None = None) -> PlexAudiobook | None:
    """Build a PlexAudiobook from one album item, or None when it lacks ratingKey or title.

    Plex has no narrator field on albums. Audiobook agents (audnexus) and most taggers put the
    narrator, or a secondary artist, in `originalTitle`, so that is used as the narrator when
    it differs from the author; a narrator can only confirm a match, never refute one.
    """
    if not isinstance(item, Mapping):
        return None
    rating_key = as_str(item.get("ratingKey"))
    title = as_str(item.get("title"))
    if not rating_key or not title:
        return None
    author = as_str(item.get("parentTitle"))
    narrator = as_str(item.get("originalTitle"))
    if narrator and author and narrator.casefold() == author.casefold():
        narrator = None
    guids = guids_of(item)
    return PlexAudiobook(
        rating_key=rating_key,
        guid=as_str(item.get("guid")) or "",
        title=title,
        author=author,
        narrator=narrator,
        duration=as_int(item.get("duration")),
        year=as_int(item.get("year")),
        summary=as_str(item.get("summary")),
        thumb=as_str(item.get("thumb")),
        added_at=as_int(item.get("addedAt")),
        updated_at=as_int(item.get("updatedAt")),
        file_path=file_path,
        asin=asin_from_guids(guids),
        guids=guids,
    )


def albums_from_container(container: Mapping[str, Any]) -> tuple[list[PlexAudiobook], int]:
    """All albums in a listing and the number of items skipped as unusable."""
    listed = changed_albums(container, {})
    return listed.albums, listed.skipped


class ListedAlbums(NamedTuple):
    """What one page of an album listing holds, sorted by what the scan does with it."""

    albums: list[PlexAudiobook]  # built records
    skipped: int  # unusable items
    unchanged: list[str]  # keys whose updatedAt equals the mirror's: nothing to build
    to_fetch: list[str]  # keys a light listing named without their record (changed or new)


def changed_albums(
    container: Mapping[str, Any], known: Mapping[str, int | None], *, light: bool = False
) -> ListedAlbums:
    """Like `albums_from_container`, but an album whose ratingKey and updatedAt match `known` is only named.

    Plex moves updatedAt on every metadata change, so unchanged albums need no record and no
    comparison. With `light` the listing was asked for ratingKey and updatedAt only: a changed or new
    album is to be fetched by key, unless the server sent it whole with its Guid children anyway.
    """
    albums: list[PlexAudiobook] = []
    unchanged: list[str] = []
    to_fetch: list[str] = []
    skipped = 0
    for item in items_of(container):
        if isinstance(item, Mapping) and item.get("type") not in (None, "album"):
            continue  # a mixed listing (recentlyAdded) may hold tracks or artists
        if known and isinstance(item, Mapping):
            key, updated = item.get("ratingKey"), as_int(item.get("updatedAt"))  # XML sends numbers as text
            if isinstance(key, str) and updated is not None and known.get(key) == updated and (
                light or item.get("title")
            ):
                unchanged.append(key)
                continue
        if light and isinstance(item, Mapping) and not ("title" in item and "Guid" in item):
            # Sent light, or whole by a server that ignored includeFields but then without the Guid
            # children (the light listing does not ask includeGuids), which may hold the only ASIN.
            key = as_str(item.get("ratingKey"))
            if key:
                to_fetch.append(key)
            else:
                skipped += 1
            continue
        album = album_from_item(item)
        if album is None:
            skipped += 1
        else:
            albums.append(album)
    return ListedAlbums(albums, skipped, unchanged, to_fetch)


def section_from_directory(entry: Mapping[str, Any]) -> PlexSection | None:
    """Build a PlexSection from a `/library/sections` Directory entry (None when unusable)."""
    key = as_str(entry.get("key"))
    if not key:
        return None
    locations = tuple(
        path
        for loc in entry.get("Location") or []
        if isinstance(loc, Mapping) and (path := as_str(loc.get("path")))
    )
    return PlexSection(
        id=key,
        title=as_str(entry.get("title")) or f"Library {key}",
        type=as_str(entry.get("type")) or "",
        agent=as_str(entry.get("agent")),
        locations=locations,
    )


def part_files(track: Mapping[str, Any]) -> list[str]:
    """The file paths of a track's Media/Part children."""
    files: list[str] = []
    for media in track.get("Media") or []:
        if not isinstance(media, Mapping):
            continue
        for part in media.get("Part") or []:
            if isinstance(part, Mapping) and (path := as_str(part.get("file"))):
                files.append(path)
    return files


def common_directory(files: Iterable[str]) -> str | None:
    """The deepest directory holding all the files (Windows or POSIX paths), None if only root."""
    paths = [f for f in files if f]
    if not paths:
        return None
    # Plex on Windows reports C:\... or \\server\share\...; path rules follow the server's OS.
    windows = any(re.match(r"^[A-Za-z]:[\\/]", p) or p.startswith("\\\\") for p in paths)
    mod: Any = ntpath if windows else posixpath
    try:
        common = mod.commonpath([mod.dirname(p) for p in paths])
    except ValueError:  # different drives, or mixed absolute and relative paths
        return None
    if not common or mod.dirname(common) == common:  # "/" or "C:\" says nothing useful
        return None
    return str(common)
