"""Fault injection for reliability tests: slow, failing, truncated, hostile and huge answers."""

from __future__ import annotations

import fnmatch
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

from . import responses

KINDS = frozenset(
    {
        "latency",  # sleep `delay` seconds, then answer normally
        "status",  # answer `status` (500, 502, 503, ...) with PMS's HTML error page
        "drop",  # send the headers and half the body, then close the connection
        "truncate",  # a complete HTTP answer whose body is cut in half (broken JSON/XML)
        "html",  # 200 with an HTML page where JSON/XML was asked (a captive portal, a proxy)
        "entity_bomb",  # 200 XML with a billion-laughs DTD
        "deep_xml",  # 200 XML nested `depth` elements deep
        "huge",  # 200 with a `size`-byte body streamed lazily (never held in memory)
        "unauthorized",  # 401, as for a revoked token
        "trickle",  # the normal answer, one byte every `delay` seconds (per-read timeouts never fire)
        "hold",  # wait until `gate` is set (a stalled server the test releases), then answer normally
        "unpaged",  # a listing answered whole, whatever X-Plex-Container-Start/Size asked
        "stuck_paging",  # a listing that ignores the offset (always the first page) and claims `size` items
        "capped_paging",  # a listing that sends at most `size` items per page, whatever was asked
        "whole_records",  # includeFields/excludeFields and *Elements ignored (servers before PMS 1.41.9)
    }
)
ALIASES = {
    "500": ("status", 500),
    "502": ("status", 502),
    "503": ("status", 503),
    "revoked": ("unauthorized", None),
    "401": ("unauthorized", None),
    "truncated": ("truncate", None),
    "bomb": ("entity_bomb", None),
    "deep": ("deep_xml", None),
    "slow": ("latency", None),
    "disconnect": ("drop", None),
}


@dataclass(slots=True)
class Fault:
    """One armed fault; `count` None means until cleared."""

    kind: str
    on_path: str | None = None  # exact path or fnmatch pattern ("/library/sections/*/all")
    on_page: int | None = None  # only the request whose container start == on_page * size
    count: int | None = None
    delay: float = 0.0
    status: int = 500
    size: int = 200 * 1024 * 1024
    with_length: bool = False  # send Content-Length with a huge body (else chunked)
    depth: int = 50_000
    hits: int = 0
    gate: threading.Event | None = None  # "hold": released by the test
    entered: threading.Event = field(default_factory=threading.Event)  # set when the fault fires

    def matches(self, path: str, start: int | None, size: int | None) -> bool:
        """Whether this fault applies to a request."""
        if self.on_path is not None and not (
            path == self.on_path or fnmatch.fnmatchcase(path, self.on_path)
        ):
            return False
        if self.on_page is not None:
            if start is None or not size:
                return False
            if start != self.on_page * size:
                return False
        return True


class FaultBox:
    """The armed faults; the first matching one fires and uses up one of its `count`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Arm a fault."""
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self.faults.clear()

    def take(self, path: str, start: int | None, size: int | None) -> Fault | None:
        """The fault that fires for this request, if any (its count is used up)."""
        with self._lock:
            for fault in self.faults:
                if fault.matches(path, start, size):
                    fault.hits += 1
                    fault.entered.set()
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self.faults.remove(fault)
                    return fault
        return None


def normalise_kind(kind: str | int, status: int | None) -> tuple[str, int]:
    """Resolve aliases ("503", 502, "revoked") to (kind, status)."""
    if isinstance(kind, int):
        return "status", kind
    if kind in ALIASES:
        resolved, code = ALIASES[kind]
        return resolved, code or status or 500
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; choose from {sorted(KINDS | set(ALIASES))}")
    return kind, status or 500


ENTITY_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<MediaContainer size="1" title1="&lol9;"><Directory ratingKey="1" title="&lol9;" type="album" /></MediaContainer>
"""

HTML_PORTAL = (
    b"<!DOCTYPE html><html><head><title>Plex</title></head><body>"
    b"<div id=\"plex\">Sign in to your network to continue.</div></body></html>"
)


def deep_xml(depth: int) -> bytes:
    """An XML document nested `depth` elements deep."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="1">'
        + b"<Directory>" * depth
        + b"</Directory>" * depth
        + b"</MediaContainer>\n"
    )


