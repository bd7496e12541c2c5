"""HTML pages: the library browser (users) and the scan panel (admins)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import store as repo
from ..const import SettingKey
from ..errors import ConfigError, PlexbooksError, ScanRunning
from ..matching import normalize_author, normalize_title
from ..models import SCAN_KINDS, ScanRun
from ..scanning import cancel_scan, confirm_pending_removal, pending_removal, start_scan
from ..security import admin_required, user_required
from ..services.libraries import library_titles, selected_ids
from ..services.links import PlexLinker
from ..state import get_core
from .blueprint import bp
from .context import account_label, format_duration
from .detection import detection_json
from .forms import MAX_INT_ARG
from .jobs import JobRow, human_seconds, jobs_overview
from .shapes import scan_run_json

LIBRARY_PAGE_SIZE = 24
#: How long after it ended a run is still shown where the progress bar is (small scans end before the page polls).
JUST_FINISHED = timedelta(minutes=10)


def search_too_broad(q: str) -> bool:
    """Whether a search would list nearly everything: only articles ("the"), or a single character."""
    return bool(q) and (not normalize_title(q) or len(normalize_author(q)) < 2)


def _page_number() -> int:
    """The ?page= of a page view; garbage means the first page (pages never answer 400)."""
    try:
        return min(max(1, int(request.args.get("page", "1"))), MAX_INT_ARG)  # huge: past the end
    except ValueError:
        return 1


def _with_duration(run: dict[str, Any]) -> dict[str, Any]:
    """A run's JSON plus its duration as the page writes it."""
    return {**run, "duration_text": human_seconds(run.get("duration_seconds"))}


def _job_with_durations(job: JobRow) -> JobRow:
    last = _with_duration(job.last_run) if job.last_run else None
    return replace(job, last_run=last)


def _just_finished(run: ScanRun) -> bool:
    """A run that ended moments ago: the page shows its result where the progress bar would be."""
    if run.status == "running" or run.finished_at is None:
        return False
    return repo.now() - run.finished_at <= JUST_FINISHED


def scan_panel_context() -> dict[str, Any]:
    """Everything the scan panel shows: configuration state, the running run, history, pending removal."""
    core = get_core()
    with core.session() as session:
        runs = [_with_duration(scan_run_json(run)) for run in repo.recent_scan_runs(session, limit=10)]
        running = repo.running_scan_run(session)
        latest = repo.latest_scan_run(session)
        jobs = [_job_with_durations(job) for job in jobs_overview(core, session)]
        library_count = repo.count_library(session)
        library_id = repo.get_setting(session, SettingKey.LIBRARY_IDS)
        has_url = bool(repo.get_setting(session, "plex_url"))
        schedule = {
            "full_scan_hours": repo.get_setting(session, "full_scan_hours"),
            "recent_scan_minutes": repo.get_setting(session, "recent_scan_minutes"),
        }
    # A token that no longer decrypts is shown as what to do, not a 500.
    configured, key_problem = core.plex_configuration() if has_url else (False, None)
    return {
        "runs": runs,
        "jobs": jobs,
        "running": scan_run_json(running) if running is not None else None,
        "just_finished": _with_duration(scan_run_json(latest)) if latest and _just_finished(latest) else None,
        "library_count": library_count,
        "library_id": library_id,
        "configured": configured,
        "key_problem": key_problem,
        "pending": pending_removal(core),
        "schedule": schedule,
        "detection": detection_json(),
    }


@bp.get("/")
@user_required
def index() -> ResponseReturnValue:
    """The plugin's home is the library browser."""
    return redirect(url_for("plexbooks.library"))


