"""Detection benchmarks (issue 15): processed-to-available latency, a big import, the listener's idle cost.

    .venv/bin/python bench/detection.py                 # everything, text on stdout, about 4 minutes
    .venv/bin/python bench/detection.py --books 50 --poll-seconds 10 --idle-seconds 60 --import-books 5000
    .venv/bin/python bench/detection.py --json out.json    # results of the last run: bench/DETECTION.md

The emulator runs in this process (in its own threads) on loopback; the database is SQLite in a
temporary folder. Latency is measured from the moment the emulator published an album's state-5
("processed") timeline entry to the moment plexbooks sent `request_available` for its request.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plexbooks_plugin import signals
from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.crypto import SecretBox
from plexbooks_plugin.db import Database
from plexbooks_plugin.fakeplex import FakePlex
from plexbooks_plugin.scanning import run_scan
from plexbooks_plugin.scheduler import JobSpec, PlexBooksScheduler


def make_core(folder: Path, fake: FakePlex, name: str) -> PlexBooksCore:
    db = Database(f"sqlite:///{folder / name}.db")
    db.upgrade()
    core = PlexBooksCore(db, SecretBox("bench-secret"))
    core.set_setting("plex_url", fake.url)
    core.set_setting("plex_token", fake.token)
    core.set_setting("library_id", str(fake.music_section_id))
    core.set_setting("recent_scan_minutes", "0")
    return core


class Arrivals:
    """When each request turned available (epoch seconds), from the request_available signal."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()
        signals.request_available.connect(self.receive, weak=False)

    def receive(self, _sender: Any, request_id: str, rating_key: str, **_: Any) -> None:
        with self.lock:
            self.at.setdefault(request_id, time.time())

    def close(self) -> None:
        signals.request_available.disconnect(self.receive)


def processed_at(fake: FakePlex, key: str) -> float | None:
    """When the emulator published the album's state-5 entry."""
    for stamp, container in fake.notifications_sent_at:
        if container.get("type") != "timeline":
            continue
        for entry in container.get("TimelineEntry", []):
            if entry.get("type") == 9 and entry.get("state") == 5 and entry.get("itemID") == key:
                return stamp
    return None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def latency(folder: Path, books: int, *, realtime: bool, poll_seconds: float, seed: int) -> dict[str, Any]:
    """Add `books` albums one by one (spaced out), each with a waiting request; latency processed -> available."""
    rng = random.Random(seed)
    with FakePlex(items=200, seed=seed) as fake:
        fake.set_processing_delay(0.3)
        core = make_core(folder, fake, f"latency-{'ws' if realtime else 'poll'}")
        core.set_setting("realtime", "true" if realtime else "false")
        run_scan(core, "full")
        run_scan(core, "recent")
        jobs = [] if realtime else [
            JobSpec("recent_scan", lambda c: run_scan(c, "recent", triggered_by="bench"), lambda _c: poll_seconds)
        ]
        arrivals = Arrivals()
        sched = PlexBooksScheduler(core, tick_seconds=0.2, leader_ttl=timedelta(seconds=10), jobs=jobs,
                                   realtime=realtime).start()
        requests_before = len(fake.request_log)
        try:
            if realtime:
                assert fake.wait_for_websocket_clients(1, timeout=30), "the listener never connected"
                time.sleep(1.0)  # its catch-up poll
            keys: dict[str, str] = {}
            for n in range(books):
                request_id = f"bench-{n}"
                title, author = f"Benchmark Arrival {n} {rng.randrange(10**6)}", f"Author {n}"
                with core.session() as session:
                    repo.mark_downloaded(session, host_request_id=request_id, title=title, author=author, path="/x")
                keys[request_id] = str(fake.add_album(title, author))
                time.sleep(rng.uniform(0.2, 0.6) if realtime else rng.uniform(0.0, 2 * poll_seconds / 10))
            deadline = time.monotonic() + max(30.0, 3 * poll_seconds)
            while len(arrivals.at) < books and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            sched.stop(timeout=10)
            arrivals.close()
        delays = []
        for request_id, key in keys.items():
            said = processed_at(fake, key)
            if said is not None and request_id in arrivals.at:
                delays.append(max(0.0, arrivals.at[request_id] - said))
        core.db.dispose()
        return {
            "mode": "websocket" if realtime else f"polling every {poll_seconds:g} s",
            "books": books,
            "available": len(delays),
            "median_s": round(statistics.median(delays), 3) if delays else None,
            "p95_s": round(percentile(delays, 0.95), 3) if delays else None,
            "max_s": round(max(delays), 3) if delays else None,
            "plex_requests": len(fake.request_log) - requests_before,
        }


