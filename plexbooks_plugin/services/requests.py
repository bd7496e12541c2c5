"""Request creation: the availability and duplicate policy, and the function the request API calls."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import store as repo
from ..matching import REQUEST_THRESHOLD, LibraryIndex, match_score, normalize_asin
from ..models import BookRequest
from ..public_json import library_item_json, request_json
from .links import PlexLinker

if TYPE_CHECKING:
    from ..core import PlexBooksCore


NOT_AVAILABLE: dict[str, Any] = {"available": False, "rating_key": None, "score": None, "matched_by": None}


def availability(index: LibraryIndex, book: dict[str, Any]) -> dict[str, Any]:
    """Answer one availability question from the in-memory index (no Plex call)."""
    match = index.best_match(
        book["title"], book.get("author"), asin=book.get("asin"), narrator=book.get("narrator"),
        threshold=REQUEST_THRESHOLD,
    )
    if match is None:
        return dict(NOT_AVAILABLE)
    return {
        "available": True,
        "rating_key": match.key,
        "score": round(float(match.score), 4),
        "matched_by": match.matched_by,
    }


def open_duplicate(
    open_requests: Iterable[BookRequest], title: str, author: str | None, asin: str | None
) -> BookRequest | None:
    """Return an open request for the same book (same ASIN, or a match at the request threshold)."""
    wanted_asin = normalize_asin(asin)
    for existing in open_requests:
        if wanted_asin and existing.asin:
            if normalize_asin(existing.asin) == wanted_asin:
                return existing
            continue  # both sides have an ASIN and they differ: a different edition or book
        if match_score(title, author, existing.title, existing.author) >= REQUEST_THRESHOLD:
            return existing
    return None


@dataclass(frozen=True)
class RequestOutcome:
    """What asking for a book did: ``created``, or refused as ``already_available`` / ``already_requested``."""

    outcome: str
    body: dict[str, Any]

    @property
    def created(self) -> bool:
        """Whether a new request is now tracked."""
        return self.outcome == "created"


def already_requested(existing: BookRequest) -> RequestOutcome:
    """The refusal for a book that is already requested."""
    return RequestOutcome("already_requested", {
        "error": "already_requested",
        "message": f"This book is already requested (status: {existing.status}).",
        "request_id": existing.host_request_id,
        "status": existing.status,
    })


def create_request(
    core: PlexBooksCore,
    *,
    title: str,
    author: str | None,
    asin: str | None,
    host_request_id: str | None,
    requested_by: int | None,
    requested_by_name: str | None = None,
    force: bool = False,
) -> RequestOutcome:
    """Track a new request unless Plex already has the book or it is already requested (`force` skips both).

    `requested_by` is the asking user's id; the host key names the user instead (`requested_by_name`),
    who is linked by id when that Plex account has signed in.
    """
    if not force:
        check = availability(core.library_index(), {"title": title, "author": author, "asin": asin})
        if check["available"]:
            with core.session() as session:
                item = repo.get_library_item(session, check["rating_key"])
                book = library_item_json(item) if item is not None else None
            return RequestOutcome("already_available", {
                "error": "already_available",
                "message": "This book is already in your Plex library.",
                "rating_key": check["rating_key"],
                "plex_web_url": PlexLinker.of(core).url(check["rating_key"]),
                "score": check["score"],
                "matched_by": check["matched_by"],
                "book": book,
            })
    with core.session() as session:
        if host_request_id:
            existing = repo.get_request(session, host_request_id)
            if existing is not None:
                return already_requested(existing)
        if not force:
            duplicate = open_duplicate(repo.open_requests(session), title, author, asin)
            if duplicate is not None:
                return already_requested(duplicate)
        if requested_by is None and requested_by_name:
            named = repo.get_user_by_username(session, requested_by_name)
            requested_by = named.id if named is not None else None
        created = repo.create_request(
            session, title=title, author=author, asin=asin, host_request_id=host_request_id,
            requested_by=requested_by, requested_by_name=requested_by_name,
        )
        return RequestOutcome("created", request_json(created))
