"""The Plex PIN sign-in and the guards, driven end to end against the emulator's plex.tv and Media Server."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask import Blueprint, Flask, jsonify, render_template_string, request
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from plexbooks_plugin.auth import servers as auth_servers
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.security import admin_required, current_role, user_required
from plexbooks_plugin.state import get_core

from .conftest import make_app
from .fakeplex_fixtures import module_fake_plex
from .plex_conftest_helpers import closed_port_url

API_KEY = "host-api-key-0123456789"


# One emulator (plex.tv and the Media Server on one loopback port) for the module.
fake = module_fake_plex(items=12, seed=5)


# Tiny guarded routes, so the guards are tested apart from the real views. Mounted on each test app
# nested under the plexbooks blueprint (name "plexbooks._test"), so they get its hooks and CSRF.
test_routes = Blueprint("_test", __name__)


def mount_test_routes(app: Flask) -> None:
    """Mount the test routes under the plugin's prefix, as a child of the plexbooks blueprint."""
    app.register_blueprint(test_routes, url_prefix="/plexbooks", name_prefix="plexbooks")


def _add_test_routes(bp: Blueprint) -> None:
    """Define the test routes on `bp`."""

    @bp.get("/_test/whoami")
    def whoami() -> Any:
        return jsonify({"role": current_role()})

    @bp.get("/_test/admin")
    @admin_required
    def admin_page() -> Any:
        return "admin page"

    @bp.get("/_test/user")
    @user_required
    def user_page() -> Any:
        return "user page"

    @bp.route("/_test/form", methods=["GET", "POST"])
    @user_required
    def form() -> Any:
        return render_template_string("{{ csrf_token() }}")

    @bp.get("/api/_test/admin")
    @admin_required
    def admin_api() -> Any:
        return jsonify({"ok": True})

    @bp.post("/api/_test/admin")
    @admin_required
    def admin_api_post() -> Any:
        return jsonify({"ok": True, "role": current_role()})

    @bp.post("/api/_test/pick")
    @admin_required
    def pick() -> Any:
        picked = auth_servers.pick_server_from_signin(str(request.get_json()["client_identifier"]))
        return jsonify({"url": picked.url, "name": picked.name, "changed": picked.changed_server})

    @bp.get("/api/_test/servers")
    @admin_required
    def servers() -> Any:
        return jsonify(auth_servers.signin_servers())


_add_test_routes(test_routes)

AppFactory = Callable[..., Flask]


@pytest.fixture
def app_factory(
    database_url: str, tmp_path: Path, fake: FakePlex
) -> AppFactory:
    """Build a host app with plexbooks pointed at the emulator (configured unless told otherwise)."""

    def build(configured: bool = True, plex_url: str | None = None, **config: Any) -> Flask:
        settings = {
            "PLEXBOOKS_PLEX_TV_URL": fake.url,
            "PLEXBOOKS_PLEX_APP_URL": fake.url,
            "PLEXBOOKS_PIN_POLL_SECONDS": 0.3,
            "PLEXBOOKS_PIN_POLL_INTERVAL": 0.05,
            "PLEXBOOKS_SCHEDULER": False,
            # Tests sign in many times from one address; the limit itself is tested on its own.
            "PLEXBOOKS_LOGIN_RATE_LIMIT": "1000/minute",
            **config,
        }
        app = make_app(database_url, tmp_path / "instance", **settings)
        mount_test_routes(app)
        if configured:
            core = get_core(app)
            core.set_setting("plex_url", plex_url or fake.url)
            core.set_setting("plex_token", fake.token)
        return app  # type: ignore[no-any-return]

    return build


@pytest.fixture
def app(app_factory: AppFactory) -> Flask:
    """A configured app."""
    return app_factory()


def pin_from_redirect(response: TestResponse) -> str:
    """Read the pin id from the forwardUrl inside the Plex auth URL the browser was sent to."""
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    fragment = urlsplit(location).fragment.lstrip("?")
    forward = parse_qs(fragment)["forwardUrl"][0]
    assert urlsplit(forward).path.endswith("/plexbooks/login/callback")
    return parse_qs(urlsplit(forward).query)["pin"][0]


