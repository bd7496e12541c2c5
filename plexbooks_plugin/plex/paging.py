"""Paging helpers: pages asked for ahead of the caller (by worker threads), and oversized pages cut to size."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import Generic, TypeVar

from ..errors import PlexResponseError
from ..records import PlexPage

# Pages asked for ahead of the one the caller handles. One is enough to overlap a request with the
# caller's work; more keep Plex busy while the caller (storing, under the GIL with the decoding of
# the pages) falls behind for a moment, which one page ahead left Plex idle for.
PAGES_AHEAD = 3

# Listing requests in flight at once. With one, Plex idles from the end of a page's rendering until
# the worker has read it and asked for the next (and the worker needs the GIL to read, which the
# caller holds through json.loads of a 500-album page): a second request fills those gaps.
REQUESTS_IN_FLIGHT = 2

# More items than any audiobook library holds: a listing past this is a server gone wrong.
MAX_LISTING_ITEMS = 5_000_000

T = TypeVar("T")


class PagePrefetch(Generic[T]):
    """Fetches pages at guessed offsets ahead of time; a guess that turns out wrong is dropped, not used.

    `fetch(start)` gets one page. The next offsets are guessed from the page length the server
    actually sends (a server capping page sizes is guessed right from its second page on).
    """

    def __init__(self, fetch: Callable[[int], T], *, ahead: int | None = None) -> None:
        self._fetch = fetch
        self._ahead = max(1, PAGES_AHEAD if ahead is None else ahead)
        self._queue: deque[tuple[int, Future[T]]] = deque()
        self._executor: ThreadPoolExecutor | None = None

    def take(self, start: int) -> T | None:
        """The page at `start` if it was asked for ahead (its error raised here); None when it was not."""
        if self._queue and self._queue[0][0] == start:
            return self._queue.popleft()[1].result()
        self.drop()  # guessed wrong (or nothing asked): the caller fetches this page itself
        return None

    def top_up(self, start: int, stride: int, total: int) -> None:
        """Ask for the pages from `start` on, `stride` apart, until `ahead` are pending or `total` is reached."""
        if stride <= 0:
            return
        if self._queue and self._queue[0][0] != start:
            self.drop()
        next_start = self._queue[-1][0] + stride if self._queue else start
        while len(self._queue) < self._ahead and next_start < total:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=min(REQUESTS_IN_FLIGHT, self._ahead), thread_name_prefix="plexbooks-prefetch"
                )
            self._queue.append((next_start, self._executor.submit(self._fetch, next_start)))
            next_start += stride

    def drop(self) -> None:
        """Forget every page asked for ahead: cancel those not started, wait for those in flight."""
        running = [future for _start, future in self._queue if not future.cancel()]
        self._queue.clear()
        if running:
            # Wait for the requests in flight (bounded by the client's timeouts), so nobody uses or
            # closes the session under them; their results or errors are of no use any more.
            wait(running)

    def close(self) -> None:
        """Drop what is pending and stop the worker threads."""
        self.drop()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None


def batches(page: PlexPage, size: int) -> Generator[PlexPage, None, None]:
    """A page cut into pages of at most `size` items: a server that ignores the page size (and sends
    300,000 albums at once) still reaches the database in batches of the size asked for."""
    if len(page.items) <= size:
        yield page
        return
    for index in range(0, len(page.items), size):
        yield replace(
            page, items=page.items[index : index + size], offset=page.offset + index,
            skipped=page.skipped if index == 0 else 0, unchanged=page.unchanged if index == 0 else (),
            vanished=page.vanished if index == 0 else (),
        )


def check_advance(
    label: str, path: str, page: PlexPage, asked: int, raw_count: int, previous: tuple[str, ...],
    named: Sequence[str] = (),
) -> tuple[str, ...]:
    """Refuse a listing whose paging does not advance; return this page's keys for the next check.

    A server that ignores the offset sends the first page again and again while claiming millions
    of items: paging through it would never end. `named`: keys a light listing sent without records.
    """
    keys = tuple(item.rating_key for item in page.items) + page.unchanged + tuple(named)
    if raw_count > 0 and asked > 0 and (page.offset != asked or (keys and keys == previous)):
        raise PlexResponseError(
            f"{label} ignored paging for {path}: asked for the items from {asked:,}, it sent "
            f"{'the same ones as before' if keys == previous else f'those from {page.offset:,}'} "
            f"(claiming {page.total_size:,} in all); refusing to page through it"
        )
    if asked + max(raw_count, 0) > MAX_LISTING_ITEMS:
        raise PlexResponseError(
            f"{label} lists more than {MAX_LISTING_ITEMS:,} items for {path} "
            f"(it claims {page.total_size:,}); refusing to read a listing that large"
        )
    return keys
