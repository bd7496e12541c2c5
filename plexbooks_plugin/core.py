"""PlexBooksCore: the database, the secret box and the Plex connections, usable with or without Flask."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import requests
from sqlalchemy.orm import Session

from . import store as repo
from .const import DEFAULT_PLEX_APP_URL, DEFAULT_PLEX_TV_URL, SettingKey
from .crypto import SecretBox
from .db import Database
from .errors import ConfigError
from .index_cache import IndexCache
from .matching import LibraryIndex
from .models import utcnow
from .plex.client import PlexClient
from .plex.plextv import PlexTV
from .scanning.threads import ScanThreads


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
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.box = box
        self.plex_tv_url = plex_tv_url.rstrip("/")
        self.plex_app_url = plex_app_url.rstrip("/")
        self.http_session = http_session
        self.plex_timeout = plex_timeout
        self.plex_retries = plex_retries
        self.clock = clock  # the time leases are taken and judged at (tests drive it)
        # Unique per process and per core, so leases tell workers (and tests' cores) apart.
        self.holder_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.index_cache = IndexCache()
        self.scan_threads = ScanThreads()  # this runtime's background scans (scanning.start_scan)

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

    def plex_client(self, url: str | None = None, token: str | None = None) -> PlexClient:
        """Build a client for the configured server (or for `url`/`token` while testing a connection)."""
        with self.session() as session:
            url = url or repo.get_setting(session, SettingKey.PLEX_URL)
            token = token or repo.get_setting(session, SettingKey.PLEX_TOKEN, self.box)
            identifier = repo.get_or_create_client_identifier(session)
        if not url:
            raise ConfigError("no Plex server is configured yet: set its URL in Settings")
        if not token:
            raise ConfigError("no Plex token is stored yet: sign in with Plex or paste a token in Settings")
        return PlexClient(
            url, token, session=self.http_session, timeout=self.plex_timeout, retries=self.plex_retries,
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
        value = self.get_setting(SettingKey.LIBRARY_IDS)
        sections = [part for part in (value or "").split(",") if part]
        if not sections:
            raise ConfigError("no audiobook library is selected yet: pick one in Settings")
        return sections

    # -- matching index ---------------------------------------------------

    def library_index(self) -> LibraryIndex:
        """Return the in-memory match index, brought up to date when another scan changed the library."""
        return self.index_cache.get(self.session)

    @property
    def index_rebuilds(self) -> int:
        """Full builds of the index so far (tests and benchmarks read it)."""
        return self.index_cache.rebuilds

    def invalidate_index(self) -> None:
        """Drop the cached index (the next lookup rebuilds it)."""
        self.index_cache.invalidate()
