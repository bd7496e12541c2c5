"""Functions the host calls (plugin.yaml ``hooks``): thin, keyword-only, and they never raise.

Each returns a dict; a dict with an ``"error"`` key means the hook did not do its job (the host
may retry). The core is found from the keyword ``core=``, else the current Flask app, else the
core the extension initialised last (`set_default_core`), so a host can call hooks from a worker
that has no app context.
"""

from __future__ import annotations

import logging
import ntpath
import os
import posixpath
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context

from . import store as repo
from .const import SettingKey
from .plex.redact import error_line
from .services.reconcile import refresh_catalog

if TYPE_CHECKING:
    from .core import PlexBooksCore

log = logging.getLogger(__name__)

# A path ending in one of these names a file: Plex is asked to refresh the folder holding it.
MEDIA_SUFFIXES = frozenset(
    {".m4b", ".m4a", ".mp3", ".mp4", ".aac", ".flac", ".ogg", ".oga", ".opus", ".wav", ".wma", ".aiff",
     ".ape", ".alac", ".epub", ".pdf", ".cue", ".nfo", ".jpg", ".jpeg", ".png", ".txt", ".json", ".opf"}
)

_default_core: PlexBooksCore | None = None
_default_lock = threading.Lock()


def set_default_core(core: PlexBooksCore | None) -> None:
    """Remember the core hooks use when called with neither ``core=`` nor a Flask app context."""
    global _default_core
    with _default_lock:
        _default_core = core


def _resolve_core(core: PlexBooksCore | None) -> PlexBooksCore:
    if core is not None:
        return core
    if has_app_context():
        state = current_app.extensions.get("plexbooks")
        if state is not None:
            return state.core  # type: ignore[no-any-return]
    with _default_lock:
        if _default_core is not None:
            return _default_core
    raise RuntimeError("plexbooks is not initialised: call PlexBooks(app) first or pass core=")


def refresh_folder(path: str | None) -> str | None:
    """Return the folder Plex should rescan for an imported `path` (a file's directory), or None."""
    if not path or not path.strip():
        return None
    path = path.strip()
    if os.path.isdir(path):  # the host shares this filesystem: no guessing needed
        return path.rstrip("/\\") or path
    if os.path.isfile(path):
        return os.path.dirname(path)
    # The host may run on another OS than this process: judge the path by its own separators.
    module = ntpath if ("\\" in path and "/" not in path) else posixpath
    stripped = path.rstrip("/\\") or path
    _, suffix = module.splitext(stripped)
    if suffix.lower() in MEDIA_SUFFIXES:
        return module.dirname(stripped) or None
    return stripped


def on_download_organized(
    *,
    request_id: str | int | None,
    title: str | None,
    author: str | None,
    path: str | None,
    asin: str | None = None,
    core: PlexBooksCore | None = None,
) -> dict[str, Any]:
    """The host organised a download into the library: mark the request downloaded and ask Plex to rescan its folder."""
    host_id = "" if request_id is None else str(request_id).strip()
    if not host_id:
        return {"request_id": None, "error": "request_id is required"}
    try:
        core = _resolve_core(core)
        with core.session() as session:
            if not title and repo.get_request(session, host_id) is None:
                return {"request_id": host_id, "error": "title is required for a request plexbooks has not seen"}
            request, created = repo.mark_downloaded(
                session, host_request_id=host_id, title=title or "", author=author, path=path, asin=asin
            )
            status = request.status
    except Exception as err:
        log.exception("download-organized hook failed for request %s", host_id)
        return {"request_id": host_id, "error": error_line(err)}
    log.info("request %s downloaded to %s (%s)", host_id, path, "new" if created else "known")
    result: dict[str, Any] = {"request_id": host_id, "status": status, "created": created}
    # Never match here: Plex has not scanned the files yet. The refresh makes the next
    # recently-added poll see the book, and that poll flips the request to available.
    result.update(_request_refresh(core, path))
    return result


def _request_refresh(core: PlexBooksCore, path: str | None) -> dict[str, Any]:
    try:
        enabled = core.get_setting(SettingKey.REFRESH_AFTER_IMPORT) == "true"
        folder = refresh_folder(path)
        section = core.get_setting(SettingKey.LIBRARY_ID)
        if not enabled or folder is None or not section or not core.plex_configured():
            return {"refresh": "skipped"}
        with core.plex_client() as client:
            client.refresh(section, path=folder)
    except Exception as err:
        message = error_line(err)
        log.warning("could not ask Plex to refresh %s: %s", path, message)
        # The request is marked downloaded all the same: the next full scan finds the book.
        return {"refresh": f"failed: {message}", "refresh_error": message}
    log.info("asked Plex to refresh folder %s of section %s", folder, section)
    return {"refresh": "requested", "refresh_path": folder}


def on_request_status(
    *, request_id: str | int, status: str, core: PlexBooksCore | None = None
) -> dict[str, Any]:
    """The host moved a request to `status`; an available request stays available."""
    host_id = str(request_id)
    try:
        core = _resolve_core(core)
        with core.session() as session:
            request = repo.set_request_status(session, host_id, status)
            if request is None:
                return {"request_id": host_id, "error": f"request {host_id} is not tracked by plexbooks"}
            current = request.status
    except Exception as err:
        log.exception("request-status hook failed for request %s", host_id)
        return {"request_id": host_id, "error": error_line(err)}
    return {"request_id": host_id, "status": current}


def on_catalog_refreshed(*, items: Iterable[dict[str, Any]], core: PlexBooksCore | None = None) -> dict[str, Any]:
    """The host refreshed its catalog: store it and mark the entries Plex already has (score >= 0.85)."""
    try:
        return refresh_catalog(_resolve_core(core), items)
    except Exception as err:
        log.exception("catalog-refreshed hook failed")
        return {"error": error_line(err)}
