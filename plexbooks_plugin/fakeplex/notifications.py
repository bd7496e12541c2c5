"""The notification WebSocket `/:/websockets/notifications`: connected clients, what they are sent, test controls.

Messages have PMS's shape, `{"NotificationContainer": {"type": "timeline", "size": n, "TimelineEntry":
[...]}}` (likewise `activity` with `ActivityNotification`, `status` with `StatusNotification`).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .delayed import Delayed
from .websocket import WebSocket

DEFAULT_PROCESSING_DELAY = 0.5  # seconds from "created" (state 0) to "processed" (state 5)
SENT_LOG_SIZE = 10_000


class Notifier:
    """Connected WebSocket clients, the messages published to them, and the delayed ones still to come."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._sockets: set[WebSocket] = set()
        self._delayed = Delayed("fakeplex-processing")
        self.muted = False
        self.reject_status: int | None = None
        self.processing_delay = DEFAULT_PROCESSING_DELAY
        self.reaches_processed = True
        self.sent: deque[tuple[float, dict[str, Any]]] = deque(maxlen=SENT_LOG_SIZE)  # (epoch seconds, container)

    # ------------------------------------------------------------------------------ connections

    def serve(self, socket: WebSocket) -> None:
        """Keep `socket` subscribed until it closes (runs on the request's thread)."""
        with self._lock:
            socket.silent = self.muted
            self._sockets.add(socket)
            self._lock.notify_all()
        try:
            socket.run()
        finally:
            with self._lock:
                self._sockets.discard(socket)
                self._lock.notify_all()

    @property
    def clients(self) -> int:
        """How many WebSocket clients are connected."""
        with self._lock:
            return len(self._sockets)

    def wait_for_clients(self, count: int, timeout: float) -> bool:
        """Wait until exactly `count` clients are connected; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self._sockets) == count, timeout)

    def drop_all(self) -> int:
        """Cut every connection without a close frame; returns how many there were."""
        with self._lock:
            sockets = list(self._sockets)
        for socket in sockets:
            socket.drop()
        return len(sockets)

    def close_all(self) -> None:
        """Close every connection cleanly and forget the delayed messages (the server is stopping)."""
        self.cancel_pending()
        with self._lock:
            sockets = list(self._sockets)
        for socket in sockets:
            socket.close()

    def set_muted(self, muted: bool) -> None:
        """Muted: connections are accepted and kept, but nothing is sent on them (not even pongs)."""
        with self._lock:
            self.muted = muted
            for socket in self._sockets:
                socket.silent = muted

    # ------------------------------------------------------------------------------ messages

    def publish(self, container: dict[str, Any]) -> None:
        """Send one NotificationContainer to every client (recorded in `sent` even while muted)."""
        self.sent.append((time.time(), container))
        if self.muted:
            return
        text = json.dumps({"NotificationContainer": container}, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            sockets = list(self._sockets)
        for socket in sockets:
            socket.send_text(text)

    def later(self, delay: float, action: Callable[[], None]) -> None:
        """Run `action` (which publishes) after `delay` seconds, or at `flush_pending`."""
        if delay <= 0:
            action()
        else:
            self._delayed.add(delay, action)

    def flush_pending(self) -> int:
        """Run every delayed action now (in due order); returns how many ran."""
        return self._delayed.run_all_now()

    def cancel_pending(self) -> None:
        """Forget every delayed action."""
        self._delayed.clear()

    def reset(self) -> None:
        """Back to the defaults: accept, send, process after the default delay; nothing pending."""
        self.cancel_pending()
        self.set_muted(False)
        self.reject_status = None
        self.processing_delay = DEFAULT_PROCESSING_DELAY
        self.reaches_processed = True
        self.sent.clear()


# ---------------------------------------------------------------------------------------------- shapes


def timeline(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """A `timeline` NotificationContainer."""
    return {"type": "timeline", "size": len(entries), "TimelineEntry": entries}


def activity(event: str, uuid: str, kind: str, title: str, progress: int, section_id: int) -> dict[str, Any]:
    """An `activity` NotificationContainer (event: started, updated, ended)."""
    body = {
        "uuid": uuid,
        "type": kind,
        "cancellable": False,
        "userID": 1,
        "title": title,
        "subtitle": "",
        "progress": progress,
        "Context": {"librarySectionID": str(section_id)},
    }
    return {
        "type": "activity",
        "size": 1,
        "ActivityNotification": [{"event": event, "uuid": uuid, "Activity": body}],
    }


def status(title: str, description: str, name: str = "LIBRARY_UPDATE") -> dict[str, Any]:
    """A `status` NotificationContainer."""
    return {
        "type": "status",
        "size": 1,
        "StatusNotification": [{"title": title, "description": description, "notificationName": name}],
    }


def stamp() -> int:
    """updatedAt of a timeline entry: now, in epoch seconds."""
    return int(time.time())
