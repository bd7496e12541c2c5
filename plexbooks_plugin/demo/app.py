"""The demo host: a tiny audiobook "download manager" that mounts plexbooks through plugin.yaml."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from importlib.resources import files
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from .. import store as repo
from ..auth.users import current_plexbooks_user
from ..const import SettingKey
from ..crypto import read_or_create_key_file
from ..errors import ConfigError, PlexbooksError, ScanRunning
from ..fakeplex import FakePlex
from ..scanning import start_scan
from ..security import current_role
from ..services.requests import create_request
from ..state import get_core
from .catalog import CatalogBook, build_catalog
from .manifest import LoadedPlugin, load_plugin

log = logging.getLogger(__name__)

HOST_NAME = "Shelf"
SESSION_KEY_FILE = "demo-session.key"
AUDIOBOOK_ROOT = "/data/Audiobooks"
DEMO_MARKER = SettingKey.DEMO_DATABASE  # a setting only the demo writes


def session_secret(instance_path: Path) -> str:
    """The demo host's own SECRET_KEY (sessions), generated once into the instance folder (mode 0600)."""
    return read_or_create_key_file(instance_path / SESSION_KEY_FILE)


class DemoState:
    """What the demo host keeps: the emulator, the loaded plugin, its catalog and Plex notifications."""

    def __init__(self, plex: FakePlex, plugin: LoadedPlugin, catalog: list[CatalogBook]) -> None:
        self.plex = plex
        self.plugin = plugin
        self.catalog = catalog
        self.by_request_id = {book.request_id: book for book in catalog}
        self.events: deque[dict[str, Any]] = deque(maxlen=50)
        self.lock = threading.Lock()

    def notify(self, text: str, **extra: Any) -> None:
        """Remember a notification for the page."""
        with self.lock:
            self.events.appendleft({"at": time.time(), "text": text, **extra})


