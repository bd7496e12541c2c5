"""Calibre-Web (its own app factory from PyPI's `calibreweb`) with plexbooks mounted after it set
itself up: its own login and pages work, Plex sign-in through the emulator works in the same browser
without a loop and without breaking the Calibre-Web login, and the host key's hook call gets
through Calibre-Web's CSRF protection."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from plexbooks_plugin.fakeplex import FakePlex

from .conftest import free_port, run_host
from .hostenv import HostEnv

API_KEY = "calibre-host-key-0123456789"


def csrf(page: requests.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:2000]
    return found.group(1)


def calibre_login(browser: requests.Session, base: str) -> requests.Response:
    form = browser.get(f"{base}/login")
    return browser.post(f"{base}/login", data={
        "csrf_token": csrf(form), "username": "admin", "password": "admin123", "next": "/", "submit": "",
    })


def plex_sign_in(browser: requests.Session, base: str, fake: FakePlex) -> requests.Response:
    start = browser.get(f"{base}/plexbooks/login?next=/plexbooks/library", allow_redirects=False)
    assert start.status_code == 302, start.text[:2000]
    forward = parse_qs(urlsplit(start.headers["Location"].replace("#?", "?")).query)["forwardUrl"][0]
    pin = parse_qs(urlsplit(forward).query)["pin"][0]
    fake.approve_pin(int(pin), fake.owner)
    return browser.get(f"{base}/plexbooks/login/callback?pin={pin}")


def pick_owner_profile(browser: requests.Session, base: str, picker: requests.Response) -> requests.Response:
    """The owner's account is a Plex Home: pick its own profile on "Who is this?" (CSRF-protected form)."""
    assert urlsplit(picker.url).path == "/plexbooks/login/profile", picker.url
    form = re.search(r'<form[^>]*data-pb-profile="plexowner".*?</form>', picker.text, re.S)
    assert form, picker.text[:2000]
    uuid = re.search(r'name="uuid" value="([^"]+)"', form.group(0))
    assert uuid
    return browser.post(f"{base}/plexbooks/login/profile", data={"csrf_token": csrf(picker), "uuid": uuid.group(1)})


def test_calibre_web_and_plex_sign_in_share_a_browser(
    host_env: HostEnv, host_plex: FakePlex, tmp_path: Path, start_host: Any
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data_home = tmp_path / "xdg"
    host = start_host(
        ["-m", "calibre_host"], tmp_path, CALIBRE_DBPATH=str(tmp_path / "config"), HOST_PORT=str(port),
        HOST_PLEX_URL=host_plex.url, HOST_CALIBRE_LIBRARY=str(tmp_path / "library"), XDG_DATA_HOME=str(data_home),
    )
    (tmp_path / "config").mkdir()
    host.wait_http(f"{base}/login", timeout=90)
    # No database URL: plexbooks' SQLite file goes to the per-user data folder, not into the venv.
    database = data_home / "plexbooks" / "plexbooks.db"
    assert f"database sqlite:///{database}" in host.output
    assert not list(host_env.path.rglob("plexbooks.db"))
    for key, value in (("plex_url", host_plex.url), ("plex_token", host_plex.token),
                       ("library_id", str(host_plex.music_section_id)), ("api_key", API_KEY)):
        run_host(host_env, ["-m", "plexbooks_plugin.cli", "config", "set", key, value,
                            "--database-url", f"sqlite:///{database}"], tmp_path)

    browser = requests.Session()
    assert calibre_login(browser, base).status_code == 200
    settings = browser.get(f"{base}/admin/dbconfig")
    assert settings.status_code == 200, host.output[-4000:]
    saved = browser.post(f"{base}/admin/dbconfig", data={
        "csrf_token": csrf(settings), "config_calibre_dir": str(tmp_path / "library"), "submit": "",
    })
    assert saved.status_code == 200, host.output[-4000:]
    for page in ("/", "/me", "/admin/view"):
        answer = browser.get(f"{base}{page}")
        assert answer.status_code == 200 and urlsplit(answer.url).path == page, (page, answer.url, host.output[-4000:])

    signed_in = pick_owner_profile(browser, base, plex_sign_in(browser, base, host_plex))
    assert signed_in.status_code == 200 and urlsplit(signed_in.url).path == "/plexbooks/library", (
        signed_in.url, [r.url for r in signed_in.history], host.output[-4000:])
    assert len(signed_in.history) == 1  # the pick -> the page asked for, no loop through a login page
    assert browser.get(f"{base}/plexbooks/settings").status_code == 200  # the server owner: plexbooks admin
    # Calibre-Web still knows its own user in the same browser.
    me = browser.get(f"{base}/me")
    assert me.status_code == 200 and urlsplit(me.url).path == "/me", host.output[-4000:]
    assert "admin" in me.text
    assert browser.get(f"{base}/admin/view").status_code == 200

    # A browser signed in with Plex only is a guest to Calibre-Web: its login page, not a 500.
    plex_only = requests.Session()
    assert pick_owner_profile(plex_only, base, plex_sign_in(plex_only, base, host_plex)).status_code == 200
    guest = plex_only.get(f"{base}/me")
    assert guest.status_code == 200 and urlsplit(guest.url).path == "/login", guest.url
    assert plex_only.get(f"{base}/plexbooks/api/library").status_code == 200

    # The host's script: no session, no CSRF token, the host key.
    hook = requests.post(f"{base}/plexbooks/api/hooks/download-organized", headers={"X-Plexbooks-Key": API_KEY},
                         json={"request_id": "cw-1", "title": "Dune", "author": "Frank Herbert", "path": "/books/dune"})
    assert hook.status_code == 200, (hook.text, host.output[-4000:])
    assert hook.json()["status"] == "downloaded"
    assert "Traceback" not in host.output, host.output[-6000:]
