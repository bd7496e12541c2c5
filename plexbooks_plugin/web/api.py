"""The JSON API of DESIGN.md section 5 (prefix /plexbooks/api)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue

from .. import hooks
from .. import store as repo
from ..auth.users import current_plexbooks_user
from ..models import REQUEST_STATUSES, SCAN_KINDS, BookRequest
from ..public_json import library_item_json, request_json
from ..request_reads import request_library_version, request_reads
from ..scanning import cancel_scan, confirm_pending_removal, pending_removal, start_scan
from ..security import ROLE_ADMIN, admin_required, current_role, user_required
from ..services.libraries import library_choices
from ..services.links import PlexLinker
from ..services.requests import availability, create_request
from ..state import get_core
from .blueprint import bp
from .context import account_label
from .errors import abort_json
from .forms import DEFAULT_AVAILABILITY_MAX, MAX_INT_ARG, bool_field, int_arg, json_object, string_field
from .shapes import scan_run_json

#: Items per page of GET /api/library unless ?per_page= says otherwise.
LIBRARY_PAGE_SIZE = 50
LIBRARY_PAGE_MAX = 200


def _book_fields(raw: Any, label: str) -> dict[str, Any]:
    """Validate one book of an availability call."""
    if not isinstance(raw, dict):
        abort_json(400, "invalid_field", f"{label} must be an object with title and author", field=label)
    return {
        "title": string_field(raw, "title", required=True, label=f"{label}.title"),
        "author": string_field(raw, "author", label=f"{label}.author"),
        "asin": string_field(raw, "asin", max_length=32, label=f"{label}.asin"),
        "narrator": string_field(raw, "narrator", label=f"{label}.narrator"),
    }



def _request_with_link(found: BookRequest, linker: PlexLinker, *, with_path: bool) -> dict[str, Any]:
    """A request's JSON plus its Open-in-Plex link once Plex has the book (`with_path`: admins and the host key)."""
    body = request_json(found, with_path=with_path)
    body["plex_web_url"] = linker.url(body["rating_key"]) if body["status"] == "available" else None
    return body


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Liveness probe for the host."""
    return jsonify({"status": "ok"})


@bp.get("/api/libraries")
@admin_required
def api_libraries() -> ResponseReturnValue:
    """List the server's music-type libraries with item counts, folders, selection and an audiobooks/music hint."""
    return jsonify(library_choices(get_core()))


@bp.post("/api/scan")
@admin_required
def api_scan_start() -> ResponseReturnValue:
    """Start a full or recently-added scan in the background."""
    data = json_object()
    kind = data.get("kind", "full")
    if kind not in SCAN_KINDS:
        abort_json(400, "invalid_field", f"kind must be one of {', '.join(SCAN_KINDS)}", field="kind")
    run_id = start_scan(get_core(), kind, triggered_by=account_label())
    return jsonify({"run_id": run_id}), 202


@bp.post("/api/scan/confirm-removal")
@admin_required
def api_scan_confirm_removal() -> ResponseReturnValue:
    """Apply the removal a scan held back for an admin's confirmation."""
    core = get_core()
    pending = pending_removal(core)
    if not pending:
        abort_json(409, "nothing_pending", "No removal is waiting for confirmation.")
    removed = confirm_pending_removal(core)
    return jsonify({"confirmed": True, "removed": removed, "run_id": pending.get("run_id")})


@bp.post("/api/scan/<int:run_id>/cancel")
@admin_required
def api_scan_cancel(run_id: int) -> ResponseReturnValue:
    """Cancel a running scan: it stops at its next write, keeping what it stored and removing nothing."""
    if run_id > MAX_INT_ARG:  # no such id can exist, and PostgreSQL would refuse to compare it
        abort_json(404, "not_found", f"there is no scan run {run_id}")
    core = get_core()
    cancelled = cancel_scan(core, run_id, by=account_label())
    with core.session() as session:
        run = repo.get_scan_run(session, run_id)
        if run is None:
            abort_json(404, "not_found", f"there is no scan run {run_id}")
        if not cancelled:
            message = f"scan run {run_id} is not running (it is {run.status})"
            abort_json(409, "not_running", message, run_status=run.status)
        return jsonify(scan_run_json(run))


@bp.get("/api/scan/<int:run_id>")
@admin_required
def api_scan_status(run_id: int) -> ResponseReturnValue:
    """Report a scan's status and progress."""
    if run_id > MAX_INT_ARG:  # no such id can exist, and PostgreSQL would refuse to compare it
        abort_json(404, "not_found", f"there is no scan run {run_id}")
    with get_core().session() as session:
        run = repo.get_scan_run(session, run_id)
        if run is None:
            abort_json(404, "not_found", f"there is no scan run {run_id}")
        return jsonify(scan_run_json(run))


@bp.get("/api/library")
@user_required
def api_library() -> ResponseReturnValue:
    """Page through the mirrored library, optionally searching title and author."""
    q = (request.args.get("q") or "").strip()[:200] or None
    page = int_arg("page", 1)
    per_page = int_arg("per_page", LIBRARY_PAGE_SIZE, maximum=LIBRARY_PAGE_MAX)
    section_id = (request.args.get("library") or "").strip() or None
    if section_id is not None and not (section_id.isascii() and section_id.isdigit()):
        abort_json(400, "invalid_field", "library must be a library section id (a number)", field="library")
    # The in-memory word index: the same answers, no table scan.
    search = get_core().library_search(request_library_version()) if q else None
    items, total = repo.library_page(request_reads(), q, page, per_page, search, section_id=section_id)
    body = {"items": [library_item_json(item) for item in items], "total": total, "page": page, "per_page": per_page}
    return jsonify(body)


