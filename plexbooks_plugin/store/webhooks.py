"""The webhook outbox: deliveries written with each transition, taken by the sender, shown to the admin."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..models import WebhookDelivery, utcnow


def enqueue_webhook(session: Session, event: str, host_request_id: str, payload: str) -> None:
    """Add one delivery to the outbox (in the caller's transaction, with the change it reports)."""
    session.add(WebhookDelivery(event=event, host_request_id=host_request_id, payload=payload, status="pending",
                                attempts=0, next_attempt_at=utcnow()))


def due_webhooks(session: Session, now: datetime, limit: int = 50) -> Sequence[WebhookDelivery]:
    """Pending deliveries whose next attempt is due, oldest first."""
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    return session.scalars(query).all()


def record_webhook_attempt(
    session: Session, delivery_id: int, *, delivered: bool, status_code: int | None, error: str | None,
    retry_in: float | None,
) -> None:
    """Record one attempt: delivered, retried after `retry_in` seconds, or failed for good (retry_in None)."""
    now = utcnow()
    values: dict[str, object] = {
        "attempts": WebhookDelivery.attempts + 1,
        "last_status": status_code,
        "last_error": error,
    }
    if delivered:
        values.update(status="delivered", delivered_at=now)
    elif retry_in is None:
        values.update(status="failed")
    else:
        values.update(next_attempt_at=now + timedelta(seconds=retry_in))
    session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(**values))


def recent_webhooks(session: Session, limit: int = 20) -> Sequence[WebhookDelivery]:
    """The newest deliveries, for the admin."""
    return session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)).all()


def webhook_counts(session: Session) -> dict[str, int]:
    """How many deliveries are pending, delivered and failed."""
    rows = session.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status))
    counts = {"pending": 0, "delivered": 0, "failed": 0}
    counts.update({status: int(n) for status, n in rows})
    return counts
