"""The emulator's stand-in for app.plex.tv's sign-in page: pick an account, approve the PIN."""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from .state import ServerState

_HTML = "text/html; charset=utf-8"


def auth_page(state: ServerState, request: Request) -> Response:
    """GET /auth: one button per account (the real app reads code/forwardUrl from the fragment)."""
    code = request.args.get("code", "")
    forward = request.args.get("forwardUrl", "")
    users = [u for u in state.accounts.users.values() if not u.managed]  # profiles have no plex.tv login
    buttons = "\n".join(
        f'<button type="submit" name="user" value="{html.escape(u.username)}">'
        f"{html.escape(u.username)}"
        f" ({'owner' if u.owner else 'shared user' if u.has_access else 'no access to this server'})"
        "</button>"
        for u in users
    )
    page = _AUTH_PAGE.format(
        server=html.escape(state.server_name),
        code=html.escape(code),
        forward=html.escape(forward),
        buttons=buttons,
    )
    return Response(page, content_type=_HTML)


def auth_approve(state: ServerState, request: Request) -> Response:
    """POST /auth/approve: sign the chosen account in on the PIN, then go to forwardUrl."""
    code = request.form.get("code", "")
    user = state.accounts.user_by_name(request.form.get("user", ""))
    pin = state.accounts.pin_by_code(code) if code else None
    if pin is None or user is None:
        body = "<html><body><h1>This sign-in code expired or is unknown.</h1></body></html>"
        return Response(body, status=404, content_type=_HTML)
    state.accounts.approve(pin.id, user)
    forward = request.form.get("forwardUrl", "")
    if urlsplit(forward).scheme in ("http", "https"):
        return Response("", status=303, headers={"Location": forward})
    body = f"<html><body><h1>Signed in as {html.escape(user.username)}. You can close this page.</h1></body></html>"
    return Response(body, content_type=_HTML)


_AUTH_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to Fake Plex</title>
<style>
 body {{ font-family: system-ui, sans-serif; background: #1f1f1f; color: #eee; display: grid;
        place-items: center; min-height: 100vh; margin: 0; }}
 main {{ background: #2b2b2b; padding: 2rem 2.5rem; border-radius: 8px; max-width: 28rem; }}
 h1 {{ color: #e5a00d; font-size: 1.4rem; }}
 button {{ display: block; width: 100%; margin: .5rem 0; padding: .7rem; border: 0; border-radius: 4px;
          background: #e5a00d; color: #1f1f1f; font-weight: 600; cursor: pointer; }}
 code {{ color: #e5a00d; }}
</style></head>
<body><main>
<h1>Sign in to Fake Plex as:</h1>
<p>This is the emulator's stand-in for app.plex.tv. Server: <strong>{server}</strong>.
 Sign-in code <code id="code-label">{code}</code>.</p>
<form method="post" action="auth/approve" id="approve">
<input type="hidden" name="code" id="code" value="{code}">
<input type="hidden" name="forwardUrl" id="forwardUrl" value="{forward}">
{buttons}
</form>
</main>
<script>
 // The real Plex app reads its parameters from the fragment: #?clientID=..&code=..&forwardUrl=..
 (function () {{
   var hash = window.location.hash.replace(/^#\\??/, "");
   if (!hash) return;
   var params = new URLSearchParams(hash);
   if (params.get("code")) {{
     document.getElementById("code").value = params.get("code");
     document.getElementById("code-label").textContent = params.get("code");
   }}
   if (params.get("forwardUrl")) document.getElementById("forwardUrl").value = params.get("forwardUrl");
 }})();
</script>
</body></html>
"""
