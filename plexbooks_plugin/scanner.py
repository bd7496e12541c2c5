"""Full and recently-added scans of the configured Plex section, removal safety and request matching.

Every scan, whoever starts it (CLI, scan button, scheduler), runs through `run_scan`:

1. check the configuration (a ConfigError is raised before anything is recorded);
2. take the cluster-wide ``scan`` lease (`ScanRunning` with the running id when it is taken), mark runs
   left ``running`` by a dead process as failed, record the new run;
3. page through Plex, storing each page in its own transaction and renewing the lease per page;
4. full scans only: after a *complete* listing, remove the rows the scan did not see, unless that looks
   like a mistake (empty listing, more than half gone): then nothing is removed, the run succeeds with a
   warning and the removal waits in the ``pending_removal`` setting for `confirm_pending_removal`;
5. flip ``downloaded`` requests that are now in the library to ``available`` and send
   `signals.request_available` once per flipped request.

SQL lives in `repository`; HTTP lives in `plex.client`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from . import repository as repo
from . import signals
from .core import PlexBooksCore
from .errors import PlexbooksError, ScanRunning
from .matching import CATALOG_THRESHOLD, REQUEST_THRESHOLD
from .models import SCAN_KINDS
from .plex.redact import redact
from .records import PlexAudiobook

log = logging.getLogger(__name__)

SCAN_LEASE = "scan"
# Long enough for one slow page (30 s read timeout, retries); short enough that a killed
# process frees the lock within minutes. Renewed after every page.
SCAN_LEASE_TTL = timedelta(minutes=3)
RECENT_PAGE_SIZE = 10
RECENT_MAX_PAGES = 20
PROGRESS_EVERY = 1000
# Progress and lease renewal are written at most this often (seconds) during a full scan, and at
# most a third of the lease's lifetime apart; always after the last page. Tests may set it to 0.
CHECKPOINT_INTERVAL = 1.0
# A full scan that inserted more rows than this refreshes the planner's statistics afterwards.
ANALYZE_AFTER_NEW = 1000
PENDING_REMOVAL_KEY = "pending_removal"
WATERMARK_KEY = "recent_watermark"


class ScanFailed(PlexbooksError):
    """A scan started and then failed; the run is recorded as failed with the same message."""

    def __init__(self, run_id: int | None, message: str) -> None:
        super().__init__(message)
        self.run_id = run_id


@dataclass
class _Job:
    """One scan in flight: who holds the lease, what to scan, with which client."""

    core: PlexBooksCore
    kind: str
    run_id: int
    holder: str
    section: str
    client: Any  # plex.client.PlexClient (imported lazily by the core)
    lease_ttl: timedelta
    secrets: tuple[str, ...] = ()


@dataclass
class _Counts:
    """Running totals of one scan, turned into its summary."""

    total: int = 0
    new: int = 0
    updated: int = 0
    removed: int = 0
    matched: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the mirrored library changed."""
        return bool(self.new or self.updated or self.removed)

    @property
    def warning(self) -> str | None:
        """All warnings as one line, or None."""
        return "; ".join(self.warnings) or None

    def summary(self, job: _Job, seconds: float) -> dict[str, Any]:
        """The summary the CLI prints and the scan API returns."""
        return {
            "run_id": job.run_id,
            "kind": job.kind,
            "total": self.total,
            "new": self.new,
            "updated": self.updated,
            "removed": self.removed,
            "matched": self.matched,
            "skipped": self.skipped,
            "warning": self.warning,
            "seconds": round(seconds, 3),
        }


@dataclass(frozen=True)
class _Stored:
    """What storing one page did."""

    new: int = 0
    updated: int = 0
    failed: tuple[str, ...] = ()


# ------------------------------------------------------------------ public entry points


def run_scan(
    core: PlexBooksCore,
    kind: str,
    *,
    triggered_by: str | None = None,
    confirm_removal: bool = False,
    progress_every: int = PROGRESS_EVERY,
    page_size: int | None = None,
    lease_ttl: timedelta | None = None,
) -> dict[str, Any]:
    """Run a full or recently-added scan now and return its summary; raises ScanRunning or a PlexbooksError."""
    job = _begin(core, kind, triggered_by, lease_ttl)
    return _execute(job, confirm_removal=confirm_removal, progress_every=progress_every, page_size=page_size)