def start(client: FlaskClient, next_url: str | None = None, path: str = "/plexbooks/login") -> str:
    """Start a sign-in; return the pin id."""
    url = path + (f"?next={quote(next_url, safe='')}" if next_url is not None else "")
    return pin_from_redirect(client.get(url))


def sign_in(client: FlaskClient, fake: FakePlex, user: Any, next_url: str | None = None) -> TestResponse:
    """Run the whole no-JS flow for `user`; return the callback's answer."""
    pin = start(client, next_url)
    fake.approve_pin(int(pin), user)
    return client.get(f"/plexbooks/login/callback?pin={pin}")


def role_of(client: FlaskClient) -> str | None:
    return client.get("/plexbooks/_test/whoami").get_json()["role"]  # type: ignore[no-any-return]


def csrf_of(client: FlaskClient) -> str:
    return client.get("/plexbooks/_test/form").get_data(as_text=True).strip()


def local(location: str) -> str:
    """The path of a redirect target, asserting it stays on this site."""
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost"), location
    return parts.path + (f"?{parts.query}" if parts.query else "")


# ---------------------------------------------------------------- roles


def test_owner_signs_in_as_admin_and_lands_on_next(app: Flask, fake: FakePlex) -> None:
    client = app.test_client()
    answer = sign_in(client, fake, fake.owner, next_url="/plexbooks/library?q=x")
    assert answer.status_code == 302
    assert local(answer.headers["Location"]) == "/plexbooks/library?q=x"
    assert role_of(client) == "admin"
    assert client.get("/plexbooks/_test/admin").status_code == 200
    core = get_core(app)
    assert core.get_setting("plex_machine_identifier") == fake.machine_identifier
    from plexbooks_plugin import store as repo

    with core.session() as db:
        row = repo.get_user_by_plex_id(db, fake.owner.id)
        assert row is not None and row.role == "admin" and row.username == fake.owner.username
        assert row.last_login_at is not None


def test_shared_user_signs_in_as_user(app: Flask, fake: FakePlex) -> None:
    client = app.test_client()
    answer = sign_in(client, fake, fake.shared_user)
    assert answer.status_code == 302 and local(answer.headers["Location"]) == "/"
    assert role_of(client) == "user"
    assert client.get("/plexbooks/_test/user").status_code == 200


def test_account_without_this_server_is_refused_naming_it(app: Flask, fake: FakePlex) -> None:
    client = app.test_client()
    answer = sign_in(client, fake, fake.stranger)
    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert "no access" in page.lower() and fake.stranger.username in page
    server_name = get_core(app).plex_client().identity().name or "127.0.0.1"
    assert server_name in page
    assert role_of(client) is None


def test_role_follows_the_current_access_at_each_sign_in(app: Flask, fake: FakePlex) -> None:
    newcomer = fake.add_user("newcomer", has_access=True)
    client = app.test_client()
    assert sign_in(client, fake, newcomer).status_code == 302
    assert role_of(client) == "user"
    newcomer.has_access = False
    other = app.test_client()
    assert sign_in(other, fake, newcomer).status_code == 403


# ---------------------------------------------------------------- failures get distinct answers


def test_plextv_down_is_503_not_no_access(app_factory: AppFactory) -> None:
    app = app_factory(PLEXBOOKS_PLEX_TV_URL=closed_port_url())
    answer = app.test_client().get("/plexbooks/login")
    assert answer.status_code == 503
    page = answer.get_data(as_text=True)
    assert "plex.tv" in page and "try again" in page.lower() and "no access" not in page.lower()
    json_answer = app.test_client().get("/plexbooks/login", headers={"Accept": "application/json"})
    assert json_answer.status_code == 503 and json_answer.get_json()["error"] == "plextv_unavailable"


def test_plextv_going_down_during_the_callback_is_503(app: Flask, fake: FakePlex) -> None:
    client = app.test_client()
    pin = start(client)
    fake.approve_pin(int(pin), fake.owner)
    get_core(app).plex_tv_url = closed_port_url()
    answer = client.get(f"/plexbooks/login/callback?pin={pin}")
    assert answer.status_code == 503
    assert "plex.tv" in answer.get_data(as_text=True)
    assert role_of(client) is None


