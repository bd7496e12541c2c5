"""The demo host: mounted from plugin.yaml, pointed at the emulator, badges, requests and hooks."""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plexbooks_plugin import store as repo
from plexbooks_plugin.demo import DemoServer, create_demo_app, load_plugin, read_manifest
from plexbooks_plugin.demo.app import SESSION_KEY_FILE
from plexbooks_plugin.extension import get_core
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.models import CatalogItem
from plexbooks_plugin.scanning import run_scan

from .conftest import DatabaseFactory
from .fakeplex_fixtures import FakePlexFactory, fake_plex_factory  # noqa: F401
from .reliability.helpers import wait_until
from .viewkit import sign_in_as


@pytest.fixture
def plex(fake_plex_factory: FakePlexFactory) -> FakePlex:  # noqa: F811
    """The emulator with a few hundred books, as the demo runs it."""
    return fake_plex_factory(items=300)


@pytest.fixture
def demo_app(plex: FakePlex, database_factory: DatabaseFactory, tmp_path: Path) -> Iterator[Flask]:
    """The demo host on its own database, without the scheduler."""
    app = create_demo_app(plex, database_url=database_factory.new_url(), instance_path=tmp_path / "instance",
                          scheduler=False, TESTING=True)
    yield app
    get_core(app).db.dispose()


