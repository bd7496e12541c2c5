"""The JSON API of DESIGN.md section 5 (prefix /plexbooks/api)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue

from .. import hooks
from .. import store as repo
from ..models import SCAN_KINDS
from ..public_json import library_item_json, request_json
from ..scanning import confirm_pending_removal, pending_removal, start_scan
from ..security import ROLE_ADMIN, admin_required, current_plexbooks_user_id, current_role, user_required
from ..services.libraries import library_choices
from ..services.requests import availability, create_request
from ..state import get_core
from .blueprint import bp
from .context import account_label
from .errors import abort_json
from .forms import DEFAULT_AVAILABILITY_MAX, bool_field, int_arg, json_object, string_field
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
        abort_json(409, "nothing_pending", "no removal is waiting for confirmation")
    removed = confirm_pending_removal(core)
    return jsonify({"confirmed": True, "removed": removed, "run_id": pending.get("run_id")})


@bp.get("/api/scan/<int:run_id>")
@admin_required
def api_scan_status(run_id: int) -> ResponseReturnValue:
    """Report a scan's status and progress."""
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
    with get_core().session() as session:
        items, total = repo.library_page(session, q, page, per_page, section_id=section_id)
        body = {
            "items": [library_item_json(item) for item in items],
            "total": total,
            "page": page,
            "per_page": per_page,
        }
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
    index = get_core().library_index()
    return jsonify({"results": [availability(index, book) for book in questions]})


@bp.post("/api/requests")
@user_required
def api_request_create() -> ResponseReturnValue:
    """Track a new request unless Plex already has the book or it is already requested."""
    data = json_object()
    title = string_field(data, "title", required=True)
    author = string_field(data, "author")
    asin = string_field(data, "asin", max_length=32)
    host_request_id = string_field(data, "host_request_id", max_length=128)
    force = bool_field(data, "force")
    if force and current_role() != ROLE_ADMIN:
        abort_json(403, "forbidden", "only an admin may force a request past the duplicate checks")
    assert title is not None  # required=True guarantees it

    outcome = create_request(
        get_core(), title=title, author=author, asin=asin, host_request_id=host_request_id,
        requested_by=current_plexbooks_user_id(), force=force,
    )
    return jsonify(outcome.body), 201 if outcome.created else 409


@bp.get("/api/requests")
@user_required
def api_request_list() -> ResponseReturnValue:
    """List tracked requests, newest first (an addition to the contract, for host pages)."""
    status = request.args.get("status") or None
    limit = int_arg("limit", 100, maximum=1000)
    with get_core().session() as session:
        items = [request_json(r) for r in repo.list_requests(session, status=status, limit=limit)]
    return jsonify({"items": items, "total": len(items)})


@bp.get("/api/requests/<path:request_id>")
@user_required
def api_request_get(request_id: str) -> ResponseReturnValue:
    """Return one tracked request (by the host's request id) with its status."""
    with get_core().session() as session:
        found = repo.get_request(session, request_id)
        if found is None:
            abort_json(404, "not_found", f"no request {request_id!r} is tracked")
        return jsonify(request_json(found))


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