@bp.post("/api/availability")
@user_required
def api_availability() -> ResponseReturnValue:
    """Say, for each book in order, whether the Plex library already has it."""
    data = json_object()
    books = data.get("books")
    if not isinstance(books, list):
        abort_json(400, "invalid_field", "books must be a list of {title, author} objects", field="books")
    limit = int(current_app.config.get("PLEXBOOKS_AVAILABILITY_MAX", DEFAULT_AVAILABILITY_MAX))
    if len(books) > limit:
        abort_json(400, "too_many_books", f"ask about at most {limit} books per call (got {len(books)})",
                   field="books", limit=limit)
    questions = [_book_fields(book, f"books[{i}]") for i, book in enumerate(books)]
    index = get_core().library_index(request_library_version())
    return jsonify({"results": [availability(index, book) for book in questions]})


def request_owner() -> repo.Requester | None:
    """Whose requests the caller may see: None (all) for admins and the host key, else the plain user's own."""
    if current_role() == ROLE_ADMIN:
        return None
    user = current_plexbooks_user()
    if user is None:  # a host's own user mapped to the user role: no plexbooks id, so no requests of theirs
        return repo.Requester(user_id=0, username=None)  # ids start at 1: matches no row
    return repo.Requester(user_id=user.id, username=user.username)


def _privileged_only(data: dict[str, Any], *names: str) -> None:
    """Refuse fields only admins and the host key may set, naming the first a plain user sent."""
    if current_role() == ROLE_ADMIN:
        return
    for name in names:
        if data.get(name) is not None:
            abort_json(400, "invalid_field", f"{name} may be set only by an admin or the host key", field=name)


@bp.post("/api/requests")
@user_required
def api_request_create() -> ResponseReturnValue:
    """Track a new request unless Plex already has the book or it is already requested."""
    data = json_object()
    title = string_field(data, "title", required=True)
    author = string_field(data, "author")
    asin = string_field(data, "asin", max_length=32)
    _privileged_only(data, "host_request_id", "requested_by")
    host_request_id = string_field(data, "host_request_id", max_length=128)
    named = string_field(data, "requested_by", max_length=255)
    force = bool_field(data, "force")
    if force and current_role() != ROLE_ADMIN:
        abort_json(403, "forbidden", "only an admin may force a request past the duplicate checks")
    assert title is not None  # required=True guarantees it
    user = current_plexbooks_user()
    requester_id: int | None = None  # the host key, or an admin naming someone: linked by username
    if named is None and user is not None:  # the signed-in user asks for themselves
        requester_id, named = user.id, user.username

    outcome = create_request(
        get_core(), title=title, author=author, asin=asin, host_request_id=host_request_id,
        requested_by=requester_id, requested_by_name=named, force=force,
    )
    if request_owner() is not None:
        outcome.body.pop("downloaded_path", None)
    return jsonify(outcome.body), 201 if outcome.created else 409


@bp.get("/api/requests")
@user_required
def api_request_list() -> ResponseReturnValue:
    """List tracked requests, newest first: a plain user's own, every request for admins and the host key."""
    status = request.args.get("status")
    if status is not None and status not in REQUEST_STATUSES:
        abort_json(400, "invalid_field", f"status must be one of {', '.join(REQUEST_STATUSES)}", field="status")
    limit = int_arg("limit", 100, maximum=1000)
    owner = request_owner()
    core = get_core()
    linker = PlexLinker.of(core)
    with core.session() as session:
        found = repo.list_requests(session, status=status, limit=limit, owner=owner)
        items = [_request_with_link(r, linker, with_path=owner is None) for r in found]
    return jsonify({"items": items, "total": len(items)})


@bp.get("/api/requests/<path:request_id>")
@user_required
def api_request_get(request_id: str) -> ResponseReturnValue:
    """Return one tracked request (by the host's request id) with its status; another user's is 404."""
    owner = request_owner()
    core = get_core()
    with core.session() as session:
        found = repo.get_request(session, request_id, owner=owner)
        if found is None:
            abort_json(404, "not_found", f"no request {request_id!r} is tracked")
        return jsonify(_request_with_link(found, PlexLinker.of(core), with_path=owner is None))


@bp.post("/api/hooks/download-organized")
@admin_required
def api_hook_download_organized() -> ResponseReturnValue:
    """The host's download finished and was filed: mark the request downloaded."""
    data = json_object()
    request_id = data.get("request_id")
    if isinstance(request_id, int) and not isinstance(request_id, bool):
        request_id = str(request_id)  # hosts often use integer ids; they are stored as text
        data["request_id"] = request_id
    host_id = string_field(data, "request_id", required=True, max_length=128)
    title = string_field(data, "title", required=True)
    author = string_field(data, "author")
    path = string_field(data, "path", max_length=4096)
    asin = string_field(data, "asin", max_length=32)
    result = hooks.on_download_organized(
        request_id=host_id, title=title, author=author, path=path, asin=asin, core=get_core()
    )
    if isinstance(result, dict) and result.get("error"):
        abort_json(500, "hook_failed", f"the request could not be marked downloaded: {result['error']}")
    body: dict[str, Any] = {"request_id": host_id, "status": "downloaded"}
    if isinstance(result, dict):
        body.update({k: v for k, v in result.items() if k not in ("request_id", "status")})
        body["status"] = result.get("status", "downloaded")
    return jsonify(body)