def test_server_down_is_503_naming_the_server(app_factory: AppFactory, fake: FakePlex) -> None:
    down = closed_port_url()
    app = app_factory(plex_url=down)
    client = app.test_client()
    answer = sign_in(client, fake, fake.owner)
    assert answer.status_code == 503
    page = answer.get_data(as_text=True)
    assert "server" in page.lower() and "127.0.0.1" in page and "no access" not in page.lower()
    assert role_of(client) is None


def test_forged_pin_id_is_refused(app: Flask, fake: FakePlex) -> None:
    victim, attacker = app.test_client(), app.test_client()
    victim_pin = start(victim)
    attacker_pin = start(attacker)
    fake.approve_pin(int(victim_pin), fake.owner)
    # The attacker replays the victim's pin id in their own browser: not theirs, refused.
    answer = attacker.get(f"/plexbooks/login/callback?pin={victim_pin}")
    assert answer.status_code == 403
    assert "another browser" in answer.get_data(as_text=True)
    assert role_of(attacker) is None
    # A browser with no sign-in at all is refused too.
    assert app.test_client().get(f"/plexbooks/login/callback?pin={victim_pin}").status_code == 400
    # The victim's own flow still completes, and the attacker's pin stays theirs.
    assert victim.get(f"/plexbooks/login/callback?pin={victim_pin}").status_code == 302
    assert role_of(victim) == "admin"
    assert attacker_pin != victim_pin


def test_expired_pin_offers_try_again(app: Flask, fake: FakePlex) -> None:
    client = app.test_client()
    pin = start(client)
    fake.expire_pin(int(pin))
    assert client.get("/plexbooks/login/status").get_json() == {"status": "expired"}
    answer = client.get(f"/plexbooks/login/callback?pin={pin}")
    assert answer.status_code == 410
    page = answer.get_data(as_text=True)
    assert "Try again" in page and 'href="/plexbooks/login"' in page
    # The pin is forgotten: the same link does not work twice.
    assert client.get(f"/plexbooks/login/callback?pin={pin}").status_code == 400


def test_pending_pin_waits_then_completes(app: Flask, fake: FakePlex) -> None:
    client = app.test_client()
    pin = start(client)
    assert client.get("/plexbooks/login/status").get_json() == {"status": "pending"}
    waiting = client.get(f"/plexbooks/login/callback?pin={pin}")
    assert waiting.status_code == 202
    assert "Check again" in waiting.get_data(as_text=True)
    fake.approve_pin(int(pin), fake.shared_user)
    status = client.get("/plexbooks/login/status").get_json()
    assert status["status"] == "approved" and status["callback_url"].endswith(f"pin={pin}")
    assert client.get(f"/plexbooks/login/callback?pin={pin}").status_code == 302
    assert role_of(client) == "user"
    assert client.get("/plexbooks/login/status").get_json() == {"status": "none"}


def test_login_json_start_for_a_popup(app: Flask) -> None:
    answer = app.test_client().get("/plexbooks/login", headers={"Accept": "application/json"})
    body = answer.get_json()
    assert answer.status_code == 200
    assert body["auth_url"].split("#")[0].endswith("/auth")
    assert body["status_url"] == "/plexbooks/login/status"
    assert body["callback_url"] == f"/plexbooks/login/callback?pin={body['pin_id']}"


@pytest.mark.parametrize(
    "evil", ["https://evil.example/x", "//evil.example/x", "\\\\evil.example", "/\\evil.example", "http:/evil"]
)
def test_open_redirects_are_ignored(app: Flask, fake: FakePlex, evil: str) -> None:
    answer = sign_in(app.test_client(), fake, fake.shared_user, next_url=evil)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"


def test_signed_in_visit_to_login_goes_to_next_without_a_new_pin(app: Flask, fake: FakePlex) -> None:
    client = app.test_client()
    sign_in(client, fake, fake.shared_user)
    again = client.get("/plexbooks/login?next=/plexbooks/_test/user")
    assert again.status_code == 302 and local(again.headers["Location"]) == "/plexbooks/_test/user"
    evil = client.get("/plexbooks/login?next=//evil")
    assert local(evil.headers["Location"]) == "/"


# ---------------------------------------------------------------- first run


