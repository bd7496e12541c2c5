"""Cover art proxied from Plex, so the Plex token never reaches a browser."""

from __future__ import annotations

import logging
import time
from html import escape

from flask import Response, abort, current_app
from flask.typing import ResponseReturnValue

from .. import store as repo
from ..core import PlexBooksCore
from ..errors import PlexbooksError
from ..plex.client import is_cover_path
from ..security import user_required
from ..state import get_state
from .blueprint import bp

log = logging.getLogger(__name__)

# Covers are small and requested again on every library page: the app's bounded in-memory cache
# (state.covers) keeps Plex from being asked for the same image dozens of times a minute.
_MAX_COVER_BYTES = 5 * 1024 * 1024
#: (connect, read) seconds Plex gets for one cover (PLEXBOOKS_COVER_TIMEOUT); no retries.
COVER_TIMEOUT = (2.0, 4.0)
#: A cover Plex failed to give is not asked for again for this long (the placeholder shows meanwhile).
COVER_FAILURE_SECONDS = 300.0
#: Cover answers load and run nothing, even opened on their own (an image needs none of it).
COVER_CSP = "default-src 'none'; sandbox"


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
        response = Response(body, content_type=content_type)
        response.headers["Cache-Control"] = "private, max-age=86400"
    else:
        response = Response(placeholder_svg(title), content_type="image/svg+xml")
        # Short-lived: the art may appear after Plex's next metadata refresh.
        response.headers["Cache-Control"] = "private, max-age=300"
        response.headers["X-Plexbooks-Cover"] = "placeholder"
    # Opened on its own, a cover is a document of the plugin's origin: it may load and run nothing.
    response.headers["Content-Security-Policy"] = COVER_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _plex_cover(rating_key: str, thumb: str) -> tuple[bytes, str] | None:
    """The cover image from the app's cache, else from Plex (None when Plex cannot give it now)."""
    state = get_state()
    key = (rating_key, thumb)
    hit = state.covers.get(key)
    if hit is not None:
        return hit
    retry_at = state.cover_failures.get(key)
    if retry_at is not None and time.monotonic() < retry_at:
        return None
    if not is_cover_path(thumb):
        log.info("cover %s: thumb %r is not a /library/metadata/ path; showing the placeholder", rating_key, thumb[:80])
        state.cover_failures.put(key, float("inf"))
        return None
    # A slow Plex must not hold every worker of the host: past the cap, the placeholder, at once.
    if not state.cover_slots.acquire(blocking=False):
        return None
    try:
        hit = _fetch(state.core, thumb)
    except PlexbooksError as err:
        log.info("cover %s could not be fetched from Plex: %s", rating_key, err)
        state.cover_failures.put(key, time.monotonic() + COVER_FAILURE_SECONDS)
        return None
    finally:
        state.cover_slots.release()
    if len(hit[0]) <= _MAX_COVER_BYTES:
        state.covers.put(key, hit)
    return hit


def _fetch(core: PlexBooksCore, thumb: str) -> tuple[bytes, str]:
    """One cover from Plex with short timeouts and no retries (a cover is not worth waiting for)."""
    limit = current_app.config.get("PLEXBOOKS_COVER_TIMEOUT", COVER_TIMEOUT)
    client = core.plex_client(timeout=(float(limit[0]), float(limit[1])), retries=0)
    try:
        return client.thumb(thumb)
    finally:
        client.close()
