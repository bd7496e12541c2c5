"""The cluster-wide scan lease: one scan (or removal confirmation) at a time across every process."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from .. import store as repo
from ..const import SCAN_LEASE
from ..errors import ScanRunning

if TYPE_CHECKING:
    from ..core import PlexBooksCore


def new_holder(core: PlexBooksCore) -> str:
    """A lease holder name unique per scan, not per core: two threads of one process must not share the lock."""
    return f"{core.holder_id}:scan:{uuid.uuid4().hex[:8]}"


def acquire_scan_lease(
    core: PlexBooksCore, holder: str, ttl: timedelta, sleep: Callable[[float], None] = time.sleep
) -> None:
    """Take the scan lease for `holder` or raise ScanRunning naming the running scan."""
    with core.session() as session:
        if repo.acquire_lease(session, SCAN_LEASE, holder, ttl, core.clock()):
            return
    raise ScanRunning(running_run_id(core, sleep))


def running_run_id(core: PlexBooksCore, sleep: Callable[[float], None] = time.sleep) -> int | None:
    """The id of the running scan; the lease holder records its run right after taking the lease: give it a moment."""
    for attempt in range(5):
        with core.session() as session:
            run = repo.running_scan_run(session)
            if run is not None:
                return run.id
        sleep(0.02 * (attempt + 1))
    return None


def release_scan_lease(core: PlexBooksCore, holder: str) -> None:
    """Give the scan lease back (only if `holder` still has it)."""
    with core.session() as session:
        repo.release_lease(session, SCAN_LEASE, holder)
