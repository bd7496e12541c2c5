"""Run every plexbooks benchmark and report wall time, throughput and peak memory per scenario.

    python bench/run.py --items 100000                  # the whole suite, table on stdout
    python bench/run.py --items 100000 --json out.json  # also write every figure as JSON
    python bench/run.py --items 100000 --markdown       # print the bench/RESULTS.md table instead
    python bench/run.py --from-json out.json --markdown # re-render a previous run without running it

The fake Plex runs in its own process on loopback with a generated library; each scenario runs
in a fresh Python process so its peak RSS is its own. When PLEXBOOKS_TEST_DATABASE_URL is set,
the database scenarios run on PostgreSQL too (in a schema created for the run and dropped after).
See bench/README.md for what each scenario measures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib

SCENARIO_ORDER = (
    "scan", "plexapi", "floor", "recent", "recent_new", "availability", "requests", "web", "decode", "levers",
)
SHARED = ("plexapi", "floor", "decode")  # scenarios without a database: run once, shown for every backend
BACKEND_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
Results = dict[str, Any]


def say(message: str) -> None:
    """Progress goes to stderr so stdout carries only the report."""
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


# ------------------------------------------------------------------ running scenarios


def run_child(name: str, args: dict[str, Any], *, timeout: float) -> dict[str, Any]:
    """Run one scenario in a fresh interpreter; return its result, or {"error": ...} when it failed."""
    command = [sys.executable, str(benchlib.BENCH_DIR / "scenarios.py"), name, "--args", json.dumps(args)]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=str(benchlib.REPO_DIR),
            env=benchlib.child_env(), check=False,
        )
    except subprocess.TimeoutExpired:
        say(f"  {name}: timed out after {timeout:.0f} s")
        return {"error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-12:]
        say(f"  {name}: failed (exit {proc.returncode})\n    " + "\n    ".join(tail))
        return {"error": tail[-1] if tail else f"exit {proc.returncode}", "traceback": tail}
    try:
        result = benchlib.parse_result(proc.stdout)
    except (RuntimeError, ValueError) as err:
        say(f"  {name}: {err}")
        return {"error": str(err)}
    result["child_wall_s"] = round(wall, 2)
    # Other work on the machine skews wall times: keep the 1-minute load average with every figure.
    result["load_before"] = round(load_before, 2)
    result["load_after"] = round(os.getloadavg()[0], 2)
    say(f"  {name}: done in {wall:.1f} s (load average {load_before:.2f} -> {result['load_after']:.2f})")
    return result


@dataclass
class Options:
    """What the driver was asked to run."""

    items: int
    memory_items: int
    backends: tuple[str, ...]
    polls: int
    runs: int
    requests: int
    new_books: int
    new_rounds: int
    seed: int
    timeout: float
    profile_dir: str | None
    only: tuple[str, ...]
    rounds: int = 1
    scale_items: int = 0


def run_suite(opts: Options) -> Results:
    """Run every scenario (per backend) and the memory comparison; return all figures."""
    results: Results = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": benchlib.machine_info(),
        "items": opts.items,
        "memory_items": opts.memory_items,
        "backends": list(opts.backends),
        "emulator": {},
        "runs": {},
        "memory": {},
    }
    with tempfile.TemporaryDirectory(prefix="plexbooks-bench-") as tmp_name:
        tmp = Path(tmp_name)
        say(f"starting the fake Plex with {opts.items} albums")
        emulator = benchlib.start_emulator(opts.items, seed=opts.seed, log_dir=tmp)
        results["emulator"][str(opts.items)] = {"startup_s": emulator.startup_s, "section_id": emulator.section_id}
        say(f"  emulator ready at {emulator.url} in {emulator.startup_s:.1f} s (section {emulator.section_id})")
        try:
            shared: dict[str, Any] = {}
            for backend in opts.backends:
                results["runs"][backend] = run_backend(opts, backend, emulator, tmp, shared)
            if opts.scale_items and _wanted(opts, "scan"):
                run_scale(opts, tmp, results["runs"], emulator)
        finally:
            emulator.stop()
        if opts.memory_items and _wanted(opts, "scan", "availability"):
            results["memory"] = run_memory(opts, tmp, results["runs"])
    results["targets"] = evaluate_targets(results)
    return results


def _wanted(opts: Options, *names: str) -> bool:
    return not opts.only or any(n in opts.only for n in names)


def run_backend(
    opts: Options, backend: str, emulator: benchlib.Emulator, tmp: Path, shared: dict[str, Any]
) -> dict[str, Any]:
    """Run the scenarios on one database backend; plexapi and the floor run once and are shared."""
    runs: dict[str, Any] = {}
    base = {
        "url": emulator.url, "token": emulator.token, "section_id": emulator.section_id, "items": opts.items,
        "seed": opts.seed, "backend": backend, "profile_dir": opts.profile_dir,
    }
    with benchlib.bench_database(backend, tmp, f"bench-{opts.items}") as db_url:
        say(f"{BACKEND_LABELS[backend]} database {benchlib.redact_url(db_url)}")
        plan: list[tuple[str, dict[str, Any]]] = [
            ("scan", {}),
            ("plexapi", {}),
            ("floor", {"page_size": 500}),
            ("recent", {"polls": opts.polls}),
            ("recent_new", {"new": opts.new_books, "rounds": opts.new_rounds}),
            ("availability", {"runs": opts.runs, "books": 50, "baseline_books": 2}),
            ("requests", {"requests": opts.requests}),
            ("web", {"runs": opts.runs, "words": 20, "word_runs": 5, "settle_s": 120}),
            ("decode", {"repeats": 20, "rounds": 5}),
            ("levers", {"tmp_dir": str(tmp), "rounds": 2}),
        ]
        for name, extra in plan:
            if opts.only and name not in opts.only:
                continue
            if name in SHARED and name in shared:
                runs[name] = shared[name]
                continue
            if name != "scan" and name not in SHARED and "error" in runs.get("scan", {}):
                runs[name] = {"error": "skipped: the full scan failed, so there is no library to work on"}
                continue
            say(f"{BACKEND_LABELS[backend]}: {name} at {opts.items} items")
            runs[name] = run_child(name, {**base, "db_url": db_url, **extra}, timeout=opts.timeout)
            if name in SHARED:
                shared[name] = runs[name]
    if opts.rounds > 1 and _wanted(opts, "scan"):
        runs["rounds"] = run_rounds(opts, backend, base, tmp, runs)
    return runs


def run_rounds(
    opts: Options, backend: str, base: dict[str, Any], tmp: Path, runs: dict[str, Any]
) -> list[dict[str, Any]]:
    """Scan, python-plexapi and the floor again, interleaved, `rounds - 1` more times (each scan on a new database).

    The machine is shared: ratios of figures taken side by side in one round, then the median over
    rounds, say more than any single figure.
    """
    rounds = [{name: runs[name] for name in ("scan", "plexapi", "floor") if name in runs}]
    for number in range(2, opts.rounds + 1):
        current: dict[str, Any] = {}
        for name in ("floor", "scan", "plexapi"):
            if opts.only and name not in opts.only:
                continue
            say(f"{BACKEND_LABELS[backend]}: round {number}: {name}")
            extra: dict[str, Any] = {"page_size": 500} if name == "floor" else {}
            if name == "plexapi":
                extra["default_listing"] = False  # only the 500-page listing the ratio uses
            with benchlib.bench_database(backend, tmp, f"bench-{opts.items}-round{number}") as db_url:
                current[name] = run_child(name, {**base, "db_url": db_url, **extra}, timeout=opts.timeout)
        rounds.append(current)
    return rounds


def run_scale(opts: Options, tmp: Path, runs: dict[str, Any], main: benchlib.Emulator) -> None:
    """First full scans at `scale_items` (e.g. 200,000) per backend, each beside a first scan at the main size.

    The two sizes alternate (`rounds` pairs, at least one), each scan into a new database, and the
    ratio is the median of the ratios within a pair: the machine's speed drifts over minutes, so a
    large scan set against the main run's, taken minutes earlier, measures the drift as much as
    the scaling.
    """
    say(f"scaling: starting the fake Plex with {opts.scale_items} albums")
    emulator = benchlib.start_emulator(opts.scale_items, seed=opts.seed, log_dir=tmp)
    try:
        for backend in opts.backends:
            pairs: list[dict[str, Any]] = []
            for number in range(1, max(1, opts.rounds) + 1):
                pair: dict[str, Any] = {}
                for label, server, items in (("small", main, opts.items), ("big", emulator, opts.scale_items)):
                    base = {
                        "url": server.url, "token": server.token, "section_id": server.section_id,
                        "items": items, "seed": opts.seed, "backend": backend, "rescan": False,
                    }
                    with benchlib.bench_database(backend, tmp, f"bench-scale-{items}-{number}") as db_url:
                        say(f"{BACKEND_LABELS[backend]}: scaling pair {number}: full scan at {items} items")
                        pair[label] = run_child("scan", {**base, "db_url": db_url}, timeout=opts.timeout)
                pairs.append(pair)
            runs.setdefault(backend, {})["scale"] = pairs[0]["big"]
            runs[backend]["scale_pairs"] = pairs
    finally:
        emulator.stop()


def run_memory(opts: Options, tmp: Path, runs: dict[str, Any]) -> dict[str, Any]:
    """Peak RSS of the full scan and the index's size at `memory_items`, beside the main run's."""
    say(f"memory comparison: starting the fake Plex with {opts.memory_items} albums")
    emulator = benchlib.start_emulator(opts.memory_items, seed=opts.seed, log_dir=tmp)
    memory: dict[str, Any] = {}
    try:
        for backend in opts.backends:
            small: dict[str, Any] = {}
            base = {
                "url": emulator.url, "token": emulator.token, "section_id": emulator.section_id,
                "items": opts.memory_items, "seed": opts.seed, "backend": backend,
            }
            with benchlib.bench_database(backend, tmp, f"bench-{opts.memory_items}") as db_url:
                say(f"{BACKEND_LABELS[backend]}: scan and index at {opts.memory_items} items")
                small["scan"] = run_child("scan", {**base, "db_url": db_url}, timeout=opts.timeout)
                small["availability"] = run_child(
                    "availability", {**base, "db_url": db_url, "runs": 5, "books": 50, "baseline_books": 1},
                    timeout=opts.timeout,
                )
            big = runs.get(backend, {})
            memory[backend] = {
                str(opts.memory_items): _memory_figures(small),
                str(opts.items): _memory_figures(big),
            }
    finally:
        emulator.stop()
    return memory


def _memory_figures(runs: dict[str, Any]) -> dict[str, Any]:
    scan, availability = runs.get("scan", {}), runs.get("availability", {})
    return {
        "scan_peak_rss_mb": scan.get("peak_rss_mb"),
        "scan_rss_before_mb": scan.get("rss_before_scan_mb"),
        "scan_s": scan.get("first_s"),
        "index_rss_mb": availability.get("index_rss_mb"),
        "index_build_s": availability.get("index_build_s"),
        "availability_peak_rss_mb": availability.get("peak_rss_mb"),
    }


# ------------------------------------------------------------------ targets and report rows


def _get(runs: dict[str, Any], scenario: str, key: str) -> Any:
    value = runs.get(scenario, {}).get(key)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _ratio(a: Any, b: Any) -> float | None:
    if a is None or b in (None, 0):
        return None
    return round(a / b, 2)


def _round_values(runs: dict[str, Any], scenario: str, key: str) -> list[float]:
    rounds = runs.get("rounds") or [runs]
    return [v for r in rounds if (v := _get(r, scenario, key)) is not None]


def _median_of(values: list[float]) -> float | None:
    return round(benchlib.median(values), 3) if values else None


def _round_ratio(runs: dict[str, Any], a: tuple[str, str], b: tuple[str, str]) -> float | None:
    """The median over interleaved rounds of a/b taken within each round (one round without --rounds)."""
    rounds = runs.get("rounds") or [runs]
    ratios = [x / y for r in rounds if (x := _get(r, *a)) is not None and (y := _get(r, *b))]
    return _median_of(ratios)


def _scale_ratio(runs: dict[str, Any], key: str) -> float | None:
    """Large / main-size first scan: the median over side-by-side pairs (older runs: against the main run's)."""
    pairs = runs.get("scale_pairs")
    if pairs:
        return _median_of([b / a for p in pairs if (a := _get(p, "small", key)) and (b := _get(p, "big", key))])
    big = _get(runs, "scale", key)
    small = _median_of(_round_values(runs, "scan", key))
    return _ratio(big, small) if big is not None else None


@dataclass(frozen=True)
class Row:
    """One line of the report: how to read the figure, its unit, and its target if it has one."""

    scenario: str
    metric: str
    unit: str
    value: Callable[[dict[str, Any]], Any]
    target: str = ""
    check: Callable[[float], bool] | None = None


def _figures(scenario: str, section: str, unit: str, figures: tuple[tuple[str, str], ...]) -> list[Row]:
    """Rows without a target: one per (key in `section` of the results, metric label)."""
    return [Row(scenario, metric, unit, lambda r, k=key: _get(r, section, k)) for key, metric in figures]


ROWS: tuple[Row, ...] = (
    Row("1 full scan", "first scan, empty DB", "s", lambda r: _get(r, "scan", "first_s"), "<= 20 s",
        lambda v: v <= 20),
    Row("1 full scan", "first scan, median of the rounds", "s",
        lambda r: _median_of(_round_values(r, "scan", "first_s"))),
    Row("1 full scan", "throughput", "items/s", lambda r: _get(r, "scan", "items_per_s")),
    Row("1 full scan", "CPU of the scan process", "s", lambda r: _get(r, "scan", "first_cpu_s")),
    Row("1 full scan", "peak RSS (scan process)", "MB", lambda r: _get(r, "scan", "peak_rss_mb"), "<= 300 MB",
        lambda v: v <= 300),
    Row("1 full scan", "HTTP requests", "", lambda r: _get(r, "scan", "http_requests_first")),
    Row("1 full scan", "disk written by the first scan (SQLite, write_bytes)", "MB",
        lambda r: _get(r, "scan", "first_write_mb"), "<= 300 MB", lambda v: v <= 300),
    Row("1 full scan", "bytes passed to write() by the first scan (wchar)", "MB",
        lambda r: _get(r, "scan", "first_wchar_mb")),
    Row("1 full scan", "database file after the scans (SQLite)", "MB", lambda r: _get(r, "scan", "db_file_mb")),
    Row("1 full scan", "unchanged rescan", "s", lambda r: _get(r, "scan", "second_s")),
    Row("1 full scan", "unchanged rescan: CPU", "s", lambda r: _get(r, "scan", "second_cpu_s")),
    Row("1 full scan", "disk written by the unchanged rescan (SQLite)", "MB",
        lambda r: _get(r, "scan", "second_write_mb")),
    Row("1 full scan", "rescan / first scan (median of the rounds)", "x",
        lambda r: _median_of(_round_values(r, "scan", "rescan_ratio")), "<= 0.35", lambda v: v <= 0.35),
    Row("2 python-plexapi", "searchAlbums, pages of 500", "s", lambda r: _get(r, "plexapi", "list_500_pages_s")),
    Row("2 python-plexapi", "albums(), default pages", "s", lambda r: _get(r, "plexapi", "list_default_pages_s")),
    Row("2 python-plexapi", "plexapi (500) / plexbooks scan (median of per-round ratios)", "x",
        lambda r: _round_ratio(r, ("plexapi", "list_500_pages_s"), ("scan", "first_s")), ">= 4x",
        lambda v: v >= 4),
    Row("2 python-plexapi", "same, CPU of the two processes", "x",
        lambda r: _round_ratio(r, ("plexapi", "list_500_cpu_s"), ("scan", "first_cpu_s"))),
    Row("2 python-plexapi", "peak RSS (plexapi process)", "MB", lambda r: _get(r, "plexapi", "peak_rss_mb")),
    Row("3 raw floor", "requests + json.loads, pages of 500", "s", lambda r: _get(r, "floor", "fetch_s")),
    Row("3 raw floor", "PlexClient.albums into records, no DB", "s", lambda r: _get(r, "floor", "client_records_s")),
    Row("3 raw floor", "plexbooks scan / floor (median of per-round ratios)", "x",
        lambda r: _round_ratio(r, ("scan", "first_s"), ("floor", "fetch_s")), "<= 2x", lambda v: v <= 2),
    Row("4 recently added", "nothing new: median poll", "ms", lambda r: _get(r, "recent", "median_ms"),
        "<= 50 ms", lambda v: v <= 50),
    Row("4 recently added", "nothing new: HTTP requests per poll", "",
        lambda r: _get(r, "recent", "http_requests_per_poll"), "1", lambda v: v == 1),
    Row("4 recently added", "nothing new: HTTP alone (median)", "ms",
        lambda r: _get(r, "recent", "http_only_median_ms")),
    Row("4 recently added", "30 new: median poll", "ms", lambda r: _get(r, "recent_new", "median_ms")),
    Row("4 recently added", "30 new: HTTP requests per poll", "",
        lambda r: _get(r, "recent_new", "http_requests_per_poll")),
    Row("4 recently added", "nothing new after a 30-book import: median", "ms",
        lambda r: _get(r, "recent_new", "settled_median_ms")),
    Row("4 recently added", "nothing new after a 30-book import: requests", "",
        lambda r: _get(r, "recent_new", "settled_http_requests_per_poll")),
    Row("4 recently added", "30 new + 1 downloaded request waiting: median", "ms",
        lambda r: _get(r, "recent_new", "waiting_median_ms")),
    Row("5 availability", "50 books, warm index (median)", "ms", lambda r: _get(r, "availability", "median_ms"),
        "<= 30 ms", lambda v: v <= 30),
    Row("5 availability", "same via core.library_index() (median)", "ms",
        lambda r: _get(r, "availability", "via_core_median_ms")),
    Row("5 availability", "pairwise match_score, 50 books (extrapolated)", "ms",
        lambda r: _get(r, "availability", "pairwise_50_extrapolated_ms")),
    Row("5 availability", "speed-up over pairwise", "x", lambda r: _get(r, "availability", "speedup_vs_pairwise"),
        ">= 100x", lambda v: v >= 100),
    Row("6 1,000 requests", "index build", "s", lambda r: _get(r, "requests", "index_build_s")),
    Row("6 1,000 requests", "matching (scan step, warm index)", "s", lambda r: _get(r, "requests", "matching_s")),
    Row("6 1,000 requests", "index build + matching", "s", lambda r: _get(r, "requests", "total_s"), "<= 3 s",
        lambda v: v <= 3),
    Row("6 1,000 requests", "requests matched", "", lambda r: _get(r, "requests", "matched")),
    Row("7 HTTP", "first start ever: host start until it answers", "s", lambda r: _get(r, "web", "cold_host_ready_s")),
    Row("7 HTTP", "first start ever: first availability call (50 books)", "ms",
        lambda r: _get(r, "web", "cold_first_availability_ms")),
    Row("7 HTTP", "restart: host start until it answers", "s", lambda r: _get(r, "web", "host_ready_s")),
    Row("7 HTTP", "restart: first availability call (50 books)", "ms",
        lambda r: _get(r, "web", "first_availability_ms"), "<= 300 ms", lambda v: v <= 300),
    Row("7 HTTP", "GET /ping through the same host (median): the HTTP floor", "ms",
        lambda r: _get(r, "web", "ping_median_ms")),
    Row("7 HTTP", "availability, 50 books, warm (median)", "ms", lambda r: _get(r, "web", "availability_median_ms"),
        "<= 20 ms", lambda v: v <= 20),
    Row("7 HTTP", "availability, 50 books, warm (p90)", "ms", lambda r: _get(r, "web", "availability_p90_ms")),
    Row("7 HTTP", "availability, 50 books never asked before, warm (median)", "ms",
        lambda r: _get(r, "web", "availability_new_questions_median_ms")),
    Row("7 HTTP", "library word search (median)", "ms", lambda r: _get(r, "web", "search_median_ms"),
        "<= 10 ms", lambda v: v <= 10),
    Row("7 HTTP", "library word search (p99)", "ms", lambda r: _get(r, "web", "search_p99_ms")),
    Row("7 HTTP", "word search: hits of all words (same answers)", "",
        lambda r: _get(r, "web", "search_total_hits")),
    *_figures("8 JSON decoding", "decode", "ms", (
        ("json_ms", "page of 500: json.loads"),
        ("orjson_ms", "page of 500: orjson.loads"),
        ("msgspec_ms", "page of 500: msgspec (generic)"),
        ("msgspec_typed_ms", "page of 500: msgspec into structs"),
        ("json_records_ms", "page into records: json + parsing"),
        ("orjson_records_ms", "page into records: orjson + parsing"),
        ("msgspec_typed_records_ms", "page into records: msgspec structs"),
    )),
    Row("9 scaling", "first scan at the scale size (--scale-items)", "s", lambda r: _get(r, "scale", "first_s")),
    Row("9 scaling", "its CPU", "s", lambda r: _get(r, "scale", "first_cpu_s")),
    Row("9 scaling", "peak RSS at the scale size", "MB", lambda r: _get(r, "scale", "peak_rss_mb"), "<= 150 MB",
        lambda v: v <= 150),
    Row("9 scaling", "scale / main size: wall time", "x", lambda r: _scale_ratio(r, "first_s"), "<= 2.1x",
        lambda v: v <= 2.1),
    Row("9 scaling", "scale / main size: CPU", "x", lambda r: _scale_ratio(r, "first_cpu_s")),
    *_figures("10 levers (CPU)", "levers", "s", (
        ("decode_json_cpu_s", "decode every page: json"),
        ("decode_orjson_cpu_s", "decode every page: orjson"),
        ("records_all_cpu_s", "records: every album built"),
        ("records_skip_unchanged_cpu_s", "records: unchanged updatedAt skipped (rescan)"),
        ("norm_title_matching_cpu_s", "search column: normalize_title"),
        ("norm_title_search_text_cpu_s", "search column: search_text"),
        ("norm_author_each_cpu_s", "authors: parsed per album"),
        ("norm_author_once_cpu_s", "authors: parsed once per author"),
    )),
    *(Row("10 levers (store)", f"{variant}: {label}", unit, lambda r, k=f"store_{variant}_{key}": _get(r, "levers", k))
      for variant in ("dicts-500", "tuples-500", "tuples-2000", "tuples-2000-deferred")
      for key, label, unit in (("cpu_s", "CPU", "s"), ("wall_s", "wall", "s"), ("write_mb", "written", "MB"))),
    Row("10 levers (rescan)", "UPDATE last_seen_scan of every row: CPU", "s",
        lambda r: _get(r, "levers", "store_tuples-2000-deferred_touch_cpu_s")),
    Row("10 levers (rescan)", "UPDATE last_seen_scan of every row: wall", "s",
        lambda r: _get(r, "levers", "store_tuples-2000-deferred_touch_wall_s")),
    Row("10 levers (rescan)", "UPDATE last_seen_scan of every row: written", "MB",
        lambda r: _get(r, "levers", "store_tuples-2000-deferred_touch_write_mb")),
    Row("10 levers (rescan)", "set difference in memory: CPU", "s",
        lambda r: _get(r, "levers", "store_tuples-2000-deferred_difference_cpu_s")),
)


def evaluate_targets(results: Results) -> list[dict[str, Any]]:
    """Every targeted figure with whether it is met, per backend (None when it could not be measured)."""
    checks = []
    for backend, runs in results["runs"].items():
        for row in ROWS:
            if row.check is None:
                continue
            value = row.value(runs)
            checks.append({
                "backend": backend, "scenario": row.scenario, "metric": row.metric, "unit": row.unit,
                "value": value, "target": row.target, "met": None if value is None else bool(row.check(value)),
            })
    return checks


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        if value >= 1000:
            return f"{value:,.0f}"
        if value >= 100:
            return f"{value:.1f}"
        return f"{value:.3g}" if value < 1 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _cell(row: Row, runs: dict[str, Any]) -> str:
    value = row.value(runs)
    text = _fmt(value)
    if row.check is not None and value is not None:
        text += " ok" if row.check(value) else " MISSED"
    return text


def _backends(results: Results) -> list[str]:
    """The backends in the order they ran (JSON files may have their keys sorted)."""
    return [b for b in results.get("backends", []) if b in results["runs"]] or list(results["runs"])


def report_rows(results: Results) -> tuple[list[str], list[list[str]]]:
    """The report as a header and rows of text cells (shared by the text and Markdown renderers)."""
    backends = _backends(results)
    header = ["scenario", "metric", "unit"] + [BACKEND_LABELS.get(b, b) for b in backends] + ["target"]
    rows = []
    for row in ROWS:
        if all(row.value(results["runs"][b]) is None for b in backends):
            continue  # not measured in this run (--only, no --rounds or --scale-items)
        cells = [_cell(row, results["runs"][b]) for b in backends]
        rows.append([row.scenario, row.metric, row.unit, *cells, row.target])
    errors = [
        [f"{name} ({BACKEND_LABELS.get(b, b)})", "ERROR", "", *([""] * (len(backends) - 1)), str(res["error"])[:80], ""]
        for b in backends for name, res in results["runs"][b].items() if isinstance(res, dict) and "error" in res
    ]
    return header, rows + [r[: len(header)] for r in errors]


def memory_rows(results: Results) -> tuple[list[str], list[list[str]]]:
    """Memory at the small and the full size side by side."""
    small, big = str(results.get("memory_items")), str(results.get("items"))
    header = ["memory", "backend", f"{int(small):,} items", f"{int(big):,} items"]
    rows = []
    labels = (
        ("scan_peak_rss_mb", "full scan: peak RSS of the process (MB)"),
        ("scan_rss_before_mb", "full scan: RSS before scanning (imports, MB)"),
        ("index_rss_mb", "LibraryIndex: RSS growth of the build (MB)"),
        ("availability_peak_rss_mb", "index + availability: peak RSS of the process (MB)"),
        ("index_build_s", "LibraryIndex build from the DB (s)"),
    )
    memory = results.get("memory", {})
    for backend in [b for b in _backends(results) if b in memory]:
        sizes = memory[backend]
        for key, label in labels:
            rows.append([label, BACKEND_LABELS.get(backend, backend),
                         _fmt(sizes.get(small, {}).get(key)), _fmt(sizes.get(big, {}).get(key))])
    return header, rows


def machine_line(results: Results) -> str:
    """One line naming the machine (and how busy it was), for every table."""
    m = results["machine"]
    loads = [
        r[key] for runs in results["runs"].values() for r in runs.values() if isinstance(r, dict)
        for key in ("load_before", "load_after") if isinstance(r.get(key), (int, float))
    ]
    load = f"; 1-minute load average {min(loads):.2f} to {max(loads):.2f} during the run" if loads else ""
    return (
        f"{results['date']}; {m.get('nproc')} cores ({m.get('cpu_model')}), {m.get('ram_gb')} GB RAM, "
        f"{m.get('implementation', 'CPython')} {m.get('python')}, SQLite {m.get('sqlite')}, "
        f"SQLAlchemy {m.get('sqlalchemy')}, psycopg {m.get('psycopg')}, PlexAPI {m.get('plexapi')}; "
        f"{results['items']:,} albums{load}"
    )


def render_text(results: Results) -> str:
    """A plain fixed-width table."""
    out = [f"plexbooks benchmark: {machine_line(results)}", ""]
    for header, rows in (report_rows(results), memory_rows(results)):
        if not rows:
            continue
        widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
        out.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        out.append("  ".join("-" * w for w in widths))
        out.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
        out.append("")
    missed = [t for t in results.get("targets", []) if t["met"] is False]
    unmeasured = [t for t in results.get("targets", []) if t["met"] is None]
    out.append(f"targets: {sum(1 for t in results.get('targets', []) if t['met'])} met, {len(missed)} missed, "
               f"{len(unmeasured)} not measured")
    for t in missed:
        out.append(f"  MISSED ({BACKEND_LABELS.get(t['backend'])}): {t['scenario']}: {t['metric']} = "
                   f"{_fmt(t['value'])} {t['unit']} (target {t['target']})")
    return "\n".join(out) + "\n"


def render_markdown(results: Results) -> str:
    """The tables of bench/RESULTS.md."""
    out = [f"Machine and date: {machine_line(results)}.", ""]
    for header, rows in (report_rows(results), memory_rows(results)):
        if not rows:
            continue
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "|".join("---" for _ in header) + "|")
        out.extend("| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows)
        out.append("")
    return "\n".join(out)


# ------------------------------------------------------------------ command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The driver's options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000, help="albums in the generated library")
    parser.add_argument("--memory-items", type=int, default=10_000,
                        help="the smaller library for the memory comparison (0 skips it)")
    parser.add_argument("--json", dest="json_path", help="also write every figure to this JSON file")
    parser.add_argument("--markdown", action="store_true", help="print the RESULTS.md table instead of the text one")
    parser.add_argument("--from-json", help="render a previous --json file instead of running")
    parser.add_argument("--backend", choices=("auto", "sqlite", "postgresql", "both"), default="auto",
                        help=f"auto: SQLite, plus PostgreSQL when {benchlib.PG_ENV} is set")
    parser.add_argument("--polls", type=int, default=20, help="recently-added polls to take the median of")
    parser.add_argument("--runs", type=int, default=30, help="availability runs to take the median of")
    parser.add_argument("--requests", type=int, default=1000, help="downloaded requests to match")
    parser.add_argument("--new-books", type=int, default=30, help="books added before each 'new' poll")
    parser.add_argument("--new-rounds", type=int, default=5, help="'new' polls to take the median of")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated library")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds one scenario may take")
    parser.add_argument("--profile", dest="profile_dir", help="write cProfile output of each timed step here "
                        "(timings are then inflated)")
    parser.add_argument("--only", nargs="*", default=[], choices=SCENARIO_ORDER, help="run only these scenarios")
    parser.add_argument("--rounds", type=int, default=1, help="run scan, python-plexapi and the floor this many "
                        "times, interleaved (ratios: median of the per-round ratios)")
    parser.add_argument("--scale-items", type=int, default=0, help="also a first full scan at this many albums "
                        "(e.g. 200000) for the time and memory scaling (0 skips it)")
    return parser.parse_args(argv)


