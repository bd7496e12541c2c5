"""The settings page (admins): Plex server, token, library picker, schedule, host API key."""

from __future__ import annotations

import logging
import secrets
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import settings as setting_specs
from .. import store as repo
from ..auth.servers import pick_server_from_signin, signin_servers
from ..const import SettingKey
from ..core import same_server
from ..errors import ConfigError, PlexAuthError, PlexbooksError, PlexUnreachable, ScanRunning
from ..scanning import start_scan
from ..security import admin_required
from ..services.libraries import path_warning, refuse_unknown_sections
from ..settings import split_ids
from ..state import get_core
from .blueprint import bp
from .context import account_label
from .errors import abort_json
from .forms import json_object, string_field
from .wording import field_message, settings_page_problem

log = logging.getLogger(__name__)

# The fields the settings form saves, in the order they are validated and shown.
PLAIN_KEYS = ("plex_url", "library_ids", "full_scan_hours", "recent_scan_minutes", "refresh_after_import", "path_map")
#: A connection test answers within this many seconds whatever the server does (DESIGN.md section 7).
CONNECTION_TEST_SECONDS = 10.0
FORM_KEYS = ("plex_url", "plex_token", *PLAIN_KEYS[1:])
OPTIONAL_KEYS = (SettingKey.LIBRARY_IDS, SettingKey.PATH_MAP)  # an empty field clears them


def stored_settings() -> dict[str, Any]:
    """The current settings as the form shows them: secrets only as "is one stored"."""
    core = get_core()
    with core.session() as session:
        values: dict[str, Any] = {key: repo.get_setting(session, key) for key in PLAIN_KEYS}
        # Read the stored ciphertext, not the secret: the page only needs to know one exists.
        values["has_token"] = bool(repo.raw_setting(session, "plex_token"))
        values["has_api_key"] = bool(repo.raw_setting(session, "api_key"))
    return values


def connection_test_seconds() -> float:
    """The longest a connection test may take, whatever the server does (hosts may lower it)."""
    return float(current_app.config.get("PLEXBOOKS_CONNECTION_TEST_SECONDS", CONNECTION_TEST_SECONDS))


def connection_report(url: str | None, token: str | None) -> dict[str, Any]:
    """Test a server (the form's URL/token, else the stored ones): its name, version and music libraries.

    Answers within `connection_test_seconds()`: short timeouts, no retries, and a wall-clock bound for
    a server that trickles its answer (the test then finishes in the background and is discarded).
    """
    core = get_core()
    if url:
        url = setting_specs.validate("plex_url", url)
    seconds = connection_test_seconds()
    limit = (min(core.plex_timeout[0], seconds), min(core.plex_timeout[1], seconds))
    client = core.plex_client(url=url or None, token=token or None, timeout=limit, retries=0)
    outcome: Future[dict[str, Any]] = Future()

    def run() -> None:
        try:
            outcome.set_result(dict(client.test_connection().as_dict()))
        except BaseException as err:  # handed to the waiting request, which re-raises it
            outcome.set_exception(err)
        finally:
            client.close()

    threading.Thread(target=run, name="plexbooks-connection-test", daemon=True).start()
    try:
        return outcome.result(timeout=seconds)
    except FutureTimeout:
        raise PlexUnreachable(
            f"{client.remote.label} did not finish answering within {seconds:g} s; check the URL, "
            "or whether the server is busy"
        ) from None


def _validate_form(form: dict[str, str], has_token: bool) -> tuple[dict[str, str | None], dict[str, str]]:
    """Validate the submitted form; return (values to store, errors by field)."""
    values: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for key in FORM_KEYS:
        raw = form.get(key, "").strip()
        if key == "refresh_after_import":
            raw = "true" if form.get(key) in ("on", "true", "1") else "false"
        if key == "plex_token" and not raw:
            continue  # an empty token field keeps the stored token
        if key in OPTIONAL_KEYS and not raw:
            values[key] = None
            continue
        if key == "plex_url" and not raw:
            errors[key] = "Enter the address of your Plex Media Server, e.g. http://192.168.1.10:32400"
            continue
        try:
            values[key] = setting_specs.validate(key, raw)
        except ConfigError as err:
            # The page shows the message next to the field, so without the key name.
            errors[key] = field_message(err)
    if not has_token and "plex_token" not in values and "plex_token" not in errors:
        errors["plex_token"] = "Paste a Plex token, or use Sign in with Plex to pick a server"
    return values, errors


