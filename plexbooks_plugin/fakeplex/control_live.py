"""Test hooks for the notification WebSocket: who is connected, what was sent, and how the server misbehaves."""

from __future__ import annotations

from typing import Any

from .control import StateView


class NotificationControls(StateView):
    """Control `/:/websockets/notifications` and the processing of added items."""

    @property
    def websocket_clients(self) -> int:
        """How many clients are connected to the notification WebSocket."""
        return self.state.notifier.clients

    def wait_for_websocket_clients(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Wait until exactly `count` clients are connected (False on timeout); avoids racing a connect."""
        return self.state.notifier.wait_for_clients(count, timeout)

    def drop_websockets(self) -> int:
        """Cut every WebSocket without a close frame, as a network failure would; returns how many."""
        return self.state.notifier.drop_all()

    def mute_websockets(self, muted: bool = True) -> None:
        """Muted: WebSockets are accepted and kept open, but nothing is sent (no messages, no pongs)."""
        self.state.notifier.set_muted(muted)

    def reject_websockets(self, status: int | None = 403) -> None:
        """Refuse new WebSocket upgrades with `status` (403, 404, 503, ...); None accepts them again."""
        self.state.notifier.reject_status = status

    def set_processing_delay(self, seconds: float) -> None:
        """Seconds between an item's "created" (state 0) and "processed" (state 5) entries; 0 sends both at once."""
        self.state.notifier.processing_delay = max(0.0, seconds)

    def never_process(self, never: bool = True) -> None:
        """As a library without an agent: timeline entries end at state 1, never reaching 5 (processed)."""
        self.state.notifier.reaches_processed = not never

    def finish_processing(self) -> int:
        """Send every pending "processed" entry now instead of after the delay; returns how many messages."""
        return self.state.notifier.flush_pending()

    def notify(self, container: dict[str, Any]) -> None:
        """Send a NotificationContainer of your own to every client, e.g. `notifications.status(...)`."""
        self.state.notifier.publish(container)

    @property
    def notifications_sent(self) -> list[dict[str, Any]]:
        """Every NotificationContainer published since the last reset (also while muted), oldest first."""
        return [container for _, container in self.state.notifier.sent]

    @property
    def notifications_sent_at(self) -> list[tuple[float, dict[str, Any]]]:
        """(epoch seconds, NotificationContainer) of every published message: when Plex "said" it (for latency)."""
        return list(self.state.notifier.sent)

    def timeline_sent(self, state: int | None = None, kind: int | None = None) -> list[dict[str, Any]]:
        """The TimelineEntry dicts published, optionally only one state (0, 1, 5, 9) or type (8, 9, 10)."""
        return [
            entry
            for container in self.notifications_sent
            if container.get("type") == "timeline"
            for entry in container["TimelineEntry"]
            if (state is None or entry["state"] == state) and (kind is None or entry["type"] == kind)
        ]
