"""The one HTTP chokepoint shared by the Media Server client and the plex.tv client.

Everything that talks to Plex goes through `send()`: timeouts, bounded retries of idempotent
requests, a streamed body with a size cap, no redirects (a redirect would carry the token to
another host), and the mapping of every failure onto the plexbooks error types, with messages
that never contain a token.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

import requests
from requests.structures import CaseInsensitiveDict
from urllib3 import exceptions as urllib3_errors

from ..errors import ConfigError, PlexAuthError, PlexHTTPError, PlexNotFound, PlexResponseError, PlexUnreachable
from .redact import redact

log = logging.getLogger("plexbooks.plex.http")

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
# The whole of one request, retries and a slow body included: read timeouts alone let a server
# that trickles a byte every few seconds hold a scan (or a page) for as long as it likes.
DEFAULT_DEADLINE = 120.0
_CHUNK = 64 * 1024
_MAX_BACKOFF = 8.0
_ERROR_BODY_BYTES = 4096  # enough for a plex.tv error object; error pages are not read further


@dataclass(frozen=True, slots=True)
class Remote:
    """How error messages name a remote service and what they advise."""

    label: str  # "Plex at http://192.168.1.5:32400" or "plex.tv"
    unreachable_hint: str  # "Check the server URL and that Plex is running."
    auth_hint: str  # "sign in again in Settings"


@dataclass(frozen=True, slots=True)
class HttpResult:
    """A complete, size-checked 2xx answer."""

    status: int
    headers: CaseInsensitiveDict[str]
    body: bytes
    content_type: str  # media type only, lower case: "application/json", "text/xml", ...
    path: str  # the URL path that was asked, for messages


def origin_of(url: str) -> str:
    """Return scheme://host[:port] of a URL, without user info, path or query (safe for messages)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, "", "", ""))


def split_http_url(url: str, what: str) -> SplitResult:
    """Parse an http(s) URL that names a host, or raise ConfigError saying what a valid one looks like."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"the {what} must start with http:// or https:// and name a host, "
            f"like http://192.168.1.10:32400 (got {redact(url)!r})"
        )
    return parts


def normalise_base_url(url: str, what: str = "Plex server URL") -> str:
    """Validate an http(s) base URL and return it without query, fragment or trailing slash."""
    raw = (url or "").strip()
    parts = split_http_url(raw, what)
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as err:
        raise ConfigError(f"The {what} has an invalid port: {origin_of(raw)}") from err
    # Query and fragment are dropped: a pasted "?X-Plex-Token=" must not ride along in URLs.
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def media_type(content_type: str | None) -> str:
    """Return the media type of a Content-Type header value, lower case, without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _transport_reason(err: BaseException, timeout: float | tuple[float, float] | None) -> str:
    """Describe a transport failure in a few words, without echoing URLs (and so tokens)."""
    text = str(err)
    if isinstance(err, requests.exceptions.ConnectTimeout):
        return "the connection timed out"
    if isinstance(err, requests.exceptions.ReadTimeout):
        read = timeout[1] if isinstance(timeout, tuple) else timeout
        return f"no answer within {read:g} s" if read else "the answer timed out"
    if isinstance(err, requests.exceptions.ChunkedEncodingError):
        return "the connection dropped in the middle of the answer"
    if isinstance(err, requests.exceptions.SSLError):
        return "the TLS (https) handshake failed; check the certificate or use http://"
    if "Name or service not known" in text or "getaddrinfo" in text or "NameResolution" in text:
        return "the host name could not be resolved"
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "the connection was refused"
    if "timed out" in text.lower():
        return "the connection timed out"
    if "RemoteDisconnected" in text or "Connection aborted" in text or "reset" in text.lower():
        return "the connection was closed before an answer arrived"
    return "the connection failed"