def test_first_run_admin_only_while_unconfigured(app_factory: AppFactory, fake: FakePlex) -> None:
    app = app_factory(configured=False)
    first = app.test_client()
    answer = sign_in(first, fake, fake.shared_user, next_url="/plexbooks/library")
    assert answer.status_code == 302
    assert local(answer.headers["Location"]) == "/plexbooks/settings"  # sent to settings, not next
    assert role_of(first) == "admin"
    core = get_core(app)
    assert core.get_setting("plex_token") is None  # nothing secret stored automatically
    servers = first.get("/plexbooks/api/_test/servers").get_json()
    # Only servers are offered (the account's player is not), whether owned or shared with it.
    assert fake.machine_identifier in [s["client_identifier"] for s in servers]
    assert all(s["name"] != "Living Room TV" for s in servers)

    # A second account while still unconfigured does not become admin.
    second = app.test_client()
    refused = sign_in(second, fake, fake.owner)
    assert refused.status_code == 503 and "not set up" in refused.get_data(as_text=True)
    assert role_of(second) is None
    # The first-run admin may sign in again while unconfigured.
    assert sign_in(app.test_client(), fake, fake.shared_user).status_code == 302

    # Once a server is configured, first run is over: roles come from the server again.
    core.set_setting("plex_url", fake.url)
    core.set_setting("plex_token", fake.token)
    again = app.test_client()
    assert sign_in(again, fake, fake.shared_user).status_code == 302
    assert role_of(again) == "user"
    owner = app.test_client()
    assert sign_in(owner, fake, fake.owner).status_code == 302 and role_of(owner) == "admin"
    assert sign_in(app.test_client(), fake, fake.stranger).status_code == 403


# ---------------------------------------------------------------- settings-token flow


def test_settings_token_lists_servers_and_pick_stores_the_token(app_factory: AppFactory, fake: FakePlex) -> None:
    app = app_factory(configured=False)
    client = app.test_client()
    pin = start(client, path="/plexbooks/login/settings-token")
    fake.approve_pin(int(pin), fake.owner)
    answer = client.get(f"/plexbooks/login/callback?pin={pin}")
    assert answer.status_code == 302 and local(answer.headers["Location"]) == "/plexbooks/settings"
    assert role_of(client) == "admin"
    servers = client.get("/plexbooks/api/_test/servers").get_json()
    assert servers and servers[0]["client_identifier"] == fake.machine_identifier and servers[0]["owned"]
    kinds = [c["kind"] for c in servers[0]["connections"]]
    assert kinds == sorted(kinds, key=["local", "remote", "relay"].index)

    picked = client.post(
        "/plexbooks/api/_test/pick", json={"client_identifier": fake.machine_identifier},
        headers={"X-CSRFToken": csrf_of(client)},
    )
    assert picked.status_code == 200, picked.get_data(as_text=True)
    core = get_core(app)
    assert core.get_setting("plex_url") == picked.get_json()["url"]
    assert core.get_setting("plex_token") == fake.owner.server_token
    assert core.get_setting("plex_machine_identifier") == fake.machine_identifier
    assert core.plex_client().identity().machine_identifier == fake.machine_identifier

    # Now configured: a plain user may not fetch server tokens.
    user = app.test_client()
    sign_in(user, fake, fake.shared_user)
    assert user.get("/plexbooks/login/settings-token").status_code == 403
    # Anonymous visitors are sent to sign in first.
    anonymous = app.test_client().get("/plexbooks/login/settings-token")
    assert anonymous.status_code == 302 and "/plexbooks/login?next=" in anonymous.headers["Location"]


def test_admin_settings_token_keeps_the_signed_in_account(app: Flask, fake: FakePlex) -> None:
    client = app.test_client()
    sign_in(client, fake, fake.owner)
    pin = start(client, path="/plexbooks/login/settings-token")
    fake.approve_pin(int(pin), fake.shared_user)  # another account's servers
    answer = client.get(f"/plexbooks/login/callback?pin={pin}")
    assert local(answer.headers["Location"]) == "/plexbooks/settings"
    assert role_of(client) == "admin"
    servers = client.get("/plexbooks/api/_test/servers").get_json()
    assert servers and not servers[0]["owned"]


