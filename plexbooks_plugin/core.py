"""PlexBooksCore: the database, the secret box and the Plex connections, usable with or without Flask."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import requests
from sqlalchemy.orm import Session

from . import repository as repo
from .crypto import SecretBox
from .db import Database
from .errors import ConfigError
from .matching import LibraryIndex

if TYPE_CHECKING:
    from .plex.client import PlexClient
    from .plex.plextv import PlexTV

DEFAULT_PLEX_TV_URL = "https://plex.tv"
DEFAULT_PLEX_APP_URL = "https://app.plex.tv"
# Rows stamped up to this long before the last index sync are read again at the next one: it covers
# clocks of other processes running behind and a page's transaction committing after its stamp (a
# page commits well within a second). Kept short: right after a full scan, a longer margin would
# re-read (and so rebuild from) the whole scan at every sync.
INDEX_SYNC_MARGIN = timedelta(seconds=5)
KEY_PROBLEM_ADVICE = (
    "Enter the Plex token again in Settings (or sign in with Plex there), or restore the key it was saved with."
)
# More changed rows than this (and than half the index) rebuild the index instead of patching it.
INDEX_REBUILD_MIN = 5000


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
    ) -> None:
        self.db = db
        self.box = box
        self.plex_tv_url = plex_tv_url.rstrip("/")
        self.plex_app_url = plex_app_url.rstrip("/")
        self.http_session = http_session
        self.plex_timeout = plex_timeout
        self.plex_retries = plex_retries
        # Unique per process and per core, so leases tell workers (and tests' cores) apart.
        self.holder_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._index: LibraryIndex | None = None
        self._index_keys: set[str] = set()  # the keys in self._index
        self._index_version = -1
        self._index_synced_at = datetime.min.replace(tzinfo=UTC)
        self.index_rebuilds = 0  # full builds of the index so far (tests and benchmarks read it)
        self._index_lock = threading.Lock()

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

    def client_identifier(self) -> str:
        """Return this install's X-Plex-Client-Identifier."""
        with self.session() as session:
            return repo.get_or_create_client_identifier(session)

    # -- Plex -------------------------------------------------------------

    def plex_configured(self) -> bool:
        """Say whether a server URL and a token are stored."""
        with self.session() as session:
            return bool(repo.get_setting(session, "plex_url") and repo.get_setting(session, "plex_token", self.box))

    def plex_configuration(self) -> tuple[bool, str | None]:
        """(whether a server and token are stored, why the stored token cannot be read, else None).

        A token that no longer decrypts (its key changed) is a problem pages show, not a 500.
        """
        try:
            return self.plex_configured(), None
        except ConfigError as err:
            return False, f"{err}. {KEY_PROBLEM_ADVICE}"

    def plex_client(self, url: str | None = None, token: str | None = None) -> PlexClient:
        """Build a client for the configured server (or for `url`/`token` while testing a connection)."""
        from .plex.client import PlexClient

        with self.session() as session:
            url = url or repo.get_setting(session, "plex_url")
            token = token or repo.get_setting(session, "plex_token", self.box)
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
        from .plex.plextv import PlexTV

        return PlexTV(
            self.plex_tv_url, self.plex_app_url, client_identifier=self.client_identifier(),
            session=self.http_session, timeout=self.plex_timeout,
        )

    def library_section(self) -> str:
        """Return the configured library section id."""
        section = self.get_setting("library_id")
        if not section:
            raise ConfigError("no audiobook library is selected yet: pick one in Settings")
        return section

    # -- matching index ---------------------------------------------------

    def library_index(self) -> LibraryIndex:
        """Return the in-memory match index, brought up to date when another scan changed the library.

        Built from the whole library on first use; after that, a change of ``library_version``
        re-adds the rows inserted or rewritten since the last sync (`row_updated_at`, with a margin
        for clock skew and transactions that committed late: re-adding is idempotent) and drops
        the keys that are gone, found by comparing key sets only when the row count says so.
        """
        with self.session() as session:
            version = repo.library_version(session)
            if self._index is not None and version == self._index_version:
                return self._index
            with self._index_lock:
                if self._index is not None and version == self._index_version:
                    return self._index
                started = repo.now()  # before reading: rows committed from here on are re-read next time
                if self._index is None:
                    self._full_index(session)
                else:
                    self._sync_index(session)
                self._index_version = version
                self._index_synced_at = started
                assert self._index is not None
                return self._index

    def _full_index(self, session: Session) -> None:
        keys: set[str] = set()
        index = LibraryIndex()
        for candidate in repo.library_candidates(session):
            index.add(candidate)
            keys.add(candidate.key)
        self._index, self._index_keys = index, keys
        self.index_rebuilds += 1

    def _sync_index(self, session: Session) -> None:
        index, keys = self._index, self._index_keys
        assert index is not None
        changes = repo.library_changes_since(session, self._index_synced_at - INDEX_SYNC_MARGIN)
        if len(changes) > max(INDEX_REBUILD_MIN, len(keys) // 2):
            self._full_index(session)  # most of the library changed: building anew is cheaper
            return
        for candidate in changes:
            index.add(candidate)  # replaces the key's previous candidate
            keys.add(candidate.key)
        if repo.count_library(session) != len(keys):
            # Rows are gone (the index holds every key it ever saw, the database fewer).
            for key in keys - repo.library_keys(session):
                index.remove(key)
                keys.discard(key)

    def invalidate_index(self) -> None:
        """Drop the cached index (the next lookup rebuilds it)."""
        with self._index_lock:
            self._index = None
            self._index_keys = set()
            self._index_version = -1
