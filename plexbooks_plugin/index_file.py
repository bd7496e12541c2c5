"""The availability index saved to a file, so that a restarted host loads it instead of building it.

Building the index analyses every title and author (about 2 s of CPU at 100,000 albums); loading
the saved one takes a tenth of that. The file is sealed with the app's secret (Fernet: encrypted
and authenticated), so only this install can have written what it unpickles, and it names the
database (its client identifier), the library version it reflects and the code that built it: a
file of another database, of another plexbooks version or that does not open is ignored (and the
index is built as before). A loaded index is brought up to date by the usual incremental sync.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import matching
from ._version import __version__
from .crypto import SecretBox
from .matching import LibraryIndex

log = logging.getLogger(__name__)

FORMAT = 1
FILE_NAME = "plexbooks-index.cache"


@dataclass(frozen=True)
class SavedIndex:
    """An index with what it reflects: the database, its library version, when it was last synced."""

    database: str
    version: int
    synced_at: datetime
    index: LibraryIndex
    keys: set[str]


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """What built the index: plexbooks' version and the matching code's source (a changed analysis invalidates)."""
    digest = hashlib.sha256()
    for module in sorted(Path(matching.__file__).parent.glob("*.py")):  # the whole matching package
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    return f"{__version__}:{digest.hexdigest()[:16]}"


def save(path: Path, box: SecretBox, saved: SavedIndex) -> None:
    """Write the index to `path` atomically (a temporary file renamed over it), readable by this user only."""
    payload = pickle.dumps(
        (FORMAT, code_fingerprint(), saved.database, saved.version, saved.synced_at, saved.index, saved.keys),
        protocol=pickle.HIGHEST_PROTOCOL,
    )
    sealed = box.seal(payload)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(sealed)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _unpickle(payload: bytes) -> Any:
    """Unpickle with the cyclic garbage collector paused: a million new objects would trigger it
    dozens of times (0.25 s instead of 0.7 s at 100,000 albums); nothing in the index is cyclic."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(payload)  # only what `save` sealed with this secret gets here
    finally:
        if paused:
            gc.enable()


def load(path: Path, box: SecretBox, database: str) -> SavedIndex | None:
    """The index saved at `path` for `database` by this code, or None (missing, foreign, stale or unreadable)."""
    try:
        sealed = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        log.warning("the saved library index %s cannot be read (%s); building it instead", path, err)
        return None
    payload = box.unseal(sealed)
    if payload is None:
        log.info("the saved library index %s was not written with this secret key; building it instead", path)
        return None
    try:
        fmt, fingerprint, owner, version, synced_at, index, keys = _unpickle(payload)
    except Exception as err:  # a file of an older format: build instead
        log.info("the saved library index %s cannot be loaded (%s); building it instead", path, err)
        return None
    if (fmt, fingerprint, owner) != (FORMAT, code_fingerprint(), database) or not isinstance(index, LibraryIndex):
        return None
    return SavedIndex(owner, int(version), synced_at, index, set(keys))
