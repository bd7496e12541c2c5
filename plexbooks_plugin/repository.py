"""Every read and write of the plexbooks tables. Callers pass a Session and own the transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import settings as setting_specs
from .crypto import SecretBox
from .errors import ConfigError
from .matching import Candidate, normalize_asin, normalize_author, normalize_title
from .models import (
    REQUEST_STATUSES,
    BookRequest,
    CatalogItem,
    Lease,
    LibraryItem,
    ScanRun,
    Setting,
    User,
    utcnow,
)
from .records import PlexAudiobook

# ---------------------------------------------------------------- settings


def get_setting(session: Session, key: str, box: SecretBox | None = None) -> str | None:
    """Return a setting's value (decrypted when secret), its default when unset."""
    spec = setting_specs.spec_for(key)
    row = session.get(Setting, key)
    if row is None or row.value is None:
        return spec.default
    if row.is_secret:
        if box is None:
            raise ConfigError(f"{key} is encrypted and no secret key was given to read it")
        return box.decrypt(row.value)
    return row.value


def set_setting(session: Session, key: str, value: str | None, box: SecretBox | None = None) -> None:
    """Validate and store a setting (encrypting secrets); None clears it."""
    spec = setting_specs.spec_for(key)
    stored: str | None = None
    if value is not None:
        canonical = setting_specs.validate(key, value)
        if spec.secret:
            if box is None:
                raise ConfigError(f"{key} is a secret and needs a secret key to be stored")
            stored = box.encrypt(canonical)
        else:
            stored = canonical
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=stored, is_secret=spec.secret, updated_at=utcnow()))
    else:
        row.value, row.is_secret, row.updated_at = stored, spec.secret, utcnow()
    session.flush()


def raw_setting(session: Session, key: str) -> str | None:
    """Return the stored (possibly encrypted) value, for tests and diagnostics."""
    row = session.get(Setting, key)
    return None if row is None else row.value


def get_or_create_client_identifier(session: Session) -> str:
    """Return this install's X-Plex-Client-Identifier, creating it once."""
    existing = get_setting(session, "client_identifier")
    if existing:
        return existing
    identifier = str(uuid.uuid4())
    try:
        with session.begin_nested():
            session.add(Setting(key="client_identifier", value=identifier, is_secret=False))
    except IntegrityError:
        # Another process created it first: use theirs so plex.tv sees one device.
        return get_setting(session, "client_identifier") or identifier
    return identifier


def library_version(session: Session) -> int:
    """Return the counter bumped whenever the mirrored library changes."""
    return int(get_setting(session, "library_version") or 0)


def bump_library_version(session: Session) -> None:
    """Tell every process that its in-memory index is stale."""
    row = session.get(Setting, "library_version")
    if row is None:
        session.add(Setting(key="library_version", value="1", is_secret=False))
    else:
        row.value = str(int(row.value or 0) + 1)
        row.updated_at = utcnow()
    session.flush()


def get_json_setting(session: Session, key: str) -> Any:
    """Return a JSON-valued internal setting, or None."""
    value = get_setting(session, key)
    return None if value is None else json.loads(value)


def set_json_setting(session: Session, key: str, value: Any) -> None:
    """Store a JSON-valued internal setting (None clears it)."""
    set_setting(session, key, None if value is None else json.dumps(value))


# ---------------------------------------------------------------- leases


def acquire_lease(session: Session, name: str, holder: str, ttl: timedelta) -> bool:
    """Take or renew the lease `name` for `holder` unless another holder's lease is still live."""
    now = utcnow()
    expires = now + ttl
    # One conditional UPDATE: atomic on both SQLite and PostgreSQL, no read-then-write race.
    result = session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
        .values(holder=holder, expires_at=expires, acquired_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        session.commit()
        return True
    try:
        session.execute(insert(Lease).values(name=name, holder=holder, expires_at=expires, acquired_at=now))
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
        return False


def release_lease(session: Session, name: str, holder: str) -> None:
    """Give the lease back, only if `holder` still has it."""
    session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))
    session.commit()


def lease_holder(session: Session, name: str) -> str | None:
    """Return who holds a live lease `name`, or None."""
    lease = session.get(Lease, name, populate_existing=True)
    if lease is None or lease.expires_at < utcnow():
        return None
    return lease.holder


