"""gunicorn with three workers on an empty database: all start and answer, one scheduler leader runs
each job once per interval, and SIGTERM hands the leader lease back. With and without --preload."""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text

from plexbooks_plugin.fakeplex import FakePlex

from .conftest import free_port, run_host
from .hostenv import HostEnv

RECENT_SECONDS = 2.4  # recent_scan_minutes = 0.04
WINDOW = 9.0


def query(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


def workers(base: str, count: int, timeout: float = 30) -> dict[int, dict[str, Any]]:
    """Ask /whoami concurrently until `count` different workers answered; pid -> last answer."""
    seen: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    with ThreadPoolExecutor(count * 2) as pool:
        while len(seen) < count and time.monotonic() < deadline:
            for answer in pool.map(lambda _: requests.get(f"{base}/whoami?pause=0.3", timeout=10), range(count * 2)):
                assert answer.status_code == 200
                seen[answer.json()["pid"]] = answer.json()
    return seen


def as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


@pytest.mark.parametrize("preload", [False, True], ids=["workers", "preload"])
@pytest.mark.parametrize("empty_database", ["sqlite", "postgresql"], indirect=True)
def test_three_workers_on_an_empty_database(
    host_env: HostEnv, host_plex: FakePlex, empty_database: str, tmp_path: Path, start_host: Any, preload: bool
) -> None:
    url, port = empty_database, free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["-m", "gunicorn", "-w", "3", "-b", f"127.0.0.1:{port}", "--graceful-timeout", "20"]
    host = start_host([*args, *(["--preload"] if preload else []), "gunicorn_host:app"], tmp_path,
                      HOST_DATABASE_URL=url, HOST_INSTANCE=str(tmp_path / "instance"))
    host.wait_http(f"{base}/plexbooks/health")
    answers = workers(base, 3)
    assert len(answers) == 3, host.output
    assert all(a["scheduler"] for a in answers.values()), answers  # each worker runs a scheduler ...
    assert "Worker failed to boot" not in host.output and "Traceback" not in host.output, host.output
    master_pid = host.proc.pid
    assert master_pid not in answers

    def cli(*argv: str) -> None:
        run_host(host_env, ["-m", "plexbooks_plugin.cli", "config", "set", *argv, "--database-url", url], tmp_path)

    cli("plex_url", host_plex.url)
    cli("plex_token", host_plex.token)
    cli("library_id", str(host_plex.music_section_id))
    cli("recent_scan_minutes", f"{RECENT_SECONDS / 60:g}")
    # ... and exactly one of them leads (the lease names it), never the master.
    (holder,) = query(url, "SELECT holder FROM plexbooks_leases WHERE name = 'scheduler'")[0]
    leaders = [pid for pid, answer in workers(base, 3).items() if answer["leader"]]
    assert len(leaders) == 1 and f":{leaders[0]}:" in holder, (leaders, holder)

    # The scheduler's own runs: the realtime listener's catch-up poll (triggered_by 'realtime') also
    # runs a recent scan when it connects, which may fall a second after a scheduled one.
    scheduled = "SELECT started_at FROM plexbooks_scan_runs WHERE kind = 'recent' AND triggered_by = 'scheduler'"
    started = len(query(url, scheduled))
    time.sleep(WINDOW)
    runs = [as_datetime(row[0]) for row in query(url, scheduled + " ORDER BY started_at")][started:]
    # Once per interval: about WINDOW / RECENT_SECONDS runs, never two close together (three leaders
    # would run three times as many).
    assert WINDOW / RECENT_SECONDS - 2 <= len(runs) <= WINDOW / RECENT_SECONDS + 1, runs
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(runs)]
    everything = query(url, "SELECT started_at, triggered_by FROM plexbooks_scan_runs WHERE kind = 'recent'")
    assert all(gap > RECENT_SECONDS * 0.6 for gap in gaps), (gaps, everything)
    # Every finished poll succeeded; the next one may be running as we look (at most one: the lease).
    statuses = [row[0] for row in query(url, "SELECT status FROM plexbooks_scan_runs WHERE kind = 'recent'")]
    assert statuses.count("running") <= 1, statuses
    assert {status for status in statuses if status != "running"} == {"succeeded"}, host.output[-3000:]
    # The full scan (every 6 h) ran at most once: its catch-up on taking leadership.
    assert query(url, "SELECT COUNT(*) FROM plexbooks_scan_runs WHERE kind = 'full'")[0][0] <= 1

    assert host.terminate() == 0, host.output
    assert query(url, "SELECT holder FROM plexbooks_leases WHERE name = 'scheduler'") == [], "lease not released"
