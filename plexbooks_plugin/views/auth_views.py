"""Sign-in routes of the plexbooks blueprint: /login, /login/callback, /login/status, /logout, /login/settings-token.

The flow itself lives in ``plexbooks_plugin.auth``; these routes only translate it into redirects,
pages and JSON.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import logout_user
from flask_wtf.csrf import CSRFProtect

from .. import auth, security


def _problem_answer(problem: auth.SigninProblem) -> ResponseReturnValue:
    if security.wants_json():
        return security.json_error(problem.status, problem.code, problem.message)
    retry_url = url_for("plexbooks.login") if problem.retry else None
    return security.error_page(problem.status, problem.title, problem.message, retry_url=retry_url)


def _start(purpose: str, next_url: str | None) -> ResponseReturnValue:
    try:
        auth_url, pin_id = auth.start_signin(purpose, next_url)
    except auth.SigninProblem as problem:
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


def _exempt_from_host_csrf(bp: Blueprint, state: BlueprintSetupState) -> None:
    """A host with its own global CSRFProtect must not check plexbooks' routes: plexbooks checks them itself."""
    csrf = state.app.extensions.get("csrf")
    if isinstance(csrf, CSRFProtect):
        csrf.exempt(bp)


def register_auth_routes(bp: Blueprint) -> None:
    """Add the sign-in routes to the plexbooks blueprint (call once, right after creating it)."""
    bp.record_once(lambda state: _exempt_from_host_csrf(bp, state))

    @bp.get("/login")
    @security.rate_limited
    def login() -> ResponseReturnValue:
        """Start the Plex PIN sign-in and send the browser to the Plex auth page."""
        next_url = security.safe_next(request.args.get("next"), "") or None
        if security.current_plexbooks_user_id() is not None:
            return redirect(next_url or auth.default_after_login())
        return _start(auth.PURPOSE_LOGIN, next_url)

    @bp.get("/login/callback")
    @security.rate_limited
    def login_callback() -> ResponseReturnValue:
        """Finish the sign-in of the PIN bound to this browser."""
        pin = request.args.get("pin")
        try:
            result = auth.complete_signin(pin)
        except auth.SigninPending:
            if security.wants_json():
                return jsonify({"status": "pending"}), 202
            body = render_template(
                "plexbooks/login_pending.html",
                callback_url=url_for("plexbooks.login_callback", pin=pin),
                status_url=url_for("plexbooks.login_status"),
                retry_url=url_for("plexbooks.login"),
            )
            return body, 202
        except auth.SigninProblem as problem:
            return _problem_answer(problem)
        if security.wants_json():
            return jsonify({"status": "signed_in", "role": result.role, "next": result.redirect_to})
        return redirect(result.redirect_to)

    @bp.get("/login/status")
    def login_status() -> ResponseReturnValue:
        """Say whether this browser's PIN is pending, approved or expired (for the popup flow's polling)."""
        try:
            status = auth.signin_status()
        except auth.SigninProblem as problem:
            return security.json_error(problem.status, problem.code, problem.message)
        body: dict[str, object] = {"status": status}
        pin_id = auth.pending_pin_id()
        if status == "approved" and pin_id:
            body["callback_url"] = url_for("plexbooks.login_callback", pin=pin_id)
        return jsonify(body)

    @bp.get("/login/settings-token")
    @security.rate_limited
    def login_settings_token() -> ResponseReturnValue:
        """Sign in with Plex to list the account's servers for the settings page (admin, or first run)."""
        signed_in_admin = (
            security.current_plexbooks_user_id() is not None and security.current_role() == security.ROLE_ADMIN
        )
        if not signed_in_admin and not auth.first_run_open(auth.auth_state().core):
            if security.current_role() is None:
                return redirect(url_for("plexbooks.login", next=security.current_local_url()))
            return security.error_response(
                403, "forbidden", "Admins only", "Only the Plex server owner can change the Plex server."
            )
        return _start(auth.PURPOSE_SETTINGS, None)

    @bp.post("/logout")
    def logout() -> ResponseReturnValue:
        """Sign out (POST only, CSRF-checked, so another site cannot sign a visitor out)."""
        auth.forget_signin()
        logout_user()
        if security.wants_json():
            return jsonify({"status": "signed_out"})
        next_url = request.form.get("next") or request.args.get("next")
        return redirect(security.safe_next(next_url, auth.default_after_login()))
