"""Client for a Plex Media Server: every PMS HTTP call plexbooks makes goes through here."""

from __future__ import annotations

import logging
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import requests

from ..errors import PlexAuthError, PlexNotFound, PlexResponseError
from ..records import PlexAudiobook, PlexIdentity, PlexPage, PlexSection
from . import transport
from .base import PlexHTTPClient
from .paging import PagePrefetch, batches, check_advance
from .parsing import (
    album_from_item,
    albums_from_container,
    as_int,
    as_str,
    changed_albums,
    common_directory,
    items_of,
    parse_or_raise,
    part_files,
    section_from_directory,
)
from .transport import HttpResult, Remote

log = logging.getLogger("plexbooks.plex.client")

ALBUM_TYPE = 9  # Plex metadata type numbers: 8 artist, 9 album, 10 track
TRACK_TYPE = 10
MAX_THUMB_BYTES = 20 * 1024 * 1024
#: The image types a cover may have: raster only (an SVG is a document that can run script).
RASTER_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"})
COVER_PATH_PREFIX = "/library/metadata/"


def is_cover_path(path: str) -> bool:
    """Say whether `path` is a server-relative /library/metadata/ path (no scheme, host, `..` or backslash)."""
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or "\\" in path or not parts.path.startswith(COVER_PATH_PREFIX):
        return False
    return ".." not in parts.path.split("/") and "%" not in parts.path
