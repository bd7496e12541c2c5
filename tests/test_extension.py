"""The Flask extension: config defaults, state, one registration per app, nothing started in tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from plexbooks_plugin import PlexBooks
from plexbooks_plugin.extension import get_core, get_state

from .conftest import make_app


def test_init_app_sets_defaults_and_state(database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, tmp_path)
    state = app.extensions["plexbooks"]
    assert get_state(app) is state
    assert app.config["PLEXBOOKS_URL_PREFIX"] == "/plexbooks"
    assert app.config["PLEXBOOKS_PLEX_TV_URL"] == "https://plex.tv"
    assert app.config["PLEXBOOKS_PLEX_APP_URL"] == "https://app.plex.tv"
    assert app.config["PLEXBOOKS_SCHEDULER"] is False  # TESTING turns it off
    assert state.scheduler is None
    assert get_core(app).db.url == database_url
    assert app.test_client().get("/plexbooks/health").get_json() == {"status": "ok"}


def test_second_registration_is_refused(database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, tmp_path)
    with pytest.raises(RuntimeError, match="already registered"):
        PlexBooks(app)


def test_factory_style_init_app_and_default_sqlite(tmp_path: Path) -> None:
    ext = PlexBooks()
    app = Flask("host", instance_path=str(tmp_path / "inst"))
    app.config.update(TESTING=True, SECRET_KEY="k")
    ext.init_app(app)
    assert app.config["PLEXBOOKS_DATABASE_URL"].startswith("sqlite:///")
    assert (tmp_path / "inst" / "plexbooks.db").exists()


def test_host_database_uri_is_used(database_url: str, tmp_path: Path) -> None:
    app = Flask("host", instance_path=str(tmp_path))
    app.config.update(TESTING=True, SECRET_KEY="k", SQLALCHEMY_DATABASE_URI=database_url)
    PlexBooks(app)
    assert app.config["PLEXBOOKS_DATABASE_URL"] == database_url


def test_custom_prefix(database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, tmp_path, PLEXBOOKS_URL_PREFIX="/addons/plex")
    assert app.test_client().get("/addons/plex/health").status_code == 200
