"""SQLAlchemy 2.0 models of every plexbooks table (all prefixed ``plexbooks_``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# A fixed naming convention makes constraint names identical on SQLite and PostgreSQL,
# which Alembic needs to drop or alter them (batch mode on SQLite relies on it).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

REQUEST_STATUSES = ("pending", "searching", "downloading", "downloaded", "available", "failed", "cancelled")
SCAN_KINDS = ("full", "recent")


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC, hand back aware UTC: SQLite keeps no zone, PostgreSQL would shift it."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to naive UTC before it reaches the database."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Mark a stored naive datetime as UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base with the plugin's own MetaData, separate from the host's."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LibraryItem(Base):
    """One Plex album (an audiobook) mirrored from the configured section."""

    __tablename__ = "plexbooks_library"
    __table_args__ = (
        # A unique index, not a table constraint: a first import drops it and builds it once afterwards
        # (SQLite cannot drop a constraint without rebuilding the table). See store/bulk.py.
        Index("uq_plexbooks_library_section_id_rating_key", "section_id", "rating_key", unique=True),
        Index("ix_plexbooks_library_norm_title", "norm_title"),
        Index("ix_plexbooks_library_last_seen_scan", "section_id", "last_seen_scan"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    section_id: Mapped[str] = mapped_column(String(32))
    # Indexed on its own too: covers, request checks and matching look rows up by key alone.
    rating_key: Mapped[str] = mapped_column(String(64), index=True)
    guid: Mapped[str] = mapped_column(String(512), index=True)
    asin: Mapped[str | None] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(1024))
    author: Mapped[str | None] = mapped_column(String(1024))
    narrator: Mapped[str | None] = mapped_column(String(1024))
    duration: Mapped[int | None] = mapped_column(BigInteger)
    year: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str | None] = mapped_column(Text)
    thumb: Mapped[str | None] = mapped_column(String(1024))
    added_at: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[int | None] = mapped_column(BigInteger)
    file_path: Mapped[str | None] = mapped_column(Text)
    norm_title: Mapped[str] = mapped_column(String(1024), default="")
    norm_author: Mapped[str] = mapped_column(String(1024), default="")
    last_seen_scan: Mapped[int | None] = mapped_column(Integer)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    row_updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ListedBook(NamedTuple):
    """One album as the library listing shows it: the columns of `LibraryItem` that pages and the API list."""

    id: int
    section_id: str
    rating_key: str
    guid: str
    asin: str | None
    title: str
    author: str | None
    narrator: str | None
    duration: int | None
    year: int | None
    thumb: str | None


class BookRequest(Base):
    """A host request as plexbooks tracks it, from pending to available."""

    __tablename__ = "plexbooks_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host_request_id: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[str] = mapped_column(String(1024))
    author: Mapped[str | None] = mapped_column(String(1024))
    asin: Mapped[str | None] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    plex_rating_key: Mapped[str | None] = mapped_column(String(64))
    plex_guid: Mapped[str | None] = mapped_column(String(512))
    match_score: Mapped[float | None] = mapped_column(Float)
    downloaded_path: Mapped[str | None] = mapped_column(Text)
    # The plexbooks user who asked (None for the host key), and the Plex username the request is for.
    requested_by: Mapped[int | None] = mapped_column(Integer, index=True)
    requested_by_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    available_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CatalogItem(Base):
    """An entry of the host's external catalog with its availability in Plex."""

    __tablename__ = "plexbooks_catalog"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[str] = mapped_column(String(1024))
    author: Mapped[str | None] = mapped_column(String(1024))
    narrator: Mapped[str | None] = mapped_column(String(1024))
    asin: Mapped[str | None] = mapped_column(String(16), index=True)
    is_available: Mapped[bool] = mapped_column(Boolean, default=False)
    matched_rating_key: Mapped[str | None] = mapped_column(String(64))
    match_score: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    """A Plex account that signed in to plexbooks."""

    __tablename__ = "plexbooks_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plex_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    uuid: Mapped[str | None] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    thumb: Mapped[str | None] = mapped_column(String(1024))
    role: Mapped[str] = mapped_column(String(16), default="user")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginSession(Base):
    """One signed-in browser: the cookie carries a secret whose hash is the id, so logout ends it here."""

    __tablename__ = "plexbooks_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's secret
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    # The account's plex.tv token, encrypted: the daily access re-check asks plex.tv with it.
    plex_token: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Setting(Base):
    """One key/value setting; secrets are stored Fernet-encrypted."""

    __tablename__ = "plexbooks_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)
    is_secret: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScanRun(Base):
    """One full or recently-added scan with its progress and outcome."""

    __tablename__ = "plexbooks_scan_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    warning: Mapped[str | None] = mapped_column(Text)
    triggered_by: Mapped[str | None] = mapped_column(String(64))


class Lease(Base):
    """A named lease (scan lock, scheduler leader) held by one process until it expires."""

    __tablename__ = "plexbooks_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


WEBHOOK_STATUSES = ("pending", "delivered", "failed")


class WebhookDelivery(Base):
    """One webhook POST to the host (an outbox row): written with the transition, sent by the leader."""

    __tablename__ = "plexbooks_webhook_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    host_request_id: Mapped[str] = mapped_column(String(255))
    payload: Mapped[str] = mapped_column(Text)  # the exact JSON body that is signed and sent
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