# ---------------------------------------------------------------- scan runs


def start_scan_run(session: Session, kind: str, triggered_by: str | None = None) -> ScanRun:
    """Record a new running scan."""
    run = ScanRun(kind=kind, status="running", started_at=utcnow(), progress_done=0, triggered_by=triggered_by)
    session.add(run)
    session.commit()
    return run


def update_scan_progress(session: Session, run_id: int, done: int, total: int | None) -> None:
    """Write how far a scan has got, so another process can show it."""
    session.execute(update(ScanRun).where(ScanRun.id == run_id).values(progress_done=done, progress_total=total))
    session.commit()


def finish_scan_run(
    session: Session,
    run_id: int,
    *,
    status: str,
    summary: dict[str, Any] | None = None,
    error: str | None = None,
    warning: str | None = None,
) -> None:
    """Close a scan run with its outcome."""
    session.execute(
        update(ScanRun)
        .where(ScanRun.id == run_id)
        .values(status=status, summary=summary, error=error, warning=warning, finished_at=utcnow())
    )
    session.commit()


def get_scan_run(session: Session, run_id: int) -> ScanRun | None:
    """Return one scan run, fresh from the database."""
    return session.get(ScanRun, run_id, populate_existing=True)


def recent_scan_runs(session: Session, limit: int = 10) -> Sequence[ScanRun]:
    """Return the latest scan runs, newest first."""
    return session.scalars(select(ScanRun).order_by(ScanRun.id.desc()).limit(limit)).all()


def running_scan_run(session: Session) -> ScanRun | None:
    """Return the newest run still marked running, if any."""
    return session.scalars(
        select(ScanRun).where(ScanRun.status == "running").order_by(ScanRun.id.desc()).limit(1)
    ).first()