def test_pick_without_a_recent_signin_is_a_clear_error(app: Flask, fake: FakePlex) -> None:
    client = app.test_client()
    sign_in(client, fake, fake.owner)
    with app.test_request_context():
        from flask import session

        session.clear()
        with pytest.raises(Exception, match="sign in with Plex again"):
            auth_servers.pick_server_from_signin(fake.machine_identifier)


# ---------------------------------------------------------------- guards


def test_anonymous_json_is_401_and_pages_redirect_to_login(app: Flask) -> None:
    client = app.test_client()
    api = client.get("/plexbooks/api/_test/admin")
    assert api.status_code == 401 and api.get_json()["error"] == "unauthorized" and api.get_json()["message"]
    accept_json = client.get("/plexbooks/_test/user", headers={"Accept": "application/json"})
    assert accept_json.status_code == 401
    page = client.get("/plexbooks/_test/user?x=1")
    assert page.status_code == 302
    target = urlsplit(page.headers["Location"])
    assert target.path == "/plexbooks/login" and parse_qs(target.query)["next"] == ["/plexbooks/_test/user?x=1"]
    # Anonymous POST to the API is told to authenticate, not about CSRF.
    post = client.post("/plexbooks/api/_test/admin", json={})
    assert post.status_code == 401 and post.get_json()["error"] == "unauthorized"


def test_user_on_admin_endpoints_is_403(app: Flask, fake: FakePlex) -> None:
    client = app.test_client()
    sign_in(client, fake, fake.shared_user)
    page = client.get("/plexbooks/_test/admin")
    assert page.status_code == 403 and "text/html" in page.content_type
    api = client.get("/plexbooks/api/_test/admin")
    assert api.status_code == 403 and api.get_json()["error"] == "forbidden"
    post = client.post("/plexbooks/api/_test/admin", json={}, headers={"X-CSRFToken": csrf_of(client)})
    assert post.status_code == 403


def test_post_without_csrf_token_is_400(app: Flask, fake: FakePlex) -> None:
    client = app.test_client()
    sign_in(client, fake, fake.owner)
    api = client.post("/plexbooks/api/_test/admin", json={})
    assert api.status_code == 400 and api.get_json()["error"] == "csrf_failed"
    wrong = client.post("/plexbooks/api/_test/admin", json={}, headers={"X-CSRFToken": "nope"})
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "csrf_failed"
    form = client.post("/plexbooks/_test/form", data={})
    assert form.status_code == 400 and "text/html" in form.content_type
    token = csrf_of(client)
    assert client.post("/plexbooks/api/_test/admin", json={}, headers={"X-CSRFToken": token}).status_code == 200
    assert client.post("/plexbooks/_test/form", data={"csrf_token": token}).status_code == 200


def test_api_key_acts_as_admin_without_csrf_and_wrong_key_does_not(app: Flask) -> None:
    get_core(app).set_setting("api_key", API_KEY)
    client = app.test_client()
    ok = client.post("/plexbooks/api/_test/admin", json={}, headers={"X-Plexbooks-Key": API_KEY})
    assert ok.status_code == 200 and ok.get_json() == {"ok": True, "role": "admin"}
    assert client.get("/plexbooks/api/_test/admin", headers={"X-Plexbooks-Key": API_KEY}).status_code == 200
    for wrong in (API_KEY + "x", API_KEY[:-1], "", "host-api-key"):
        answer = client.post("/plexbooks/api/_test/admin", json={}, headers={"X-Plexbooks-Key": wrong})
        assert answer.status_code == 401 and answer.get_json()["error"] == "unauthorized", wrong
        assert client.get("/plexbooks/api/_test/admin", headers={"X-Plexbooks-Key": wrong}).status_code == 401


def test_api_key_is_refused_when_none_is_configured(app: Flask) -> None:
    answer = app.test_client().post("/plexbooks/api/_test/admin", json={}, headers={"X-Plexbooks-Key": "guess"})
    assert answer.status_code == 401


