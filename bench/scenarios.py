"""One benchmark scenario per process: `python bench/scenarios.py NAME --args JSON`.

The driver (`run.py`) starts a fresh interpreter per scenario so that the peak RSS a scenario
reports (``ru_maxrss``) is its own. Each scenario prints exactly one result line (see
`benchlib.emit_result`); everything else goes to stderr.

Scenarios and the arguments they read (all in the JSON object):

- ``scan``          url, token, section_id, db_url: full scan into an empty database, then an unchanged rescan.
- ``plexapi``       url, token, section_id: python-plexapi listing the same section's albums.
- ``floor``         url, token, section_id: the same pages fetched raw with requests + json.loads (then
                    with PlexClient.albums into records, no database, for the breakdown).
- ``recent``        url, token, section_id, db_url, polls: recently-added polls with nothing new.
- ``recent_new``    db_url, items, seed, rounds, new: polls after adding `new` books to the emulator.
- ``availability``  db_url, runs, books, baseline_books: 50 availability answers from the warm index.
- ``requests``      db_url, requests: matching 1,000 downloaded requests (index build + matching).
- ``web``, ``decode`` see web_scenarios.py (HTTP availability and search; JSON decoders).
- ``levers``        see levers.py (the full scan's costs one lever at a time, on recorded pages).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import logging
import pstats
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib

Args = dict[str, Any]
Result = dict[str, Any]

log = logging.getLogger("bench")


# ------------------------------------------------------------------ helpers


class RequestCounter:
    """Counts the HTTP requests a requests.Session sends (a response hook)."""

    def __init__(self) -> None:
        self.count = 0
        self.paths: list[str] = []
        self._lock = threading.Lock()

    def hook(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        """The response hook: count one request."""
        with self._lock:
            self.count += 1
            if len(self.paths) < 50:
                self.paths.append(response.request.path_url.split("?")[0])
        return response

    def session(self) -> Any:
        """A new session that counts into this counter."""
        import requests

        session = requests.Session()
        session.hooks["response"].append(self.hook)
        return session


@contextlib.contextmanager
def profiled(args: Args, label: str) -> Iterator[None]:
    """Profile the enclosed block with cProfile when the driver passed a profile directory."""
    directory = args.get("profile_dir")
    if not directory:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        stem = f"{args.get('backend', 'x')}-{args.get('items', 'n')}-{label}"
        profiler.dump_stats(str(out / f"{stem}.prof"))
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        (out / f"{stem}.txt").write_text(text.getvalue())


def make_core(db_url: str, session: Any = None) -> Any:
    """A PlexBooksCore on `db_url` (generous timeouts: the emulator shares the two cores)."""
    from plexbooks_plugin.core import PlexBooksCore
    from plexbooks_plugin.crypto import SecretBox
    from plexbooks_plugin.db import Database

    return PlexBooksCore(
        Database(db_url), SecretBox(benchlib.BENCH_SECRET), http_session=session,
        plex_timeout=(10.0, 300.0), plex_retries=0,
    )


def configure(core: Any, url: str, token: str, section_id: str) -> None:
    """Store the emulator as the configured Plex server and library."""
    core.set_setting("plex_url", url)
    core.set_setting("plex_token", token)
    core.set_setting("library_id", str(section_id))


def library_rows(core: Any) -> list[Any]:
    """Every mirrored album as a matching Candidate (key, title, author, narrator, asin)."""
    from plexbooks_plugin import store as repo

    with core.session() as session:
        rows = list(repo.library_candidates(session))
    # The same order on every backend, so every backend is asked the same books.
    rows.sort(key=lambda c: (len(c.key), c.key))
    return rows


def _last_first(author: str | None) -> str | None:
    """'Jane Doe' -> 'Doe, Jane' (how some catalogs file authors)."""
    if not author or " " not in author.strip():
        return author
    first, _, last = author.strip().rpartition(" ")
    return f"{last}, {first}"


def make_books(rows: list[Any], count: int, *, seed: int) -> list[dict[str, Any]]:
    """`count` availability questions: half about books in the library (varied), half near-misses.

    Present books come back with the variations a host sends: the exact title, an "(Unabridged)"
    edition marker, the author as "Last, First", or an ASIN. Absent ones share vocabulary with the
    library (a real title under another author, or two titles spliced), the hard case for an index.
    """
    rng = random.Random(seed)
    books: list[dict[str, Any]] = []
    present = count - count // 2
    for i, row in enumerate(rng.sample(rows, present)):
        book: dict[str, Any] = {"title": row.title, "author": row.author, "expect": "present"}
        variant = i % 4
        if variant == 1:
            book["title"] = f"{row.title} (Unabridged)"
        elif variant == 2:
            book["author"] = _last_first(row.author)
        elif variant == 3 and row.asin:
            book["asin"] = row.asin
            book["title"] = row.title.lower()
        books.append(book)
    for i in range(count // 2):
        a, b = rng.sample(rows, 2)
        if i % 2 == 0:
            book = {"title": a.title, "author": b.author, "expect": "absent"}  # same title, other author
        else:
            wa, wb = a.title.split(), b.title.split()
            spliced = " ".join(wa[: max(1, len(wa) // 2)] + wb[len(wb) // 2 :])
            book = {"title": spliced, "author": a.author, "expect": "absent"}
        books.append(book)
    rng.shuffle(books)
    return books


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Run `fn` once; return (wall seconds, its result). CPU seconds of the call go to `LAST_CPU`."""
    global LAST_CPU
    started, cpu = time.perf_counter(), time.process_time()
    value = fn()
    LAST_CPU = time.process_time() - cpu
    return time.perf_counter() - started, value


