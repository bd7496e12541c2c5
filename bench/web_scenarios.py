"""The benchmark scenarios that talk HTTP to a host app, and the JSON decoder comparison.

- ``web``     db_url, runs, words, word_runs, settle_s: start `webhost.py` on the benchmark database
              (a fresh process, a new instance folder) and ask 50 books' availability as soon as it
              answers (the first start ever); stop it once it saved its index (at most `settle_s`,
              120, seconds later); start it again
              (a restart: the saved index is there) and ask again as soon as it answers (the first
              call after a start); then warm: 50 books, and the library word search
              (`GET /api/library?q=word`); and 50 books never asked before on every call (no remembered answer).
- ``decode``  url, token, section_id, repeats: one recorded page of 500 albums decoded by `json`,
              `orjson` and `msgspec` (generic, and typed into structs), in isolation and with records.

Both are run by `scenarios.py` (one process per scenario, as every other scenario).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import benchlib
import scenarios

Args = dict[str, Any]
Result = dict[str, Any]

API_KEY = "bench-host-api-key-0123456789"


# ------------------------------------------------------------------ web


def search_words(rows: list[Any], count: int, *, seed: int) -> list[str]:
    """`count` search words taken from library titles: the longest word of a random title each."""
    rng = random.Random(seed)
    words: list[str] = []
    for row in rng.sample(rows, min(len(rows), count * 3)):
        candidates = [w.strip(".,:;!?'\"()").lower() for w in row.title.split()]
        candidates = [w for w in candidates if len(w) >= 4 and w.isalpha()]
        if candidates:
            word = max(candidates, key=len)
            if word not in words:
                words.append(word)
        if len(words) >= count:
            break
    return words


def _questions(rows: list[Any], seed: int) -> list[dict[str, Any]]:
    """50 availability questions as a host sends them (the scenario's expectations left out)."""
    return [{k: v for k, v in b.items() if k in ("title", "author", "asin") and v}
            for b in scenarios.make_books(rows, 50, seed=seed)]


def _start_host(db_url: str, instance: str) -> tuple[subprocess.Popen[bytes], str, float]:
    """Start the bench host app; return it, its base URL and the seconds until /ping answered.

    A port taken by someone else between choosing it and binding it: tried again on another one.
    """
    for attempt in range(3):
        try:
            return _start_host_once(db_url, instance)
        except RuntimeError as err:
            if "Address already in use" not in str(err) or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _start_host_once(db_url: str, instance: str) -> tuple[subprocess.Popen[bytes], str, float]:
    port = benchlib.free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(benchlib.BENCH_DIR / "webhost.py"), "--db", db_url, "--port", str(port),
         "--secret", benchlib.BENCH_SECRET, "--instance", instance],
        cwd=str(benchlib.REPO_DIR), env=benchlib.child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    benchlib.wait_for_http(
        process, url + "/ping", what="the bench host", timeout=120, interval=0.01,
        exit_detail=lambda: process.stderr.read().decode(errors="replace") if process.stderr else "",
    )
    return process, url, time.perf_counter() - started


