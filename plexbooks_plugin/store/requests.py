"""Tracked requests: creation, the host's status updates, downloaded and the exactly-once flip to available."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..matching import normalize_asin
from ..models import REQUEST_STATUSES, BookRequest, utcnow

TERMINAL_STATUSES = ("available", "failed", "cancelled")
# Plex having the book ends every request but these, whatever the host last said (a late
# "downloading" must not keep a book the household owns from becoming available).
NEVER_FLIPPED = ("available", "cancelled")


def _check_status(status: str) -> str:
    if status not in REQUEST_STATUSES:
        raise ValueError(f"unknown request status {status!r}; expected one of {', '.join(REQUEST_STATUSES)}")
    return status


def create_request(
    session: Session,
    *,
    title: str,
    author: str | None,
    asin: str | None = None,
    host_request_id: str | None = None,
    requested_by: int | None = None,
    requested_by_name: str | None = None,
    status: str = "pending",
) -> BookRequest:
    """Track a new request; the host's id is kept, or one is made up."""
    request = BookRequest(
        host_request_id=host_request_id or f"pb-{uuid.uuid4().hex[:12]}",
        title=title,
        author=author,
        asin=normalize_asin(asin),
        status=_check_status(status),
        requested_by=requested_by,
        requested_by_name=requested_by_name,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(request)
    session.flush()
    return request


def get_request(session: Session, host_request_id: str, owner: Requester | None = None) -> BookRequest | None:
    """Return a tracked request by the host's id (None when `owner` is given and did not make it)."""
    query = select(BookRequest).where(BookRequest.host_request_id == host_request_id)
    if owner is not None:
        query = query.where(owned_by(owner))
    return session.scalars(query).first()


@dataclass(frozen=True)
class Requester:
    """Whose requests a plain user may see: their plexbooks id, and their Plex username."""

    user_id: int
    username: str | None


def owned_by(requester: Requester) -> ColumnElement[bool]:
    """The condition "this request was made by `requester`" (or for them, by the host key naming them)."""
    mine = BookRequest.requested_by == requester.user_id
    if not requester.username:
        return mine
    named = and_(BookRequest.requested_by.is_(None), BookRequest.requested_by_name == requester.username)
    return or_(mine, named)


def list_requests(
    session: Session, status: str | None = None, limit: int | None = None, owner: Requester | None = None
) -> list[BookRequest]:
    """Return tracked requests, newest first (only `owner`'s when given)."""
    query = select(BookRequest).order_by(BookRequest.id.desc())
    if owner is not None:
        query = query.where(owned_by(owner))
    if status:
        query = query.where(BookRequest.status == status)
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def open_requests(session: Session) -> list[BookRequest]:
    """Return requests that are neither finished nor abandoned (for duplicate-request checks)."""
    return list(session.scalars(select(BookRequest).where(BookRequest.status.not_in(TERMINAL_STATUSES))))


def set_request_status(session: Session, host_request_id: str, status: str) -> BookRequest | None:
    """Move a request to `status` as the host reports it; an available request stays available."""
    _check_status(status)
    # One conditional UPDATE, not read-then-write: a scan flipping the request to available between
    # our read and our write would otherwise be overwritten (a lost update).
    query = update(BookRequest).where(BookRequest.host_request_id == host_request_id)
    if status != "available":
        query = query.where(BookRequest.status != "available")  # Plex has it: a late host update must not undo that.
    session.execute(query.values(status=status, updated_at=utcnow()).execution_options(synchronize_session=False))
    fresh = select(BookRequest).where(BookRequest.host_request_id == host_request_id)
    return session.scalars(fresh.execution_options(populate_existing=True)).first()


def mark_downloaded(
    session: Session,
    *,
    host_request_id: str,
    title: str,
    author: str | None,
    path: str | None,
    asin: str | None = None,
) -> tuple[BookRequest, bool]:
    """Mark a request downloaded (creating it when the host never announced it); idempotent."""
    request = get_request(session, host_request_id)
    created = False
    if request is None:
        try:
            with session.begin_nested():
                request = create_request(
                    session,
                    title=title,
                    author=author,
                    asin=asin,
                    host_request_id=host_request_id,
                    status="downloaded",
                )
            created = True
        except IntegrityError:
            # Two hook calls raced: the other one created it; fall through to update it.
            request = get_request(session, host_request_id)
            assert request is not None
    if request.status != "available":
        request.status = "downloaded"
    request.downloaded_path = path or request.downloaded_path
    request.downloaded_at = request.downloaded_at or utcnow()
    if asin and not request.asin:
        request.asin = normalize_asin(asin)
    request.updated_at = utcnow()
    session.flush()
    return request, created


def waiting_requests(session: Session) -> list[BookRequest]:
    """Return the requests waiting for Plex to show the book: every one not cancelled or available yet."""
    query = select(BookRequest).where(BookRequest.status.not_in(NEVER_FLIPPED)).order_by(BookRequest.id)
    return list(session.scalars(query))


def mark_available(session: Session, request_id: int, *, rating_key: str, guid: str | None, score: float) -> bool:
    """Flip a waiting request (any status but cancelled/available) to available exactly once; say if this call did."""
    now = utcnow()
    result = session.execute(
        update(BookRequest)
        .where(BookRequest.id == request_id, BookRequest.status.not_in(NEVER_FLIPPED))
        .values(
            status="available",
            plex_rating_key=rating_key,
            plex_guid=guid,
            match_score=score,
            available_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
