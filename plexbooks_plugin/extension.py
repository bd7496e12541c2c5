"""The Flask extension: ``PlexBooks(app)`` or ``PlexBooks().init_app(app)``."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from flask import Flask

from .auth.install import init_auth
from .core import DEFAULT_PLEX_APP_URL, DEFAULT_PLEX_TV_URL, PlexBooksCore
from .crypto import SecretBox, resolve_secret_key
from .db import Database
from .hooks import set_default_core
from .scheduler import PlexBooksScheduler
from .state import COVER_FETCHES, EXTENSION_KEY, PlexBooksState, get_core, get_state
from .web.routes import bp as plexbooks_blueprint

log = logging.getLogger(__name__)

__all__ = ["EXTENSION_KEY", "PlexBooks", "PlexBooksState", "get_core", "get_state"]


def default_database_url(app: Flask) -> str:
    """PLEXBOOKS_DATABASE_URL, else the host's SQLALCHEMY_DATABASE_URI, else SQLite in the instance folder."""
    url = app.config.get("PLEXBOOKS_DATABASE_URL") or app.config.get("SQLALCHEMY_DATABASE_URI")
    if url:
        return str(url)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path, 'plexbooks.db')}"


def _is_reloader_parent(app: Flask) -> bool:
    """Werkzeug's reloader runs the app twice; only the child (WERKZEUG_RUN_MAIN) should schedule."""
    return bool(app.debug) and os.environ.get("WERKZEUG_RUN_MAIN") != "true"


class PlexBooks:
    """Flask extension that mounts plexbooks on a host app."""

    def __init__(self, app: Flask | None = None) -> None:
        self.app = app
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Configure the database, sign-in, blueprint and scheduler on `app`."""
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                "PlexBooks is already registered on this app; call init_app once per app"
            )
        app.config.setdefault("PLEXBOOKS_URL_PREFIX", "/plexbooks")
        app.config.setdefault("PLEXBOOKS_SCHEDULER", not app.config.get("TESTING", False))
        app.config.setdefault("PLEXBOOKS_PLEX_TV_URL", DEFAULT_PLEX_TV_URL)
        app.config.setdefault("PLEXBOOKS_PLEX_APP_URL", DEFAULT_PLEX_APP_URL)
        app.config.setdefault("PLEXBOOKS_AUTO_MIGRATE", True)
        app.config.setdefault("PLEXBOOKS_PLEX_TIMEOUT", (5.0, 30.0))
        app.config.setdefault("PLEXBOOKS_PLEX_RETRIES", 2)
        app.config["PLEXBOOKS_DATABASE_URL"] = default_database_url(app)

        db = Database(app.config["PLEXBOOKS_DATABASE_URL"])
        box = SecretBox(resolve_secret_key(app.config, app.instance_path))
        core = PlexBooksCore(
            db,
            box,
            plex_tv_url=app.config["PLEXBOOKS_PLEX_TV_URL"],
            plex_app_url=app.config["PLEXBOOKS_PLEX_APP_URL"],
            plex_timeout=tuple(app.config["PLEXBOOKS_PLEX_TIMEOUT"]),  # type: ignore[arg-type]
            plex_retries=int(app.config["PLEXBOOKS_PLEX_RETRIES"]),
        )
        state = PlexBooksState(app, core, url_prefix=app.config["PLEXBOOKS_URL_PREFIX"])
        fetches = max(1, int(app.config.get("PLEXBOOKS_COVER_FETCHES", COVER_FETCHES)))
        state.cover_slots = threading.BoundedSemaphore(fetches)
        app.extensions[EXTENSION_KEY] = state
        set_default_core(core)  # hooks called outside an app context use the latest core
        if app.config["PLEXBOOKS_AUTO_MIGRATE"]:
            db.upgrade()

        init_auth(app, state)
        app.register_blueprint(plexbooks_blueprint, url_prefix=state.url_prefix)

        if app.config["PLEXBOOKS_SCHEDULER"] and not _is_reloader_parent(app):
            state.scheduler = PlexBooksScheduler(core)
            state.scheduler.start()

