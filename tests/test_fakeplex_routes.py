"""The emulator's routing table: every route's auth rule holds over HTTP."""

from __future__ import annotations

import re

import pytest
import requests

from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.fakeplex.routes import ROUTES, Auth, Route
from tests.fakeplex_fixtures import module_fake_plex, reset_fake_plex_between_tests
from tests.fakeplex_http import tv_headers

fake = module_fake_plex(items=5, seed=3)
_reset = reset_fake_plex_between_tests("fake")


def concrete(route: Route, server: FakePlex) -> str:
    """The route's rule with every placeholder filled with something that exists."""
    album = str(server.albums()[0].rating_key)
    values = {"sid": "4", "keys": album, "key": album, "kind": "thumb", "ts": "1", "pin_id": "1", "uuid": "x"}
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: values[m.group(1).split("(")[0].strip()], route.rule)


def routes_with(auth: Auth) -> list[Route]:
    return [r for r in ROUTES if r.auth is auth and not r.websocket]


@pytest.mark.parametrize("route", routes_with(Auth.SERVER), ids=lambda r: r.rule)
def test_server_routes_need_a_server_token(fake: FakePlex, route: Route) -> None:
    url = fake.url + concrete(route, fake)
    method = route.methods[0]
    params = {"url": f"/library/metadata/{fake.albums()[0].rating_key}/thumb/1"}  # what the transcoder needs
    for token in (None, fake.stranger.token):
        headers = {"X-Plex-Token": token} if token else {}
        assert requests.request(method, url, params=params, headers=headers, timeout=5).status_code == 401
    admin = {"X-Plex-Token": fake.token}
    assert requests.request(method, url, params=params, headers=admin, timeout=5).status_code < 400


@pytest.mark.parametrize("route", routes_with(Auth.PLEXTV), ids=lambda r: r.rule)
def test_plex_tv_routes_need_a_client_id_and_an_account(fake: FakePlex, route: Route) -> None:
    url = fake.url + concrete(route, fake)
    method = route.methods[0]
    no_client = requests.request(method, url, headers={"X-Plex-Token": fake.token}, timeout=5)
    assert (no_client.status_code, no_client.json()["errors"][0]["code"]) == (400, 1000)
    no_account = requests.request(method, url, headers=tv_headers("nobody"), timeout=5)
    assert (no_account.status_code, no_account.json()["errors"][0]["code"]) == (401, 1001)


@pytest.mark.parametrize("route", routes_with(Auth.OPEN), ids=lambda r: r.rule)
def test_open_routes_never_ask_for_a_token(fake: FakePlex, route: Route) -> None:
    answer = requests.request(route.methods[0], fake.url + concrete(route, fake), headers=tv_headers(), timeout=5)
    assert answer.status_code != 401


def test_every_route_is_in_exactly_one_auth_class() -> None:
    assert {r.auth for r in ROUTES} == set(Auth)
    assert len({(r.rule, r.methods) for r in ROUTES}) == len(ROUTES)
