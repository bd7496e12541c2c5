"""The Flask extension: ``PlexBooks(app)`` or ``PlexBooks().init_app(app)``."""

from __future__ import annotations

import logging
import threading
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context

from . import request_reads, scheduler_start, serving
from .auth.install import init_auth
from .core import DEFAULT_PLEX_APP_URL, DEFAULT_PLEX_TV_URL, PlexBooksCore
from .data_dir import default_database_dir
from .db import Database
from .hooks import set_default_core
from .index_file import FILE_NAME as INDEX_FILE_NAME
from .keys import key_sources, secret_box
from .plex.transport import DEFAULT_DEADLINE
from .state import COVER_FETCHES, EXTENSION_KEY, PlexBooksState, get_core, get_state
from .web.routes import bp as plexbooks_blueprint

log = logging.getLogger(__name__)

__all__ = ["EXTENSION_KEY", "PlexBooks", "PlexBooksState", "get_core", "get_state"]


def default_database_url(app: Flask) -> str:
    """PLEXBOOKS_DATABASE_URL, else the host's SQLALCHEMY_DATABASE_URI, else SQLite (see data_dir)."""
    url = app.config.get("PLEXBOOKS_DATABASE_URL") or app.config.get("SQLALCHEMY_DATABASE_URI")
    if url:
        return str(url)
    return f"sqlite:///{default_database_dir(app.instance_path) / 'plexbooks.db'}"


def warm_up(core: PlexBooksCore) -> None:
    """Get the availability index and the word search ready before any request needs them."""
    # Loading a saved index takes a fraction of a second: done before the host serves, so the first
    # request after a restart finds it.
    loaded = core.load_saved_index()
    if serving.in_gunicorn_master():
        # No thread in a process that forks: a worker forked while the warm-up thread wrote a log line
        # waited forever on the stream's lock. The master warms up first; the workers inherit it all.
        core.warm_up_or_log(loaded=loaded)
    else:
        # Syncing the index (or a first build) and the word search go on while the host serves.
        core.warm_up_in_background(loaded=loaded)


def host_app_context(app: Flask) -> AbstractContextManager[Any]:
    """`app`'s context for code that runs outside a request (scans, hooks): already inside it, nothing new."""
    if has_app_context() and current_app._get_current_object() is app:  # type: ignore[attr-defined]
        return nullcontext()
    return app.app_context()


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
        # Saving a new server or library starts a full scan (tests opt in, so no scan outlives its test).
        app.config.setdefault("PLEXBOOKS_SCAN_ON_SAVE", not app.config.get("TESTING", False))
        app.config.setdefault("PLEXBOOKS_PLEX_TV_URL", DEFAULT_PLEX_TV_URL)
        app.config.setdefault("PLEXBOOKS_PLEX_APP_URL", DEFAULT_PLEX_APP_URL)
        app.config.setdefault("PLEXBOOKS_AUTO_MIGRATE", True)
        app.config.setdefault("PLEXBOOKS_PLEX_TIMEOUT", (5.0, 30.0))
        app.config.setdefault("PLEXBOOKS_PLEX_RETRIES", 2)
        app.config.setdefault("PLEXBOOKS_PLEX_DEADLINE", DEFAULT_DEADLINE)
        # Load (or build) the availability index and build the word search at start, in the background.
        app.config.setdefault("PLEXBOOKS_WARM_UP", not app.config.get("TESTING", False))
        app.config["PLEXBOOKS_DATABASE_URL"] = default_database_url(app)

        db = Database(app.config["PLEXBOOKS_DATABASE_URL"])
        if app.config["PLEXBOOKS_AUTO_MIGRATE"]:
            db.upgrade()
        sources = key_sources(app.config, database_url=db.url, folder=Path(app.instance_path))
        box = secret_box(db, sources, writer=True)
        core = PlexBooksCore(
            db,
            box,
            plex_tv_url=app.config["PLEXBOOKS_PLEX_TV_URL"],
            plex_app_url=app.config["PLEXBOOKS_PLEX_APP_URL"],
            plex_timeout=tuple(app.config["PLEXBOOKS_PLEX_TIMEOUT"]),  # type: ignore[arg-type]
            plex_retries=int(app.config["PLEXBOOKS_PLEX_RETRIES"]),
            plex_deadline=float(app.config["PLEXBOOKS_PLEX_DEADLINE"]),
        )
        core.host_context = partial(host_app_context, app)
        state = PlexBooksState(app, core, url_prefix=app.config["PLEXBOOKS_URL_PREFIX"])
        fetches = max(1, int(app.config.get("PLEXBOOKS_COVER_FETCHES", COVER_FETCHES)))
        state.cover_slots = threading.BoundedSemaphore(fetches)
        app.extensions[EXTENSION_KEY] = state
        set_default_core(core)  # hooks called outside an app context use the latest core

        init_auth(app, state)
        request_reads.init_app(app)
        app.register_blueprint(plexbooks_blueprint, url_prefix=state.url_prefix)
        if app.config["PLEXBOOKS_WARM_UP"] and not serving.is_reloader_parent(app):
            core.index_file = default_database_dir(app.instance_path) / INDEX_FILE_NAME
            warm_up(core)

        if app.config["PLEXBOOKS_SCHEDULER"] and not serving.is_reloader_parent(app):
            scheduler_start.install(app, state)

