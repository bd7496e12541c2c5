"""Plex Home: "Who is this?" after a Home account signs in, PIN-protected profiles, roles and access per profile."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from plexbooks_plugin import store as repo
from plexbooks_plugin.auth.sessions import live_user_id
from plexbooks_plugin.auth.users import USER_SESSION_KEY
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.models import User
from plexbooks_plugin.state import get_core

from .conftest import FakeClock, make_app
from .fakeplex_fixtures import module_fake_plex, reset_fake_plex_between_tests

fake = module_fake_plex(items=6, seed=5)
_reset = reset_fake_plex_between_tests("fake")


@pytest.fixture
def app(database_url: str, tmp_path: Path, fake: FakePlex) -> Flask:
    host: Flask = make_app(
        database_url, tmp_path / "instance", PLEXBOOKS_PLEX_TV_URL=fake.url, PLEXBOOKS_PLEX_APP_URL=fake.url,
        PLEXBOOKS_PIN_POLL_SECONDS=0.3, PLEXBOOKS_PIN_POLL_INTERVAL=0.05, PLEXBOOKS_SCHEDULER=False,
        PLEXBOOKS_LOGIN_RATE_LIMIT="1000/minute", PLEXBOOKS_HOME_PROFILES=True, WTF_CSRF_ENABLED=False,
    )
    core = get_core(host)
    core.set_setting("plex_url", fake.url)
    core.set_setting("plex_token", fake.token)
    return host


def pin_sign_in(client: FlaskClient, fake: FakePlex, user: Any, **headers: str) -> TestResponse:
    """The PIN sign-in of `user` up to the callback's answer."""
    location = client.get("/plexbooks/login?next=/plexbooks/library").headers["Location"]
    forward = parse_qs(urlsplit(location).fragment.lstrip("?"))["forwardUrl"][0]
    pin = parse_qs(urlsplit(forward).query)["pin"][0]
    fake.approve_pin(int(pin), user)
    return client.get(f"/plexbooks/login/callback?pin={pin}", headers=headers)


def profile_uuid(client: FlaskClient, title: str) -> str:
    page = client.get("/plexbooks/login/profile", headers={"Accept": "application/json"}).get_json()
    return next(p["uuid"] for p in page["profiles"] if p["title"] == title)  # type: ignore[no-any-return]


def pick(client: FlaskClient, uuid: str, pin: str | None = None) -> TestResponse:
    return client.post("/plexbooks/login/profile", data={"uuid": uuid, **({"pin": pin} if pin else {})})


def whoami(app: Flask, client: FlaskClient) -> tuple[str, str] | None:
    with client.session_transaction() as sess:
        user_id = sess.get(USER_SESSION_KEY)
    if user_id is None:
        return None
    live = live_user_id(get_core(app), str(user_id))  # the cookie holds a session secret, not the user id
    if live is None:
        return None
    with get_core(app).session() as session:
        user = repo.get_user(session, live)
        return (user.username, user.role) if user else None


def test_a_home_account_is_asked_who_is_signing_in(app: Flask, fake: FakePlex) -> None:
    client = app.test_client()
    answer = pin_sign_in(client, fake, fake.owner)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/plexbooks/login/profile")
    assert whoami(app, client) is None  # nobody is signed in before the pick
    page = client.get("/plexbooks/login/profile").get_data(as_text=True)
    assert "Who is this?" in page
    titles = ["plexowner", "Kids", "Teen"]
    assert [t for t in titles if f'data-pb-profile="{t}"' in page] == titles
    assert page.count('name="pin"') == 1  # only Teen is protected
    cookie = client.get_cookie("session")
    for token in (fake.owner.token, fake.kid_profile.token, fake.teen_profile.token):
        assert token not in page and (cookie is None or token not in cookie.value)


def test_a_protected_profile_needs_its_pin_and_a_wrong_pin_is_a_clear_message(app: Flask, fake: FakePlex) -> None:
    client = app.test_client()
    pin_sign_in(client, fake, fake.owner)
    teen = profile_uuid(client, "Teen")
    missing = pick(client, teen)
    assert missing.status_code == 401 and "Enter the PIN of Teen." in missing.get_data(as_text=True)
    wrong = pick(client, teen, "0000")
    body = wrong.get_data(as_text=True)
    assert wrong.status_code == 401 and "That PIN is not right for Teen. Try again." in body
    assert 'data-pb-profile="Teen"' in body and "Location" not in wrong.headers  # the picker again, no redirect loop
    assert whoami(app, client) is None
    right = pick(client, teen, fake.home_pin)
    assert right.status_code == 302 and right.headers["Location"].endswith("/plexbooks/library")
    assert whoami(app, client) == ("Teen", "user")
    assert pick(client, teen, fake.home_pin).status_code == 400  # the pick is used up: no second sign-in