def _check_libraries(values: dict[str, str | None]) -> str | None:
    """Refuse ids that are not music libraries of the server being saved (unchecked when it cannot be asked)."""
    core = get_core()
    seconds = connection_test_seconds()
    limit = (min(core.plex_timeout[0], seconds), min(core.plex_timeout[1], seconds))
    try:
        with core.plex_client(
            url=values.get("plex_url"), token=values.get("plex_token"), timeout=limit, retries=0
        ) as client:
            sections = client.sections()
    except PlexbooksError as err:  # unreachable, or nothing to ask with: the connection check reports it
        log.info("library ids saved unchecked: %s", err)
        return None
    try:
        refuse_unknown_sections(split_ids(values[SettingKey.LIBRARY_IDS]), sections)
    except ConfigError as err:
        return field_message(err)
    return None


def _check_connection(url: str | None, token: str | None) -> tuple[str | None, str | None]:
    """(the server's machineIdentifier, None) when it answers with `url`/`token`, else (None, why not)."""
    try:
        report = connection_report(url, token)
    except PlexbooksError as err:
        return None, settings_page_problem(err)
    return str(report["machine_identifier"]), None


def _start_full_scan() -> None:
    """After a new server or library was saved: mirror it now rather than at the next scheduled scan."""
    if not current_app.config.get("PLEXBOOKS_SCAN_ON_SAVE", True):
        return
    core = get_core()
    try:
        run_id = start_scan(core, "full", triggered_by=account_label())
    except ScanRunning as err:
        flash(f"A scan is already running (run {err.run_id}); start a full scan when it ends to use the new "
              "settings.", "warn")
    except ConfigError:
        return  # no library picked yet: the first scan starts once one is saved
    except PlexbooksError as err:
        flash(f"The full scan could not start: {err}", "warn")
    else:
        flash(f"A full scan of the library started (run {run_id}).", "ok")


def _render(status: int = 200, **context: Any) -> ResponseReturnValue:
    """Render the settings page with the stored values merged under the form's context."""
    settings = stored_settings()
    form = context.pop("form", None) or {}
    merged = {**settings, **{k: v for k, v in form.items() if k != "plex_token"}}
    if "refresh_after_import" in form:
        merged["refresh_after_import"] = form["refresh_after_import"]
    body = render_template(
        "plexbooks/settings.html",
        values=merged,
        has_token=settings["has_token"],
        has_api_key=settings["has_api_key"],
        errors=context.pop("errors", {}),
        report=context.pop("report", None),
        report_error=context.pop("report_error", None),
        new_api_key=context.pop("new_api_key", None),
        sign_in_url=url_for("plexbooks.login_settings_token"),
        signin_servers=signin_servers(),
        machine_identifier=get_core().get_setting("plex_machine_identifier"),
        path_warning=path_warning(get_core()),
        **context,
    )
    return body, status


def _pick_server() -> ResponseReturnValue:
    """Store the server the admin picked from their "Sign in with Plex" list."""
    client_identifier = request.form.get("client_identifier", "")
    uri = request.form.get("uri") or None
    try:
        picked = pick_server_from_signin(client_identifier, uri)
    except PlexbooksError as err:
        flash(f"That server could not be used: {err}", "bad")
        return redirect(url_for("plexbooks.settings"))
    if picked.changed_server:
        # Section ids belong to one server: the old choice would point at an unrelated library.
        get_core().set_setting(SettingKey.LIBRARY_IDS, None)
        flash(f"Connected to {picked.name} at {picked.url}. Pick its audiobook library below.", "ok")
    else:
        flash(f"Connected to {picked.name} at {picked.url}.", "ok")
    return redirect(url_for("plexbooks.settings"))


