"""A daemon thread that runs until asked to stop: the leader's realtime listener and webhook sender."""

from __future__ import annotations

import threading
from typing import Self


class BackgroundLoop:
    """Start/stop plumbing around `_run`, which must return soon after `self._stop` is set."""

    thread_name = "plexbooks-background"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Self:
        """Start the thread (a no-op while it runs); returns self."""
        if not self.running:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to end and wait up to `timeout` for it."""
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)

    def _wake(self) -> None:
        """Interrupt a blocking wait of `_run` other than `self._stop.wait` (nothing by default)."""

    def _run(self) -> None:
        raise NotImplementedError
