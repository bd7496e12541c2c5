"""Cluster-wide leases: one conditional UPDATE (or INSERT) takes or renews a lease atomically."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Lease, utcnow


def acquire_lease(session: Session, name: str, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
    """Take or renew the lease `name` for `holder` unless another holder's lease is still live (at `now`)."""
    now = now or utcnow()
    expires = now + ttl
    # One conditional UPDATE: atomic on both SQLite and PostgreSQL, no read-then-write race.
    result = session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
        .values(holder=holder, expires_at=expires, acquired_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return True
    try:
        # A savepoint: losing the race for a new lease must not undo the caller's other work.
        with session.begin_nested():
            session.execute(insert(Lease).values(name=name, holder=holder, expires_at=expires, acquired_at=now))
        return True
    except IntegrityError:
        return False


def release_lease(session: Session, name: str, holder: str) -> None:
    """Give the lease back, only if `holder` still has it."""
    session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


def lease_holder(session: Session, name: str, now: datetime | None = None) -> str | None:
    """Return who holds a live lease `name` (at `now`), or None."""
    lease = session.get(Lease, name, populate_existing=True)
    if lease is None or lease.expires_at < (now or utcnow()):
        return None
    return lease.holder
