"""Request lifecycle under load: 200 requests created and organised through the HTTP API while scans run.

Every request must end `available` exactly once, pointing at its own book, and `request_available`
must fire exactly once per request, however the scans and the hook calls interleave.
"""

from __future__ import annotations

import random
import string
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask

from plexbooks_plugin import hooks
from plexbooks_plugin import store as repo
from plexbooks_plugin.core import PlexBooksCore
from plexbooks_plugin.errors import ScanRunning
from plexbooks_plugin.scanning import ScanFailed, run_scan
from tests.fakeplex_fixtures import FakePlexFactory
from tests.viewkit import app_core

from .helpers import configure, count_requests, library_keys, requests_by_host_id, runs

REQUESTS = 200
WORKERS = 8
NEWER = 1_760_000_000


def _word(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(length)).capitalize()


def _books(count: int) -> list[dict[str, str]]:
    """Books with random, pairwise unrelated titles and authors, each with its own ASIN."""
    rng = random.Random(8)
    books = []
    for n in range(count):
        books.append({
            "request_id": f"load-{n:03d}",
            "title": f"{_word(rng, 9)} {_word(rng, 8)}",
            "author": f"{_word(rng, 7)} {_word(rng, 10)}",
            "asin": f"B0LD{n:06d}",
        })
    return books


def test_two_hundred_requests_each_become_available_exactly_once_while_scans_run(
    app: Flask, fake_plex_factory: FakePlexFactory, key_headers: dict[str, str],
    available_counter: dict[str, list[str]],
) -> None:
    fake = fake_plex_factory(items=20)
    core = configure(app_core(app), fake)
    run_scan(core, "full")
    books = _books(REQUESTS)
    rating_keys: dict[str, str] = {}
    keys_lock = threading.Lock()
    done = threading.Event()
    scan_errors: list[BaseException] = []

    def scans() -> None:
        kinds = ["recent", "recent", "full"]
        n = 0
        while not done.is_set():
            try:
                run_scan(core, kinds[n % 3], page_size=50)
            except ScanRunning:
                pass
            except ScanFailed as err:  # pragma: no cover - reported below
                scan_errors.append(err)
            n += 1

    def lifecycle(book: dict[str, str]) -> None:
        client = app.test_client()
        created = client.post("/plexbooks/api/requests", json={
            "title": book["title"], "author": book["author"], "asin": book["asin"],
            "host_request_id": book["request_id"],
        }, headers=key_headers)
        assert created.status_code == 201, created.get_data(as_text=True)
        for status in ("searching", "downloading"):
            assert hooks.on_request_status(request_id=book["request_id"], status=status, core=core)["status"] == status
        path = f"/data/audiobooks/{book['author']}/{book['title']}/{book['title']}.m4b"
        organised = client.post("/plexbooks/api/hooks/download-organized", json={
            "request_id": book["request_id"], "title": book["title"], "author": book["author"],
            "path": path, "asin": book["asin"],
        }, headers=key_headers)
        assert organised.status_code == 200, organised.get_data(as_text=True)
        assert organised.get_json()["status"] == "downloaded"
        # Plex picks the files up (the hook asked it to refresh that folder).
        key = fake.add_album(book["title"], book["author"], asin=book["asin"], added_at=NEWER + int(book["asin"][4:]))
        with keys_lock:
            rating_keys[book["request_id"]] = key

    scanner_thread = threading.Thread(target=scans, name="load-scans")
    scanner_thread.start()
    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            for future in [pool.submit(lifecycle, book) for book in books]:
                future.result(timeout=60)
    finally:
        done.set()
        scanner_thread.join(60)
    assert not scan_errors, scan_errors
    assert len(runs(core)) > 3  # scans really ran alongside

    run_scan(core, "recent")
    run_scan(core, "full")

    tracked = requests_by_host_id(core)
    assert count_requests(core) == REQUESTS
    for book in books:
        request = tracked[book["request_id"]]
        assert request.status == "available", (book, request.status)
        assert request.plex_rating_key == rating_keys[book["request_id"]]
        assert request.available_at is not None and request.downloaded_path
    assert available_counter == {b["request_id"]: [rating_keys[b["request_id"]]] for b in books}
    assert len(fake.refresh_calls) >= REQUESTS  # one folder refresh per organised download
    keys = library_keys(core)
    assert len(keys) == len(set(keys)) == 20 + REQUESTS

    # Late and repeated host calls change nothing and send nothing twice.
    def repeat(book: dict[str, str]) -> None:
        client = app.test_client()
        again = client.post("/plexbooks/api/hooks/download-organized", json={
            "request_id": book["request_id"], "title": book["title"], "author": book["author"], "path": "/elsewhere",
        }, headers=key_headers)
        assert again.status_code == 200 and again.get_json()["status"] == "available"
        hooks.on_request_status(request_id=book["request_id"], status="downloading", core=core)
        duplicate = client.post("/plexbooks/api/requests", json={
            "title": book["title"], "author": book["author"], "asin": book["asin"],
        }, headers=key_headers)
        assert duplicate.status_code == 409 and duplicate.get_json()["error"] == "already_available"

    with ThreadPoolExecutor(WORKERS) as pool:
        for future in [pool.submit(repeat, book) for book in books[:50]]:
            future.result(timeout=60)
    run_scan(core, "full")
    assert all(r.status == "available" for r in requests_by_host_id(core).values())
    assert count_requests(core) == REQUESTS
    assert all(len(v) == 1 for v in available_counter.values()) and len(available_counter) == REQUESTS