def test_logout_is_post_only_and_csrf_checked(app: Flask, fake: FakePlex) -> None:
    client = app.test_client()
    sign_in(client, fake, fake.shared_user)
    assert client.get("/plexbooks/logout").status_code == 405
    assert client.post("/plexbooks/logout").status_code == 400  # no CSRF token: a foreign page cannot sign you out
    assert role_of(client) == "user"
    answer = client.post("/plexbooks/logout", data={"csrf_token": csrf_of(client), "next": "//evil"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert role_of(client) is None
    assert client.get("/plexbooks/_test/user").status_code == 302


def test_default_rate_limit_is_ten_a_minute(database_url: str, tmp_path: Path, fake: FakePlex) -> None:
    app = make_app(database_url, tmp_path, PLEXBOOKS_PLEX_TV_URL=fake.url, PLEXBOOKS_PLEX_APP_URL=fake.url)
    client = app.test_client()
    assert [client.get("/plexbooks/login").status_code for _ in range(11)] == [302] * 10 + [429]


def test_sign_in_attempts_are_rate_limited(app_factory: AppFactory) -> None:
    app = app_factory(PLEXBOOKS_LOGIN_RATE_LIMIT="3/minute")
    client = app.test_client()
    for _ in range(3):
        assert client.get("/plexbooks/login").status_code == 302
    limited = client.get("/plexbooks/login")
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert client.get("/plexbooks/login/callback?pin=1").status_code == 429
    # Another address is not affected; polling the status is not a sign-in attempt.
    other = app.test_client()
    assert other.get("/plexbooks/login", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 302
    assert client.get("/plexbooks/login/status").status_code == 200
    json_limited = client.get("/plexbooks/login", headers={"Accept": "application/json"})
    assert json_limited.status_code == 429 and json_limited.get_json()["error"] == "rate_limited"


def test_health_stays_public(app: Flask) -> None:
    assert app.test_client().get("/plexbooks/health").get_json() == {"status": "ok"}


def test_cookie_flags(app_factory: AppFactory, fake: FakePlex) -> None:
    app = app_factory()
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    client = app.test_client()
    plain = client.get("/plexbooks/login")
    cookie = plain.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = app.test_client().get("/plexbooks/login", base_url="https://books.example")
    assert "Secure" in secure.headers["Set-Cookie"]
    forced = app_factory(PLEXBOOKS_SECURE_COOKIES=True)
    assert forced.config["SESSION_COOKIE_SECURE"] is True
    https_default = app_factory(PREFERRED_URL_SCHEME="https")
    assert https_default.config["SESSION_COOKIE_SECURE"] is True


# ---------------------------------------------------------------- no token anywhere


def _session_contents(app: Flask, client: FlaskClient) -> str:
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    if cookie is None:
        return ""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return json.dumps(serializer.loads(cookie.value))


def test_tokens_never_reach_pages_json_logs_or_the_session(
    app_factory: AppFactory, fake: FakePlex, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = app_factory(configured=False)
    core = get_core(app)
    seen: list[str] = []

    def record(client: FlaskClient, response: TestResponse) -> TestResponse:
        seen.append(response.get_data(as_text=True))
        seen.append(json.dumps(dict(response.headers)))
        seen.append(_session_contents(app, client))
        return response

    def flow(client: FlaskClient, user: Any, path: str = "/plexbooks/login") -> None:
        first = record(client, client.get(path))
        pin = pin_from_redirect(first)
        record(client, client.get("/plexbooks/login/status"))
        record(client, client.get(f"/plexbooks/login/callback?pin={pin}"))  # pending page
        fake.approve_pin(int(pin), user)
        record(client, client.get("/plexbooks/login/status"))
        record(client, client.get(f"/plexbooks/login/callback?pin={pin}"))

    admin = app.test_client()
    flow(admin, fake.owner, "/plexbooks/login/settings-token")  # first run, servers stashed
    record(admin, admin.get("/plexbooks/api/_test/servers"))
    record(admin, admin.post(
        "/plexbooks/api/_test/pick", json={"client_identifier": fake.machine_identifier},
        headers={"X-CSRFToken": csrf_of(admin)},
    ))
    assert core.get_setting("plex_token") == fake.owner.server_token
    for user in (fake.shared_user, fake.stranger):
        flow(app.test_client(), user)
    record(admin, admin.get("/plexbooks/settings"))
    record(admin, admin.get("/plexbooks/_test/admin"))
    core.plex_client().identity()

    accounts = (fake.owner, fake.shared_user, fake.stranger)
    tokens = {fake.token, *(u.token for u in accounts), *(u.server_token for u in accounts),
              *(f"neighbour-{u.id}" for u in accounts)}
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records) + caplog.text
    assert caplog.records, "the run should have logged something"
    for token in tokens:
        assert len(token) >= 10
        for text in seen:
            assert token not in text
        assert token not in logged


# ---------------------------------------------------------------- two logins in one browser


def _host_with_login(database_url: str, tmp_path: Path, fake: FakePlex, *, csrf: str | None = None) -> Flask:
    """A host with its own flask-login manager and loader (ids are plain numbers), mounting plexbooks.

    `csrf` "before" or "after": the host also has flask-wtf's CSRFProtect, set up before or after plexbooks.
    """
    from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
    from flask_wtf.csrf import CSRFProtect

    from plexbooks_plugin import PlexBooks

    class HostUser(UserMixin):
        def __init__(self, uid: str) -> None:
            self.id = uid

        @property
        def plexbooks_role(self) -> str | None:
            """The host maps its user 1 onto a plexbooks admin; everybody else is nobody to plexbooks."""
            return "admin" if self.id == "1" else None

    host = Flask("host", instance_path=str(tmp_path / "host"))
    host.config.update(
        TESTING=True, SECRET_KEY="host-secret", PLEXBOOKS_DATABASE_URL=database_url, PLEXBOOKS_SCHEDULER=False,
        PLEXBOOKS_PLEX_TV_URL=fake.url, PLEXBOOKS_PLEX_APP_URL=fake.url, PLEXBOOKS_PIN_POLL_SECONDS=0.3,
        PLEXBOOKS_HOME_PROFILES=False,  # the emulator owner is a Plex Home; the picker is tested apart
    )
    manager = LoginManager(host)
    manager.login_view = "host_login"
    host.extensions["seen_by_host"] = seen = []

    @manager.user_loader
    def host_loader(uid: str) -> HostUser | None:
        seen.append(uid)
        return HostUser(uid) if uid.isdigit() else None

    @host.get("/host/login/<uid>")
    def host_login(uid: str) -> str:
        login_user(HostUser(uid))
        return "in"

    @host.get("/host/logout")
    def host_logout() -> str:
        logout_user()
        return "out"

    @host.get("/host/me")
    def host_me() -> Any:
        return jsonify({"id": current_user.get_id() if current_user.is_authenticated else None})

    @host.post("/host/form")
    def host_form() -> str:
        return "host ok"

    if csrf == "before":
        host.extensions["test_host_csrf"] = CSRFProtect(host)
    PlexBooks(host)
    if csrf == "after":
        host.extensions["test_host_csrf"] = CSRFProtect(host)  # Calibre-Web's order
    mount_test_routes(host)
    core = get_core(host)
    core.set_setting("plex_url", fake.url)
    core.set_setting("plex_token", fake.token)
    core.set_setting("api_key", API_KEY)
    return host


def test_plex_sign_in_never_replaces_the_hosts_login(database_url: str, tmp_path: Path, fake: FakePlex) -> None:
    host = _host_with_login(database_url, tmp_path, fake)
    manager = host.login_manager  # type: ignore[attr-defined]
    loader = manager._user_callback
    browser = host.test_client()
    browser.get("/host/login/42")
    assert browser.get("/host/me").get_json() == {"id": "42"}
    assert role_of(browser) is None  # a host user is not a plexbooks user

    assert sign_in(browser, fake, fake.owner).status_code == 302
    assert role_of(browser) == "admin"
    assert browser.get("/host/me").get_json() == {"id": "42"}  # the host's current_user is unaffected
    assert manager._user_callback is loader and host.login_manager is manager
    assert all(uid == "42" for uid in host.extensions["seen_by_host"])  # plexbooks ids never reach the host

    # Signing out of plexbooks keeps the host login, and the other way round.
    browser.post("/plexbooks/logout", data={"csrf_token": csrf_of(browser)})
    assert role_of(browser) is None
    assert browser.get("/host/me").get_json() == {"id": "42"}
    assert sign_in(browser, fake, fake.owner).status_code == 302
    browser.get("/host/logout")
    assert browser.get("/host/me").get_json() == {"id": None}
    assert role_of(browser) == "admin"


def test_a_host_user_with_a_plexbooks_role_is_honoured(database_url: str, tmp_path: Path, fake: FakePlex) -> None:
    host = _host_with_login(database_url, tmp_path, fake)
    mapped = host.test_client()
    mapped.get("/host/login/1")
    assert role_of(mapped) == "admin"
    assert mapped.get("/plexbooks/_test/admin").status_code == 200
    plain = host.test_client()
    plain.get("/host/login/42")
    assert plain.get("/plexbooks/_test/user").status_code == 302  # no role: sign in with Plex


def test_a_host_without_flask_login_gets_plex_sign_in(app: Flask, fake: FakePlex) -> None:
    assert getattr(app, "login_manager", None) is None  # plexbooks installs no login manager
    client = app.test_client()
    assert sign_in(client, fake, fake.shared_user).status_code == 302
    assert role_of(client) == "user"


def test_user_signed_in_signal_lets_the_host_log_people_in(
    database_url: str, tmp_path: Path, fake: FakePlex
) -> None:
    from flask_login import UserMixin, login_user

    from plexbooks_plugin.signals import user_signed_in

    host = _host_with_login(database_url, tmp_path, fake)
    received: list[tuple[Any, str, str]] = []
    mapped_ids: list[str] = []

    class Mapped(UserMixin):
        def __init__(self, uid: str) -> None:
            self.id = uid

    def on_signed_in(sender: Flask, user: Any) -> None:
        received.append((sender, user.username, user.role))
        mapped_ids.append(str(1000 + user.id))
        login_user(Mapped(mapped_ids[-1]))  # inside the callback request: the host logs them in too

    with user_signed_in.connected_to(on_signed_in, sender=host):
        browser = host.test_client()
        assert sign_in(browser, fake, fake.shared_user).status_code == 302
    assert received == [(host, fake.shared_user.username, "user")]
    assert browser.get("/host/me").get_json() == {"id": mapped_ids[0]}
    assert role_of(browser) == "user"


def test_api_key_passes_a_host_csrf_enabled_after_plexbooks(
    database_url: str, tmp_path: Path, fake: FakePlex
) -> None:
    host = _host_with_login(database_url, tmp_path, fake, csrf="after")
    keyed = host.test_client().post("/plexbooks/api/_test/admin", json={}, headers={"X-Plexbooks-Key": API_KEY})
    assert keyed.status_code == 200 and keyed.get_json()["role"] == "admin"
    assert host.test_client().post("/host/form").status_code == 400  # the host's CSRF still guards its own routes
    browser = host.test_client()
    assert sign_in(browser, fake, fake.owner).status_code == 302
    assert browser.post("/plexbooks/api/_test/admin", json={}).get_json()["error"] == "csrf_failed"
    token = csrf_of(browser)
    assert browser.post("/plexbooks/api/_test/admin", json={}, headers={"X-CSRFToken": token}).status_code == 200


def test_host_login_manager_and_csrf_are_kept(database_url: str, tmp_path: Path, fake: FakePlex) -> None:
    host = _host_with_login(database_url, tmp_path, fake, csrf="before")
    manager = host.login_manager  # type: ignore[attr-defined]
    seen_by_host = host.extensions["seen_by_host"]
    assert host.login_manager is manager and manager.login_view == "host_login"  # type: ignore[attr-defined]
    assert host.extensions["csrf"] is host.extensions["test_host_csrf"]

    host_browser = host.test_client()
    assert host_browser.post("/host/form").status_code == 400  # the host's own CSRF still guards its routes
    host_browser.get("/host/login/42")
    assert role_of(host_browser) is None  # a host user is not a plexbooks user
    assert seen_by_host == ["42"]

    plex_browser = host.test_client()
    assert sign_in(plex_browser, fake, fake.owner).status_code == 302
    assert role_of(plex_browser) == "admin"
    assert seen_by_host == ["42"]  # plexbooks ids never reach the host's loader
    # The API key passes although the host checks CSRF globally (the blueprint is exempt from that check).
    keyed = host.test_client().post("/plexbooks/api/_test/admin", json={}, headers={"X-Plexbooks-Key": API_KEY})
    assert keyed.status_code == 200
    assert plex_browser.post("/plexbooks/api/_test/admin", json={}).get_json()["error"] == "csrf_failed"
