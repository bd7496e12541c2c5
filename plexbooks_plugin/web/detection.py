"""How plexbooks notices changes, for the admin: the notification listener's state and the webhook deliveries.

The listener runs in the scheduler leader only; every process shows what it recorded in the database
(``realtime_status``), judged against who holds the leader lease now.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import flash, jsonify, redirect, url_for
from flask.typing import ResponseReturnValue

from .. import store as repo
from ..const import LEADER_LEASE, SettingKey
from ..core import PlexBooksCore
from ..realtime import ask_to_reconnect, read_status, realtime_enabled
from ..scheduler import scheduler_holder
from ..security import admin_required
from ..state import get_core
from .blueprint import bp
from .shapes import webhook_delivery_json

#: States of a listener waiting out its backoff before the next attempt.
RECONNECTING = frozenset({"refused", "disconnected"})


def shown_state(enabled: bool, status: dict[str, Any], leader: str | None) -> str:
    """The state to show: the recorded one, unless realtime is off or no live leader process stands behind it."""
    if not enabled:
        return "off"
    if leader is None:
        return "not_running"  # no process leads the scheduler, so none listens (the record is stale)
    if status.get("holder") is None or scheduler_holder(str(status["holder"])) != leader:
        return "connecting"  # a new leader has not recorded its listener's state yet
    return str(status.get("state") or "stopped")


def realtime_json(core: PlexBooksCore) -> dict[str, Any]:
    """The listener's state as every process sees it: connection, last event, last catch-up poll, reconnects."""
    status = read_status(core) or {}
    enabled = realtime_enabled(core)
    with core.session() as session:
        leader = repo.lease_holder(session, LEADER_LEASE, core.clock())
        catch_up = repo.latest_scan_run(session, "recent", triggered_by="realtime")
        last_catch_up = None if catch_up is None else {
            "run_id": catch_up.id, "status": catch_up.status,
            "started_at": catch_up.started_at.isoformat() if catch_up.started_at else None,
        }
    state = shown_state(enabled, status, leader)
    reconnecting = state in RECONNECTING
    return {
        "enabled": enabled,
        "state": state,
        "connected_since": status.get("since") if state == "connected" else None,
        "events": int(status.get("events") or 0),
        "last_event_at": status.get("last_event_at"),
        "error": status.get("error") if reconnecting else None,
        "retry_in": status.get("retry_in") if reconnecting else None,
        "retry_at": status.get("retry_at") if reconnecting else None,
        "reconnects": int(status.get("reconnects") or 0),
        "last_catch_up": last_catch_up,
        "can_reconnect": state not in ("off", "not_running"),
    }


def detection_json() -> dict[str, Any]:
    """The listener's state and the webhook outbox (counts and the newest deliveries)."""
    core = get_core()
    url = core.get_setting(SettingKey.WEBHOOK_URL) or ""
    with core.session() as session:
        counts = repo.webhook_counts(session)
        recent = [webhook_delivery_json(d) for d in repo.recent_webhooks(session, limit=20)]
    parts = urlsplit(url)
    return {
        "realtime": realtime_json(core),
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


@bp.post("/scan/realtime/reconnect")
@admin_required
def scan_panel_reconnect() -> ResponseReturnValue:
    """Ask the listener to reconnect now and catch up with a recently-added check (the jobs panel's button)."""
    core = get_core()
    if not realtime_json(core)["can_reconnect"]:
        flash("The realtime listener is not running, so there is nothing to reconnect.", "warn")
    else:
        ask_to_reconnect(core)
        flash("The realtime listener reconnects within a few seconds, then catches up with a recently-added check.",
              "ok")
    return redirect(url_for("plexbooks.scan_panel"))
