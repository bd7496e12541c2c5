"""PlexBooksCore: the database, the secret box and the Plex connections, usable with or without Flask."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import requests
from sqlalchemy.orm import Session

from . import store as repo
from .const import DEFAULT_PLEX_APP_URL, DEFAULT_PLEX_TV_URL, SettingKey
from .crypto import SecretBox
from .db import Database
from .errors import ConfigError
from .index_cache import IndexCache
from .library_search import LibrarySearch
from .matching import LibraryIndex
from .models import utcnow
from .plex.client import PlexClient
from .plex.plextv import PlexTV
from .plex.transport import DEFAULT_DEADLINE, origin_of
from .scanning.threads import ScanThreads
from .settings import split_ids

log = logging.getLogger(__name__)

KEY_PROBLEM_ADVICE = (
    "Enter the Plex token again in Settings (or sign in with Plex there), or restore the key it was saved with."
)


def same_server(url: str, stored_url: str | None) -> bool:
    """Say whether `url` names the stored server URL (scheme, host and port, path; case and a final / aside)."""
    if not stored_url:
        return False
    return url.strip().rstrip("/").lower() == stored_url.strip().rstrip("/").lower()


class PlexBooksCore:
    """Everything a scan, a hook, a view or the CLI needs, owned in one place."""

    def __init__(
        self,
        db: Database,
        box: SecretBox,
        *,
        plex_tv_url: str = DEFAULT_PLEX_TV_URL,
        plex_app_url: str = DEFAULT_PLEX_APP_URL,
        http_session: requests.Session | None = None,
        plex_timeout: tuple[float, float] = (5.0, 30.0),
        plex_retries: int = 2,
        plex_deadline: float | None = DEFAULT_DEADLINE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.box = box
        self.plex_tv_url = plex_tv_url.rstrip("/")
        self.plex_app_url = plex_app_url.rstrip("/")
        self.http_session = http_session
        self.plex_timeout = plex_timeout
        self.plex_retries = plex_retries
        self.plex_deadline = plex_deadline  # seconds one Plex request may take in all
        self.clock = clock  # the time leases are taken and judged at (tests drive it)
        # Unique per process and per core, so leases tell workers (and tests' cores) apart.
        self.holder_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.index_cache = IndexCache()
        # Where `warm_up` saves the built index for the next start (the extension sets it; None: nowhere).
        self.index_file: Path | None = None
        self._search: LibrarySearch | None = None
        self._search_version = -1
        self._search_lock = threading.Lock()
        self.scan_threads = ScanThreads()  # this runtime's background scans (scanning.start_scan)
        # What signal receivers run inside: the extension sets the host app's context here.
        self.host_context: Callable[[], AbstractContextManager[Any]] = nullcontext

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a database session that commits on success."""
        with self.db.session() as session:
            yield session

    # -- settings ---------------------------------------------------------

    def get_setting(self, key: str) -> str | None:
        """Read one setting (secrets decrypted)."""
        with self.session() as session:
            return repo.get_setting(session, key, self.box)

    def set_setting(self, key: str, value: str | None) -> None:
        """Validate and store one setting (secrets encrypted)."""
        with self.session() as session:
            repo.set_setting(session, key, value, self.box)

    def set_settings(self, values: dict[str, str | None]) -> None:
        """Validate and store several settings in one transaction (all of them or none)."""
        with self.session() as session:
            repo.set_settings(session, values, self.box)

    def client_identifier(self) -> str:
        """Return this install's X-Plex-Client-Identifier."""
        with self.session() as session:
            return repo.get_or_create_client_identifier(session)

    # -- Plex -------------------------------------------------------------

    def plex_configured(self) -> bool:
        """Say whether a server URL and a token are stored."""
        with self.session() as session:
            url = repo.get_setting(session, SettingKey.PLEX_URL)
            return bool(url and repo.get_setting(session, SettingKey.PLEX_TOKEN, self.box))

    def plex_configuration(self) -> tuple[bool, str | None]:
        """(whether a server and token are stored, why the stored token cannot be read, else None).

        A token that no longer decrypts (its key changed) is a problem pages show, not a 500.
        """
        try:
            return self.plex_configured(), None
        except ConfigError as err:
            return False, f"{err}. {KEY_PROBLEM_ADVICE}"

    def plex_client(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: tuple[float, float] | None = None,
        retries: int | None = None,
    ) -> PlexClient:
        """Build a client for the configured server (or for `url`/`token` while testing a connection).

        The stored token goes only to the stored server: another `url` needs its own `token`.
        """
        with self.session() as session:
            stored_url = repo.get_setting(session, SettingKey.PLEX_URL)
            if url and not token and not same_server(url, stored_url):
                raise ConfigError(
                    f"enter the token for {origin_of(url) or 'that server'}: the stored token is sent "
                    "only to the stored server URL"
                )
            url = url or stored_url
            token = token or repo.get_setting(session, SettingKey.PLEX_TOKEN, self.box)
            identifier = repo.get_or_create_client_identifier(session)
        if not url:
            raise ConfigError("no Plex server is configured yet: set its URL in Settings")
        if not token:
            raise ConfigError("no Plex token is stored yet: sign in with Plex or paste a token in Settings")
        return PlexClient(
            url, token, session=self.http_session, timeout=timeout or self.plex_timeout,
            retries=self.plex_retries if retries is None else retries, deadline=self.plex_deadline,
            client_identifier=identifier,
        )

    def plextv(self) -> PlexTV:
        """Build a plex.tv client carrying this install's identifier."""
        return PlexTV(
            self.plex_tv_url, self.plex_app_url, client_identifier=self.client_identifier(),
            session=self.http_session, timeout=self.plex_timeout,
        )

    def library_sections(self) -> list[str]:
        """Return the selected library section ids (at least one, else ConfigError)."""
        sections = split_ids(self.get_setting(SettingKey.LIBRARY_IDS))
        if not sections:
            raise ConfigError("no audiobook library is selected yet: pick one in Settings")
        return sections

    # -- matching index ---------------------------------------------------

    def library_index(self, known_version: int | None = None) -> LibraryIndex:
        """Return the in-memory match index, brought up to date when another scan changed the library.

        `known_version`: the library's version as the caller read it (a request reads it with its other
        settings); when it is the index's, no query is made. None: read it here.
        """
        return self.index_cache.get(self.session, known_version)

    @property
    def index_rebuilds(self) -> int:
        """Full builds of the index so far (tests and benchmarks read it)."""
        return self.index_cache.rebuilds

    def invalidate_index(self) -> None:
        """Drop the cached index (the next lookup rebuilds it)."""
        self.index_cache.invalidate()

    def library_search(self, known_version: int | None = None) -> LibrarySearch:
        """Return the in-memory word search of the library, rebuilt when the library changed since.

        `known_version`: the library's version as the caller read it; when it is the search's, no query
        is made. None: read it here.
        """
        if known_version is not None and self._search is not None and known_version == self._search_version:
            return self._search
        with self.session() as session:
            version = repo.library_version(session)
            if self._search is not None and version == self._search_version:
                return self._search
            with self._search_lock:
                if self._search is None or version != self._search_version:
                    # Version first, rows after: rows newer than the version only cause one more rebuild.
                    self._search = LibrarySearch(repo.library_search_rows(session))
                    self._search_version = version
                return self._search

    def load_saved_index(self) -> bool:
        """Start from the index saved at `index_file` by an earlier start, if it is this database's; say whether."""
        if self.index_file is None:
            return False
        try:
            return self.index_cache.load(self.index_file, self.box, self.client_identifier())
        except Exception:  # only a cache: build instead
            log.warning("could not load the saved library index %s", self.index_file, exc_info=True)
            return False

    def warm_up(self, *, loaded: bool | None = None) -> None:
        """Load (or build) the match index and build the word search now, so that no user request waits for them.

        `loaded` says whether `load_saved_index` already ran (and found one); None: try it now.
        """
        started = time.perf_counter()
        if loaded is None:
            loaded = self.load_saved_index()
        builds = self.index_cache.rebuilds
        index = self.library_index()
        index.best_match("warm up", "warm up")  # the matching code's first-use costs
        if self.index_file is not None and (self.index_cache.rebuilds != builds or not loaded):
            try:
                self.index_cache.save(self.index_file, self.box, self.client_identifier())
            except Exception:  # only a cache: the next start builds instead
                log.warning("could not save the library index to %s", self.index_file, exc_info=True)
        self.library_search()
        log.info("library index (%s) and search ready: %d albums in %.2f s", "loaded" if loaded else "built",
                 len(index), time.perf_counter() - started)

    def warm_up_or_log(self, *, loaded: bool | None = None) -> None:
        """Run `warm_up`; a failure is logged, not raised (the first request builds instead)."""
        try:
            self.warm_up(loaded=loaded)
        except Exception:
            log.exception("preparing the library index at start failed; the first request builds it")

    def warm_up_in_background(self, *, loaded: bool | None = None) -> threading.Thread:
        """Run `warm_up_or_log` in a daemon thread."""
        thread = threading.Thread(target=partial(self.warm_up_or_log, loaded=loaded), name="plexbooks-warm-up",
                                  daemon=True)
        thread.start()
        return thread
