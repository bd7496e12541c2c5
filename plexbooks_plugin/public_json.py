"""The public JSON shapes of library items and requests, shared by the HTTP API and the CLI."""

from __future__ import annotations

from typing import Any

from .models import BookRequest, LibraryItem, ListedBook


def library_item_json(item: LibraryItem | ListedBook) -> dict[str, Any]:
    """The fields of a library item in GET /api/library and `library list --json`."""
    return {
        "rating_key": item.rating_key,
        "section_id": item.section_id,
        "guid": item.guid,
        "title": item.title,
        "author": item.author,
        "narrator": item.narrator,
        "year": item.year,
        "asin": item.asin,
        "duration": item.duration,
    }


def request_json(request: BookRequest, *, with_path: bool = True) -> dict[str, Any]:
    """The public fields of a tracked request (API answers and `requests list --json`).

    `downloaded_path` is a path on the host's server: only admins and the host key see it (`with_path`).
    """
    body = {
        "request_id": request.host_request_id,
        "host_request_id": request.host_request_id,
        "title": request.title,
        "author": request.author,
        "asin": request.asin,
        "status": request.status,
        "rating_key": request.plex_rating_key,
        "plex_guid": request.plex_guid,
        "downloaded_path": request.downloaded_path,
        "created_at": request.created_at.isoformat() if request.created_at else None,
        "updated_at": request.updated_at.isoformat() if request.updated_at else None,
        "requested_by": request.requested_by_name,
    }
    if not with_path:
        del body["downloaded_path"]
    return body
