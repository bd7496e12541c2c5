"""A stored token that no longer decrypts (its key changed): pages say what to do, never 500 (issue 12, item 16)."""

from __future__ import annotations

from pathlib import Path

from plexbooks_plugin import store as repo
from plexbooks_plugin.crypto import SecretBox
from plexbooks_plugin.demo import create_demo_app
from plexbooks_plugin.extension import get_core
from plexbooks_plugin.fakeplex import FakePlex

from .conftest import DatabaseFactory
from .fakeplex_fixtures import FakePlexFactory, fake_plex_factory  # noqa: F401
from .viewkit import build_app, sign_in_as

ADVICE = "Enter the Plex token again in Settings"


def test_the_scan_and_settings_pages_explain_an_unreadable_token(
    database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    url = database_factory.new_url()
    before = build_app(url, tmp_path / "instance", PLEXBOOKS_SECRET_KEY="the key before")
    for key, value in [("plex_url", "http://192.168.1.10:32400"), ("plex_token", "tok-1"), ("library_id", "5")]:
        get_core(before).set_setting(key, value)
    get_core(before).db.dispose()
    after = build_app(url, tmp_path / "instance", PLEXBOOKS_SECRET_KEY="a new key")
    client = after.test_client()
    sign_in_as(client, after, "admin")
    scan = client.get("/plexbooks/scan")
    assert scan.status_code == 200
    page = scan.get_data(as_text=True)
    assert "cannot read its stored Plex token" in page and ADVICE in page and "PLEXBOOKS_SECRET_KEY" in page
    assert client.get("/plexbooks/settings").status_code == 200
    get_core(after).db.dispose()


def test_the_demo_front_page_explains_an_unreadable_token(
    fake_plex_factory: FakePlexFactory, database_factory: DatabaseFactory, tmp_path: Path  # noqa: F811
) -> None:
    plex: FakePlex = fake_plex_factory(items=10)
    app = create_demo_app(plex, database_url=database_factory.new_url(), instance_path=tmp_path / "demo",
                          scheduler=False, TESTING=True)
    core = get_core(app)
    with core.session() as session:  # written by a process with another key
        repo.set_setting(session, "plex_token", plex.token, SecretBox("some other key"))
    client = app.test_client()
    sign_in_as(client, app, "admin")
    front = client.get("/")
    assert front.status_code == 200
    assert "cannot read its stored Plex token" in front.get_data(as_text=True)
    core.db.dispose()