def demo_home() -> Path:
    """The demo's own instance folder: ``$XDG_DATA_HOME/plexbooks/demo`` (default ``~/.local/share/...``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).absolute() / "plexbooks" / "demo"


def configure_plugin(app: Flask, plex: FakePlex) -> None:
    """Point plexbooks at the emulator: URL and token on every start (the port changes), library once.

    Refuses a database that holds a configuration the demo did not write: the demo must never
    replace a real server's URL and token.
    """
    core = get_core(app)
    with core.session() as session:
        if repo.get_setting(session, "plex_url") and repo.get_setting(session, DEMO_MARKER) != "true":
            raise ConfigError(
                f"{core.db.url.split('@')[-1]} holds a Plex configuration the demo did not write; "
                "the demo keeps its own database (leave out --database-url)"
            )
        repo.set_setting(session, DEMO_MARKER, "true")
        repo.set_setting(session, "plex_url", plex.url, core.box)
        repo.set_setting(session, "plex_token", plex.token, core.box)
        if not repo.get_setting(session, SettingKey.LIBRARY_ID):
            repo.set_setting(session, SettingKey.LIBRARY_ID, plex.music_section_id, core.box)
        repo.set_setting(session, "plex_machine_identifier", plex.machine_identifier, core.box)


def create_demo_app(
    plex: FakePlex,
    *,
    database_url: str | None = None,
    instance_path: str | Path | None = None,
    scheduler: bool = True,
    catalog_size: int = 30,
    **config: Any,
) -> Flask:
    """Build the demo host with plexbooks mounted from plugin.yaml and pointed at `plex`.

    Its database is `database_url`, else SQLite in its instance folder (default `demo_home()`);
    never PLEXBOOKS_DATABASE_URL.
    """
    instance = Path(instance_path or demo_home()).resolve()
    templates = str(files("plexbooks_plugin.templates"))
    app = Flask(
        "plexbooks_demo", instance_path=str(instance), template_folder=templates,
        static_folder=str(files("plexbooks_plugin") / "static"), static_url_path="/demo-static",
    )
    app.config.update(
        SECRET_KEY=session_secret(instance),
        PLEXBOOKS_DATABASE_URL=demo_database_url(database_url, instance),
        PLEXBOOKS_PLEX_TV_URL=plex.url,
        PLEXBOOKS_PLEX_APP_URL=plex.url,
        PLEXBOOKS_SCHEDULER=scheduler,
        PLEXBOOKS_HOST_NAME=HOST_NAME,
        PLEXBOOKS_HOST_URL="/",
        **config,
    )
    plugin = load_plugin(app)
    configure_plugin(app, plex)
    state = DemoState(plex, plugin, build_catalog(plex, catalog_size))
    app.extensions["plexbooks_demo"] = state

    # Tell plexbooks what the store sells, as a host does after refreshing its catalog.
    with app.app_context():
        plugin.hook("catalog_refreshed", items=[
            {"external_id": b.id, "title": b.title, "author": b.author, "narrator": b.narrator, "asin": b.asin}
            for b in state.catalog
        ])

    def on_available(sender: Any, request_id: str, rating_key: str, **_: Any) -> None:
        book = state.by_request_id.get(str(request_id))
        title = book.title if book else str(request_id)
        state.notify(f"Plex now has “{title}”: request {request_id} is available.", request_id=request_id,
                     rating_key=rating_key)

    plugin.signals["request_available"].connect(on_available, weak=False)
    _register_routes(app, state)
    return app


def _state() -> DemoState:
    return current_app.extensions["plexbooks_demo"]  # type: ignore[no-any-return]


def _guard() -> None:
    """The demo's own buttons need a signed-in Plex user and the page's CSRF token."""
    if current_role() is None:
        abort(401)
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except ValidationError:  # missing, stale or forged token
        abort(400)


def _book_for(request_id: str) -> CatalogBook:
    book = _state().by_request_id.get(request_id)
    if book is None:
        abort(404)
    return book


def _start_recent_scan(app: Flask) -> int | None:
    """Start a recently-added poll; if a scan is running, retry in the background until it can start."""
    core = get_core(app)
    try:
        return start_scan(core, "recent", triggered_by="demo import")
    except ScanRunning:
        pass

    def retry() -> None:
        for _ in range(120):
            time.sleep(0.5)
            try:
                start_scan(core, "recent", triggered_by="demo import")
                return
            except ScanRunning:
                continue
            except PlexbooksError as err:
                log.warning("demo: recently-added poll failed to start: %s", err)
                return

    threading.Thread(target=retry, name="demo-recent-poll", daemon=True).start()
    return None


def file_request(request_id: str) -> ResponseReturnValue:
    """The host files a catalog book's request for the signed-in user under its own id (as a host would).

    A plain user may not choose the host's request id through the API; the host, trusted, does it here.
    """
    _guard()
    book = _book_for(request_id)
    user = current_plexbooks_user()
    outcome = create_request(
        get_core(), title=book.title, author=book.author, asin=book.asin, host_request_id=request_id,
        requested_by=user.id if user else None, requested_by_name=user.username if user else None,
    )
    outcome.body.pop("downloaded_path", None)
    return jsonify(outcome.body), 201 if outcome.created else 409


def _register_routes(app: Flask, state: DemoState) -> None:
    @app.get("/")
    def index() -> ResponseReturnValue:
        """The store: catalog with badges, requests, and the plugin's admin actions."""
        core = get_core()
        with core.session() as session:
            library_count = repo.count_library(session)
            has_library = bool(repo.get_setting(session, SettingKey.LIBRARY_ID))
            last_run = repo.latest_scan_run(session, status="succeeded")
            request_done = bool(repo.list_requests(session, status="available", limit=1))
        plex_ready, key_problem = core.plex_configuration()
        role = current_role()
        current_user = current_plexbooks_user()
        return render_template(
            "demo/index.html",
            state=state,
            catalog=state.catalog,
            role=role,
            user_name=getattr(current_user, "username", None) if role else None,
            library_count=library_count,
            configured=has_library and plex_ready,
            key_problem=key_problem,
            scanned=last_run is not None,
            request_done=request_done,
            plex=state.plex,
            host_name=HOST_NAME,
        )

    @app.get("/demo/api/events")
    def events() -> ResponseReturnValue:
        """Notifications the host received from plexbooks' request_available signal."""
        with state.lock:
            return jsonify({"items": list(state.events)})

    app.post("/demo/requests/<request_id>")(file_request)

    @app.post("/demo/requests/<request_id>/start")
    def start_download(request_id: str) -> ResponseReturnValue:
        """The host starts downloading a request and tells plexbooks (request_status hook)."""
        _guard()
        _book_for(request_id)
        return jsonify(state.plugin.hook("request_status", request_id=request_id, status="downloading"))

    @app.post("/demo/requests/<request_id>/downloaded")
    def download_completes(request_id: str) -> ResponseReturnValue:
        """A fake download finished and was filed into the library folder (download_organized hook)."""
        _guard()
        book = _book_for(request_id)
        path = f"{AUDIOBOOK_ROOT}/{book.author or 'Unknown'}/{book.title}"
        result = state.plugin.hook(
            "download_organized", request_id=request_id, title=book.title, author=book.author, path=path,
            asin=book.asin,
        )
        state.notify(f"Download of “{book.title}” finished and was filed in {path}.", request_id=request_id)
        return jsonify(result), 500 if result.get("error") else 200

    @app.post("/demo/requests/<request_id>/import")
    def simulate_import(request_id: str) -> ResponseReturnValue:
        """Pretend Plex scanned the new folder: add the book to the emulator, then poll recently added."""
        _guard()
        book = _book_for(request_id)
        rating_key = state.plex.add_album(book.title, book.author, narrator=book.narrator, asin=book.asin)
        run_id = _start_recent_scan(app)
        state.notify(f"Plex added “{book.title}”; plexbooks is checking recently added.",
                     request_id=request_id)
        return jsonify({"request_id": request_id, "rating_key": rating_key, "run_id": run_id})

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        return {"plugin": state.plugin, "prefix": app.config["PLEXBOOKS_URL_PREFIX"],
                "login_url": url_for("plexbooks.login", next="/")}


def demo_database_url(database_url: str | None, instance_path: Path) -> str:
    """The demo's database: as given, else SQLite in its instance folder (never PLEXBOOKS_DATABASE_URL)."""
    if database_url:
        return database_url
    instance_path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(instance_path / 'plexbooks.db').resolve()}"