def fail_abandoned_runs(session: Session, error: str) -> int:
    """Mark runs left 'running' by a dead process as failed; call only while holding the scan lease."""
    result = session.execute(
        update(ScanRun).where(ScanRun.status == "running").values(status="failed", error=error, finished_at=utcnow())
    )
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- library


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What one page of upserts changed."""

    new: int
    updated: int
    changed_keys: tuple[str, ...] = ()


# The Plex fields plexbooks mirrors; a row is rewritten only when one of them differs.
_MIRRORED_FIELDS = (
    "guid",
    "asin",
    "title",
    "author",
    "narrator",
    "duration",
    "year",
    "summary",
    "thumb",
    "added_at",
    "updated_at",
)


def _plex_values(item: PlexAudiobook) -> dict[str, Any]:
    return {name: getattr(item, name) for name in _MIRRORED_FIELDS}


def _normalised(item: PlexAudiobook) -> dict[str, Any]:
    # Normalising costs more than comparing, so it runs only for new and changed rows.
    values: dict[str, Any] = {
        "norm_title": normalize_title(item.title)[:1024],
        "norm_author": normalize_author(item.author)[:1024],
    }
    if item.file_path:
        values["file_path"] = item.file_path
    return values


def upsert_library_page(
    session: Session, section_id: str, items: Sequence[PlexAudiobook], scan_id: int | None
) -> UpsertResult:
    """Insert new albums, rewrite changed ones, mark all as seen by `scan_id`; unchanged rows keep their content."""
    if not items:
        return UpsertResult(0, 0)
    by_key: dict[str, PlexAudiobook] = {}
    for item in items:  # Plex can repeat a key across pages: the last copy wins.
        by_key[item.rating_key] = item
    existing = {
        row.rating_key: row
        for row in session.execute(
            select(LibraryItem.id, LibraryItem.rating_key, *(getattr(LibraryItem, f) for f in _MIRRORED_FIELDS)).where(
                LibraryItem.section_id == section_id, LibraryItem.rating_key.in_(list(by_key))
            )
        )
    }
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    unchanged_ids: list[int] = []
    changed: list[str] = []
    for key, item in by_key.items():
        values = _plex_values(item)
        row = existing.get(key)
        if row is None:
            changed.append(key)
            inserts.append(
                {
                    **values,
                    **_normalised(item),
                    "file_path": item.file_path,
                    "section_id": section_id,
                    "rating_key": key,
                    "last_seen_scan": scan_id,
                    "first_seen_at": now,
                    "row_updated_at": now,
                }
            )
        elif any(getattr(row, f) != values[f] for f in _MIRRORED_FIELDS):
            updates.append(
                {**values, **_normalised(item), "id": row.id, "last_seen_scan": scan_id, "row_updated_at": now}
            )
            changed.append(key)
        else:
            unchanged_ids.append(row.id)
    if inserts:
        _insert_library_rows(session, inserts)
    if updates:
        session.execute(update(LibraryItem), updates)
    if unchanged_ids and scan_id is not None:
        session.execute(
            update(LibraryItem)
            .where(LibraryItem.id.in_(unchanged_ids))
            .values(last_seen_scan=scan_id)
            .execution_options(synchronize_session=False)
        )
    return UpsertResult(new=len(inserts), updated=len(updates), changed_keys=tuple(changed))


_DATETIME_COLUMNS = ("first_seen_at", "row_updated_at")


def _insert_library_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert new library rows: COPY on PostgreSQL with psycopg, one executemany elsewhere."""
    connection = session.connection()
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        # psycopg's executemany still sends one INSERT per row: COPY is ~5x faster for a page.
        columns = list(rows[0])
        driver_connection: Any = connection.connection.driver_connection
        with (
            driver_connection.cursor() as cursor,
            cursor.copy(f"COPY plexbooks_library ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                # COPY bypasses UTCDateTime, so store naive UTC here exactly as it would.
                copy.write_row(
                    [
                        row[c].astimezone(UTC).replace(tzinfo=None) if c in _DATETIME_COLUMNS else row[c]
                        for c in columns
                    ]
                )
        return
    # render_nulls keeps every row's column set identical, so the driver gets one executemany
    # per page instead of a statement per distinct set of None columns.
    session.execute(insert(LibraryItem).execution_options(render_nulls=True), rows)


def analyze_library(session: Session) -> None:
    """Refresh the planner's statistics after a large import (PostgreSQL and SQLite both accept ANALYZE)."""
    session.execute(text("ANALYZE plexbooks_library"))


def count_library(session: Session, section_id: str | None = None) -> int:
    """Count mirrored albums (of one section, or all)."""
    query = select(func.count()).select_from(LibraryItem)
    if section_id is not None:
        query = query.where(LibraryItem.section_id == section_id)
    return int(session.scalar(query) or 0)


def _unseen(section_id: str, scan_id: int) -> Any:
    return (LibraryItem.section_id == section_id) & or_(
        LibraryItem.last_seen_scan.is_(None), LibraryItem.last_seen_scan != scan_id
    )


def count_unseen(session: Session, section_id: str, scan_id: int) -> int:
    """Count albums of the section that scan `scan_id` did not see."""
    return int(session.scalar(select(func.count()).select_from(LibraryItem).where(_unseen(section_id, scan_id))) or 0)


def unseen_keys(session: Session, section_id: str, scan_id: int) -> list[str]:
    """Return the rating keys scan `scan_id` did not see."""
    return list(session.scalars(select(LibraryItem.rating_key).where(_unseen(section_id, scan_id))))


def remove_library_items(session: Session, section_id: str, rating_keys: Iterable[str]) -> int:
    """Delete the named albums of a section; return how many went."""
    keys = list(rating_keys)
    removed = 0
    for start in range(0, len(keys), 500):  # keep the IN list within every database's limits
        result = session.execute(
            delete(LibraryItem).where(
                LibraryItem.section_id == section_id, LibraryItem.rating_key.in_(keys[start : start + 500])
            )
        )
        removed += int(result.rowcount)  # type: ignore[attr-defined]
    return removed


def remove_other_sections(session: Session, section_id: str) -> int:
    """Drop albums mirrored from a section that is no longer the configured one."""
    result = session.execute(delete(LibraryItem).where(LibraryItem.section_id != section_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


def get_library_item(session: Session, rating_key: str, section_id: str | None = None) -> LibraryItem | None:
    """Return one mirrored album by rating key (uses the (section, key) index when the section is given)."""
    query = select(LibraryItem).where(LibraryItem.rating_key == rating_key)
    if section_id is not None:
        query = query.where(LibraryItem.section_id == section_id)
    return session.scalars(query.limit(1)).first()


def get_library_items(session: Session, section_id: str | None, rating_keys: Iterable[str]) -> dict[str, LibraryItem]:
    """Return the named albums keyed by rating key, in as few indexed queries as the keys need."""
    keys = list(dict.fromkeys(rating_keys))
    found: dict[str, LibraryItem] = {}
    for start in range(0, len(keys), 500):
        query = select(LibraryItem).where(LibraryItem.rating_key.in_(keys[start : start + 500]))
        if section_id is not None:
            query = query.where(LibraryItem.section_id == section_id)
        found.update((row.rating_key, row) for row in session.scalars(query))
    return found


def library_changes_since(session: Session, since: datetime) -> list[Candidate]:
    """Return the matching candidates of rows inserted or rewritten at or after `since`."""
    query = select(
        LibraryItem.rating_key, LibraryItem.title, LibraryItem.author, LibraryItem.narrator, LibraryItem.asin
    ).where(LibraryItem.row_updated_at >= since)
    return [
        Candidate(key=key, title=title, author=author, narrator=narrator, asin=asin)
        for key, title, author, narrator, asin in session.execute(query)
    ]


def library_keys(session: Session) -> set[str]:
    """Return every mirrored rating key (to find removals cheaply)."""
    return set(session.scalars(select(LibraryItem.rating_key)))


def _like_pattern(text: str) -> str:
    """Build a LIKE 'contains' pattern in which the user's own % and _ are literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def library_page(session: Session, q: str | None, page: int, per_page: int) -> tuple[list[LibraryItem], int]:
    """Return one page of the mirrored library (title/author search) and the matching total."""
    query = select(LibraryItem)
    if q:
        query = query.where(
            or_(
                LibraryItem.norm_title.like(_like_pattern(normalize_title(q)), escape="\\"),
                LibraryItem.norm_author.like(_like_pattern(normalize_author(q)), escape="\\"),
            )
        )
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.scalars(
        query.order_by(LibraryItem.norm_title, LibraryItem.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


def iter_library(session: Session, batch: int = 2000) -> Iterator[LibraryItem]:
    """Yield every mirrored album in id order, a batch at a time (bounded memory)."""
    last_id = 0
    while True:
        rows = session.scalars(
            select(LibraryItem).where(LibraryItem.id > last_id).order_by(LibraryItem.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def library_candidates(session: Session) -> Iterator[Candidate]:
    """Yield the matching candidates of the whole mirrored library, streamed in key order."""
    query = select(
        LibraryItem.rating_key, LibraryItem.title, LibraryItem.author, LibraryItem.narrator, LibraryItem.asin
    ).execution_options(yield_per=5000)
    for key, title, author, narrator, asin in session.execute(query):
        yield Candidate(key=key, title=title, author=author, narrator=narrator, asin=asin)


def newest_added_at(session: Session, section_id: str) -> int | None:
    """Return the largest Plex addedAt mirrored for the section."""
    value = session.scalar(select(func.max(LibraryItem.added_at)).where(LibraryItem.section_id == section_id))
    return None if value is None else int(value)


# ---------------------------------------------------------------- requests

TERMINAL_STATUSES = ("available", "failed", "cancelled")


def _check_status(status: str) -> str:
    if status not in REQUEST_STATUSES:
        raise ValueError(f"unknown request status {status!r}; expected one of {', '.join(REQUEST_STATUSES)}")
    return status


def create_request(
    session: Session,
    *,
    title: str,
    author: str | None,
    asin: str | None = None,
    host_request_id: str | None = None,
    requested_by: int | None = None,
    status: str = "pending",
) -> BookRequest:
    """Track a new request; the host's id is kept, or one is made up."""
    request = BookRequest(
        host_request_id=host_request_id or f"pb-{uuid.uuid4().hex[:12]}",
        title=title,
        author=author,
        asin=normalize_asin(asin),
        status=_check_status(status),
        requested_by=requested_by,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(request)
    session.flush()
    return request


def get_request(session: Session, host_request_id: str) -> BookRequest | None:
    """Return a tracked request by the host's id."""
    return session.scalars(select(BookRequest).where(BookRequest.host_request_id == host_request_id)).first()


def list_requests(session: Session, status: str | None = None, limit: int | None = None) -> list[BookRequest]:
    """Return tracked requests, newest first."""
    query = select(BookRequest).order_by(BookRequest.id.desc())
    if status:
        query = query.where(BookRequest.status == status)
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def open_requests(session: Session) -> list[BookRequest]:
    """Return requests that are neither finished nor abandoned (for duplicate-request checks)."""
    return list(session.scalars(select(BookRequest).where(BookRequest.status.not_in(TERMINAL_STATUSES))))


def set_request_status(session: Session, host_request_id: str, status: str) -> BookRequest | None:
    """Move a request to `status` as the host reports it; an available request stays available."""
    _check_status(status)
    # One conditional UPDATE, not read-then-write: a scan flipping the request to available between
    # our read and our write would otherwise be overwritten (a lost update).
    query = update(BookRequest).where(BookRequest.host_request_id == host_request_id)
    if status != "available":
        query = query.where(BookRequest.status != "available")  # Plex has it: a late host update must not undo that.
    session.execute(query.values(status=status, updated_at=utcnow()).execution_options(synchronize_session=False))
    fresh = select(BookRequest).where(BookRequest.host_request_id == host_request_id)
    return session.scalars(fresh.execution_options(populate_existing=True)).first()


def mark_downloaded(
    session: Session,
    *,
    host_request_id: str,
    title: str,
    author: str | None,
    path: str | None,
    asin: str | None = None,
) -> tuple[BookRequest, bool]:
    """Mark a request downloaded (creating it when the host never announced it); idempotent."""
    request = get_request(session, host_request_id)
    created = False
    if request is None:
        try:
            with session.begin_nested():
                request = create_request(
                    session,
                    title=title,
                    author=author,
                    asin=asin,
                    host_request_id=host_request_id,
                    status="downloaded",
                )
            created = True
        except IntegrityError:
            # Two hook calls raced: the other one created it; fall through to update it.
            request = get_request(session, host_request_id)
            assert request is not None
    if request.status != "available":
        request.status = "downloaded"
    request.downloaded_path = path or request.downloaded_path
    request.downloaded_at = request.downloaded_at or utcnow()
    if asin and not request.asin:
        request.asin = normalize_asin(asin)
    request.updated_at = utcnow()
    session.flush()
    return request, created


def downloaded_requests(session: Session) -> list[BookRequest]:
    """Return the requests waiting for Plex to show the book."""
    return list(session.scalars(select(BookRequest).where(BookRequest.status == "downloaded").order_by(BookRequest.id)))


def mark_available(session: Session, request_id: int, *, rating_key: str, guid: str | None, score: float) -> bool:
    """Flip a downloaded request to available exactly once; return whether this call did it."""
    now = utcnow()
    result = session.execute(
        update(BookRequest)
        .where(BookRequest.id == request_id, BookRequest.status == "downloaded")
        .values(
            status="available",
            plex_rating_key=rating_key,
            plex_guid=guid,
            match_score=score,
            available_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- catalog


def upsert_catalog_items(session: Session, items: Iterable[dict[str, Any]]) -> list[CatalogItem]:
    """Store or update the host's catalog entries (keyed by external id)."""
    rows: list[CatalogItem] = []
    for item in items:
        external_id = str(item["external_id"])
        row = session.scalars(select(CatalogItem).where(CatalogItem.external_id == external_id)).first()
        if row is None:
            row = CatalogItem(external_id=external_id, title=item["title"])
            session.add(row)
        row.title = item["title"]
        row.author = item.get("author")
        row.narrator = item.get("narrator")
        row.asin = normalize_asin(item.get("asin"))
        row.updated_at = utcnow()
        rows.append(row)
    session.flush()
    return rows


def list_catalog(session: Session) -> list[CatalogItem]:
    """Return every stored catalog entry."""
    return list(session.scalars(select(CatalogItem).order_by(CatalogItem.id)))


# ---------------------------------------------------------------- users


def upsert_user(
    session: Session,
    *,
    plex_id: int,
    username: str,
    role: str,
    uuid_: str | None = None,
    email: str | None = None,
    thumb: str | None = None,
) -> User:
    """Create or refresh the row of a Plex account that just signed in."""
    user = session.scalars(select(User).where(User.plex_id == plex_id)).first()
    if user is None:
        user = User(plex_id=plex_id, username=username, role=role, created_at=utcnow())
        session.add(user)
    user.username, user.role, user.uuid, user.email, user.thumb = username, role, uuid_, email, thumb
    user.last_login_at = utcnow()
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User | None:
    """Return a user by plexbooks id."""
    return session.get(User, user_id)


def now() -> datetime:
    """Return the repository's notion of now (UTC), for callers that compare timestamps."""
    return utcnow()


# ================================================================= scanner, scheduler and hooks support
# (added for scanner.py / scheduler.py / hooks.py; everything above is unchanged)


def touch_seen(session: Session, section_id: str, rating_keys: Iterable[str], scan_id: int) -> int:
    """Mark existing albums as seen by `scan_id` without rewriting them (rows a scan could not store)."""
    keys = list(rating_keys)
    touched = 0
    for start in range(0, len(keys), 500):
        result = session.execute(
            update(LibraryItem)
            .where(LibraryItem.section_id == section_id, LibraryItem.rating_key.in_(keys[start : start + 500]))
            .values(last_seen_scan=scan_id)
            .execution_options(synchronize_session=False)
        )
        touched += int(result.rowcount)  # type: ignore[attr-defined]
    return touched


def keys_unseen_since(session: Session, section_id: str, scan_id: int) -> list[str]:
    """Return the rating keys that neither scan `scan_id` nor any later scan saw (scan ids only grow)."""
    return list(
        session.scalars(
            select(LibraryItem.rating_key).where(
                LibraryItem.section_id == section_id,
                or_(LibraryItem.last_seen_scan.is_(None), LibraryItem.last_seen_scan < scan_id),
            )
        )
    )


def latest_scan_run(session: Session, kind: str | None = None, status: str | None = None) -> ScanRun | None:
    """Return the newest scan run, optionally of one kind and status."""
    query = select(ScanRun).order_by(ScanRun.id.desc()).limit(1)
    if kind is not None:
        query = query.where(ScanRun.kind == kind)
    if status is not None:
        query = query.where(ScanRun.status == status)
    return session.scalars(query).first()


def record_failed_run(session: Session, kind: str, error: str, triggered_by: str | None = None) -> ScanRun:
    """Record a scan that failed before it could start (so the scan panel shows why)."""
    now = utcnow()
    run = ScanRun(
        kind=kind,
        status="failed",
        started_at=now,
        finished_at=now,
        progress_done=0,
        error=error,
        triggered_by=triggered_by,
    )
    session.add(run)
    session.commit()
    return run


def catalog_match_inputs(session: Session) -> list[tuple[int, str, str | None, str | None, str | None]]:
    """Return (id, title, author, narrator, asin) of every catalog entry, for re-matching."""
    rows = session.execute(
        select(CatalogItem.id, CatalogItem.title, CatalogItem.author, CatalogItem.narrator, CatalogItem.asin).order_by(
            CatalogItem.id
        )
    )
    return [(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


@dataclass(frozen=True, slots=True)
class CatalogMatch:
    """The availability of one catalog entry, as the catalog refresh computed it."""

    catalog_id: int
    rating_key: str | None
    score: float | None


def set_catalog_matches(session: Session, matches: Iterable[CatalogMatch]) -> int:
    """Write is_available / matched_rating_key / match_score of catalog entries; return rows changed."""
    now = utcnow()
    params = [
        {
            "id": m.catalog_id,
            "is_available": m.rating_key is not None,
            "matched_rating_key": m.rating_key,
            "match_score": m.score,
            "updated_at": now,
        }
        for m in matches
    ]
    if not params:
        return 0
    # ORM bulk UPDATE by primary key: one executemany instead of a round trip per entry.
    session.execute(update(CatalogItem), params)
    return len(params)


# ================================================================= sign-in support (auth.py)


def get_user_by_plex_id(session: Session, plex_id: int) -> User | None:
    """Return the user row of a Plex account id, if it ever signed in."""
    return session.scalars(select(User).where(User.plex_id == plex_id)).first()


def has_admin(session: Session) -> bool:
    """Say whether any signed-in account holds the admin role."""
    return session.scalar(select(User.id).where(User.role == "admin").limit(1)) is not None