def page_of(client: FlaskClient, path: str = "/") -> str:
    """A page's HTML."""
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def csrf_of(client: FlaskClient) -> dict[str, str]:
    """The X-CSRFToken header the store page's scripts send."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page_of(client))
    assert found
    return {"X-CSRFToken": found.group(1)}


def visible_badges(html: str) -> set[str]:
    """Request ids of catalog rows whose badge is shown."""
    rows = re.findall(r'<li class="d-book" data-request-id="([^"]+)".*?</li>', html, flags=re.S)
    shown = set()
    for request_id in rows:
        row = re.search(rf'data-request-id="{request_id}".*?</li>', html, flags=re.S)
        assert row
        badge = re.search(r'<span class="plexbooks-badge"[^>]*>', row.group(0))
        if badge and " hidden" not in badge.group(0):
            shown.add(request_id)
    return shown


def test_manifest_mounts_the_plugin_like_a_host(tmp_path: Path, database_factory: DatabaseFactory) -> None:
    manifest = read_manifest()
    app = Flask("host", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="k", PLEXBOOKS_DATABASE_URL=database_factory.new_url(), TESTING=True)
    plugin = load_plugin(app, manifest)
    assert plugin.name == "plexbooks"
    assert plugin.settings_page == "/plexbooks/settings"
    assert [a["json"]["kind"] for a in plugin.admin_actions] == ["full", "recent"]
    assert set(plugin.hooks) == {"download_organized", "request_status", "catalog_refreshed"}
    assert "request_available" in plugin.signals
    assert "plexbooks.settings" in app.view_functions
    get_core(app).db.dispose()


def test_demo_points_plexbooks_at_the_emulator(demo_app: Flask, plex: FakePlex) -> None:
    core = get_core(demo_app)
    assert core.get_setting("plex_url") == plex.url
    assert core.get_setting("plex_token") == plex.token
    assert core.get_setting("library_id") == plex.music_section_id
    assert demo_app.config["PLEXBOOKS_PLEX_TV_URL"] == plex.url == demo_app.config["PLEXBOOKS_PLEX_APP_URL"]
    key_file = Path(demo_app.instance_path) / SESSION_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert demo_app.config["SECRET_KEY"] == key_file.read_text(encoding="utf-8").strip()


def test_catalog_is_half_owned_and_badged_after_a_scan(demo_app: Flask) -> None:
    state = demo_app.extensions["plexbooks_demo"]
    owned = {b.request_id for b in state.catalog if b.in_fake_plex}
    assert len(state.catalog) == 30 and len(owned) == 15
    client = demo_app.test_client()
    assert visible_badges(page_of(client)) == set()
    run_scan(get_core(demo_app), "full")
    html = page_of(client)
    assert visible_badges(html) == owned
    assert "Sign in with Plex" in html and "/plexbooks/login?next=/" in html
    with get_core(demo_app).session() as session:
        catalog = session.scalars(select(CatalogItem)).all()
    assert len(catalog) == 30  # the catalog_refreshed hook stored the store's books


def test_the_start_page_ticks_nothing_before_anyone_signed_in(demo_app: Flask) -> None:
    run_scan(get_core(demo_app), "full")  # the demo connects and scans at start
    html = page_of(demo_app.test_client())
    assert "data-done" not in html and "is-done" not in html
    assert "<em>plexowner (owner)</em>" in html  # the words on the emulator's Plex page


def test_admin_sees_manifest_actions_and_settings_link(demo_app: Flask) -> None:
    client = demo_app.test_client()
    sign_in_as(client, demo_app, "admin", "owner")
    html = page_of(client)
    assert "Scan Plex library now" in html and "Check recently added" in html
    assert 'data-url="/plexbooks/api/scan"' in html
    assert 'href="/plexbooks/settings"' in html


def test_request_flow_reaches_available_through_the_hooks(demo_app: Flask) -> None:
    from plexbooks_plugin.scanning import wait_for_scan

    core = get_core(demo_app)
    run_scan(core, "full")
    state = demo_app.extensions["plexbooks_demo"]
    wanted = next(b for b in state.catalog if not b.in_fake_plex)
    owned = next(b for b in state.catalog if b.in_fake_plex)
    client = demo_app.test_client()
    sign_in_as(client, demo_app, "user", "sam")
    headers = csrf_of(client)

    refused = client.post(f"/demo/requests/{owned.request_id}", headers=headers)
    assert refused.status_code == 409 and refused.get_json()["error"] == "already_available"
    machine = core.get_setting("plex_machine_identifier")
    assert refused.get_json()["plex_web_url"].endswith(  # the store turns the refusal into a link to the book
        f"/desktop/#!/server/{machine}/details?key=%2Flibrary%2Fmetadata%2F{refused.get_json()['rating_key']}")
    assert refused.get_json()["message"] == "This book is already in your Plex library."
    assert page_of(client).count("data-done") == 3  # signed in, connected, scanned; no request done yet

    created = client.post(f"/demo/requests/{wanted.request_id}", headers=headers)
    assert created.status_code == 201
    rid = wanted.request_id
    assert client.post(f"/demo/requests/{rid}/start", headers=headers).get_json()["status"] == "downloading"
    done = client.post(f"/demo/requests/{rid}/downloaded", headers=headers)
    assert done.status_code == 200 and done.get_json()["status"] == "downloaded"
    assert state.plex.refresh_calls  # the hook asked Plex to rescan the folder
    imported = client.post(f"/demo/requests/{rid}/import", headers=headers).get_json()
    assert imported["rating_key"]
    if imported["run_id"] is not None:
        assert wait_for_scan(core, imported["run_id"], timeout=30)
    assert wait_until(lambda: client.get(f"/plexbooks/api/requests/{rid}").get_json()["status"] == "available", 30)
    events = client.get("/demo/api/events").get_json()["items"]
    assert any("is available" in e["text"] for e in events)  # the request_available signal reached the host
    assert rid in visible_badges(page_of(client))
    assert page_of(client).count("data-done") == 4  # step 4 ticks once a request became available
    listed = client.get("/plexbooks/api/requests").get_json()["items"]
    assert next(i for i in listed if i["request_id"] == rid)["plex_web_url"]


def test_demo_buttons_need_a_signed_in_user_and_the_csrf_token(demo_app: Flask) -> None:
    rid = demo_app.extensions["plexbooks_demo"].catalog[0].request_id
    anonymous = demo_app.test_client()
    assert anonymous.post(f"/demo/requests/{rid}/downloaded").status_code == 401
    client = demo_app.test_client()
    sign_in_as(client, demo_app, "user")
    assert client.post(f"/demo/requests/{rid}/downloaded").status_code == 400
    assert client.post("/demo/requests/unknown/downloaded", headers=csrf_of(client)).status_code == 404


def test_a_restart_keeps_the_chosen_library_and_follows_the_new_port(
    plex: FakePlex, database_factory: DatabaseFactory, tmp_path: Path, fake_plex_factory: FakePlexFactory,  # noqa: F811
) -> None:
    url = database_factory.new_url()
    first = create_demo_app(plex, database_url=url, instance_path=tmp_path / "i", scheduler=False)
    get_core(first).set_setting("library_id", "99")
    get_core(first).db.dispose()
    moved = fake_plex_factory(items=20)
    second = create_demo_app(moved, database_url=url, instance_path=tmp_path / "i", scheduler=False)
    core = get_core(second)
    assert core.get_setting("plex_url") == moved.url
    assert core.get_setting("library_id") == "99"
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    core.db.dispose()


def test_demo_server_serves_on_loopback(database_factory: DatabaseFactory, tmp_path: Path) -> None:
    server = DemoServer(items=20, database_url=database_factory.new_url(), instance_path=tmp_path / "srv",
                        scheduler=False)
    server.start(port=0)
    try:
        assert server.url.startswith("http://127.0.0.1:")
        store = requests.get(server.url + "/", timeout=10)
        assert store.status_code == 200 and "Audiobook store" in store.text
        spec: Any = requests.get(server.url + "/plexbooks/api/openapi.json", timeout=10).json()
        assert spec["info"]["title"] == "plexbooks"
    finally:
        server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/", timeout=2)


def test_the_demo_never_touches_the_configured_database(
    database_factory: DatabaseFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    fake_plex_factory: FakePlexFactory,  # noqa: F811
) -> None:
    """PLEXBOOKS_DATABASE_URL and ./instance/plexbooks.db hold a real server: the demo uses its own folder."""
    from plexbooks_plugin.core import PlexBooksCore
    from plexbooks_plugin.crypto import SecretBox
    from plexbooks_plugin.db import Database
    from plexbooks_plugin.errors import ConfigError

    def real_install(url: str) -> PlexBooksCore:
        database = Database(url)
        database.upgrade()
        core = PlexBooksCore(database, SecretBox("the real install's key"))
        for key, value in [("plex_url", "http://192.168.1.10:32400"), ("plex_token", "real-token"),
                           ("library_id", "5")]:
            core.set_setting(key, value)
        return core

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    configured = real_install(database_factory.new_url())
    monkeypatch.setenv("PLEXBOOKS_DATABASE_URL", configured.db.url)
    (tmp_path / "instance").mkdir()
    local = real_install(f"sqlite:///{tmp_path / 'instance' / 'plexbooks.db'}")
    local.db.dispose()
    local_files = sorted(p.name for p in (tmp_path / "instance").iterdir())

    server = DemoServer(items=20, scheduler=False)
    server.start(port=0)
    try:
        assert requests.get(server.url + "/", timeout=10).status_code == 200
        assert server.instance_path == tmp_path / "xdg" / "plexbooks" / "demo"
        assert server.database_url == f"sqlite:///{server.instance_path / 'plexbooks.db'}"
    finally:
        server.stop()
    for core in (configured, local):
        assert core.get_setting("plex_url") == "http://192.168.1.10:32400"
        assert core.get_setting("plex_token") == "real-token"
        with core.session() as session:
            assert repo.count_library(session) == 0 and repo.get_setting(session, "demo_database") is None
        core.db.dispose()
    assert sorted(p.name for p in (tmp_path / "instance").iterdir()) == local_files

    # Pointed at a real configuration on purpose, the demo refuses instead of overwriting it.
    with pytest.raises(ConfigError, match="holds a Plex configuration the demo did not write"):
        create_demo_app(fake_plex_factory(items=5), database_url=configured.db.url,
                        instance_path=tmp_path / "other", scheduler=False)
    assert configured.get_setting("plex_url") == "http://192.168.1.10:32400"
    configured.db.dispose()
