"""Apply what the notification listener heard: mirror processed albums, remove deleted ones after a 404."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import store as repo
from ..errors import PlexbooksError
from ..services.reconcile import match_downloaded_requests, rematch_catalog_quietly
from .decisions import Batch

if TYPE_CHECKING:
    from ..core import PlexBooksCore
    from ..plex.client import PlexClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Applied:
    """What applying one batch did."""

    new: int = 0
    updated: int = 0
    removed: int = 0
    matched: int = 0


def apply_batch(core: PlexBooksCore, client: PlexClient, batch: Batch) -> Applied:
    """Fetch the processed albums in one request and mirror them; remove the deleted ones Plex 404s; match."""
    new = updated = removed = 0
    if batch.fetch:
        new, updated = _mirror(core, client, batch.fetch)
    if batch.check_deleted:
        removed = _remove_gone(core, client, batch.check_deleted)
    matched = 0
    if new or updated or removed:
        matched = len(match_downloaded_requests(core))
        rematch_catalog_quietly(core)
    return Applied(new, updated, removed, matched)


def _mirror(core: PlexBooksCore, client: PlexClient, keys: dict[str, str]) -> tuple[int, int]:
    albums = client.albums_by_keys(list(keys))
    by_section = defaultdict(list)
    for album in albums:
        section = keys.get(album.rating_key)
        if section is not None:  # Plex may answer a key it was not asked for: ignore it
            by_section[section].append(album)
    new = updated = 0
    with core.session() as session:
        # Stamped with the newest scan's id: a full scan running now (or a removal it held back)
        # counts these albums as seen instead of as missing.
        latest = repo.latest_scan_run(session)
        stamp = latest.id if latest is not None else None
        for section, items in by_section.items():
            result = repo.upsert_library_page(session, section, items, stamp)
            new += result.new
            updated += result.updated
        if new or updated:
            repo.bump_library_version(session)
    log.info("realtime: mirrored %d albums (%d new, %d updated)", len(albums), new, updated)
    return new, updated


def _remove_gone(core: PlexBooksCore, client: PlexClient, keys: dict[str, str]) -> int:
    gone: dict[str, list[str]] = defaultdict(list)
    for key, section in keys.items():
        try:
            if not client.album_exists(key):  # only a 404 means gone
                gone[section].append(key)
        except PlexbooksError as err:
            log.info("realtime: could not confirm that album %s is gone (%s); keeping it", key, err)
    removed = 0
    with core.session() as session:
        for section, section_keys in gone.items():
            removed += repo.remove_library_items(session, section, section_keys)
        if removed:
            repo.bump_library_version(session)
    if removed:
        log.info("realtime: removed %d albums Plex deleted", removed)
    return removed