def huge_body(size: int, as_json: bool) -> Iterator[bytes]:
    """`size` bytes of a plausible listing, produced lazily 1 MiB at a time."""
    if as_json:
        head, item, tail = b'{"MediaContainer":{"size":1,"Metadata":[', b'{"ratingKey":"1","title":"x"},', b"{}]}}"
    else:
        head = b'<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="1">'
        item, tail = b'<Directory ratingKey="1" title="x" type="album" />', b"</MediaContainer>"
    block = item * max(1, (1024 * 1024) // len(item))
    sent = len(head)
    yield head
    while sent + len(block) + len(tail) <= size:
        yield block
        sent += len(block)
    remainder = size - sent - len(tail)
    if remainder > 0:
        yield b" " * remainder
    yield tail


def fault_response(
    fault: Fault, request: Request, xml_only: bool, answer: Callable[[Request], Response]
) -> Response | None:
    """The answer a fault gives instead of (or, for truncate/drop, cut from) `answer`; None to answer normally."""
    if fault.kind in ("unpaged", "stuck_paging", "capped_paging"):
        request.environ[responses.PAGING_FAULT] = fault  # responses.listing answers accordingly
        return None
    if fault.kind == "whole_records":
        request.environ[responses.WHOLE_RECORDS] = True  # items.trimmed_converter is not used
        return None
    if fault.kind == "hold":
        if fault.gate is not None:
            fault.gate.wait(timeout=60)  # a forgotten gate must not hang the server for ever
        return None
    if fault.kind == "trickle":
        return _trickled(fault, answer(request))
    if fault.delay:
        time.sleep(fault.delay)
    kind = fault.kind
    if kind == "latency":
        return None
    if kind in ("status", "unauthorized"):
        return responses.html_error(fault.status if kind == "status" else 401)
    if kind == "html":
        return Response(HTML_PORTAL, status=200, content_type="text/html; charset=utf-8")
    if kind == "entity_bomb":
        return Response(ENTITY_BOMB, status=200, content_type=responses.XML)
    if kind == "deep_xml":
        return Response(deep_xml(fault.depth), status=200, content_type=responses.XML)
    if kind == "huge":
        return _huge_response(fault, responses.wants_json(request, xml_only))
    return _cut_response(fault, answer(request))


def trickle(body: bytes, interval: float) -> Iterator[bytes]:
    """`body` one byte at a time, `interval` seconds apart."""
    for index in range(len(body)):
        if index:
            time.sleep(interval)
        yield body[index : index + 1]


def _trickled(fault: Fault, normal: Response) -> Response:
    """trickle: the whole normal answer, one byte every `fault.delay` seconds."""
    body = normal.get_data()
    headers = [(k, v) for k, v in normal.headers.items() if k.lower() != "content-length"]
    response = Response(trickle(body, fault.delay), status=normal.status_code, headers=headers,
                        direct_passthrough=True)
    response.headers["Content-Length"] = str(len(body))
    return response


def _huge_response(fault: Fault, as_json: bool) -> Response:
    response = Response(
        huge_body(fault.size, as_json),
        status=200,
        content_type=responses.JSON if as_json else responses.XML,
        direct_passthrough=True,
    )
    if fault.with_length:
        response.headers["Content-Length"] = str(fault.size)
    return response


def _cut_response(fault: Fault, normal: Response) -> Response:
    """truncate: a complete answer with half the body; drop: promise the whole body, send half."""
    body = normal.get_data()
    half = body[: len(body) // 2]
    headers = [(k, v) for k, v in normal.headers.items() if k.lower() != "content-length"]
    if fault.kind == "truncate":
        return Response(half, status=normal.status_code, headers=headers)
    # werkzeug closes the connection when fewer bytes than Content-Length were sent.
    response = Response(iter([half]), status=normal.status_code, headers=headers, direct_passthrough=True)
    response.headers["Content-Length"] = str(len(body))
    return response
