"""Building the emulator's HTTP answers: PMS XML/JSON containers, paged listings, HTML errors, plex.tv JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from werkzeug.wrappers import Request, Response

from . import render

JSON = "application/json"
XML = "text/xml;charset=utf-8"
T = TypeVar("T")


class BadRequest(Exception):
    """A parameter PMS would refuse with 400."""


#: WSGI environ key under which a paging fault (faults.fault_response) tells `listing` how to misbehave.
PAGING_FAULT = "fakeplex.paging_fault"
WHOLE_RECORDS = "fakeplex.whole_records"  # an armed "whole_records" fault: no response customization

def token_of(request: Request) -> str | None:
    """The X-Plex-Token of a request (header first, then query string)."""
    return request.headers.get("X-Plex-Token") or request.args.get("X-Plex-Token")


def client_id_of(request: Request) -> str | None:
    """The X-Plex-Client-Identifier plex.tv requires (header or query string)."""
    return request.headers.get("X-Plex-Client-Identifier") or request.args.get("X-Plex-Client-Identifier")


def wants_json(request: Request, xml_only: bool) -> bool:
    """PMS answers JSON only on `Accept: application/json` (never, for an XML-only server)."""
    return not xml_only and JSON in (request.headers.get("Accept") or "")


def pms(
    request: Request,
    xml_only: bool,
    container: dict[str, Any],
    items: Sequence[dict[str, Any]] = (),
) -> Response:
    """A MediaContainer answer in the format the client asked for."""
    if wants_json(request, xml_only):
        body, ctype = render.to_json(container, items), JSON
    else:
        body, ctype = render.to_xml(container, items), XML
    response = Response(body, status=200, content_type=ctype)
    response.headers["X-Plex-Protocol"] = "1.0"
    response.headers["Cache-Control"] = "no-cache"
    return response


def html_error(status: int) -> Response:
    """PMS's small HTML error page with its status."""
    response = Response(render.html_error(status), status=status, content_type="text/html")
    response.headers["X-Plex-Protocol"] = "1.0"
    return response


def paging(request: Request) -> tuple[int, int | None] | None:
    """(start, size) when paging was asked (headers or query), None otherwise; BadRequest if malformed."""
    raw_start = request.args.get("X-Plex-Container-Start", request.headers.get("X-Plex-Container-Start"))
    raw_size = request.args.get("X-Plex-Container-Size", request.headers.get("X-Plex-Container-Size"))
    if raw_start is None and raw_size is None:
        return None
    try:
        start = int(raw_start) if raw_start is not None else 0
        size = int(raw_size) if raw_size is not None else None
    except ValueError as err:
        raise BadRequest from err
    if start < 0 or (size is not None and size < 0):
        raise BadRequest
    return start, size


def lenient_paging(request: Request) -> tuple[int | None, int | None]:
    """Paging values for fault matching; never raises."""
    try:
        asked = paging(request)
    except BadRequest:
        return None, None
    return (None, None) if asked is None else asked


def listing(
    request: Request,
    xml_only: bool,
    container: dict[str, Any],
    items: Sequence[T],
    to_dict: Callable[[T], dict[str, Any]],
    *,
    default_limit: int | None = None,
) -> Response:
    """Render a listing, paged exactly when X-Plex-Container-Start/Size was asked."""
    asked = paging(request)
    claimed = len(items)
    fault = request.environ.get(PAGING_FAULT)  # an armed "unpaged", "stuck_paging" or "capped_paging" fault
    honest_offset = fault is None
    if fault is not None and asked is not None:
        if fault.kind == "unpaged":
            asked = (0, None)
        elif fault.kind == "capped_paging":
            asked, honest_offset = (asked[0], min(fault.size, asked[1] if asked[1] is not None else fault.size)), True
        else:  # stuck_paging: the first page again, whatever the offset, and a made-up total
            asked, claimed = (0, asked[1]), fault.size
    if asked is None:
        start = 0
        page = items if default_limit is None else items[:default_limit]
    else:
        start, size = asked
        page = items[start : start + size] if size is not None else items[start:]
    head: dict[str, Any] = {"size": len(page)}
    if asked is not None:
        head["totalSize"] = claimed
        if honest_offset:
            head["offset"] = start
    head.update(container)
    response = pms(request, xml_only, head, [to_dict(item) for item in page])
    if asked is not None:
        response.headers["X-Plex-Container-Start"] = str(start)
        response.headers["X-Plex-Container-Total-Size"] = str(claimed)
    return response


def png(key: int) -> Response:
    """A cover image: a small PNG whose colour depends on the rating key."""
    response = Response(render.png(render.cover_color(key)), content_type="image/png")
    response.headers["Cache-Control"] = "max-age=86400"
    return response


def tv_json(payload: Any, status: int = 200) -> Response:
    """A plex.tv v2 JSON answer (not wrapped in a MediaContainer)."""
    return Response(
        json.dumps(payload, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8"
    )


def tv_error(status: int, code: int, message: str) -> Response:
    """plex.tv's error shape: {"errors": [{"code", "message", "status"}]}."""
    return tv_json({"errors": [{"code": code, "message": message, "status": status}]}, status)
