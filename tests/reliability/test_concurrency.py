"""One scan at a time, one scheduler leader across processes, and recovery from a worker killed mid-scan."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from plexbooks_plugin import scanning as scanner
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.errors import ScanRunning
from plexbooks_plugin.extension import get_core
from plexbooks_plugin.scanning import run_scan
from plexbooks_plugin.scheduler import LEADER_LEASE
from tests.fakeplex_fixtures import FakePlexFactory

from .helpers import LISTING, configure, lease_holder, library_keys, run_of, runs, snapshot, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
ITEMS = 30
SCANS_HAMMERED = 6


def _assert_no_duplicates(core: PlexBooksCore, expected: int) -> None:
    keys = library_keys(core)
    assert len(keys) == len(set(keys)) == expected


# ------------------------------------------------------------------ threads in one process


def test_five_simultaneous_triggers_run_exactly_one_scan(
    app: Flask, fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory, key_headers: dict[str, str]
) -> None:
    fake = fake_plex_factory(items=ITEMS)
    configure(fast_core, fake)
    fake.set_fault("latency", on_path=LISTING, delay=0.3)  # every page is slow, so the triggers overlap
    barrier = threading.Barrier(5)
    outcomes: dict[str, tuple[str, Any]] = {}

    def scan(name: str, kind: str) -> None:
        barrier.wait()
        try:
            outcomes[name] = ("ran", run_scan(fast_core, kind, page_size=10)["run_id"])
        except ScanRunning as err:
            outcomes[name] = ("busy", err.run_id)

    def button(name: str) -> None:
        client = app.test_client()
        barrier.wait()
        answer = client.post("/plexbooks/api/scan", json={"kind": "full"}, headers=key_headers)
        body = answer.get_json()
        outcomes[name] = ("ran", body["run_id"]) if answer.status_code == 202 else ("busy", body.get("run_id"))
        assert answer.status_code in (202, 409) and (answer.status_code == 202 or body["error"] == "scan_running")

    threads = [
        threading.Thread(target=scan, args=("full", "full")),
        threading.Thread(target=scan, args=("recent", "recent")),
        *(threading.Thread(target=button, args=(f"button{n}",)) for n in range(3)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(outcomes) == 5, outcomes
    ran = [value for state, value in outcomes.values() if state == "ran"]
    busy = [value for state, value in outcomes.values() if state == "busy"]
    assert len(ran) == 1 and len(busy) == 4, outcomes
    winner = ran[0]
    assert busy == [winner] * 4, outcomes  # every refusal names the running scan
    assert scanner.wait_for_scan(get_core(app), winner, timeout=30)  # a button scan runs on the app's core
    assert [r.id for r in runs(fast_core)] == [winner]
    assert run_of(fast_core, winner).status == "succeeded"
    fake.clear_faults()
    run_scan(fast_core, "full")
    _assert_no_duplicates(fast_core, ITEMS)
    assert lease_holder(fast_core, scanner.SCAN_LEASE) is None


def test_scans_hammered_from_many_threads_never_overlap(
    core: PlexBooksCore, fake_plex_factory: FakePlexFactory
) -> None:
    # Counted, not timed: a loaded machine only makes the test slower. The default (patient) Plex
    # timeouts keep a slow answer from failing a scan; this test is about overlap, not timeouts.
    fake = fake_plex_factory(items=ITEMS)
    configure(core, fake)
    names = ("full-1", "recent-1", "full-2", "recent-2", "full-3")
    gate = threading.Event()
    # The first scan waits on its listing until every other thread was refused: contention is certain.
    fake.set_fault("hold", on_path=LISTING, count=1, gate=gate)
    enough = threading.Event()
    lock = threading.Lock()
    errors: list[BaseException] = []
    refused: dict[str, int] = {}
    finished = [0]

    def hammer(name: str) -> None:
        kind = name.split("-")[0]
        while not enough.is_set():
            try:
                run_scan(core, kind, page_size=7)
            except ScanRunning:
                with lock:
                    refused[name] = refused.get(name, 0) + 1
                    if len(refused) >= len(names) - 1:
                        gate.set()
                enough.wait(0.005)  # let the running scan make progress between attempts
                continue
            except BaseException as err:  # any other failure fails the test
                errors.append(err)
                break
            with lock:
                finished[0] += 1
                if finished[0] >= SCANS_HAMMERED:
                    enough.set()
        enough.set()  # a failed thread stops the others too

    threads = [threading.Thread(target=hammer, args=(name,), daemon=True) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    gate.set()
    enough.set()
    assert not any(thread.is_alive() for thread in threads), "the hammering threads did not finish"
    assert not errors, errors
    assert len(refused) >= len(names) - 1, refused  # each thread but the first scan's was turned away
    history = runs(core)
    assert len(history) >= SCANS_HAMMERED
    assert all(r.status == "succeeded" for r in history), [(r.id, r.status, r.error) for r in history]
    for earlier, later in itertools.pairwise(history):
        assert earlier.finished_at is not None and earlier.finished_at <= later.started_at, (earlier.id, later.id)
    _assert_no_duplicates(core, ITEMS)


# ------------------------------------------------------------------ separate processes


def _spawn(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.worker", *args],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _last_json(output: str) -> dict[str, Any]:
    lines = [line for line in output.splitlines() if line.startswith("{")]
    assert lines, output
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def test_two_worker_processes_elect_one_scheduler_leader(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory, database_url: str, tmp_path: Path
) -> None:
    fake = fake_plex_factory(items=ITEMS)
    configure(fast_core, fake)
    stop_file = tmp_path / "stop"
    workers = [_spawn("scheduler", database_url, str(stop_file)) for _ in range(2)]
    holders: set[str] = set()
    try:
        # Both jobs are overdue (never ran): the leader runs each once at once; the follower runs nothing.
        def settled() -> bool:
            holder = lease_holder(fast_core, LEADER_LEASE)
            if holder:
                holders.add(holder)
            done = {r.kind for r in runs(fast_core) if r.status == "succeeded"}
            return done == {"full", "recent"}

        assert wait_until(settled, timeout=30), [(r.kind, r.status, r.error) for r in runs(fast_core)]
        # Only the leader holds the notification WebSocket.
        assert fake.wait_for_websocket_clients(1, timeout=10)
        for _ in range(20):  # keep watching a moment: leadership stays put
            settled()
            assert fake.websocket_clients == 1
            time.sleep(0.02)
    finally:
        stop_file.touch()
        outputs = [w.communicate(timeout=30) for w in workers]
    reports = [_last_json(out) for out, _err in outputs]
    assert all(w.returncode == 0 for w in workers), [err[-2000:] for _out, err in outputs]

    assert len(holders) == 1, holders
    (leader,) = holders
    leaders = [r for r in reports if r["spans"] and r["spans"][0][0] < stop_time(stop_file)]
    assert [r["holder"] for r in leaders] == [leader]
    # Leadership spans of the two processes never overlap (the follower may only lead after the stop).
    spans = sorted((s[0], s[1], r["holder"]) for r in reports for s in r["spans"])
    for (_s1, end1, h1), (start2, _e2, h2) in itertools.pairwise(spans):
        assert h1 == h2 or (end1 is not None and end1 <= start2), spans
    ran = [r for r in reports if r["runs"]]
    assert len(ran) == 1 and ran[0]["holder"] == leader
    assert ran[0]["runs"] == {"full_scan": 1, "recent_scan": 1} and not ran[0]["failures"]
    history = runs(fast_core)
    assert sorted(r.kind for r in history) == ["full", "recent"], [(r.kind, r.status) for r in history]
    _assert_no_duplicates(fast_core, ITEMS)


def stop_time(path: Path) -> float:
    """When the stop file was created (wall clock, as the workers' spans)."""
    return path.stat().st_mtime


def test_a_worker_killed_mid_scan_frees_the_lease_and_its_run_is_marked_failed(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory, database_url: str
) -> None:
    fake = fake_plex_factory(items=ITEMS)
    configure(fast_core, fake)
    fake.set_fault("latency", on_path=LISTING, delay=0.3)  # 6 pages of 5: about 2 s
    ttl = 1.5
    worker = _spawn("scan", database_url, str(ttl))
    try:
        def mid_scan() -> bool:
            running = [r for r in runs(fast_core) if r.status == "running"]
            return bool(running) and (running[0].progress_done or 0) >= 5

        assert wait_until(mid_scan, timeout=30), worker.poll()
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.communicate()
    (orphan,) = runs(fast_core)
    assert orphan.status == "running"  # nobody could record the end
    partial = snapshot(fast_core)
    assert 5 <= len(partial) < ITEMS

    # The dead worker's lease is still live for a moment: a scan now is refused, naming the orphan.
    with pytest.raises(ScanRunning) as busy:
        run_scan(fast_core, "full")
    assert busy.value.run_id == orphan.id
    # Then it expires on its own and the next scan runs.
    assert wait_until(lambda: lease_holder(fast_core, scanner.SCAN_LEASE) is None, timeout=ttl + 5)
    fake.clear_faults()
    summary = run_scan(fast_core, "full")
    assert summary["total"] == ITEMS and summary["new"] == ITEMS - len(partial)
    dead = run_of(fast_core, orphan.id)
    assert dead.status == "failed" and dead.finished_at is not None
    assert "stopped before it finished" in (dead.error or "")
    assert all(partial[k] == v for k, v in snapshot(fast_core).items() if k in partial)
    _assert_no_duplicates(fast_core, ITEMS)