_threads: dict[int, threading.Thread] = {}
_threads_lock = threading.Lock()


def start_scan(
    core: PlexBooksCore,
    kind: str,
    *,
    triggered_by: str | None = None,
    confirm_removal: bool = False,
    page_size: int | None = None,
    lease_ttl: timedelta | None = None,
) -> int:
    """Take the lease and record the run now, scan in a background thread; return the run id."""
    job = _begin(core, kind, triggered_by, lease_ttl)
    thread = threading.Thread(
        target=_execute_in_background,
        args=(job, confirm_removal, page_size),
        name=f"plexbooks-scan-{job.run_id}",
        daemon=True,  # a scan must never keep the host from exiting; the lease expires instead
    )
    with _threads_lock:
        _threads[job.run_id] = thread
    try:
        thread.start()
    except BaseException as err:
        with _threads_lock:
            _threads.pop(job.run_id, None)
        _fail_run(job, _Counts(), f"could not start the scan thread: {err}")
        _release(job)
        raise
    return job.run_id


def wait_for_scan(run_id: int, timeout: float | None = None) -> bool:
    """Wait for a scan started by `start_scan` in this process; return True when it has finished."""
    with _threads_lock:
        thread = _threads.get(run_id)
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()


def run_full_scan(core: PlexBooksCore) -> dict[str, Any] | None:
    """Scheduler job: a full scan, skipped quietly while Plex or the library is not configured."""
    if not _configured(core):
        log.debug("full scan skipped: Plex or the library is not configured yet")
        return None
    return run_scan(core, "full", triggered_by="scheduler")


def run_recent_scan(core: PlexBooksCore) -> dict[str, Any] | None:
    """Scheduler job: a recently-added poll, skipped quietly while Plex or the library is not configured."""
    if not _configured(core):
        log.debug("recently-added poll skipped: Plex or the library is not configured yet")
        return None
    return run_scan(core, "recent", triggered_by="scheduler")


def pending_removal(core: PlexBooksCore) -> dict[str, Any] | None:
    """Return the removal a full scan held back for confirmation, or None."""
    with core.session() as session:
        value = repo.get_json_setting(session, PENDING_REMOVAL_KEY)
    return value if isinstance(value, dict) else None


def confirm_pending_removal(core: PlexBooksCore, *, lease_ttl: timedelta | None = None) -> int:
    """Remove the albums a held-back full scan did not see and no later scan saw either; return how many.

    Rows a later scan (full or recently-added) saw are kept: scan ids only grow, so "not seen since
    run N" is `last_seen_scan < N`. Raises ScanRunning while a scan runs.
    """
    if not pending_removal(core):
        return 0
    holder = _new_holder(core)
    _acquire_scan_lease(core, holder, lease_ttl or SCAN_LEASE_TTL)
    removed = 0
    try:
        with core.session() as session:
            # Read again under the lease: a scan or another confirmation may have settled it meanwhile.
            pending = repo.get_json_setting(session, PENDING_REMOVAL_KEY)
            if not isinstance(pending, dict):
                return 0
            section = repo.get_setting(session, "library_id")
            if section and str(pending.get("section_id")) == section:
                keys = repo.keys_unseen_since(session, section, int(pending["run_id"]))
                removed = repo.remove_library_items(session, section, keys)
                if removed:
                    repo.bump_library_version(session)
            else:
                log.info("pending removal dropped: the library section changed since run %s", pending.get("run_id"))
            repo.set_json_setting(session, PENDING_REMOVAL_KEY, None)
    finally:
        with core.session() as session:
            repo.release_lease(session, SCAN_LEASE, holder)
    log.info("confirmed removal of %d albums held back by scan run %s", removed, pending.get("run_id"))
    if removed:
        _rematch_catalog_quietly(core)
    return removed