def _wait_for_file(path: Path, timeout: float) -> float | None:
    """Seconds until `path` exists (the first start saved its index), or None after `timeout`."""
    started = time.perf_counter()
    while not path.exists():
        if time.perf_counter() - started > timeout:
            return None
        time.sleep(0.05)
    time.sleep(0.5)  # the file is renamed into place whole; let the process finish its warm-up
    return round(time.perf_counter() - started, 2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def scenario_web(args: Args) -> Result:
    """First availability answer after a start, then warm availability and word search over HTTP."""
    import requests

    core = scenarios.make_core(args["db_url"])
    core.set_setting("api_key", API_KEY)
    rows = scenarios.library_rows(core)
    seed = int(args.get("seed", 5))
    books = _questions(rows, seed)
    runs = int(args.get("runs", 30))
    # A different 50 books on every call: none of them can come from the index's remembered answers.
    fresh_sets = [_questions(rows, seed + 1000 + run) for run in range(runs)]
    words = search_words(rows, int(args.get("words", 20)), seed=int(args.get("seed", 5)) + 2)
    library_size = len(rows)
    del rows
    core.db.dispose()

    instance = tempfile.mkdtemp(prefix="plexbooks-bench-instance-")
    session = requests.Session()
    session.headers.update({"X-Plexbooks-Key": API_KEY, "Accept": "application/json"})

    def ask(url: str, questions: list[dict[str, Any]] = books) -> list[Any]:
        response = session.post(url + "/plexbooks/api/availability", json={"books": questions}, timeout=120)
        response.raise_for_status()
        results: list[Any] = response.json()["results"]
        return results

    # First start ever (nothing saved in the instance folder yet), as soon as the host answers.
    process, url, cold_ready_s = _start_host(args["db_url"], instance)
    try:
        cold_s, cold_answers = scenarios.timed(lambda: ask(url))
        saved_s = _wait_for_file(Path(instance) / "plexbooks-index.cache", float(args.get("settle_s", 120)))
    finally:
        _stop(process)
    # A restart: what every later start of the host is.
    process, url, ready_s = _start_host(args["db_url"], instance)
    try:
        first_s, first_answers = scenarios.timed(lambda: ask(url))
        # The floor of any answer through this host on this machine: /ping touches no plexbooks code.
        ping = [scenarios.timed(lambda: session.get(url + "/ping", timeout=30).raise_for_status())[0] * 1000
                for _ in range(runs)]
        warm = [scenarios.timed(lambda: ask(url))[0] * 1000 for _ in range(runs)]
        warm_answers = ask(url)
        fresh = [scenarios.timed(lambda q=q: ask(url, q))[0] * 1000 for q in fresh_sets]  # type: ignore[misc]

        def search(word: str) -> int:
            response = session.get(url + "/plexbooks/api/library", params={"q": word}, timeout=120)
            response.raise_for_status()
            return int(response.json()["total"])

        totals = {word: search(word) for word in words}  # warm-up, and the answers
        search_ms: list[float] = []
        for _ in range(int(args.get("word_runs", 5))):
            for word in words:
                search_ms.append(scenarios.timed(lambda w=word: search(w))[0] * 1000)  # type: ignore[misc]
    finally:
        _stop(process)
        shutil.rmtree(instance, ignore_errors=True)
    return {
        "library_size": library_size,
        "host_ready_s": round(ready_s, 3),
        "cold_host_ready_s": round(cold_ready_s, 3),
        "cold_first_availability_ms": round(cold_s * 1000, 1),
        "cold_found": sum(1 for a in cold_answers if a["available"]),
        "cold_index_saved_after_s": saved_s,
        "first_availability_ms": round(first_s * 1000, 1),
        "first_found": sum(1 for a in first_answers if a["available"]),
        "warm_found": sum(1 for a in warm_answers if a["available"]),
        "availability_runs": runs,
        "ping_median_ms": round(benchlib.median(ping), 2),
        "availability_median_ms": round(benchlib.median(warm), 2),
        "availability_p90_ms": round(benchlib.percentile(warm, 0.9), 2),
        "availability_new_questions_median_ms": round(benchlib.median(fresh), 2),
        "availability_new_questions_p90_ms": round(benchlib.percentile(fresh, 0.9), 2),
        "search_words": len(words),
        "search_requests": len(search_ms),
        "search_median_ms": round(benchlib.median(search_ms), 2),
        "search_p90_ms": round(benchlib.percentile(search_ms, 0.9), 2),
        "search_p99_ms": round(benchlib.percentile(search_ms, 0.99), 2),
        "search_total_hits": sum(totals.values()),
        "search_totals": totals,
    }


# ------------------------------------------------------------------ decode


try:  # msgspec is optional here: the scenario compares whichever decoders are installed
    import msgspec
except ImportError:  # pragma: no cover - depends on the environment
    msgspec = None

if msgspec is not None:

    class _Guid(msgspec.Struct):
        id: Any = None

    class _Album(msgspec.Struct, rename="camel"):
        """Only the album fields plexbooks reads; any JSON type accepted (checked when records are built)."""

        rating_key: Any = None
        type: Any = None
        title: Any = None
        parent_title: Any = None
        original_title: Any = None
        guid: Any = None
        duration: Any = None
        year: Any = None
        summary: Any = None
        thumb: Any = None
        added_at: Any = None
        updated_at: Any = None
        Guid: list[_Guid] = []

    class _Container(msgspec.Struct):
        size: Any = None
        totalSize: Any = None
        offset: Any = None
        Metadata: list[_Album] = []

    class _Envelope(msgspec.Struct):
        MediaContainer: _Container


def _typed_decoder() -> Callable[[bytes], Any] | None:
    """A msgspec decoder straight into structs holding only the fields plexbooks reads (None without msgspec)."""
    if msgspec is None:
        return None
    return msgspec.json.Decoder(_Envelope).decode


def _decoders() -> dict[str, Callable[[bytes], Any]]:
    found: dict[str, Callable[[bytes], Any]] = {"json": json.loads}
    try:
        import orjson

        found["orjson"] = orjson.loads
    except ImportError:
        pass
    try:
        import msgspec

        found["msgspec"] = msgspec.json.decode
    except ImportError:
        pass
    typed = _typed_decoder()
    if typed is not None:
        found["msgspec_typed"] = typed
    return found


def _records_from_typed(envelope: Any) -> int:
    """Build PlexAudiobook records from typed structs (what a typed client would do per page)."""
    from plexbooks_plugin.plex.parsing import as_int, as_str, asin_from_guids
    from plexbooks_plugin.records import PlexAudiobook

    count = 0
    for item in envelope.MediaContainer.Metadata:
        key, title = as_str(item.rating_key), as_str(item.title)
        if not key or not title:
            continue
        guids = tuple(g for g in [as_str(item.guid), *(as_str(c.id) for c in item.Guid)] if g)
        PlexAudiobook(
            rating_key=key, guid=as_str(item.guid) or "", title=title, author=as_str(item.parent_title),
            narrator=as_str(item.original_title), duration=as_int(item.duration), year=as_int(item.year),
            summary=as_str(item.summary), thumb=as_str(item.thumb), added_at=as_int(item.added_at),
            updated_at=as_int(item.updated_at), asin=asin_from_guids(guids), guids=tuple(dict.fromkeys(guids)),
        )
        count += 1
    return count


def scenario_decode(args: Args) -> Result:
    """Decode one recorded page of 500 albums with each decoder (interleaved rounds), then into records."""
    import requests

    from plexbooks_plugin.plex.parsing import albums_from_container

    response = requests.get(
        f"{args['url']}/library/sections/{args['section_id']}/all",
        params={"type": 9, "includeGuids": 1, "X-Plex-Container-Start": 0, "X-Plex-Container-Size": 500},
        headers={"Accept": "application/json", "X-Plex-Token": args["token"]}, timeout=300,
    )
    response.raise_for_status()
    body = response.content
    decoders = _decoders()
    repeats, rounds = int(args.get("repeats", 20)), int(args.get("rounds", 5))
    per_decoder: dict[str, list[float]] = {name: [] for name in decoders}
    for _ in range(rounds):  # interleaved, so a busy moment of the machine hits every decoder alike
        for name, decode in decoders.items():
            started = time.process_time()
            for _ in range(repeats):
                decode(body)
            per_decoder[name].append((time.process_time() - started) * 1000 / repeats)
    result: Result = {
        "page_bytes": len(body),
        "page_items": len(json.loads(body)["MediaContainer"].get("Metadata", [])),
        "decoders": sorted(decoders),
    }
    for name, times in per_decoder.items():
        result[f"{name}_ms"] = round(benchlib.median(times), 3)
    # Decoding plus building the records the scan stores: today's path vs the typed one.
    pipelines: dict[str, Callable[[], int]] = {
        "json_records": lambda: len(albums_from_container(json.loads(body)["MediaContainer"])[0]),
    }
    if "orjson" in decoders:
        pipelines["orjson_records"] = lambda: len(albums_from_container(decoders["orjson"](body)["MediaContainer"])[0])
    if "msgspec_typed" in decoders:
        pipelines["msgspec_typed_records"] = lambda: _records_from_typed(decoders["msgspec_typed"](body))
    counts = {name: run() for name, run in pipelines.items()}
    for name, run in pipelines.items():
        times = []
        for _ in range(rounds):
            started = time.process_time()
            for _ in range(repeats):
                run()
            times.append((time.process_time() - started) * 1000 / repeats)
        result[f"{name}_ms"] = round(benchlib.median(times), 3)
    result["records_agree"] = len(set(counts.values())) == 1
    return result