def backends_for(choice: str) -> tuple[str, ...]:
    """Which database backends to run on."""
    if choice == "auto":
        return ("sqlite", "postgresql") if os.environ.get(benchlib.PG_ENV) else ("sqlite",)
    if choice == "both":
        return ("sqlite", "postgresql")
    return (choice,)


def main(argv: list[str] | None = None) -> int:
    """Run (or re-render) the benchmark; exit 1 when a scenario failed, 0 otherwise (missed targets included)."""
    ns = parse_args(argv)
    if ns.from_json:
        results = json.loads(Path(ns.from_json).read_text())
    else:
        backends = backends_for(ns.backend)
        if "postgresql" in backends and not os.environ.get(benchlib.PG_ENV):
            sys.stderr.write(f"--backend {ns.backend} needs {benchlib.PG_ENV}\n")
            return 2
        opts = Options(
            items=ns.items, memory_items=ns.memory_items, backends=backends, polls=ns.polls, runs=ns.runs,
            requests=ns.requests, new_books=ns.new_books, new_rounds=ns.new_rounds, seed=ns.seed,
            timeout=ns.timeout, profile_dir=ns.profile_dir, only=tuple(ns.only), rounds=max(1, ns.rounds),
            scale_items=ns.scale_items,
        )
        results = run_suite(opts)
    if ns.json_path:
        Path(ns.json_path).write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    sys.stdout.write(render_markdown(results) if ns.markdown else render_text(results))
    failed = any(isinstance(r, dict) and "error" in r for runs in results["runs"].values() for r in runs.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