def error_detail(body: bytes, content_type: str) -> str | None:
    """Extract a short human message from an error body (plex.tv JSON errors), if any."""
    if "json" not in content_type and body.lstrip()[:1] != b"{":
        return None  # PMS error pages are HTML; only JSON error objects carry a message
    try:
        data = json.loads(body)
    except ValueError:
        return None
    errors = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errors, list):
        messages = [
            str(e.get("message")) for e in errors if isinstance(e, dict) and e.get("message")
        ]
        if messages:
            return redact("; ".join(messages))[:200]
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return redact(data["error"])[:200]
    return None


class Deadline:
    """The moment one request (all its attempts) must be done by, on a clock tests can drive."""

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.ends = None if seconds is None else clock() + seconds

    def remaining(self) -> float | None:
        """Seconds left (never negative), or None without a deadline."""
        return None if self.ends is None else max(0.0, self.ends - self.clock())

    def check(self, remote: Remote, path: str) -> None:
        """Raise PlexUnreachable once the deadline has passed."""
        if self.ends is not None and self.clock() >= self.ends:
            raise PlexUnreachable(
                f"{remote.label} did not finish answering {path} within {self.seconds:g} s "
                f"(the limit for one request). {remote.unreachable_hint}"
            )


def _read_capped(resp: requests.Response, cap: int, remote: Remote, path: str, deadline: Deadline) -> bytes:
    """Read a streamed body, refusing (and dropping the connection) past `cap` bytes or the deadline."""
    declared = resp.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise PlexResponseError(
            f"{remote.label} sent an answer of {int(declared)} bytes for {path}, more than the "
            f"{cap} byte limit; refusing to read it"
        )
    buf = bytearray()
    while True:
        deadline.check(remote, path)
        # read1 returns whatever one read brings (decompressed, so the cap also bounds gzip bombs):
        # a trickling server is checked against the deadline after every read, not every 64 KiB.
        chunk = _read_some(resp)
        if not chunk:
            return bytes(buf)
        buf += chunk
        if len(buf) > cap:
            raise PlexResponseError(
                f"{remote.label} sent an answer larger than the {cap} byte limit for {path}; "
                "refusing to read it"
            )


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    remote: Remote,
    path: str,
    params: Mapping[str, str | int] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: tuple[float, float] = (5, 30),
    retries: int = 2,
    backoff: float = 0.5,
    idempotent: bool | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    detail: Callable[[bytes, str], str | None] = error_detail,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float | None = DEFAULT_DEADLINE,
    clock: Callable[[], float] = time.monotonic,
) -> HttpResult:
    """Send one request (with retries when safe) and return its 2xx answer, or raise a typed error.

    Retries (at most `retries` more attempts, exponential backoff) happen only for idempotent
    requests and only on connection errors, timeouts, dropped bodies and 5xx answers; never on
    4xx and never for POST/PUT unless `idempotent=True` is passed. All attempts together end
    within `deadline` seconds (None: no limit beyond the per-read timeouts).
    """
    limit = Deadline(deadline, clock)
    method = method.upper()
    if idempotent is None:
        idempotent = method in ("GET", "HEAD", "OPTIONS")
    attempts = 1 + (max(0, retries) if idempotent else 0)
    last_error: PlexUnreachable | PlexHTTPError | None = None

    for attempt in range(attempts):
        if attempt:
            delay = min(_MAX_BACKOFF, backoff * (2 ** (attempt - 1)))
            log.warning(
                "%s: %s %s failed (%s); retry %d of %d in %.2f s",
                remote.label, method, path, last_error, attempt, attempts - 1, delay,
            )
            left = limit.remaining()
            if left is not None and delay >= left:
                break  # no time for another attempt: report the last error
            if delay > 0:
                sleep(delay)
        started = time.monotonic()
        resp: requests.Response | None = None
        try:
            resp = session.request(
                method,
                url,
                params=dict(params) if params else None,
                headers=dict(headers) if headers else None,
                timeout=_within(timeout, limit.remaining()),
                stream=True,
                allow_redirects=False,
            )
            status = resp.status_code
            ctype = media_type(resp.headers.get("Content-Type"))
            if status >= 500:
                body = _peek(resp)
                extra = detail(body, ctype)
                last_error = PlexHTTPError(
                    f"{remote.label} answered HTTP {status} for {path}"
                    + (f": {extra}" if extra else "")
                    + "; Plex may be starting up or overloaded, try again shortly",
                    status,
                )
                continue
            if status in (401, 403):
                raise PlexAuthError(f"{remote.label} refused the token", remote.auth_hint)
            if 300 <= status < 400:
                target = origin_of(resp.headers.get("Location", "")) or "another address"
                raise PlexHTTPError(
                    f"{remote.label} redirected {path} to {target}; use that address as the "
                    "server URL (plexbooks does not follow redirects, so the token stays put)",
                    status,
                )
            if status >= 400:
                body = _peek(resp)
                extra = detail(body, ctype)
                cls = PlexNotFound if status == 404 else PlexHTTPError
                raise cls(
                    f"{remote.label} answered HTTP {status} for {path}"
                    + (f": {extra}" if extra else ""),
                    status,
                )
            body = _read_capped(resp, max_body_bytes, remote, path, limit)
            log.debug(
                "%s %s -> %d (%d bytes, %.0f ms)",
                method, path, status, len(body), (time.monotonic() - started) * 1000,
            )
            return HttpResult(status, CaseInsensitiveDict(resp.headers), body, ctype, path)
        except (PlexAuthError, PlexResponseError):
            raise
        except requests.exceptions.ContentDecodingError as err:
            raise PlexResponseError(
                f"{remote.label} sent a corrupt compressed answer for {path}"
            ) from err
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as err:
            raise ConfigError(f"{remote.label}: the URL is not valid") from err
        except requests.exceptions.RequestException as err:
            # Connection refused, DNS, timeouts, drops mid-body: all "could not be reached".
            reason = _transport_reason(err, timeout)
            unreachable = PlexUnreachable(
                f"{remote.label} could not be reached: {reason}. {remote.unreachable_hint}"
            )
            unreachable.__cause__ = err
            last_error = unreachable
            log.debug("%s %s transport error: %s", method, path, reason)
            continue
        finally:
            if resp is not None:
                resp.close()

    assert last_error is not None  # the loop ran at least once and only `continue`s on errors
    if isinstance(last_error, PlexUnreachable) and last_error.__cause__ is not None:
        raise last_error from last_error.__cause__
    raise last_error


