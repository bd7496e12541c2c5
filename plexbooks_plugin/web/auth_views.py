"""Sign-in routes: /login, /login/callback, /login/status, /logout, /login/settings-token.

The flow itself lives in ``plexbooks_plugin.auth.signin``; these routes only translate it into
redirects, pages and JSON.
"""

from __future__ import annotations

from flask import jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import security
from ..auth import home, problems, signin
from ..auth.problems import SigninPending, SigninProblem
from ..state import get_core
from .blueprint import bp


def _problem_answer(problem: SigninProblem) -> ResponseReturnValue:
    if security.wants_json():
        return security.json_error(problem.status, problem.code, problem.message)
    retry_url = url_for("plexbooks.login") if problem.retry else None
    return security.error_page(problem.status, problem.title, problem.message, retry_url=retry_url)


def _start(purpose: str, next_url: str | None) -> ResponseReturnValue:
    try:
        auth_url, pin_id = signin.start_signin(purpose, next_url)
    except SigninProblem as problem:
        return _problem_answer(problem)
    if security.wants_json():
        # For a popup flow: the page opens auth_url itself and polls status_url.
        return jsonify({
            "auth_url": auth_url,
            "pin_id": pin_id,
            "status_url": url_for("plexbooks.login_status"),
            "callback_url": url_for("plexbooks.login_callback", pin=pin_id),
        })
    return redirect(auth_url)


@bp.get("/login")
@security.rate_limited
def login() -> ResponseReturnValue:
    """Start the Plex PIN sign-in and send the browser to the Plex auth page."""
    next_url = security.safe_next(request.args.get("next"), "") or None
    if security.current_plexbooks_user_id() is not None:
        return redirect(next_url or signin.default_after_login())
    return _start(signin.PURPOSE_LOGIN, next_url)


@bp.get("/login/callback")
@security.rate_limited
def login_callback() -> ResponseReturnValue:
    """Finish the sign-in of the PIN bound to this browser."""
    pin = request.args.get("pin")
    try:
        result = signin.complete_signin(pin)
    except SigninPending:
        if security.wants_json():
            return jsonify({"status": "pending"}), 202
        body = render_template(
            "plexbooks/login_pending.html",
            callback_url=url_for("plexbooks.login_callback", pin=pin),
            status_url=url_for("plexbooks.login_status"),
            retry_url=url_for("plexbooks.login"),
        )
        return body, 202
    except SigninProblem as problem:
        return _problem_answer(problem)
    if security.wants_json():
        status = "pick_profile" if result.pick_profile else "signed_in"
        return jsonify({"status": status, "role": result.role, "next": result.redirect_to})
    return redirect(result.redirect_to)


@bp.get("/login/status")
@security.status_rate_limited
def login_status() -> ResponseReturnValue:
    """Say whether this browser's PIN is pending, approved or expired (for the popup flow's polling)."""
    try:
        status = signin.signin_status()
    except SigninProblem as problem:
        return security.json_error(problem.status, problem.code, problem.message)
    body: dict[str, object] = {"status": status}
    pin_id = signin.pending_pin_id()
    if status == "approved" and pin_id:
        body["callback_url"] = url_for("plexbooks.login_callback", pin=pin_id)
    return jsonify(body)


@bp.get("/login/settings-token")
@security.rate_limited
def login_settings_token() -> ResponseReturnValue:
    """Sign in with Plex to list the account's servers for the settings page (admin, or first run)."""
    if not signin.signed_in_admin() and not signin.first_run_open(get_core()):
        if security.current_role() is None:
            return redirect(url_for("plexbooks.login", next=security.current_local_url()))
        return security.error_response(
            403, "forbidden", "Admins only", "Only the Plex server owner can change the Plex server."
        )
    return _start(signin.PURPOSE_SETTINGS, None)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out of plexbooks (POST only, CSRF-checked); the host's own login is left alone."""
    signin.forget_signin()
    if security.wants_json():
        return jsonify({"status": "signed_out"})
    next_url = request.form.get("next") or request.args.get("next")
    return redirect(security.safe_next(next_url, signin.default_after_login()))


@bp.get("/login/profile")
def login_profile() -> ResponseReturnValue:
    """"Who is this?": the profiles of the Plex Home that just signed in."""
    return _profile_page()


@bp.post("/login/profile")
@security.rate_limited
def login_profile_post() -> ResponseReturnValue:
    """Switch to the picked Home profile (with its PIN when protected) and sign it in."""
    uuid = (request.form.get("uuid") or "").strip()[:64]
    try:
        result = home.choose_profile(uuid, (request.form.get("pin") or "")[:16])
    except home.ProfilePinProblem as problem:
        return _profile_page(problem.message, problem.uuid, status=401)
    except SigninProblem as problem:
        return _problem_answer(problem)
    if security.wants_json():
        return jsonify({"status": "signed_in", "role": result.role, "next": result.redirect_to})
    return redirect(result.redirect_to)


def _profile_page(error: str | None = None, uuid: str | None = None, status: int = 200) -> ResponseReturnValue:
    profiles = home.home_profiles()
    if profiles is None:
        return _problem_answer(problems.no_signin())
    if security.wants_json():
        if error:
            return security.json_error(status, "profile_pin", error)
        return jsonify({"profiles": profiles})
    return render_template("plexbooks/login_profile.html", profiles=profiles, error=error, error_uuid=uuid), status
