"""How plexbooks notices changes, for the admin: the notification listener's state and the webhook deliveries."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import jsonify
from flask.typing import ResponseReturnValue

from .. import store as repo
from ..const import SettingKey
from ..realtime import read_status
from ..security import admin_required
from ..state import get_core
from .blueprint import bp
from .shapes import webhook_delivery_json


def detection_json() -> dict[str, Any]:
    """The listener's last recorded state and the webhook outbox (counts and the newest deliveries)."""
    core = get_core()
    status = read_status(core) or {"state": "stopped", "events": 0}
    realtime_on = (core.get_setting(SettingKey.REALTIME) or "true") == "true"
    url = core.get_setting(SettingKey.WEBHOOK_URL) or ""
    with core.session() as session:
        counts = repo.webhook_counts(session)
        recent = [webhook_delivery_json(d) for d in repo.recent_webhooks(session, limit=20)]
    parts = urlsplit(url)
    return {
        "realtime": {
            "enabled": realtime_on,
            "state": status.get("state") if realtime_on else "off",
            "connected_since": status.get("since") if status.get("state") == "connected" else None,
            "events": int(status.get("events") or 0),
            "last_event_at": status.get("last_event_at"),
            "error": status.get("error") if status.get("state") != "connected" else None,
            "retry_in": status.get("retry_in"),
        },
        "webhooks": {
            # The origin only: a URL may carry a key of the host's in its path or query.
            "target": f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if url else None,
            "signed": bool(core.get_setting(SettingKey.WEBHOOK_SECRET)),
            "counts": counts,
            "recent": recent,
        },
    }


@bp.get("/api/detection")
@admin_required
def api_detection() -> ResponseReturnValue:
    """The notification listener's state and the webhook deliveries (admin)."""
    return jsonify(detection_json())