LAST_CPU = 0.0  # CPU seconds (all threads of this process) of the last `timed` call


# ------------------------------------------------------------------ 1. full scan


def scenario_scan(args: Args) -> Result:
    """Full scan of N albums into an empty database, then a second full scan with nothing changed."""
    from plexbooks_plugin.scanning import run_scan

    counter = RequestCounter()
    core = make_core(args["db_url"], counter.session())
    core.db.upgrade()
    configure(core, args["url"], args["token"], args["section_id"])
    rss_ready = benchlib.current_rss_mb()
    counter.count = 0
    io_start = benchlib.io_counters()
    with profiled(args, "scan-first"):
        first_s, first = timed(lambda: run_scan(core, "full", triggered_by="bench"))
    first_cpu = LAST_CPU
    io_first = benchlib.io_counters()
    first_requests = counter.count
    peak_after_first = benchlib.peak_rss_mb()
    counter.count = 0
    if args.get("rescan", True):
        with profiled(args, "scan-second"):
            second_s, second = timed(lambda: run_scan(core, "full", triggered_by="bench"))
        second_cpu = LAST_CPU
    else:  # a scaling run: the first scan only
        second_s, second, second_cpu = 0.0, {"total": 0, "new": 0, "updated": 0}, 0.0
    io_second = benchlib.io_counters()
    core.db.dispose()
    sqlite = args["db_url"].startswith("sqlite")  # PostgreSQL writes in its own server process
    return {
        **(benchlib.io_delta("first", io_start, io_first) if sqlite else {}),
        **(benchlib.io_delta("second", io_first, io_second) if sqlite and second_s else {}),
        **benchlib.sqlite_file_sizes(args["db_url"]),
        "items": first["total"],
        "first_s": round(first_s, 3),
        "items_per_s": round(first["total"] / first_s, 1) if first_s else None,
        "first_cpu_s": round(first_cpu, 3),
        "second_s": round(second_s, 3) if second_s else None,
        "second_cpu_s": round(second_cpu, 3) if second_s else None,
        "second_items_per_s": round(second["total"] / second_s, 1) if second_s else None,
        "rescan_ratio": round(second_s / first_s, 3) if first_s and second_s else None,
        "first_new": first["new"],
        "second_new": second["new"],
        "second_updated": second["updated"],
        "http_requests_first": first_requests,
        "http_requests_second": counter.count,
        "rss_before_scan_mb": rss_ready,
        "peak_rss_first_scan_mb": peak_after_first,
    }


# ------------------------------------------------------------------ 2. python-plexapi


def scenario_plexapi(args: Args) -> Result:
    """List the section's albums with python-plexapi: its default page size, then pages of 500."""
    from plexapi.server import PlexServer

    connect_s, server = timed(lambda: PlexServer(args["url"], args["token"], timeout=300))
    section = server.library.sectionByID(int(args["section_id"]))
    default_s = default_cpu = 0.0
    count_default = 0
    if args.get("default_listing", True):
        with profiled(args, "plexapi"):
            default_s, albums = timed(section.albums)
        default_cpu = LAST_CPU
        count_default = len(albums)
        del albums
    page500_s, albums = timed(lambda: section.search(libtype="album", container_size=500))
    page500_cpu = LAST_CPU
    count_500 = len(albums)
    del albums
    return {
        "items": count_500,
        "items_default": count_default,
        "connect_s": round(connect_s, 3),
        "list_default_pages_s": round(default_s, 3) if default_s else None,
        "list_500_pages_s": round(page500_s, 3),
        "list_default_cpu_s": round(default_cpu, 3),
        "list_500_cpu_s": round(page500_cpu, 3),
        "items_per_s": round(count_500 / page500_s, 1) if page500_s else None,
        "plexapi_default_container_size": _plexapi_container_size(),
    }


