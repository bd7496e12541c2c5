"""The background scan threads of one runtime (one PlexBooksCore), so two apps in a process never share them."""

from __future__ import annotations

import threading


class ScanThreads:
    """Scan threads started by `start_scan`, by run id, until they finish."""

    def __init__(self) -> None:
        self._threads: dict[int, threading.Thread] = {}
        self._lock = threading.Lock()

    def add(self, run_id: int, thread: threading.Thread) -> None:
        """Register the thread of a run."""
        with self._lock:
            self._threads[run_id] = thread

    def discard(self, run_id: int) -> None:
        """Forget the thread of a run (it finished or never started)."""
        with self._lock:
            self._threads.pop(run_id, None)

    def get(self, run_id: int) -> threading.Thread | None:
        """Return the thread of a run, if it is still registered."""
        with self._lock:
            return self._threads.get(run_id)

    def wait(self, run_id: int, timeout: float | None = None) -> bool:
        """Wait for a run's thread; return True when it has finished (or was never started here)."""
        thread = self.get(run_id)
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()
