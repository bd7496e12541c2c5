"""Helpers for the page and API tests: apps, signed-in clients, library rows, CSRF tokens."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from plexbooks_plugin import store as repo
from plexbooks_plugin.auth.sessions import open_session
from plexbooks_plugin.auth.users import USER_SESSION_KEY
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.records import PlexAudiobook
from plexbooks_plugin.state import get_core

from .conftest import make_app

API_KEY = "host-api-key-for-tests-0123456789"
SECTION = "7"
_plex_ids = itertools.count(9000)


def build_app(database_url: str, instance_path: Path, **config: Any) -> Flask:
    """A test host with plexbooks mounted; CSRF is off unless a test turns it on."""
    config.setdefault("WTF_CSRF_ENABLED", False)
    return make_app(database_url, instance_path, **config)


def app_core(app: Flask) -> PlexBooksCore:
    """The PlexBooksCore of `app`."""
    return get_core(app)


def sign_in_as(
    client: FlaskClient, app: Flask, role: str = "user", username: str | None = None, plex_token: str | None = None
) -> int:
    """Make `client` a signed-in Plex account with `role` (no Plex round trip); return the user id."""
    plex_id = next(_plex_ids)
    with app_core(app).session() as session:
        user = repo.upsert_user(session, plex_id=plex_id, username=username or f"{role}{plex_id}", role=role)
        user_id = user.id
    secret = open_session(app_core(app), user_id, plex_token)
    with client.session_transaction() as sess:
        sess[USER_SESSION_KEY] = secret
    return user_id


def set_api_key(app: Flask, key: str = API_KEY) -> dict[str, str]:
    """Store the host API key; return the header that carries it."""
    app_core(app).set_setting("api_key", key)
    return {"X-Plexbooks-Key": key}


def host_client(app: Flask) -> FlaskClient:
    """A client that sends the host's API key (stored first with `set_api_key`) on every request."""
    client = app.test_client()
    client.environ_base["HTTP_X_PLEXBOOKS_KEY"] = API_KEY
    return client


def book(key: str, title: str, author: str | None, **fields: Any) -> PlexAudiobook:
    """A library album with a guid and a thumb derived from its key."""
    fields.setdefault("guid", f"plex://album/{key}")
    fields.setdefault("thumb", f"/library/metadata/{key}/thumb/1")
    return PlexAudiobook(rating_key=key, title=title, author=author, **fields)


def add_books(app: Flask, books: list[PlexAudiobook], section: str = SECTION) -> None:
    """Mirror `books` into the library as a scan would (and invalidate the match index)."""
    core = app_core(app)
    with core.session() as session:
        repo.upsert_library_page(session, section, books, None)
        repo.bump_library_version(session)
        if repo.get_setting(session, "library_id") is None:
            repo.set_setting(session, "library_id", section)


def csrf_from_page(client: FlaskClient, path: str = "/plexbooks/library") -> str:
    """Read the CSRF token a page gives its scripts in <meta name="csrf-token">."""
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, "the page has no csrf-token meta tag"
    return found.group(1)
