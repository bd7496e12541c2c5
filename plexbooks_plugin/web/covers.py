"""Cover art proxied from Plex, so the Plex token never reaches a browser."""

from __future__ import annotations

import logging
from html import escape

from flask import Response, abort
from flask.typing import ResponseReturnValue

from .. import store as repo
from ..errors import PlexbooksError
from ..security import user_required
from ..state import get_state
from .blueprint import bp

log = logging.getLogger(__name__)

# Covers are small and requested again on every library page: the app's bounded in-memory cache
# (state.covers) keeps Plex from being asked for the same image dozens of times a minute.
_MAX_COVER_BYTES = 5 * 1024 * 1024


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


@bp.get("/covers/<rating_key>")
@user_required
def cover(rating_key: str) -> ResponseReturnValue:
    """Serve a book's cover from Plex (or a placeholder), without exposing the token."""
    state = get_state()
    with state.core.session() as session:
        item = repo.get_library_item(session, rating_key)
        if item is None:
            abort(404)
        thumb, title = item.thumb, item.title
    hit = _plex_cover(rating_key, thumb) if thumb else None
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


def _plex_cover(rating_key: str, thumb: str) -> tuple[bytes, str] | None:
    """The cover image from the app's cache, else from Plex (None when Plex cannot give it)."""
    state = get_state()
    key = (rating_key, thumb)
    hit = state.covers.get(key)
    if hit is None:
        try:
            hit = state.core.plex_client().thumb(thumb)
        except PlexbooksError as err:
            log.info("cover %s could not be fetched from Plex: %s", rating_key, err)
            return None
        if len(hit[0]) <= _MAX_COVER_BYTES:
            state.covers.put(key, hit)
    return hit
