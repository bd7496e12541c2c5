"""The in-memory match index of one runtime, kept in step with the mirrored library."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from . import index_file
from . import store as repo
from .crypto import SecretBox
from .matching import Candidate, LibraryIndex

# Rows stamped up to this long before the last index sync are read again at the next one: it covers
# clocks of other processes running behind and a page's transaction committing after its stamp (a
# page commits well within a second). Kept short: right after a full scan, a longer margin would
# re-read (and so rebuild from) the whole scan at every sync.
INDEX_SYNC_MARGIN = timedelta(seconds=5)
# More changed rows than this (and than half the index) rebuild the index instead of patching it.
INDEX_REBUILD_MIN = 5000


class IndexCache:
    """Owns the index: built from the whole library once, then patched when ``library_version`` moves.

    A change of ``library_version`` re-adds the rows inserted or rewritten since the last sync
    (`row_updated_at`, with a margin for clock skew and transactions that committed late: re-adding
    is idempotent) and drops the keys that are gone, found by comparing key sets only when the row
    count says so.
    """

    def __init__(self) -> None:
        self._index: LibraryIndex | None = None
        self._keys: set[str] = set()  # the keys in self._index
        self._version = -1
        self._synced_at = datetime.min.replace(tzinfo=UTC)
        self.rebuilds = 0  # full builds so far (tests and benchmarks read it)
        self._lock = threading.Lock()

    def get(
        self, session_scope: Callable[[], AbstractContextManager[Session]], known_version: int | None = None
    ) -> LibraryIndex:
        """Return the index, brought up to date first when another scan changed the library.

        `known_version`: the library's version as the caller read it (no query when it is the index's).
        """
        if known_version is not None and self._index is not None and known_version == self._version:
            return self._index
        with session_scope() as session:
            version = repo.library_version(session)
            if self._index is not None and version == self._version:
                return self._index
            with self._lock:
                if self._index is not None and version == self._version:
                    return self._index
                started = repo.now()  # before reading: rows committed from here on are re-read next time
                if self._index is None:
                    self._build(session)
                else:
                    self._sync(session)
                self._version = version
                self._synced_at = started
                assert self._index is not None
                return self._index

    def load(self, path: Path, box: SecretBox, database: str) -> bool:
        """Start from the index a previous process saved at `path` for `database`; say whether there was one.

        A loaded index is then synced like any other: the rows changed since it was saved are re-read.
        """
        with self._lock:
            if self._index is not None:
                return False
            saved = index_file.load(path, box, database)
            if saved is None:
                return False
            self._index, self._keys = saved.index, saved.keys
            self._version, self._synced_at = saved.version, saved.synced_at
            return True

    def save(self, path: Path, box: SecretBox, database: str) -> None:
        """Save the index for the next start (nothing when none is built)."""
        with self._lock:
            if self._index is None:
                return
            saved = index_file.SavedIndex(database, self._version, self._synced_at, self._index, set(self._keys))
            index_file.save(path, box, saved)

    def invalidate(self) -> None:
        """Drop the index (the next `get` rebuilds it)."""
        with self._lock:
            self._index = None
            self._keys = set()
            self._version = -1

    def _build(self, session: Session) -> None:
        keys: set[str] = set()

        def streamed() -> Iterator[Candidate]:
            for candidate in repo.library_candidates(session):
                keys.add(candidate.key)
                yield candidate

        self._index, self._keys = LibraryIndex(streamed()), keys
        self.rebuilds += 1

    def _sync(self, session: Session) -> None:
        index, keys = self._index, self._keys
        assert index is not None
        changes = repo.library_changes_since(session, self._synced_at - INDEX_SYNC_MARGIN)
        if len(changes) > max(INDEX_REBUILD_MIN, len(keys) // 2):
            self._build(session)  # most of the library changed: building anew is cheaper
            return
        for candidate in changes:
            index.add(candidate)  # replaces the key's previous candidate
            keys.add(candidate.key)
        if repo.count_library(session) != len(keys):
            # Rows are gone (the index holds every key it ever saw, the database fewer).
            for key in keys - repo.library_keys(session):
                index.remove(key)
                keys.discard(key)
