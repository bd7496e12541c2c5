"""PlexTV against the emulator's plex.tv half: PINs, the sign-in page, accounts, resources, errors."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from plexbooks_plugin.errors import PlexAuthError, PlexUnreachable
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.plex import PinExpired, PlexClient, PlexHTTPError, PlexNotFound, PlexTV
from tests.fakeplex_fixtures import module_fake_plex, reset_fake_plex_between_tests
from tests.plex_conftest_helpers import closed_port

CLIENT_ID = "plexbooks-test-install-0001"


fake = module_fake_plex(items=30, seed=2)
_reset = reset_fake_plex_between_tests("fake")


def make_tv(server: FakePlex, client_identifier: str = CLIENT_ID, **kwargs: Any) -> PlexTV:
    options: dict[str, Any] = {"client_identifier": client_identifier, "backoff": 0.0}
    options.update(kwargs)
    return PlexTV(server.url, server.url, **options)


# ------------------------------------------------------------------------------ pins


def test_create_strong_pin(fake: FakePlex) -> None:
    pin = make_tv(fake).create_pin()
    assert isinstance(pin.id, int) and len(pin.code) == 25
    assert pin.auth_token is None
    assert pin.expires_at is not None
    remaining = (pin.expires_at - datetime.now(UTC)).total_seconds()
    assert 1790 <= remaining <= 1801


def test_create_weak_pin_has_a_short_code(fake: FakePlex) -> None:
    pin = make_tv(fake).create_pin(strong=False)
    assert len(pin.code) == 4


def test_pin_gets_its_token_once_approved(fake: FakePlex) -> None:
    tv = make_tv(fake)
    pin = tv.create_pin()
    assert tv.check_pin(pin.id).auth_token is None
    fake.approve_pin(pin.id, fake.owner)
    approved = tv.check_pin(pin.id)
    assert approved.auth_token == fake.token  # the owner's plex.tv token is the admin token
    assert fake.token not in repr(approved)


def test_pin_of_another_install_is_not_visible(fake: FakePlex) -> None:
    pin = make_tv(fake).create_pin()
    with pytest.raises(PinExpired):
        make_tv(fake, client_identifier="someone-else").check_pin(pin.id)


def test_expired_and_unknown_pins_raise_pin_expired(fake: FakePlex) -> None:
    tv = make_tv(fake)
    pin = tv.create_pin()
    fake.expire_pin(pin.id)
    with pytest.raises(PinExpired) as info:
        tv.check_pin(pin.id)
    assert isinstance(info.value.__cause__, PlexNotFound)
    with pytest.raises(PinExpired):
        tv.check_pin(999)
    assert len(fake.requests_to("/api/v2/pins/999")) == 1  # 404 is not retried


def test_creating_a_pin_is_never_retried(fake: FakePlex) -> None:
    fake.set_fault(503, on_path="/api/v2/pins", count=5)
    with pytest.raises(PlexHTTPError):
        make_tv(fake, retries=3).create_pin()
    assert len(fake.requests_to("/api/v2/pins")) == 1


def test_polling_a_pin_is_retried_on_5xx(fake: FakePlex) -> None:
    tv = make_tv(fake, retries=2)
    pin = tv.create_pin()
    fake.set_fault(502, on_path=f"/api/v2/pins/{pin.id}", count=1)
    assert tv.check_pin(pin.id).id == pin.id
    assert len(fake.requests_to(f"/api/v2/pins/{pin.id}")) == 2


def test_a_client_identifier_is_required() -> None:
    with pytest.raises(ValueError):
        PlexTV(client_identifier="")


def test_auth_url_has_the_plex_app_shape(fake: FakePlex) -> None:
    tv = PlexTV(client_identifier=CLIENT_ID)
    url = tv.auth_url("abc123", "http://localhost:5055/plexbooks/login/callback?x=1")
    assert url.startswith("https://app.plex.tv/auth#?")
    fragment = urlsplit(url).fragment
    assert "context%5Bdevice%5D%5Bproduct%5D=plexbooks" in fragment
    params = parse_qs(fragment[1:])
    assert params["clientID"] == [CLIENT_ID] and params["code"] == ["abc123"]
    assert params["forwardUrl"] == ["http://localhost:5055/plexbooks/login/callback?x=1"]


def test_sign_in_page_approves_the_pin_and_forwards(fake: FakePlex) -> None:
    tv = make_tv(fake)
    pin = tv.create_pin()
    auth_url = tv.auth_url(pin.code, "http://localhost:5055/plexbooks/login/callback")
    assert auth_url.startswith(f"{fake.url}/auth#?")
    page = requests.get(auth_url, timeout=5)  # the fragment stays in the browser, like the real app
    assert page.status_code == 200
    assert "Sign in to Fake Plex as:" in page.text and "location.hash" in page.text
    for name in ("plexowner", "sharedreader", "stranger"):
        assert f'value="{name}"' in page.text
    answer = requests.post(
        f"{fake.url}/auth/approve",
        data={"code": pin.code, "user": "sharedreader", "forwardUrl": "http://localhost:5055/plexbooks/login/callback"},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "http://localhost:5055/plexbooks/login/callback"
    assert tv.check_pin(pin.id).auth_token == fake.shared_user.token


def test_sign_in_page_refuses_an_unknown_code(fake: FakePlex) -> None:
    answer = requests.post(f"{fake.url}/auth/approve", data={"code": "nope", "user": "owner"}, timeout=5)
    assert answer.status_code == 404


# ------------------------------------------------------------------------------ accounts


def test_user_of_a_token(fake: FakePlex) -> None:
    account = make_tv(fake).user(fake.token)
    assert account.username == "plexowner" and account.id == fake.owner.id
    assert account.uuid == fake.owner.uuid and account.email == "owner@example.com"
    assert account.thumb and account.thumb.startswith("https://plex.tv/users/")


def test_user_with_a_bad_token_is_an_auth_error(fake: FakePlex) -> None:
    with pytest.raises(PlexAuthError) as info:
        make_tv(fake).user("bogus-token-value")
    assert str(info.value).startswith(f"plex.tv ({fake.url}) refused the token")
    assert "bogus-token-value" not in str(info.value)


def test_a_revoked_plex_tv_token_is_an_auth_error(fake: FakePlex) -> None:
    user = fake.add_user("leaving")
    tv = make_tv(fake)
    assert tv.user(user.token).username == "leaving"
    fake.revoke_token(user.token)
    with pytest.raises(PlexAuthError):
        tv.user(user.token)


def test_resources_of_the_owner(fake: FakePlex) -> None:
    resources = make_tv(fake).resources(fake.token)
    ours = next(r for r in resources if r.client_identifier == fake.machine_identifier)
    assert ours.owned and ours.is_server and ours.provides == ("server",)
    assert ours.access_token == fake.token and fake.token not in repr(ours)
    local = [c for c in ours.connections if c.local]
    assert [c.uri for c in local] == [fake.url]
    assert any(c.relay for c in ours.connections)
    assert any(not c.local and not c.relay for c in ours.connections)
    others = [r for r in resources if r.client_identifier != fake.machine_identifier]
    assert any(r.is_server and not r.owned for r in others)  # an unrelated server
    player = next(r for r in resources if not r.is_server)
    assert "player" in player.provides
    (logged,) = fake.requests_to("/api/v2/resources")
    assert "includeHttps=1" in logged.query and "includeRelay=1" in logged.query


def test_resources_of_a_shared_user_give_a_working_server_token(fake: FakePlex) -> None:
    resources = make_tv(fake).resources(fake.shared_user.token)
    ours = next(r for r in resources if r.client_identifier == fake.machine_identifier)
    assert not ours.owned
    assert ours.access_token == fake.shared_user.server_token
    assert PlexClient(fake.url, ours.access_token or "", backoff=0).sections()


def test_a_stranger_does_not_see_the_server_and_is_refused_by_it(fake: FakePlex) -> None:
    resources = make_tv(fake).resources(fake.stranger.token)
    assert fake.machine_identifier not in {r.client_identifier for r in resources}
    assert any(r.is_server for r in resources)
    with pytest.raises(PlexAuthError):
        PlexClient(fake.url, fake.stranger.token, backoff=0).sections()


def test_plex_tv_unreachable() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    tv = PlexTV(url, url, client_identifier=CLIENT_ID, retries=0)
    with pytest.raises(PlexUnreachable) as info:
        tv.create_pin()
    assert str(info.value).startswith(f"plex.tv ({url}) could not be reached")


def test_plex_tv_errors_carry_its_message(fake: FakePlex) -> None:
    raw = requests.post(f"{fake.url}/api/v2/pins?strong=true", timeout=5)
    assert raw.status_code == 400
    assert raw.json() == {"errors": [{"code": 1000, "message": "X-Plex-Client-Identifier is missing", "status": 400}]}


def test_plex_tv_requests_carry_the_required_headers(fake: FakePlex) -> None:
    seen: list[requests.PreparedRequest] = []
    session = requests.Session()
    session.hooks["response"].append(lambda r, *a, **k: seen.append(r.request))
    tv = make_tv(fake, session=session, version="9.9.9")
    tv.user(fake.token)
    (sent,) = seen
    assert sent.headers["X-Plex-Client-Identifier"] == CLIENT_ID
    assert sent.headers["X-Plex-Product"] == "plexbooks"
    assert sent.headers["X-Plex-Version"] == "9.9.9"
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["X-Plex-Token"] == fake.token and fake.token not in (sent.url or "")


def test_pin_expiry_is_tracked_by_time(fake: FakePlex) -> None:
    tv = make_tv(fake)
    pin = tv.create_pin(strong=False)
    stored = fake.accounts.pins[pin.id]
    stored.created_at = time.time() - stored.expires_in - 1  # as if 15 minutes went by
    with pytest.raises(PinExpired):
        tv.check_pin(pin.id)