def _plexapi_container_size() -> int:
    import plexapi

    return int(getattr(plexapi, "X_PLEX_CONTAINER_SIZE", 100))


# ------------------------------------------------------------------ 3. raw floor


def scenario_floor(args: Args) -> Result:
    """Fetch the same pages raw (requests, JSON, 500 per page) and json.loads them: no records, no DB."""
    counter = RequestCounter()
    session = counter.session()
    headers = {"Accept": "application/json", "X-Plex-Token": args["token"]}
    path = f"{args['url']}/library/sections/{args['section_id']}/all"
    page_size = int(args.get("page_size", 500))

    def fetch_all() -> int:
        start = 0
        seen = 0
        while True:
            response = session.get(
                path,
                params={"type": 9, "includeGuids": 1, "X-Plex-Container-Start": start,
                        "X-Plex-Container-Size": page_size},
                headers=headers, timeout=300,
            )
            response.raise_for_status()
            container = json.loads(response.content)["MediaContainer"]
            got = len(container.get("Metadata", []))
            seen += got
            start += got
            if got == 0 or start >= int(container.get("totalSize", 0)):
                return seen

    seconds, seen = timed(fetch_all)
    fetch_cpu = LAST_CPU

    # One level up, for the breakdown: plexbooks' own client turning the same pages into records.
    from plexbooks_plugin.plex.client import PlexClient

    def list_records() -> int:
        with PlexClient(args["url"], args["token"], timeout=(10.0, 300.0), retries=0) as client:
            return sum(len(page.items) for page in client.albums(args["section_id"], page_size=page_size))

    with profiled(args, "client-records"):
        client_s, records = timed(list_records)
    return {
        "items": seen,
        "fetch_s": round(seconds, 3),
        "fetch_cpu_s": round(fetch_cpu, 3),
        "client_records_s": round(client_s, 3),
        "client_records_cpu_s": round(LAST_CPU, 3),
        "client_records": records,
        "items_per_s": round(seen / seconds, 1) if seconds else None,
        "http_requests": counter.count,
        "page_size": page_size,
    }


# ------------------------------------------------------------------ 4. recently added


def scenario_recent(args: Args) -> Result:
    """Recently-added polls when nothing is new: latency of the whole run_scan("recent") and its requests."""
    from plexbooks_plugin.scanning import run_scan

    counter = RequestCounter()
    core = make_core(args["db_url"], counter.session())
    polls = int(args.get("polls", 20))
    run_scan(core, "recent", triggered_by="bench")  # the first poll may set the watermark
    times: list[float] = []
    counts: list[int] = []
    summaries: list[Result] = []
    with profiled(args, "recent"):
        for _ in range(polls):
            counter.count = 0
            seconds, summary = timed(lambda: run_scan(core, "recent", triggered_by="bench"))
            times.append(seconds * 1000)
            counts.append(counter.count)
            summaries.append(summary)
    # The HTTP part alone, for comparison: one page of 10, newest first.
    client = core.plex_client()
    http_times = []
    for _ in range(polls):
        seconds, _page = timed(lambda: next(iter(client.recently_added(args["section_id"], page_size=10))))
        http_times.append(seconds * 1000)
    core.db.dispose()
    return {
        "polls": polls,
        "median_ms": round(benchlib.median(times), 2),
        "max_ms": round(max(times), 2),
        "min_ms": round(min(times), 2),
        "http_requests_per_poll": max(counts),
        "http_paths": sorted(set(counter.paths)),
        "http_only_median_ms": round(benchlib.median(http_times), 2),
        "new_seen": sum(s["new"] for s in summaries),
    }