def _read_some(resp: requests.Response) -> bytes:
    """One read of the body, with urllib3's errors turned into the requests errors `send` handles."""
    try:
        return bytes(resp.raw.read1(_CHUNK, decode_content=True))
    except urllib3_errors.ProtocolError as err:
        raise requests.exceptions.ChunkedEncodingError(err) from err
    except urllib3_errors.DecodeError as err:
        raise requests.exceptions.ContentDecodingError(err) from err
    except urllib3_errors.ReadTimeoutError as err:
        raise requests.exceptions.ReadTimeout(err) from err
    except urllib3_errors.SSLError as err:
        raise requests.exceptions.SSLError(err) from err


def _within(timeout: tuple[float, float], remaining: float | None) -> tuple[float, float]:
    """The per-attempt timeouts, shortened so that an attempt cannot outlast the deadline."""
    if remaining is None:
        return timeout
    floor = 0.001  # requests treats 0 as "no timeout"
    return (max(floor, min(timeout[0], remaining)), max(floor, min(timeout[1], remaining)))


def _peek(resp: requests.Response) -> bytes:
    """Read at most a few KiB of an error body; error pages are not worth more."""
    try:
        data = resp.raw.read(_ERROR_BODY_BYTES, decode_content=True)
        return data if isinstance(data, bytes) else b""
    except Exception:  # the body of an error answer is only a nicety
        return b""