@bp.get("/settings")
@admin_required
def settings() -> ResponseReturnValue:
    """Show the settings form."""
    return _render()


@bp.post("/settings")
@admin_required
def settings_post() -> ResponseReturnValue:
    """Save the form, test the connection, or generate the host API key."""
    action = request.form.get("action", "save")
    form = {key: request.form.get(key, "") for key in FORM_KEYS}
    # One checkbox per library; the hidden field (no list loaded) sends them comma-separated.
    chosen = request.form.getlist("library_ids") or request.form.getlist("library_id")  # the one-library alias
    form["library_ids"] = ",".join(v.strip() for v in chosen if v.strip())
    form["refresh_after_import"] = "true" if request.form.get("refresh_after_import") else "false"

    if action == "generate_key":
        key = secrets.token_urlsafe(32)
        get_core().set_setting("api_key", key)
        log.info("the host API key was rotated")
        # Rendered directly (no redirect) so the key is shown exactly once and never stored in the session.
        return _render(new_api_key=key)

    if action == "pick_server":
        return _pick_server()

    if action == "test":
        try:
            report = connection_report(form["plex_url"].strip() or None, form["plex_token"].strip() or None)
        except PlexbooksError as err:
            return _render(form=form, report_error=settings_page_problem(err))
        return _render(form=form, report=report)

    return _save(form)


def _save(form: dict[str, str]) -> ResponseReturnValue:
    """Store the form; a server URL or token that fails the connection check replaces nothing unless confirmed."""
    values, errors = _validate_form(form, stored_settings()["has_token"])
    if errors:
        return _render(400, form=form, errors=errors)
    core = get_core()
    before = stored_settings()
    changed_server = values.get("plex_url") != before.get("plex_url") or "plex_token" in values
    changed_library = values.get(SettingKey.LIBRARY_IDS) != before.get(SettingKey.LIBRARY_IDS)
    if values.get(SettingKey.LIBRARY_IDS) and (changed_server or changed_library):
        wrong = _check_libraries(values)
        if wrong:
            return _render(400, form=form, errors={SettingKey.LIBRARY_IDS: wrong})
    identifier, problem = None, None
    if changed_server or not core.get_setting("plex_machine_identifier"):
        identifier, problem = _check_connection(values.get("plex_url"), values.get("plex_token"))
        if problem and changed_server and not request.form.get("save_anyway"):
            message = (f"Plex could not be reached with these settings, so nothing was saved: {problem} "
                       "Check the URL and token, or tick \u201cSave anyway\u201d and save again.")
            return _render(400, form=form, report_error=message, offer_save_anyway=True)
    with core.session() as session:
        for key, value in values.items():
            repo.set_setting(session, key, value, core.box)
        if identifier:
            repo.set_setting(session, "plex_machine_identifier", identifier)
    if problem:
        flash(f"Settings saved, but Plex could not be reached to confirm them: {problem}", "warn")
    else:
        flash("Settings saved.", "ok")
    if (changed_server or changed_library) and values.get(SettingKey.LIBRARY_IDS):
        _start_full_scan()
    return redirect(url_for("plexbooks.settings"))


@bp.post("/api/test-connection")
@admin_required
def api_test_connection() -> ResponseReturnValue:
    """Test a server URL and token (or the stored ones) and list its music libraries."""
    data = json_object()
    url = string_field(data, "url", max_length=2048)
    token = string_field(data, "token", max_length=512)
    try:
        url = setting_specs.validate("plex_url", url) if url else None
    except ConfigError as err:
        abort_json(400, "invalid_settings", field_message(err), field="url")
    if url and not token and not same_server(url, get_core().get_setting(SettingKey.PLEX_URL)):
        abort_json(409, "token_required", "Send the token for that server: the stored token goes only to the "
                   "stored server URL.", field="token")
    # Nothing stored to fall back on is 409 not_configured (the blueprint's PlexbooksError answer).
    try:
        report = connection_report(url, token)
    except PlexAuthError as err:  # the Settings page shows this message: its advice fits that page
        abort_json(502, "plex_unauthorized", settings_page_problem(err))
    return jsonify({"ok": True, **report})