def test_late_host_status_updates_racing_a_scan_never_undo_available(
    fast_core: PlexBooksCore, fake_plex_factory: FakePlexFactory, available_counter: dict[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = fake_plex_factory(items=0)
    core = configure(fast_core, fake)
    books = _books(REQUESTS)
    with core.session() as session:
        for book in books:
            repo.create_request(
                session, title=book["title"], author=book["author"], asin=book["asin"],
                host_request_id=book["request_id"], status="downloaded",
            )
    for n, book in enumerate(books):
        fake.add_album(book["title"], book["author"], asin=book["asin"], added_at=NEWER + n)

    # Let the host's updates arrive while the scan is flipping requests (its transaction still open).
    matching = threading.Event()
    mark_available = repo.mark_available

    def slow_first_mark(*args: Any, **kwargs: Any) -> bool:
        flipped = mark_available(*args, **kwargs)
        if not matching.is_set():
            matching.set()
            time.sleep(0.3)  # the flip is written but not committed yet
        return flipped

    monkeypatch.setattr(repo, "mark_available", slow_first_mark)
    answers: list[dict[str, object]] = []

    def host_updates(part: list[dict[str, str]]) -> None:
        # A slow host still reporting progress on downloads that already finished.
        assert matching.wait(20)
        for book in part:
            answers.append(hooks.on_request_status(request_id=book["request_id"], status="downloading", core=core))

    threads = [threading.Thread(target=run_scan, args=(core, "full"))] + [
        threading.Thread(target=host_updates, args=(books[n::4],)) for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == REQUESTS

    tracked = requests_by_host_id(core)
    flipped = 0
    for book in books:
        request = tracked[book["request_id"]]
        signalled = available_counter.get(book["request_id"], [])
        if signalled:
            # Plex has it and the host was told: no late status may take that back.
            flipped += 1
            assert request.status == "available", (book["request_id"], request.status, request.plex_rating_key)
            assert signalled == [request.plex_rating_key]
        else:
            # The host's update came first: the request is simply not downloaded any more.
            assert request.status == "downloading" and request.plex_rating_key is None, request.status
    assert flipped > 0
    assert not [a for a in answers if "error" in a][:1], [a for a in answers if "error" in a][:3]
