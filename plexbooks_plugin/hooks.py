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
from .services.libraries import record_path_warning, selected_ids
from .services.paths import map_path, only_ignored_files, plan_refresh, suggest_mapping
from .services.reconcile import refresh_catalog
from .settings import parse_path_map

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
    result: dict[str, Any] = {}
    ignored = _ignored_files(path)
    if ignored:
        names = ", ".join(posixpath.basename(name.replace("\\", "/")) for name in ignored[:5])
        result["ignored_files"] = ignored[:20]
        result["files_warning"] = (
            f"Plex music libraries ignore these files ({names}): convert them to .m4b or .mp3, "
            "or the book never shows up in Plex"
        )
        log.warning("imported folder %s holds only files Plex music libraries ignore: %s", path, names)
    try:
        enabled = core.get_setting(SettingKey.REFRESH_AFTER_IMPORT) == "true"
        folder = refresh_folder(path)
        selected = selected_ids(core)
        if not enabled or folder is None or not selected or not core.plex_configured():
            return {"refresh": "skipped", **result}
        plex_folder = map_path(folder, parse_path_map(core.get_setting(SettingKey.PATH_MAP) or ""))
        with core.plex_client() as client:
            locations = {s.id: s.locations for s in client.music_sections() if s.id in selected}
            plan = plan_refresh(plex_folder, locations, selected)
            for section in plan.sections:
                client.refresh(section, path=plan.path)
    except Exception as err:
        message = error_line(err)
        log.warning("could not ask Plex to refresh %s: %s", path, message)
        # The request is marked downloaded all the same: the next full scan finds the book.
        return {"refresh": f"failed: {message}", "refresh_error": message, **result}
    result.update(refresh="requested", refresh_scope=plan.scope, refresh_sections=list(plan.sections))
    if plan.path is not None:
        log.info("asked Plex to refresh folder %s of section %s", plan.path, plan.sections[0])
        result["refresh_path"] = plan.path
        record_path_warning(core, None)
        return result
    warning = (
        f"Plex does not see {plex_folder} in the selected libraries' folders, so the whole "
        f"librar{'y' if len(plan.sections) == 1 else 'ies'} {', '.join(plan.sections)} "
        "will be scanned; set path_map so plexbooks can name the folder"
    )
    suggestion = suggest_mapping(folder, [f for s in plan.sections for f in locations.get(s, ())])
    log.warning("%s (suggested path_map: %s)", warning, suggestion or "none")
    result.update(path_warning=warning, suggested_path_map=suggestion)
    record_path_warning(core, {"host_path": folder, "plex_path": plex_folder, "suggestion": suggestion})
    return result


def _ignored_files(path: str | None) -> list[str]:
    """The imported files when all of them are kinds Plex music libraries skip (judged only where visible)."""
    if not path or not path.strip():
        return []
    path = path.strip()
    try:
        if os.path.isdir(path):
            return only_ignored_files(sorted(os.listdir(path))[:1000])
    except OSError:
        return []
    return only_ignored_files([path])


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