def refresh_catalog(core: PlexBooksCore, items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Store the host's catalog entries and mark each available when Plex has it (score >= 0.85)."""
    entries: list[dict[str, Any]] = []
    skipped = 0
    received = 0
    for raw in items:
        received += 1
        entry = _catalog_entry(raw)
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    with core.session() as session:
        repo.upsert_catalog_items(session, entries)
    result = rematch_catalog(core)
    summary = {"received": received, "stored": len(entries), "skipped": skipped, **result}
    log.info("catalog refresh: %s", summary)
    return summary


def rematch_catalog(core: PlexBooksCore) -> dict[str, int]:
    """Recompute is_available / matched_rating_key / match_score of every catalog entry."""
    with core.session() as session:
        rows = repo.catalog_match_inputs(session)
    if not rows:
        return {"total": 0, "available": 0}  # no catalog: do not build the index for nothing
    index = core.library_index()
    with core.session() as session:
        matches: list[repo.CatalogMatch] = []
        for catalog_id, title, author, narrator, asin in rows:
            match = index.best_match(title, author or "", asin=asin, narrator=narrator, threshold=CATALOG_THRESHOLD)
            matches.append(
                repo.CatalogMatch(catalog_id, match.key if match else None, match.score if match else None)
            )
        repo.set_catalog_matches(session, matches)
    return {"total": len(rows), "available": sum(1 for m in matches if m.rating_key is not None)}


def match_downloaded_requests(core: PlexBooksCore) -> list[tuple[str, str]]:
    """Flip downloaded requests that the library now holds to available; return (request id, rating key)."""
    with core.session() as session:
        waiting = repo.downloaded_requests(session)
    if not waiting:
        return []
    index = core.library_index()
    flipped: list[tuple[str, str]] = []
    matches = [
        (request, index.best_match(request.title, request.author or "", asin=request.asin, threshold=REQUEST_THRESHOLD))
        for request in waiting
    ]
    with core.session() as session:
        # One indexed query for every matched album's guid instead of a look-up per request.
        items = repo.get_library_items(session, None, (m.key for _, m in matches if m is not None))
        for request, match in matches:
            if match is None:
                continue
            item = items.get(match.key)
            # The conditional UPDATE makes this exactly-once even if two processes match at once.
            if repo.mark_available(
                session, request.id, rating_key=match.key, guid=item.guid if item else None, score=match.score
            ):
                flipped.append((request.host_request_id, match.key))
                log.info(
                    "request %s is available in Plex (rating key %s, %s %.2f)",
                    request.host_request_id, match.key, match.matched_by, match.score,
                )
    # Only now is the flip committed: receivers may read it back.
    for request_id, rating_key in flipped:
        try:
            signals.request_available.send(core, request_id=request_id, rating_key=rating_key)
        except Exception:
            log.exception("a request_available receiver failed for request %s", request_id)
    return flipped


# ------------------------------------------------------------------ lease and run bookkeeping


def _configured(core: PlexBooksCore) -> bool:
    return core.plex_configured() and bool(core.get_setting("library_id"))


def _new_holder(core: PlexBooksCore) -> str:
    # Unique per scan, not per core: two threads of one process must not share the lock.
    return f"{core.holder_id}:scan:{uuid.uuid4().hex[:8]}"


def _acquire_scan_lease(core: PlexBooksCore, holder: str, ttl: timedelta) -> None:
    with core.session() as session:
        if repo.acquire_lease(session, SCAN_LEASE, holder, ttl):
            return
    raise ScanRunning(_running_run_id(core))


def _running_run_id(core: PlexBooksCore) -> int | None:
    # The lease holder records its run right after taking the lease; give it a moment.
    for attempt in range(5):
        with core.session() as session:
            run = repo.running_scan_run(session)
            if run is not None:
                return run.id
        time.sleep(0.02 * (attempt + 1))
    return None


def _begin(core: PlexBooksCore, kind: str, triggered_by: str | None, lease_ttl: timedelta | None) -> _Job:
    if kind not in SCAN_KINDS:
        raise ValueError(f"unknown scan kind {kind!r}; expected one of {', '.join(SCAN_KINDS)}")
    # Configuration problems surface before anything is locked or recorded.
    client = core.plex_client()
    try:
        section = core.library_section()
        token = core.get_setting("plex_token") or ""
        holder = _new_holder(core)
        ttl = lease_ttl or SCAN_LEASE_TTL
        _acquire_scan_lease(core, holder, ttl)
    except BaseException:
        client.close()
        raise
    try:
        with core.session() as session:
            abandoned = repo.fail_abandoned_runs(
                session, "the scan stopped before it finished (its process ended or lost the scan lock)"
            )
            if abandoned:
                log.warning("marked %d abandoned scan run(s) as failed", abandoned)
            run = repo.start_scan_run(session, kind, triggered_by)
            run_id = run.id
    except BaseException:
        client.close()
        with core.session() as session:
            repo.release_lease(session, SCAN_LEASE, holder)
        raise
    log.info("%s scan run %d started (section %s, by %s)", kind, run_id, section, triggered_by or "unknown")
    return _Job(core, kind, run_id, holder, section, client, ttl, (token,) if token else ())


def _release(job: _Job) -> None:
    try:
        job.client.close()  # its HTTP connection pool is per scan
    except Exception:
        log.debug("closing the Plex client failed", exc_info=True)
    try:
        with job.core.session() as session:
            repo.release_lease(session, SCAN_LEASE, job.holder)
    except Exception:  # the lease expires on its own; never hide the scan's own outcome
        log.exception("could not release the scan lease of run %d", job.run_id)


def _checkpoint(job: _Job, done: int, total: int | None) -> None:
    """Publish progress and renew the lease; stop the scan if another process took the lease over."""
    with job.core.session() as session:
        repo.update_scan_progress(session, job.run_id, done, total)
        if not repo.acquire_lease(session, SCAN_LEASE, job.holder, job.lease_ttl):
            raise ScanFailed(job.run_id, "the scan lost its lock to another scan (it stalled longer than the lease)")


class _Throttle:
    """Says when a full scan's next checkpoint is due: every CHECKPOINT_INTERVAL, and well within the lease."""

    def __init__(self, lease_ttl: timedelta) -> None:
        self.interval = min(CHECKPOINT_INTERVAL, lease_ttl.total_seconds() / 3)
        self.last = time.monotonic()

    def due(self) -> bool:
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            return True
        return False


def _fail_run(job: _Job, counts: _Counts, message: str) -> None:
    try:
        with job.core.session() as session:
            repo.finish_scan_run(
                session, job.run_id, status="failed", summary=counts.summary(job, 0.0), error=message,
                warning=counts.warning,
            )
    except Exception:
        log.exception("could not record the failure of scan run %d", job.run_id)


def _error_message(job: _Job, err: BaseException) -> str:
    message = str(err).strip() or type(err).__name__
    if not isinstance(err, PlexbooksError):
        # Driver errors run to many lines (SQL, parameters): keep the first, which names the problem.
        message = f"{type(err).__name__}: {message.splitlines()[0]}"
    return redact(message, job.secrets)


# ------------------------------------------------------------------ the scan itself


def _execute(job: _Job, *, confirm_removal: bool, progress_every: int, page_size: int | None) -> dict[str, Any]:
    started = time.monotonic()
    counts = _Counts()
    try:
        if job.kind == "full":
            _full_scan(job, counts, confirm_removal=confirm_removal, progress_every=progress_every,
                       page_size=page_size)
        else:
            _recent_scan(job, counts)
        counts.matched = len(match_downloaded_requests(job.core))
        if counts.changed:
            _rematch_catalog_quietly(job.core)
        summary = counts.summary(job, time.monotonic() - started)
        with job.core.session() as session:
            repo.finish_scan_run(session, job.run_id, status="succeeded", summary=summary, warning=counts.warning)
        log.info("%s scan run %d finished: %s", job.kind, job.run_id, summary)
        return summary
    except Exception as err:
        message = _error_message(job, err)
        log.error("%s scan run %d failed: %s", job.kind, job.run_id, message)
        _fail_run(job, counts, message)
        if isinstance(err, ScanFailed):
            raise
        raise ScanFailed(job.run_id, message) from err
    finally:
        _release(job)


def _execute_in_background(job: _Job, confirm_removal: bool, page_size: int | None) -> None:
    try:
        _execute(job, confirm_removal=confirm_removal, progress_every=PROGRESS_EVERY, page_size=page_size)
    except Exception:
        pass  # already logged and recorded on the run by _execute
    finally:
        with _threads_lock:
            _threads.pop(job.run_id, None)


def _full_scan(
    job: _Job, counts: _Counts, *, confirm_removal: bool, progress_every: int, page_size: int | None
) -> None:
    with job.core.session() as session:
        previous = repo.count_library(session, job.section)
    seen: set[str] = set()
    unreadable = 0
    reported_total = 0
    next_log = progress_every
    throttle = _Throttle(job.lease_ttl)
    done = 0
    published = -1  # the progress last written to the run
    pages = job.client.albums(job.section, page_size=page_size)
    try:
        for page in pages:
            reported_total = page.total_size
            unreadable += page.skipped
            stored = _store_page(job, page.items)
            counts.new += stored.new
            counts.updated += stored.updated
            counts.skipped += page.skipped + len(stored.failed)
            seen.update(item.rating_key for item in page.items)
            done = len(seen) + unreadable
            if throttle.due():
                _checkpoint(job, done, reported_total or None)
                published = done
            if done >= next_log or (reported_total and done >= reported_total):
                log.info(
                    "full scan run %d: %d/%s albums (new %d, updated %d, skipped %d)",
                    job.run_id, done, reported_total or "?", counts.new, counts.updated, counts.skipped,
                )
                next_log = done + progress_every
    except BaseException:
        if done != published:  # the run shows what was stored before the failure
            _publish_progress_quietly(job, done, reported_total or None)
        raise
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()  # stop a page prefetch before anything else uses (or closes) the client
    _checkpoint(job, done, reported_total or None)  # always after the last page
    if counts.new > ANALYZE_AFTER_NEW:
        # A large import leaves the planner with stale statistics (PostgreSQL plans as if the table
        # were still nearly empty until autovacuum gets to it).
        with job.core.session() as session:
            repo.analyze_library(session)
    counts.total = len(seen)
    # From here on the listing is complete: only now may rows that were not seen be removed.
    if unreadable:
        counts.warnings.append(f"{unreadable} albums could not be read from Plex, so nothing was removed")
        return
    if reported_total and len(seen) < reported_total:
        # Offset paging skips items when the library changes during the scan.
        counts.warnings.append(
            f"Plex reported {reported_total} albums but the scan saw {len(seen)} (the library changed "
            "during the scan), so nothing was removed"
        )
        return
    _remove_unseen(job, counts, previous=previous, seen=len(seen), confirm_removal=confirm_removal)


def _publish_progress_quietly(job: _Job, done: int, total: int | None) -> None:
    try:
        with job.core.session() as session:
            repo.update_scan_progress(session, job.run_id, done, total)
    except Exception:  # the scan's own error matters more
        log.debug("could not record the progress of scan run %d", job.run_id, exc_info=True)


def _remove_unseen(job: _Job, counts: _Counts, *, previous: int, seen: int, confirm_removal: bool) -> None:
    with job.core.session() as session:
        other = repo.remove_other_sections(session, job.section)
        if other:
            log.info("removed %d albums of a previously configured library section", other)
        unseen = repo.count_unseen(session, job.section, job.run_id)
        suspicious = unseen > 0 and (seen == 0 or unseen * 2 > previous)
        if suspicious and not confirm_removal:
            why = "Plex listed no albums" if seen == 0 else f"{unseen} of {previous} albums are gone from Plex"
            counts.warnings.append(
                f"{why}; nothing was removed. If that is right, confirm the removal "
                "(or run a full scan with confirm_removal)"
            )
            repo.set_json_setting(
                session,
                PENDING_REMOVAL_KEY,
                {"run_id": job.run_id, "section_id": job.section, "count": unseen, "previous": previous,
                 "seen": seen, "recorded_at": repo.now().isoformat()},
            )
            log.warning("full scan run %d: %s; removal held back for confirmation", job.run_id, why)
            removed = 0
        else:
            gone = repo.unseen_keys(session, job.section, job.run_id)
            removed = repo.remove_library_items(session, job.section, gone)
            # A complete scan that removed (or had nothing to remove) supersedes any held-back removal.
            repo.set_json_setting(session, PENDING_REMOVAL_KEY, None)
        if removed or other:
            repo.bump_library_version(session)
    counts.removed = removed + other


def _recent_scan(job: _Job, counts: _Counts) -> None:
    with job.core.session() as session:
        stored_mark = _parse_watermark(repo.get_setting(session, WATERMARK_KEY), job.section)
        watermark = stored_mark if stored_mark is not None else repo.newest_added_at(session, job.section)
    first_poll = watermark is None
    fresh: dict[str, PlexAudiobook] = {}
    reached = False
    pages = 0
    polled = job.client.recently_added(job.section, page_size=RECENT_PAGE_SIZE, max_pages=RECENT_MAX_PAGES)
    for page in polled:
        pages += 1
        counts.skipped += page.skipped
        # Equal timestamps are kept: several books can be added within the same second. But a book
        # of the watermark's second that is already mirrored means the older pages hold nothing new
        # (one indexed query per page), so a poll right after an import still makes one request.
        at_mark = [i.rating_key for i in page.items if watermark is not None and i.added_at == watermark]
        mirrored: Container[str] = ()
        if at_mark:
            with job.core.session() as session:
                mirrored = set(repo.get_library_items(session, job.section, at_mark))
        for item in page.items:
            if watermark is not None and item.added_at is not None and item.added_at < watermark:
                reached = True
                break
            if item.rating_key in mirrored:
                reached = True  # the rest of this page is still read: it costs no request
            fresh[item.rating_key] = item
        # Stop as soon as we know there is nothing newer: with nothing new this is ONE request.
        if reached or first_poll:
            break
    getattr(polled, "close", lambda: None)()
    if not reached and not first_poll and pages >= RECENT_MAX_PAGES:
        counts.warnings.append(
            f"more than {RECENT_PAGE_SIZE * RECENT_MAX_PAGES} albums were added since the last poll; "
            "the next full scan picks up the rest"
        )
    items = list(fresh.values())
    stored = _store_page(job, items) if items else _Stored()
    counts.total = len(items)
    counts.new, counts.updated = stored.new, stored.updated
    counts.skipped += len(stored.failed)
    newest = max((i.added_at for i in items if i.added_at is not None), default=None)
    if watermark is not None and (newest is None or newest < watermark):
        newest = watermark
    if newest is not None and newest != stored_mark:
        with job.core.session() as session:
            repo.set_setting(session, WATERMARK_KEY, f"{job.section}:{newest}")
    _checkpoint(job, len(items), len(items))


def _parse_watermark(value: str | None, section: str) -> int | None:
    """Read "section:addedAt"; a watermark of another section (library switched) does not count."""
    if not value:
        return None
    owner, _, mark = value.rpartition(":")
    if owner != section:
        return None
    try:
        return int(mark)
    except ValueError:
        return None


def _store_page(job: _Job, items: Sequence[PlexAudiobook]) -> _Stored:
    """Store a page in one transaction; if that fails, row by row so one bad album costs only itself."""
    if not items:
        return _Stored()
    core = job.core
    try:
        with core.session() as session:
            result = repo.upsert_library_page(session, job.section, items, job.run_id)
            if result.new or result.updated:
                repo.bump_library_version(session)
        return _Stored(result.new, result.updated)
    except Exception as err:
        log.warning(
            "a page of %d albums could not be stored at once (%s); storing them one by one",
            len(items), _first_line(err),
        )
    new = updated = 0
    failed: list[str] = []
    for item in items:
        try:
            with core.session() as session:
                result = repo.upsert_library_page(session, job.section, [item], job.run_id)
        except Exception as err:
            log.warning("skipped album %s (%.80r): %s", item.rating_key, item.title, _first_line(err))
            failed.append(item.rating_key)
            continue
        new += result.new
        updated += result.updated
    # An album that exists but could not be rewritten is still in Plex: keep its old row. If the
    # database itself is failing this raises too, and the scan fails without removing anything.
    with core.session() as session:
        if failed:
            repo.touch_seen(session, job.section, failed, job.run_id)
        if new or updated:
            repo.bump_library_version(session)
    return _Stored(new, updated, tuple(failed))


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return f"{type(err).__name__}: {text.splitlines()[0] if text else ''}"


def _rematch_catalog_quietly(core: PlexBooksCore) -> None:
    try:
        result = rematch_catalog(core)
        if result["total"]:
            log.info("catalog re-matched after a library change: %s", result)
    except Exception:  # the scan's own outcome matters more than the catalog badges
        log.exception("re-matching the catalog after a scan failed")


def _catalog_entry(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    title = raw.get("title")
    external_id = raw.get("external_id") or raw.get("id") or raw.get("asin")
    if not isinstance(title, str) or not title.strip() or external_id in (None, ""):
        return None
    return {
        "external_id": str(external_id),
        "title": title.strip(),
        "author": raw.get("author") or None,
        "narrator": raw.get("narrator") or None,
        "asin": raw.get("asin") or None,
    }