def test_the_home_admin_is_admin_and_a_managed_profile_is_a_user_of_its_own(app: Flask, fake: FakePlex) -> None:
    owner = app.test_client()
    pin_sign_in(owner, fake, fake.owner)
    assert pick(owner, profile_uuid(owner, "plexowner")).status_code == 302
    assert whoami(app, owner) == ("plexowner", "admin")
    kid = app.test_client()
    pin_sign_in(kid, fake, fake.owner)
    assert pick(kid, profile_uuid(kid, "Kids")).status_code == 302
    assert whoami(app, kid) == ("Kids", "user")
    assert kid.get("/plexbooks/settings").status_code == 403


def test_a_profile_whose_access_is_removed_loses_it_within_24_hours(app: Flask, fake: FakePlex) -> None:
    clock = FakeClock()
    get_core(app).clock = clock
    get_core(app).set_setting("plex_machine_identifier", fake.machine_identifier)
    kid = app.test_client()
    pin_sign_in(kid, fake, fake.owner)
    pick(kid, profile_uuid(kid, "Kids"))
    assert kid.get("/plexbooks/api/requests").status_code == 200
    fake.kid_profile.has_access = False  # the Home's admin takes the server away from the profile
    try:
        clock.advance(timedelta(hours=25))
        # The session re-checks with the profile's own token (not the Home's, which still has access).
        assert kid.get("/plexbooks/api/requests").status_code == 401
    finally:
        fake.kid_profile.has_access = True


def test_each_profile_files_its_own_requests(app: Flask, fake: FakePlex) -> None:
    ids = {}
    for title in ("Kids", "plexowner"):
        client = app.test_client()
        pin_sign_in(client, fake, fake.owner)
        pick(client, profile_uuid(client, title))
        answer = client.post("/plexbooks/api/requests", json={"title": f"Book of {title}", "author": "Someone"})
        assert answer.status_code in (200, 201), answer.get_data(as_text=True)
        ids[title] = answer.get_json()["request_id"]
    with get_core(app).session() as session:
        users = {u.username: u.id for u in session.query(User)}
        by = {r.title: r.requested_by for r in repo.list_requests(session)}
    assert by == {"Book of Kids": users["Kids"], "Book of plexowner": users["plexowner"]}
    assert users["Kids"] != users["plexowner"]


def test_a_managed_profile_of_another_home_without_access_gets_403(app: Flask, fake: FakePlex) -> None:
    client = app.test_client()
    assert pin_sign_in(client, fake, fake.stranger).headers["Location"].endswith("/login/profile")
    answer = pick(client, profile_uuid(client, "Neighbour Kid"))
    assert answer.status_code == 403
    assert whoami(app, client) is None


def test_json_callers_are_told_to_pick_a_profile(app: Flask, fake: FakePlex) -> None:
    client = app.test_client()
    answer = pin_sign_in(client, fake, fake.owner, Accept="application/json")
    assert answer.get_json() == {"status": "pick_profile", "role": None, "next": "/plexbooks/login/profile"}
    profiles = client.get("/plexbooks/login/profile", headers={"Accept": "application/json"}).get_json()["profiles"]
    assert [(p["title"], p["admin"], p["protected"]) for p in profiles] == [
        ("plexowner", True, False), ("Kids", False, False), ("Teen", False, True)
    ]
    assert all(set(p) == {"uuid", "title", "admin", "protected", "managed"} for p in profiles)


def test_the_picker_without_a_home_sign_in_starts_over(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/plexbooks/login/profile").status_code == 400
    assert client.post("/plexbooks/login/profile", data={"uuid": "x"}).status_code == 400


def test_the_pick_is_csrf_protected(database_url: str, tmp_path: Path, fake: FakePlex) -> None:
    host: Flask = make_app(
        database_url, tmp_path / "csrf", PLEXBOOKS_PLEX_TV_URL=fake.url, PLEXBOOKS_PLEX_APP_URL=fake.url,
        PLEXBOOKS_PIN_POLL_SECONDS=0.3, PLEXBOOKS_SCHEDULER=False, PLEXBOOKS_HOME_PROFILES=True,
    )
    get_core(host).set_setting("plex_url", fake.url)
    get_core(host).set_setting("plex_token", fake.token)
    client = host.test_client()
    pin_sign_in(client, fake, fake.owner)
    refused = client.post("/plexbooks/login/profile", data={"uuid": fake.kid_profile.uuid})
    assert refused.status_code == 400 and whoami(host, client) is None