@bp.get("/library")
@user_required
def library() -> ResponseReturnValue:
    """Browse and search the mirrored Plex library."""
    q = (request.args.get("q") or "").strip()[:200]
    if search_too_broad(q):
        with get_core().session() as session:
            overall = repo.count_library(session)
        return render_template("plexbooks/library.html", books=[], q=q, too_broad=True, page=1, pages=1,
                               total=0, overall=overall, first=0, last=0)
    page = _page_number()
    core = get_core()
    section = (request.args.get("library") or "").strip()
    section_id = section if section.isascii() and section.isdigit() else None
    titles = library_titles(core)
    selected = selected_ids(core)
    search = core.library_search() if q else None  # the in-memory index: same answers, no table scan
    linker = PlexLinker.of(core)
    with core.session() as session:
        items, total = repo.library_page(session, q or None, page, LIBRARY_PAGE_SIZE, search, section_id=section_id)
        overall = total if not q else repo.count_library(session)
        books = [
            {
                "rating_key": item.rating_key,
                "title": item.title,
                "author": item.author,
                "narrator": item.narrator,
                "year": item.year,
                "duration": format_duration(item.duration),
                "has_thumb": bool(item.thumb),
                "plex_url": linker.url(item.rating_key),
                "section_id": item.section_id,
                "library": titles.get(item.section_id) or f"Library {item.section_id}",
            }
            for item in items
        ]
    pages = max(1, -(-total // LIBRARY_PAGE_SIZE))
    return render_template(
        "plexbooks/library.html",
        books=books, q=q, page=page, pages=pages, total=total, overall=overall, library=section_id,
        libraries={s: titles.get(s) or f"Library {s}" for s in selected} if len(selected) > 1 else {},
        first=(page - 1) * LIBRARY_PAGE_SIZE + 1 if books else 0,
        last=(page - 1) * LIBRARY_PAGE_SIZE + len(books),
    )


@bp.get("/scan")
@admin_required
def scan_panel() -> ResponseReturnValue:
    """Scan buttons, live progress, history and held-back removals."""
    return render_template("plexbooks/scan.html", **scan_panel_context())


@bp.post("/scan/<int:run_id>/cancel")
@admin_required
def scan_panel_cancel(run_id: int) -> ResponseReturnValue:
    """Cancel a running scan from the panel's form (the page's script uses the JSON API instead)."""
    if cancel_scan(get_core(), run_id, by=account_label()):
        flash(f"Scan run {run_id} was cancelled; it stops at its next step and keeps what it stored.", "ok")
    else:
        flash(f"Scan run {run_id} is not running any more.", "warn")
    return redirect(url_for("plexbooks.scan_panel"))


@bp.post("/scan")
@admin_required
def scan_panel_start() -> ResponseReturnValue:
    """Start a scan from the panel's form (the page's script uses the JSON API instead)."""
    kind = request.form.get("kind", "full")
    if kind not in SCAN_KINDS:
        flash(f"Unknown scan kind {kind!r}.", "bad")
        return redirect(url_for("plexbooks.scan_panel"))
    try:
        run_id = start_scan(get_core(), kind, triggered_by=account_label())
    except ScanRunning as err:
        flash(f"A scan is already running (run {err.run_id}).", "warn")
    except ConfigError as err:
        flash(str(err), "bad")
    except PlexbooksError as err:
        flash(f"The scan could not start: {err}", "bad")
    else:
        label = "Full scan" if kind == "full" else "Recently-added check"
        flash(f"{label} started (run {run_id}).", "ok")
    return redirect(url_for("plexbooks.scan_panel"))


@bp.post("/scan/confirm-removal")
@admin_required
def scan_panel_confirm_removal() -> ResponseReturnValue:
    """Apply a held-back removal from the panel's form."""
    try:
        removed = confirm_pending_removal(get_core())
    except ScanRunning as err:
        flash(f"Wait for the running scan (run {err.run_id}) to finish, then confirm again.", "warn")
    except PlexbooksError as err:
        flash(f"The removal failed: {err}", "bad")
    else:
        flash(f"Removed {removed:,} books that are no longer in Plex.", "ok")
    return redirect(url_for("plexbooks.scan_panel"))
