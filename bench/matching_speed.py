"""Matcher speed without a server or database: pairs per second and index look-ups per second.

    .venv/bin/python bench/matching_speed.py                  # 100,000 generated albums, text on stdout
    .venv/bin/python bench/matching_speed.py --items 10000 --json out.json

The library is the emulator's generated audiobook library (`FakeLibrary(items, seed)`, the one
`bench/run.py` scans), built in memory. Figures:

- pairs/s: `match_score` over the labelled pairs of `tests/data/*.csv` plus pairs of generated
  titles (each with a near neighbour or a random other book). "cold" clears the title/people caches
  first, so every title is analysed; "warm" repeats the same pairs with the caches filled.
- index: `LibraryIndex` build time, then look-ups/s at REQUEST_THRESHOLD and CATALOG_THRESHOLD for
  a fixed mix of questions (half present in the variations hosts and rippers write, half absent but
  sharing vocabulary), and the median time of 50 answers (the availability target: <= 30 ms): the
  same 50 questions asked again (the index remembers its answers until it changes) and 50 questions
  it was not asked before (`availability_50_new_questions_median_ms`: the work of finding answers).

Every figure is CPU-bound and single-threaded, so it is timed in CPU seconds of this process
(`time.process_time`), which other work on a shared machine disturbs far less than wall time;
the load average is printed with it all the same.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchlib
from scenarios import _last_first  # the availability scenario's 'Last, First' variation

from plexbooks_plugin.fakeplex.store import AUDIOBOOK_SECTION, FakeLibrary
from plexbooks_plugin.matching import (
    CATALOG_THRESHOLD,
    REQUEST_THRESHOLD,
    Candidate,
    LibraryIndex,
    match_score,
    normalize_asin,
)
from plexbooks_plugin.matching import people as people_module
from plexbooks_plugin.matching import titles as titles_module

DATA_DIR = Path(__file__).resolve().parent.parent / "tests" / "data"
Pair = tuple[str | None, str | None, str | None, str | None, str | None, str | None, str | None]


def library(items: int, seed: int) -> list[Candidate]:
    """The emulator's generated audiobooks as matcher candidates (ASIN from the Audnexus guid)."""
    fake = FakeLibrary(items, seed)
    out = []
    for album in fake.albums.values():
        if album.section_id != AUDIOBOOK_SECTION:
            continue
        asin = None
        if album.guid.startswith("com.plexapp.agents.audnexus://"):
            asin = normalize_asin(album.guid.split("://", 1)[1].split("?", 1)[0])
        out.append(Candidate(str(album.rating_key), album.title, album.author, album.narrator, asin))
    return out


