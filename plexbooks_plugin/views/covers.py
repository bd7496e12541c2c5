"""Cover art proxied from Plex, so the Plex token never reaches a browser."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from html import escape

from flask import Blueprint, Response, abort
from flask.typing import ResponseReturnValue

from .. import store as repo
from ..errors import PlexbooksError
from ..security import user_required
from . import common

log = logging.getLogger(__name__)

# Covers are small and requested again on every library page: a bounded in-memory cache keeps
# Plex from being asked for the same image dozens of times a minute.
_CACHE_SIZE = 512
_cache: OrderedDict[tuple[str, str], tuple[bytes, str]] = OrderedDict()
_cache_lock = threading.Lock()
_MAX_COVER_BYTES = 5 * 1024 * 1024


def _cached(key: tuple[str, str]) -> tuple[bytes, str] | None:
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
        return hit


def _store(key: tuple[str, str], value: tuple[bytes, str]) -> None:
    if len(value[0]) > _MAX_COVER_BYTES:
        return
    with _cache_lock:
        _cache[key] = value
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


def placeholder_svg(title: str) -> bytes:
    """A neutral cover with the title's initials, for books Plex has no art for."""
    words = [w for w in title.split() if w[:1].isalnum()]
    initials = "".join(w[0] for w in words[:2]).upper() or "?"
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 300" width="300" height="300">'
        '<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
        '<stop offset="0" stop-color="#3b4452"/><stop offset="1" stop-color="#1f2329"/></linearGradient></defs>'
        '<rect width="300" height="300" fill="url(#g)"/>'
        '<text x="150" y="172" font-family="system-ui, DejaVu Sans, sans-serif" font-size="84" '
        f'font-weight="700" fill="#e5a00d" text-anchor="middle">{escape(initials)}</text></svg>'
    )
    return svg.encode("utf-8")


def register_covers(bp: Blueprint) -> None:
    """Add the cover proxy route."""

    @bp.get("/covers/<rating_key>")
    @user_required
    def cover(rating_key: str) -> ResponseReturnValue:
        """Serve a book's cover from Plex (or a placeholder), without exposing the token."""
        core = common.core()
        with core.session() as session:
            item = repo.get_library_item(session, rating_key)
            if item is None:
                abort(404)
            thumb, title = item.thumb, item.title
        if thumb:
            key = (rating_key, thumb)
            hit = _cached(key)
            if hit is None:
                try:
                    hit = core.plex_client().thumb(thumb)
                except PlexbooksError as err:
                    log.info("cover %s could not be fetched from Plex: %s", rating_key, err)
                else:
                    _store(key, hit)
            if hit is not None:
                body, content_type = hit
                response = Response(body, content_type=content_type or "image/jpeg")
                response.headers["Cache-Control"] = "private, max-age=86400"
                return response
        response = Response(placeholder_svg(title), content_type="image/svg+xml")
        # Short-lived: the art may appear after Plex's next metadata refresh.
        response.headers["Cache-Control"] = "private, max-age=300"
        response.headers["X-Plexbooks-Cover"] = "placeholder"
        return response
