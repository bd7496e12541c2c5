"""Actions to run after a delay, on one worker thread however many are pending (a 5,000-book import)."""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable

Action = Callable[[], None]
log = logging.getLogger("plexbooks.fakeplex")


class Delayed:
    """A queue of (due time, action); one daemon thread runs them in due order, tests can run them all now."""

    def __init__(self, name: str = "fakeplex-delayed") -> None:
        self._name = name
        self._ready = threading.Condition()
        self._queue: list[tuple[float, int, Action]] = []
        self._count = 0
        self._worker: threading.Thread | None = None

    def __len__(self) -> int:
        with self._ready:
            return len(self._queue)

    def add(self, delay: float, action: Action) -> None:
        """Run `action` once `delay` seconds have passed."""
        with self._ready:
            self._count += 1
            heapq.heappush(self._queue, (time.monotonic() + delay, self._count, action))
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._worker.start()
            self._ready.notify()

    def run_all_now(self) -> int:
        """Run every pending action at once, in the order they were due; returns how many ran."""
        with self._ready:
            pending = sorted(self._queue)
            self._queue.clear()
        for _, _, action in pending:
            action()
        return len(pending)

    def clear(self) -> None:
        """Forget every pending action."""
        with self._ready:
            self._queue.clear()

    def _next_due(self) -> Action | None:
        """Wait (a while) for the next action to fall due; None when there is nothing left to wait for."""
        with self._ready:
            while True:
                if not self._queue:
                    self._ready.wait(timeout=1.0)
                    if not self._queue:
                        self._worker = None  # idle: let the thread end; `add` starts another
                        return None
                    continue
                due, _, action = self._queue[0]
                wait = due - time.monotonic()
                if wait <= 0:
                    heapq.heappop(self._queue)
                    return action
                self._ready.wait(timeout=wait)

    def _run(self) -> None:
        while True:
            action = self._next_due()
            if action is None:
                return
            try:
                action()
            except Exception:  # one failing action must not stop the ones after it
                log.exception("fake plex: a delayed action failed")
