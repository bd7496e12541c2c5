"""Sessions end server-side, removed users lose access within 24 h, status polls are limited (issue 12 item 15)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plexbooks_plugin import store as repo
from plexbooks_plugin.auth.users import USER_SESSION_KEY
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.fakeplex.accounts import PlexTvUser

from .conftest import FakeClock, make_app
from .viewkit import app_core

REQUESTS = "/plexbooks/api/requests"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakePlex]:
    """plex.tv and the Media Server on one loopback port."""
    server = FakePlex(items=3, seed=7)
    server.start(port=0)
    yield server
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(database_url: str, tmp_path: Path, fake: FakePlex, clock: FakeClock) -> Flask:
    """A configured host whose core reads the controllable clock."""
    app = make_app(
        database_url, tmp_path / "instance", WTF_CSRF_ENABLED=False, PLEXBOOKS_SCHEDULER=False,
        PLEXBOOKS_PLEX_TV_URL=fake.url, PLEXBOOKS_PLEX_APP_URL=fake.url,
        PLEXBOOKS_PIN_POLL_SECONDS=0.3, PLEXBOOKS_PIN_POLL_INTERVAL=0.05, PLEXBOOKS_LOGIN_RATE_LIMIT="1000/minute",
    )
    core = app_core(app)
    core.clock = clock
    core.set_setting("plex_url", fake.url)
    core.set_setting("plex_token", fake.token)
    return app


def sign_in(app: Flask, fake: FakePlex, account: PlexTvUser | str) -> FlaskClient:
    """The whole PIN sign-in against the emulator's plex.tv."""
    client = app.test_client()
    pin = client.get("/plexbooks/login", headers={"Accept": "application/json"}).get_json()["pin_id"]
    fake.approve_pin(int(pin), account)
    done = client.get(f"/plexbooks/login/callback?pin={pin}")
    assert done.status_code in (200, 302), done.get_data(as_text=True)
    return client


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of `client`'s session cookie."""
    name = app.config.get("SESSION_COOKIE_NAME", "session")
    cookie = client.get_cookie(name)
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(name, cookie.value)
    return thief


def test_a_cookie_copied_before_logout_no_longer_works(app: Flask, fake: FakePlex) -> None:
    client = sign_in(app, fake, fake.shared_user)
    thief = copy_of(app, client)
    assert thief.get(REQUESTS).status_code == 200
    assert client.post("/plexbooks/logout").status_code in (200, 302)
    assert client.get(REQUESTS).status_code == 401
    assert thief.get(REQUESTS).status_code == 401  # the copy died with the server-side session


def test_the_session_table_keeps_no_usable_cookie_or_plain_token(app: Flask, fake: FakePlex) -> None:
    client = sign_in(app, fake, fake.shared_user)
    with client.session_transaction() as sess:
        secret = sess[USER_SESSION_KEY]
    with app_core(app).session() as db:
        row = repo.get_login_session(db, secret)
        assert row is None  # rows are keyed by the secret's hash, not the secret
        stored = repo.user_session_ids(db, _user_id(app, fake.shared_user))
        assert len(stored) == 1
        saved = repo.get_login_session(db, stored[0])
        assert saved is not None and saved.plex_token and fake.shared_user.token not in saved.plex_token


def _user_id(app: Flask, account: PlexTvUser) -> int:
    with app_core(app).session() as db:
        row = repo.get_user_by_plex_id(db, account.id)
        assert row is not None
        return row.id


def test_a_user_removed_in_plex_loses_access_within_24_hours(app: Flask, fake: FakePlex, clock: FakeClock) -> None:
    kept = fake.add_user("kept-user")
    removed = fake.add_user("removed-user")
    kept_client, removed_client = sign_in(app, fake, kept), sign_in(app, fake, removed)
    removed.has_access = False  # the owner stops sharing the server with them
    try:
        clock.advance(timedelta(hours=23))
        assert removed_client.get(REQUESTS).status_code == 200  # trusted until the daily check
        clock.advance(timedelta(hours=1, minutes=1))
        assert removed_client.get(REQUESTS).status_code == 401
        assert kept_client.get(REQUESTS).status_code == 200
        with app_core(app).session() as db:
            assert repo.user_session_ids(db, _user_id(app, removed)) == []
    finally:
        removed.has_access = True


def test_a_revoked_plextv_token_ends_the_session_at_the_check(app: Flask, fake: FakePlex, clock: FakeClock) -> None:
    account = fake.add_user("revoked-user")
    client = sign_in(app, fake, account)
    fake.revoke_token(account.token)
    clock.advance(timedelta(hours=25))
    assert client.get(REQUESTS).status_code == 401


def test_plextv_down_keeps_the_session_and_asks_again_later(
    app: Flask, fake: FakePlex, clock: FakeClock
) -> None:
    account = fake.add_user("patient-user")
    client = sign_in(app, fake, account)
    clock.advance(timedelta(hours=25))
    app_core(app).plex_tv_url = "http://127.0.0.1:9"  # nothing listens: plex.tv is unreachable
    assert client.get(REQUESTS).status_code == 200
    app_core(app).plex_tv_url = fake.url
    account.has_access = False
    assert client.get(REQUESTS).status_code == 200  # the retry waits RECHECK_RETRY
    clock.advance(timedelta(minutes=16))
    assert client.get(REQUESTS).status_code == 401


def test_status_polls_are_rate_limited(database_url: str, tmp_path: Path, fake: FakePlex) -> None:
    app = make_app(database_url, tmp_path / "instance", PLEXBOOKS_PLEX_TV_URL=fake.url,
                   PLEXBOOKS_LOGIN_STATUS_RATE_LIMIT="5/minute")
    client = app.test_client()
    answers = [client.get("/plexbooks/login/status") for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 60
    other = app.test_client()
    assert other.get("/plexbooks/login/status", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200


def test_the_default_status_limit_allows_the_popup_but_not_a_flood(
    database_url: str, tmp_path: Path, fake: FakePlex
) -> None:
    app = make_app(database_url, tmp_path / "instance", PLEXBOOKS_PLEX_TV_URL=fake.url)
    client = app.test_client()
    codes = [client.get("/plexbooks/login/status").status_code for _ in range(60)]
    assert codes[:30] == [200] * 30  # a minute of the page's 2 s polling
    assert 429 in codes