_TOKEN_PARAMS = frozenset({"x-plex-token", "token"})


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    """What a successful connection test found: the server and its music libraries."""

    machine_identifier: str
    server_name: str | None
    version: str | None
    music_libraries: tuple[PlexSection, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form for the settings page and API."""
        return {
            "machine_identifier": self.machine_identifier,
            "server_name": self.server_name,
            "version": self.version,
            "music_libraries": [
{**s.as_json(), "agent": s.agent} for s in self.music_libraries
            ],
        }


class PlexClient(PlexHTTPClient):
    """A Plex Media Server client: JSON preferred, XML understood, typed errors, no token leaks."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5, 30),
        retries: int = 2,
        backoff: float = 0.5,
        prefer_json: bool = True,
        page_size: int = 500,
        client_identifier: str | None = None,
        max_body_bytes: int = transport.DEFAULT_MAX_BODY_BYTES,
        deadline: float | None = transport.DEFAULT_DEADLINE,
    ) -> None:
        origin = transport.origin_of(transport.normalise_base_url(base_url))
        super().__init__(
            base_url,
            what="Plex server URL",
            remote=Remote(
                label=f"Plex at {origin}",
                unreachable_hint="Check the server URL and that Plex is running.",
                auth_hint="sign in again in Settings",
            ),
            client_identifier=client_identifier or "plexbooks",
            session=session,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_body_bytes=max_body_bytes,
            deadline=deadline,
        )
        self._token = token or ""
        self.prefer_json = prefer_json
        self.page_size = max(1, int(page_size))

    def __enter__(self) -> PlexClient:
        return self

    # ------------------------------------------------------------------------------ plumbing

    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        *,
        with_token: bool = True,
        max_body_bytes: int | None = None,
    ) -> HttpResult:
        """Every PMS request: server-relative paths only, no token in the query, the identity headers."""
        if not path.startswith("/") or path.startswith("//"):
            raise ValueError(f"Plex paths are server-relative, got {path!r}")
        clean = {k: v for k, v in (params or {}).items() if k.lower() not in _TOKEN_PARAMS}
        accept = "application/json" if self.prefer_json else "application/xml"
        all_headers = self.plex_headers(accept, self._token if with_token else None)
        if headers:
            all_headers.update(headers)
        return self.send(
            method, path, params=clean, headers=all_headers, idempotent=idempotent, max_body_bytes=max_body_bytes
        )

    def _container(
        self,
        path: str,
        params: Mapping[str, str | int] | None = None,
        *,
        with_token: bool = True,
    ) -> dict[str, Any]:
        """GET a path and return its parsed, normalised MediaContainer."""
        result = self._request("GET", path, params, with_token=with_token)
        return parse_or_raise(result.body, result.content_type, self.remote.label, path)

    # ------------------------------------------------------------------------------ server

    def identity(self) -> PlexIdentity:
        """The server's machine identifier and version (`/identity`), plus its name when the token works."""
        container = self._container("/identity", with_token=False)
        machine = as_str(container.get("machineIdentifier"))
        if not machine:
            raise PlexResponseError(
                f"{self.remote.label} answered /identity without a machineIdentifier; "
                "is this a Plex Media Server?"
            )
        version = as_str(container.get("version"))
        name: str | None = None
        try:
            info = self.server_info()
            name = as_str(info.get("friendlyName"))
            version = version or as_str(info.get("version"))
        except (PlexAuthError, PlexResponseError) as err:
            # /identity answers anyone; without a valid token the name is simply unknown.
            log.debug("server name unavailable: %s", err)
        return PlexIdentity(machine_identifier=machine, version=version, name=name)

    def server_info(self) -> dict[str, Any]:
        """The attributes of the server root `/` (friendlyName, version, platform, ...); needs the token."""
        container = self._container("/")
        return {k: v for k, v in container.items() if not isinstance(v, (list, dict))}

    # ------------------------------------------------------------------------------ sections

    def sections(self) -> list[PlexSection]:
        """All library sections with their folder locations (`/library/sections`)."""
        container = self._container("/library/sections")
        sections = []
        for entry in items_of(container, "Directory"):
            if isinstance(entry, Mapping) and (section := section_from_directory(entry)):
                sections.append(section)
        return sections

    def music_sections(self) -> list[PlexSection]:
        """The music sections (type "artist"), where audiobook libraries live."""
        return [s for s in self.sections() if s.type == "artist"]

    def section_item_count(self, section_id: str | int) -> int:
        """The number of albums in a section, from a size-0 count query."""
        container = self._container(
            f"/library/sections/{_seg(section_id)}/all",
            {"type": ALBUM_TYPE, "X-Plex-Container-Start": 0, "X-Plex-Container-Size": 0},
        )
        total = as_int(container.get("totalSize"))
        if total is None:
            # A server (or proxy) that ignores paging lists everything: count what came back.
            total = as_int(container.get("size"))
            if total is None or (total == 0 and items_of(container)):
                total = len(items_of(container))
        return total

    def track_durations(self, section_id: str | int, sample: int = 20) -> list[int]:
        """Durations (ms) of the first `sample` tracks of a section: chapters run long, songs short."""
        container = self._container(
            f"/library/sections/{_seg(section_id)}/all",
            {"type": TRACK_TYPE, "X-Plex-Container-Start": 0, "X-Plex-Container-Size": sample},
        )
        entries = [entry for entry in items_of(container)[:sample] if isinstance(entry, Mapping)]
        return [d for d in (as_int(entry.get("duration")) for entry in entries) if d is not None]

    # ------------------------------------------------------------------------------ albums

    def _get_page(self, path: str, params: Mapping[str, str | int], start: int, size: int) -> HttpResult:
        """GET one page of a paged listing, undecoded (the part of a page that waits on Plex)."""
        query = dict(params)
        query["X-Plex-Container-Start"] = start
        query["X-Plex-Container-Size"] = size
        return self._request("GET", path, query)

    def _read_page(
        self, path: str, result: HttpResult, start: int, known: Mapping[str, int | None], *, light: bool = False
    ) -> tuple[PlexPage, int, list[str]]:
        """Decode one page; return it, its raw item count and the keys whose records a light listing left out."""
        container = parse_or_raise(result.body, result.content_type, self.remote.label, path)
        albums, skipped, unchanged, to_fetch = changed_albums(container, known, light=light)
        raw_count = len(items_of(container))
        total = as_int(container.get("totalSize"))
        offset = as_int(container.get("offset"))
        unpaged = total is None
        page = PlexPage(
            items=albums,
            offset=0 if unpaged else (start if offset is None else offset),
            total_size=raw_count if unpaged else int(total or 0),
            skipped=skipped,
            unchanged=tuple(unchanged),
        )
        # An unpaged answer (no totalSize) is the whole listing: -1 tells the pager to stop.
        return page, -1 if unpaged else raw_count, to_fetch

    def _with_fetched(self, page: PlexPage, waiting: list[str], *, last: bool) -> PlexPage:
        """Add the records of the waiting keys to `page`, in whole requests of 100 (all of them on the last page).

        Keys missing from Plex's answer were deleted since they were listed: named in `vanished`.
        """
        count = len(waiting) if last else len(waiting) - len(waiting) % KEYS_PER_REQUEST
        if not count:
            return page
        asked = waiting[:count]
        fetched, unusable, answered = self._records_of(asked)
        del waiting[:count]
        vanished = tuple(key for key in dict.fromkeys(asked) if key not in answered)
        return replace(page, items=[*page.items, *fetched], skipped=page.skipped + unusable, vanished=vanished)

    def _paged(
        self,
        path: str,
        params: Mapping[str, str | int],
        page_size: int,
        max_pages: int | None = None,
        *,
        prefetch: bool = False,
        known: Mapping[str, int | None] | None = None,
        light: bool = False,
    ) -> Generator[PlexPage, None, None]:
        """Yield pages until totalSize is reached, a page comes back empty, or max_pages.

        With `prefetch`, the next pages (up to `paging.PAGES_AHEAD`) are requested in worker
        threads while the caller decodes and handles the current one: up to `paging.REQUESTS_IN_FLIGHT`
        listing requests at once, and only while the caller is not using this client (the generator owns the HTTP
        session until it is exhausted or closed). An error of a prefetched page is raised when that
        page is consumed; closing the generator early cancels the prefetch or waits for the request
        in flight to end. Albums whose updatedAt equals `known`'s are named in `PlexPage.unchanged`
        instead of built. `light`: `params` ask for keys and updatedAt only (see `changed_albums`); the
        caller's thread fetches the records of changed albums, beside the worker's listing request.
        """
        known = known or {}
        start = 0
        pages = 0
        previous: tuple[str, ...] = ()
        waiting: list[str] = []  # a light listing's changed albums, fetched 100 at a time
        ahead = PagePrefetch(lambda at: self._get_page(path, params, at, page_size))
        try:
            while True:
                # The worker only waits on Plex; decoding here lets it ask for the next page meanwhile.
                result = ahead.take(start) or self._get_page(path, params, start, page_size)  # re-raises its error
                page, raw_count, to_fetch = self._read_page(path, result, start, known, light=light)
                previous = check_advance(self.remote.label, path, page, start, raw_count, previous, to_fetch)
                waiting.extend(to_fetch)
                pages += 1
                # Advance by what actually came back, so a server capping page sizes loses nothing;
                # an empty page always ends the listing, so this cannot loop forever.
                start += max(raw_count, 0)
                more = not (
                    raw_count <= 0
                    or start >= page.total_size
                    or (max_pages is not None and pages >= max_pages)
                )
                if more and prefetch:
                    end = page.total_size
                    if max_pages is not None:
                        end = min(end, start + raw_count * (max_pages - pages))
                    ahead.top_up(start, raw_count, end)
                if waiting:
                    page = self._with_fetched(page, waiting, last=not more)
                yield from batches(page, page_size)
                if not more:
                    return
        finally:
            ahead.close()

    def albums(
        self,
        section_id: str | int,
        page_size: int | None = None,
        *,
        max_pages: int | None = None,
        known: Mapping[str, int | None] | None = None,
    ) -> Generator[PlexPage, None, None]:
        """Iterate over all albums of a section (or its first `max_pages` pages), one PlexPage per request.

        Pages hold 500 albums unless `page_size` says otherwise.

        The next pages are fetched in a background thread while the caller decodes and handles the current one:
        do not use this client for anything else until the iteration ends, or close the generator.
        `known` (rating key -> updatedAt of the mirror) names unchanged albums in `PlexPage.unchanged`
        instead of building them; when it is not empty the listing asks Plex for keys and updatedAt
        only and fetches the whole records of the albums that changed (`LIGHT_LISTING`).
        """
        light = bool(known)
        return self._paged(
            f"/library/sections/{_seg(section_id)}/all",
            {"type": ALBUM_TYPE, **LIGHT_LISTING} if light else {"type": ALBUM_TYPE, "includeGuids": 1},
            page_size or self.page_size,
            max_pages,
            prefetch=True,  # a full listing: ask for the next pages while the caller decodes and stores this one
            known=known,
            light=light,
        )

    def recently_added(
        self, section_id: str | int, *, page_size: int = 10, max_pages: int = 20
    ) -> Generator[PlexPage, None, None]:
        """Newest albums first (`sort=addedAt:desc`), in small pages; stop iterating at your watermark."""
        return self._paged(
            f"/library/sections/{_seg(section_id)}/all",
            {"type": ALBUM_TYPE, "sort": "addedAt:desc", "includeGuids": 1},
            page_size,
            max_pages,
        )

    def albums_since(
        self, section_id: str | int, field: str, since: int, *, page_size: int = 200,
        added_before: int | None = None,
    ) -> Generator[PlexPage, None, None]:
        """Every album whose `field` (addedAt or updatedAt) is after `since`, oldest first, in pages.

        `added_before` also requires addedAt before it (Plex ANDs the filters of one query).
        Ascending order keeps the paging stable while Plex adds more: newcomers land on the last page.
        """
        if field not in ("addedAt", "updatedAt"):
            raise ValueError(f"albums can be filtered by addedAt or updatedAt, not {field!r}")
        # In the query string this reads `addedAt>>=1700000000` (">>" is Plex's "after", "<<" "before").
        params: dict[str, str | int] = {"type": ALBUM_TYPE, f"{field}>>": int(since)}
        if added_before is not None:
            params["addedAt<<"] = int(added_before)
        params.update({"sort": f"{field}:asc", "includeGuids": 1})
        return self._paged(f"/library/sections/{_seg(section_id)}/all", params, page_size)

    def albums_by_keys(self, rating_keys: Sequence[str]) -> list[PlexAudiobook]:
        """The albums among `rating_keys`, in one `/library/metadata/{a,b,c}` request per 100 keys.

        Keys Plex no longer has are simply missing from the answer (a batch of only those is a 404).
        """
        return self._records_of(rating_keys)[0]

    def _records_of(self, rating_keys: Sequence[str]) -> tuple[list[PlexAudiobook], int, set[str]]:
        """`albums_by_keys`, how many of the items Plex sent were unusable (no title, say), and the keys it answered."""
        found: list[PlexAudiobook] = []
        unusable = 0
        answered: set[str] = set()
        keys = list(dict.fromkeys(str(k) for k in rating_keys))
        for start in range(0, len(keys), KEYS_PER_REQUEST):
            batch = ",".join(_seg(k) for k in keys[start : start + KEYS_PER_REQUEST])
            try:
                container = self._container(f"/library/metadata/{batch}", {"includeGuids": 1})
            except PlexNotFound:
                continue
            albums, skipped = albums_from_container(container)
            found.extend(albums)
            unusable += skipped
            answered.update(key for item in items_of(container) if isinstance(item, Mapping)
                            and (key := as_str(item.get("ratingKey"))))
        return found, unusable, answered

    def album_exists(self, rating_key: str | int) -> bool:
        """Whether Plex still has the item: False only on a 404; any other failure raises."""
        try:
            self._container(f"/library/metadata/{_seg(rating_key)}")
        except PlexNotFound:
            return False
        return True

    def metadata(self, rating_key: str | int) -> PlexAudiobook:
        """One album in full: its metadata plus the folder holding its tracks and their total duration."""
        key = _seg(rating_key)
        container = self._container(f"/library/metadata/{key}", {"includeGuids": 1})
        items = items_of(container)
        album = album_from_item(items[0]) if items else None
        if album is None:
            raise PlexResponseError(
                f"{self.remote.label} sent no usable item for /library/metadata/{key}"
            )
        children = self._container(f"/library/metadata/{key}/children")
        tracks = [t for t in items_of(children) if isinstance(t, Mapping)]
        files = [f for t in tracks for f in part_files(t)]
        duration = album.duration
        if duration is None:
            durations = [d for t in tracks if (d := as_int(t.get("duration"))) is not None]
            duration = sum(durations) if durations else None
        return replace(album, file_path=common_directory(files), duration=duration)

    def refresh(self, section_id: str | int, path: str | None = None) -> None:
        """Ask Plex to scan a section, or only one folder of it (`/refresh?path=`)."""
        params = {"path": path} if path else None
        # A repeated refresh only rescans again, so retrying it is harmless.
        self._request("GET", f"/library/sections/{_seg(section_id)}/refresh", params, idempotent=True)

    def thumb(self, path: str) -> tuple[bytes, str]:
        """Fetch a cover image by its server path (an album's `thumb`, under /library/metadata/) for proxying.

        Only raster images: an SVG (or anything else) could carry script into the plugin's origin.
        """
        if not is_cover_path(path):
            # Only the library's own art: any other path (/:/prefs...) or URL would be fetched with the token.
            # A caller's mistake, not Plex's: the cover view checks `is_cover_path` before it asks.
            raise ValueError(f"{path[:80]!r} is not a server-relative /library/metadata/ cover path")
        parts = urlsplit(path)
        params = {k: v for k, v in parse_qsl(parts.query)}
        result = self._request(
            "GET",
            parts.path,
            params,
            headers={"Accept": ", ".join(sorted(RASTER_IMAGE_TYPES))},
            max_body_bytes=min(self.max_body_bytes, MAX_THUMB_BYTES),
        )
        if result.content_type not in RASTER_IMAGE_TYPES:
            raise PlexResponseError(
                f"{self.remote.label} sent {result.content_type or 'no content type'} "
                f"instead of a raster image for {parts.path}"
            )
        return result.body, result.content_type

    # ------------------------------------------------------------------------------ checks

    def test_connection(self) -> ConnectionReport:
        """Check reachability, the token (via /library/sections, which /identity would not) and list music libraries.

        Raises PlexUnreachable, PlexAuthError or PlexResponseError with a message for the user.
        """
        ident = self._container("/identity", with_token=False)
        machine = as_str(ident.get("machineIdentifier"))
        if not machine:
            raise PlexResponseError(
                f"{self.remote.label} does not look like a Plex Media Server (no machineIdentifier)"
            )
        music = self.music_sections()  # raises PlexAuthError for a bad token
        info: dict[str, Any] = {}
        try:
            info = self.server_info()
        except PlexResponseError as err:
            log.debug("server root unavailable: %s", err)
        counted = tuple(replace(s, item_count=self.section_item_count(s.id)) for s in music)
        return ConnectionReport(
            machine_identifier=machine,
            server_name=as_str(info.get("friendlyName")),
            version=as_str(ident.get("version")) or as_str(info.get("version")),
            music_libraries=counted,
        )


KEYS_PER_REQUEST = 100  # rating keys in one /library/metadata/a,b,c request (URLs stay short)
# A rescan's listing: PMS 1.41.9 and later send only these attributes (and none of these child
# elements): 1/22 of the bytes of whole records; older servers send whole items (used when they carry Guid children).
LIGHT_LISTING = {"includeFields": "ratingKey,updatedAt", "excludeElements": "Collection,Genre,Guid,Image"}


def _seg(value: str | int) -> str:
    """A value made safe as one URL path segment (keys and ids come from data, not code)."""
    return quote(str(value), safe="")