def scenario_recent_new(args: Args) -> Result:
    """Polls after `new` books were added; the emulator runs in a thread of this process (see README).

    Three phases, `rounds` polls each:

    1. before each poll, `new` books arrive as one import (one addedAt second, a minute after the last);
    2. nothing new, right after such an import (the newest books share the watermark second);
    3. like 1, with one downloaded request waiting, so every poll that stores books also matches
       requests, against an index the new books made stale.
    """
    from plexbooks_plugin import store as repo
    from plexbooks_plugin.fakeplex import FakePlex
    from plexbooks_plugin.scanning import run_scan

    items, seed, new, rounds = int(args["items"]), int(args.get("seed", 1)), int(args["new"]), int(args["rounds"])
    started = time.perf_counter()
    fake = FakePlex(items=items, seed=seed, token=benchlib.BENCH_TOKEN)
    fake.start(port=0)
    emulator_start_s = time.perf_counter() - started
    phases: dict[str, dict[str, list[float]]] = {
        name: {"ms": [], "requests": [], "new": []} for name in ("new", "settled", "new_waiting")
    }
    base_time = int(time.time())
    batch = 0
    try:
        counter = RequestCounter()
        core = make_core(args["db_url"], counter.session())
        configure(core, fake.url, fake.token, str(fake.music_section_id))
        run_scan(core, "recent", triggered_by="bench")  # settles the watermark against this emulator

        def poll(phase: str, add: bool) -> None:
            nonlocal batch
            if add:
                batch += 1
                for i in range(new):
                    fake.add_album(f"Benchmark Arrival {batch}-{i}", f"Bench Author {i % 7}",
                                   added_at=base_time + 60 * batch)
            counter.count = 0
            with profiled(args, f"recent-{phase}") if not phases[phase]["ms"] else contextlib.nullcontext():
                seconds, summary = timed(lambda: run_scan(core, "recent", triggered_by="bench"))
            phases[phase]["ms"].append(seconds * 1000)
            phases[phase]["requests"].append(counter.count)
            phases[phase]["new"].append(summary["new"])

        for _ in range(rounds):
            poll("new", add=True)
        for _ in range(rounds):
            poll("settled", add=False)
        with core.session() as session:
            repo.create_request(session, title="A Book Nobody Has Imported Yet", author="Nobody Inparticular",
                                host_request_id="bench-waiting", status="downloaded")
        for _ in range(rounds):
            poll("new_waiting", add=True)
        core.db.dispose()
    finally:
        fake.stop()
    result: Result = {
        "rounds": rounds,
        "new_per_round": new,
        "emulator_in_process": True,
        "emulator_start_s": round(emulator_start_s, 2),
    }
    prefix = {"new": "", "settled": "settled_", "new_waiting": "waiting_"}
    for phase, figures in phases.items():
        result[f"{prefix[phase]}median_ms"] = round(benchlib.median(figures["ms"]), 2)
        result[f"{prefix[phase]}max_ms"] = round(max(figures["ms"]), 2)
        result[f"{prefix[phase]}http_requests_per_poll"] = int(max(figures["requests"]))
        result[f"{prefix[phase]}stored_new_min"] = int(min(figures["new"]))
    return result


# ------------------------------------------------------------------ 5. availability