def labelled_pairs() -> list[Pair]:
    """Every labelled pair of tests/data (title, author, title, author, narrator, asin, asin)."""
    pairs: list[Pair] = []
    for path in sorted(DATA_DIR.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                pairs.append(tuple(row.get(k) or None for k in (  # type: ignore[arg-type]
                    "title_a", "author_a", "title_b", "author_b", "narrator_b", "asin_a", "asin_b")))
    return pairs


def generated_pairs(rows: list[Candidate], count: int, rng: random.Random) -> list[Pair]:
    """Pairs of library books: a book against a neighbour (similar generated words) or a random one."""
    pairs: list[Pair] = []
    for _ in range(count):
        i = rng.randrange(len(rows))
        j = min(len(rows) - 1, i + rng.randrange(3)) if rng.random() < 0.5 else rng.randrange(len(rows))
        a, b = rows[i], rows[j]
        pairs.append((a.title, a.author, b.title, b.author, b.narrator, None, b.asin))
    return pairs


def questions(rows: list[Candidate], count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Availability questions: half present (host and ripper variations), half absent look-alikes."""
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rng.sample(rows, count - count // 2)):
        title, author, asin = row.title, row.author, None
        variant = i % 6
        if variant == 1:
            title = f"{title} (Unabridged)"
        elif variant == 2:
            author = _last_first(author)
        elif variant == 3 and row.asin:
            title, asin = title.lower(), row.asin
        elif variant == 4:
            title = f"{author} - {title}" if author else title  # a ripper's folder name
        elif variant == 5:
            title = f"{title} [B0{rng.randrange(10**8):08d}]"  # a ripper's ASIN tag, another edition
        out.append({"title": title, "author": author, "asin": asin})
    for i in range(count // 2):
        a, b = rng.sample(rows, 2)
        if i % 2 == 0:
            out.append({"title": a.title, "author": b.author, "asin": None})
        else:
            wa, wb = a.title.split(), b.title.split()
            out.append({"title": " ".join(wa[: max(1, len(wa) // 2)] + wb[len(wb) // 2:]), "author": a.author,
                        "asin": None})
    rng.shuffle(out)
    return out


def _clear_caches() -> None:
    titles_module.title_features.cache_clear()
    people_module.people.cache_clear()


def pair_speed(pairs: list[Pair]) -> dict[str, float]:
    """match_score pairs per second, cold (every title analysed) and warm (analysis cached)."""
    def run() -> float:
        started = time.process_time()
        for ta, aa, tb, ab, nb, sa, sb in pairs:
            match_score(ta, aa, tb, ab, narrator_b=nb, asin_a=sa, asin_b=sb)
        return time.process_time() - started

    _clear_caches()
    cold = run()
    warm = min(run() for _ in range(3))
    return {
        "pairs": len(pairs), "cold_pairs_per_s": round(len(pairs) / cold), "warm_pairs_per_s": round(len(pairs) / warm),
    }


def index_speed(rows: list[Candidate], asks: list[dict[str, Any]]) -> dict[str, float]:
    """Index build seconds, look-ups per second at both thresholds, median ms of 50 answers."""
    _clear_caches()
    started = time.process_time()
    index = LibraryIndex(rows)
    build = time.process_time() - started
    result: dict[str, float] = {"items": len(rows), "build_s": round(build, 3)}
    for name, threshold in (("request", REQUEST_THRESHOLD), ("catalog", CATALOG_THRESHOLD)):
        for q in asks:  # warm-up: analyse each question once, as a running server has (another threshold:
            # the index remembers its answers until it changes, and this measures finding them)
            index.best_match(q["title"], q["author"], asin=q["asin"], threshold=threshold + 0.001)
        started = time.process_time()
        found = sum(
            index.best_match(q["title"], q["author"], asin=q["asin"], threshold=threshold) is not None for q in asks
        )
        seconds = time.process_time() - started
        result[f"{name}_lookups_per_s"] = round(len(asks) / seconds)
        result[f"{name}_found"] = found
    # 50 answers: the same 50 questions again and again (remembered answers after the first time),
    # and 50 questions not asked at this threshold before (the work of finding them: batches of `asks`
    # at a threshold the index was not asked at, after analysing them as above).
    fifty = asks[:50]
    times = []
    for _ in range(30):
        started = time.process_time()
        for q in fifty:
            index.best_match(q["title"], q["author"], asin=q["asin"])
        times.append((time.process_time() - started) * 1000)
    result["availability_50_median_ms"] = round(benchlib.median(times), 2)
    times = []
    for run, start in enumerate(range(0, len(asks) - 49, 50)):
        threshold = REQUEST_THRESHOLD + (run + 1) * 1e-9  # never asked before: every answer found anew
        started = time.process_time()
        for q in asks[start:start + 50]:
            index.best_match(q["title"], q["author"], asin=q["asin"], threshold=threshold)
        times.append((time.process_time() - started) * 1000)
    result["availability_50_new_questions_median_ms"] = round(benchlib.median(times), 2)
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the measurements and print them (and write JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=20_000, help="generated pairs besides the labelled ones")
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    load_before = os.getloadavg()[0]
    rows = library(args.items, args.seed)
    pairs = labelled_pairs() + generated_pairs(rows, args.pairs, rng)
    result: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": benchlib.machine_info(),
        "load_before": round(load_before, 2),
        "pairs": pair_speed(pairs),
        "index": index_speed(rows, questions(rows, args.lookups, rng)),
        "load_after": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
