"""A separate worker process for the concurrency tests: ``python -m tests.reliability.worker MODE DB_URL ...``.

Modes:
  scheduler DB_URL STOP_FILE  - run a PlexBooksScheduler until STOP_FILE exists; print one JSON line with
                                its holder id, when it became / stopped being leader (time.time()), runs
                                and failures.
  scan DB_URL TTL_SECONDS     - run one full scan (page size 5) holding the scan lease with a short ttl;
                                print the summary (the test usually SIGKILLs it first).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import timedelta
from pathlib import Path

from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.crypto import SecretBox
from plexbooks_plugin.db import Database

TEST_SECRET = "test-secret-key-not-for-production"  # the same key as tests/conftest.py


def _core(url: str) -> PlexBooksCore:
    return PlexBooksCore(Database(url), SecretBox(TEST_SECRET), plex_timeout=(2.0, 5.0), plex_retries=1)


def run_scheduler(url: str, stop_file: Path) -> dict[str, object]:
    """Tick as one of several workers until told to stop; report leadership changes."""
    from plexbooks_plugin.scheduler import PlexBooksScheduler

    sched = PlexBooksScheduler(_core(url), tick_seconds=0.05, leader_ttl=timedelta(seconds=3))
    sched.start()
    print(json.dumps({"started": sched.holder}), flush=True)
    spans: list[list[float | None]] = []
    leading = False
    while not stop_file.exists():
        now = sched.is_leader
        if now and not leading:
            spans.append([time.time(), None])
        elif leading and not now:
            spans[-1][1] = time.time()
        leading = now
        time.sleep(0.01)
    sched.stop(timeout=10)
    if leading:
        spans[-1][1] = time.time()
    return {"holder": sched.holder, "spans": spans, "runs": sched.runs, "failures": sched.failures}


def run_one_scan(url: str, ttl: float) -> dict[str, object]:
    """One full scan in small pages under a short scan lease."""
    from plexbooks_plugin.scanning import run_scan

    return run_scan(_core(url), "full", page_size=5, lease_ttl=timedelta(seconds=ttl), triggered_by="worker")


def main(argv: list[str]) -> int:
    mode, url = argv[0], argv[1]
    if mode == "scheduler":
        result = run_scheduler(url, Path(argv[2]))
    elif mode == "scan":
        result = run_one_scan(url, float(argv[2]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