def scenario_availability(args: Args) -> Result:
    """50 availability answers from the warm LibraryIndex, against a pairwise match_score loop."""
    from plexbooks_plugin.matching import REQUEST_THRESHOLD, LibraryIndex, match_score

    core = make_core(args["db_url"])
    rows = library_rows(core)
    rss_before = benchlib.current_rss_mb()
    with profiled(args, "index-build"):
        build_s, index = timed(lambda: LibraryIndex(rows))
    rss_index = benchlib.current_rss_mb()
    books = make_books(rows, int(args.get("books", 50)), seed=int(args.get("seed", 5)))

    def answer_all(idx: Any) -> list[Any]:
        return [
            idx.best_match(b["title"], b.get("author") or "", asin=b.get("asin"), narrator=b.get("narrator"),
                           threshold=REQUEST_THRESHOLD)
            for b in books
        ]

    answers = answer_all(index)  # warm-up
    runs = int(args.get("runs", 30))
    times = []
    with profiled(args, "availability"):
        for _ in range(runs):
            seconds, _ = timed(lambda: answer_all(index))
            times.append(seconds * 1000)
    # The path an API call takes: ask the core for its (cached) index, which checks the library version.
    core_index = core.library_index()
    core_times = []
    for _ in range(runs):
        seconds, _ = timed(lambda: answer_all(core.library_index()))
        core_times.append(seconds * 1000)
    del core_index
    found = sum(1 for a in answers if a is not None)
    expected_present = sum(1 for b in books if b["expect"] == "present")
    present_found = sum(1 for a, b in zip(answers, books, strict=True) if a is not None and b["expect"] == "present")

    # The naive baseline: match_score against every album, for a few books, extrapolated linearly.
    sample = [next(i for i, b in enumerate(books) if b["expect"] == "present"),
              next(i for i, b in enumerate(books) if b["expect"] == "absent")][: int(args.get("baseline_books", 2))]
    agree = 0
    started = time.perf_counter()
    for i in sample:
        book = books[i]
        best_key, best_score = None, 0.0
        for row in rows:
            score = match_score(book["title"], book.get("author"), row.title, row.author,
                                narrator_b=row.narrator, asin_a=book.get("asin"), asin_b=row.asin)
            if score > best_score:
                best_key, best_score = row.key, score
        pairwise_key = best_key if best_score >= REQUEST_THRESHOLD else None
        index_key = answers[i].key if answers[i] is not None else None
        agree += int(pairwise_key == index_key)
    pairwise_s = time.perf_counter() - started
    per_book_ms = pairwise_s * 1000 / len(sample)
    median_ms = benchlib.median(times)
    baseline_ms = per_book_ms * len(books)
    core.db.dispose()
    return {
        "library_size": len(rows),
        "books": len(books),
        "runs": runs,
        "median_ms": round(median_ms, 3),
        "max_ms": round(max(times), 3),
        "via_core_median_ms": round(benchlib.median(core_times), 3),
        "found": found,
        "present_found": present_found,
        "present_asked": expected_present,
        "index_build_s": round(build_s, 3),
        "index_rss_mb": round(rss_index - rss_before, 1),
        "pairwise_books_timed": len(sample),
        "pairwise_ms_per_book": round(per_book_ms, 1),
        "pairwise_50_extrapolated_ms": round(baseline_ms, 1),
        "speedup_vs_pairwise": round(baseline_ms / median_ms, 1) if median_ms else None,
        "pairwise_agrees": agree,
    }


# ------------------------------------------------------------------ 6. request matching


def scenario_requests(args: Args) -> Result:
    """Match 1,000 downloaded requests against the library: index build, then the scan's matching step."""
    from plexbooks_plugin import store as repo
    from plexbooks_plugin.scanning import match_downloaded_requests

    core = make_core(args["db_url"])
    rows = library_rows(core)
    count = int(args.get("requests", 1000))
    books = make_books(rows, count, seed=int(args.get("seed", 11)))
    with core.session() as session:
        for i, book in enumerate(books):
            repo.create_request(
                session, title=book["title"], author=book.get("author"), asin=book.get("asin"),
                host_request_id=f"bench-{i}", status="downloaded",
            )
    del rows
    core.invalidate_index()
    with profiled(args, "requests-index-build"):
        build_s, _ = timed(core.library_index)
    with profiled(args, "requests-match"):
        match_s, flipped = timed(lambda: match_downloaded_requests(core))
    core.db.dispose()
    return {
        "requests": count,
        "index_build_s": round(build_s, 3),
        "matching_s": round(match_s, 3),
        "total_s": round(build_s + match_s, 3),
        "matched": len(flipped),
        "present_asked": sum(1 for b in books if b["expect"] == "present"),
    }


SCENARIOS: dict[str, Callable[[Args], Result]] = {
    "scan": scenario_scan,
    "plexapi": scenario_plexapi,
    "floor": scenario_floor,
    "recent": scenario_recent,
    "recent_new": scenario_recent_new,
    "availability": scenario_availability,
    "requests": scenario_requests,
}


def _web_scenario(name: str) -> Callable[[Args], Result]:
    """A scenario of web_scenarios.py, imported when it runs (that module imports this one)."""

    def run(args: Args) -> Result:
        import web_scenarios

        result: Result = getattr(web_scenarios, f"scenario_{name}")(args)
        return result

    return run


def _levers(args: Args) -> Result:
    import levers

    return levers.scenario_levers(args)


SCENARIOS.update({"web": _web_scenario("web"), "decode": _web_scenario("decode"), "levers": _levers})


def main(argv: list[str] | None = None) -> int:
    """Run one scenario and print its result line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--args", default="{}", help="the scenario's arguments as a JSON object")
    ns = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    args: Args = json.loads(ns.args)
    result = SCENARIOS[ns.scenario](args)
    result["peak_rss_mb"] = benchlib.peak_rss_mb()
    benchlib.emit_result(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