def big_import(folder: Path, count: int, seed: int) -> dict[str, Any]:
    """A `count`-book import between two polls: mirrored by the next poll? With how many requests, how long?"""
    with FakePlex(items=1000, seed=seed) as fake:
        core = make_core(folder, fake, "import")
        run_scan(core, "full")
        run_scan(core, "recent")
        base = int(time.time())
        added = {str(fake.add_album(f"Imported Book {n}", f"Import Author {n % 500}", added_at=base + n % 60))
                 for n in range(count)}
        fake.request_log.clear()
        started = time.perf_counter()
        summary = run_scan(core, "recent")
        seconds = time.perf_counter() - started
        with core.session() as session:
            mirrored = len(repo.get_library_items(session, str(fake.music_section_id), added))
        core.db.dispose()
        return {"imported": count, "mirrored_by_next_poll": mirrored, "new": summary["new"],
                "plex_requests": len(fake.request_log), "seconds": round(seconds, 2)}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def idle(folder: Path, seconds: float, seed: int) -> dict[str, Any]:
    """CPU and memory of a connected listener while nothing happens (the emulator idles in this process too)."""
    with FakePlex(items=200, seed=seed) as fake:
        core = make_core(folder, fake, "idle")
        run_scan(core, "full")
        before_rss = rss_mb()
        sched = PlexBooksScheduler(core, tick_seconds=1.0, leader_ttl=timedelta(seconds=30), jobs=[]).start()
        try:
            assert fake.wait_for_websocket_clients(1, timeout=30)
            time.sleep(2.0)  # past the catch-up poll
            cpu0, wall0, rss0 = time.process_time(), time.perf_counter(), rss_mb()
            time.sleep(seconds)
            cpu, wall, rss1 = time.process_time() - cpu0, time.perf_counter() - wall0, rss_mb()
        finally:
            sched.stop(timeout=10)
        core.db.dispose()
        return {"quiet_seconds": round(wall, 1), "cpu_seconds": round(cpu, 3),
                "cpu_percent": round(100 * cpu / wall, 3), "rss_before_scheduler_mb": round(before_rss, 1),
                "rss_connected_mb": round(rss0, 1), "rss_growth_while_idle_mb": round(rss1 - rss0, 2),
                "note": "process CPU: scheduler ticks (1 s), the listener, the webhook sender and the idle emulator"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=50)
    parser.add_argument("--poll-seconds", type=float, default=10.0)
    parser.add_argument("--import-books", type=int, default=5000)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="pbdetect") as tmp:
        folder = Path(tmp)
        results["websocket"] = latency(folder, args.books, realtime=True, poll_seconds=0, seed=args.seed)
        print(json.dumps(results["websocket"]), flush=True)
        results["polling"] = latency(folder, args.books, realtime=False, poll_seconds=args.poll_seconds, seed=args.seed)
        print(json.dumps(results["polling"]), flush=True)
        results["import"] = big_import(folder, args.import_books, args.seed)
        print(json.dumps(results["import"]), flush=True)
        results["idle"] = idle(folder, args.idle_seconds, args.seed)
        print(json.dumps(results["idle"]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
