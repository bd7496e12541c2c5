"""Realtime detection: Plex's notification WebSocket, held by the scheduler leader.

`decisions` (pure: which entries matter, debounce, backoff), `apply` (mirror, remove after a 404,
match), `listener` (the connection thread and its recorded status).
"""

from __future__ import annotations

from .listener import RealtimeListener, ask_to_reconnect, read_status, realtime_enabled

__all__ = ["RealtimeListener", "ask_to_reconnect", "read_status", "realtime_enabled"]
