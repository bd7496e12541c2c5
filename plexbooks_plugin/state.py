"""The per-app runtime of plexbooks, kept under ``app.extensions["plexbooks"]``.

Security, sign-in and the views read the runtime of the current app from here, so two apps in one
process never share a core, a rate limiter, a token stash or a cover cache. This module imports no
other part of the web layer (everything there imports it).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask import Flask, current_app
from flask_wtf.csrf import CSRFProtect

from .core import PlexBooksCore

EXTENSION_KEY = "plexbooks"
STASH_TTL_SECONDS = 15 * 60
_STASH_MAX_ENTRIES = 256
#: Covers are small and requested again on every library page: this many stay in memory per app.
COVER_CACHE_SIZE = 512
#: Cover fetches from Plex at once per app (PLEXBOOKS_COVER_FETCHES); beyond them a cover gets the placeholder.
COVER_FETCHES = 4

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A small thread-safe least-recently-used map (the cover cache)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """Return the value of `key` (marking it recently used), or None."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: K, value: V) -> None:
        """Store `value`, forgetting the least recently used entries beyond the size."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class ServerTokenStash:
    """Short-lived, in-process map of stash id -> {server client identifier: access token}.

    Flask's session cookie is signed, not encrypted, so the tokens of the servers an admin may pick
    stay here; the cookie carries only the random stash id. Per process: with several workers the
    pick must reach the worker that handled the callback (else the admin is asked to sign in again).
    """

    def __init__(self, ttl: float = STASH_TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, dict[str, str]]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, tokens: dict[str, str]) -> str:
        """Keep `tokens` for a while; return the id to find them again."""
        key = secrets.token_urlsafe(24)
        with self._lock:
            self._purge()
            self._entries[key] = (self._clock() + self.ttl, dict(tokens))
            while len(self._entries) > _STASH_MAX_ENTRIES:
                self._entries.popitem(last=False)
        return key

    def get(self, key: str, client_identifier: str) -> str | None:
        """Return the token stashed for one server, or None when unknown or expired."""
        with self._lock:
            self._purge()
            entry = self._entries.get(key)
            return None if entry is None else entry[1].get(client_identifier)

    def discard(self, key: str) -> None:
        """Forget a stash entry."""
        with self._lock:
            self._entries.pop(key, None)

    def _purge(self) -> None:
        now = self._clock()
        for key in [k for k, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]


class SlidingWindowLimiter:
    """At most `limit` hits per `period` seconds per key, counted over a sliding window in this process."""

    def __init__(self, limit: int, period: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Record a hit; return 0 when allowed, else the seconds until the next hit would be allowed."""
        now = self._clock()
        with self._lock:
            window = self._hits.setdefault(key, deque())
            while window and window[0] <= now - self.period:
                window.popleft()
            if len(window) >= self.limit:
                return max(window[0] + self.period - now, 0.001)
            window.append(now)
            if len(self._hits) > 10_000:  # forget idle addresses so memory stays bounded
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.period}
            return 0.0


@dataclass
class PlexBooksState:
    """What the extension keeps under ``app.extensions["plexbooks"]`` for one app."""

    app: Flask
    core: PlexBooksCore
    url_prefix: str
    scheduler: Any = None
    csrf: CSRFProtect = field(default_factory=CSRFProtect)  # the host's, or plexbooks' own (auth.install)
    limiter: SlidingWindowLimiter | None = None
    status_limiter: SlidingWindowLimiter | None = None  # /login/status polls (each asks plex.tv)
    stash: ServerTokenStash = field(default_factory=ServerTokenStash)
    covers: LruCache[tuple[str, str], tuple[bytes, str]] = field(
        default_factory=lambda: LruCache(COVER_CACHE_SIZE)
    )
    # Covers Plex failed to give, with the monotonic time they may be asked for again.
    cover_failures: LruCache[tuple[str, str], float] = field(default_factory=lambda: LruCache(COVER_CACHE_SIZE))
    cover_slots: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(COVER_FETCHES))


def get_state(app: Flask | None = None) -> PlexBooksState:
    """Return the plexbooks state of `app` (default: the current app)."""
    target = app or current_app
    try:
        return target.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError("PlexBooks is not registered on this app: call PlexBooks(app) first") from None


def get_core(app: Flask | None = None) -> PlexBooksCore:
    """Return the PlexBooksCore of `app` (default: the current app)."""
    return get_state(app).core


def url_prefix() -> str:
    """Return where the plugin is mounted on the current app (e.g. ``/plexbooks``)."""
    return get_state().url_prefix
