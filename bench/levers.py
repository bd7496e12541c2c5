"""Scenario ``levers``: the full scan's costs taken apart, one lever at a time, on the same recorded pages.

The pages of the whole listing are fetched from the emulator once; everything after runs in this
process, without HTTP, so each lever's effect shows in CPU seconds (and, on SQLite, bytes
written) rather than in the noise of a shared machine. Each step adds one lever to the previous:

1. decoding every page: ``json.loads`` vs ``orjson.loads``;
2. records: every album built (``albums_from_container``) vs albums whose ``updatedAt`` is
   unchanged skipped (``changed_albums`` with the mirror's updatedAt, as a rescan);
3. the search column: ``normalize_title`` (the matching analysis) vs ``search_text``; authors
   parsed per album vs once per distinct author;
4. storing the records into a new database: SQLAlchemy insert of dicts per 500 (as before) ->
   tuples with a raw executemany -> 2,000 rows per transaction -> indexes (the unique one too) built after;
5. a rescan's bookkeeping: ``UPDATE last_seen_scan`` of every row, 500 ids at a time (as before)
   vs the set difference of the stored keys and the listed ones, in memory.

Arguments: url, token, section_id, backend, tmp_dir, rounds (2).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import benchlib

Args = dict[str, Any]
Result = dict[str, Any]


def _fetch_pages(args: Args) -> list[bytes]:
    import requests

    bodies: list[bytes] = []
    start, total = 0, None
    session = requests.Session()
    while total is None or start < total:
        response = session.get(
            f"{args['url']}/library/sections/{args['section_id']}/all",
            params={"type": 9, "includeGuids": 1, "X-Plex-Container-Start": start, "X-Plex-Container-Size": 500},
            headers={"Accept": "application/json", "X-Plex-Token": args["token"]}, timeout=300,
        )
        response.raise_for_status()
        bodies.append(response.content)
        container = response.json()["MediaContainer"]
        total = int(container.get("totalSize", 0))
        got = len(container.get("Metadata", []))
        if not got:
            break
        start += got
    return bodies


def _cpu(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(CPU seconds, wall seconds, result) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    value = fn()
    return time.process_time() - cpu, time.perf_counter() - wall, value


def _store(db_url: str, records: list[Any], variant: str) -> dict[str, float]:
    """Insert `records` into a new database the way `variant` says; CPU, wall and MB written."""
    from sqlalchemy import insert

    from plexbooks_plugin.db import Database
    from plexbooks_plugin.models import LibraryItem, utcnow
    from plexbooks_plugin.store import bulk

    db = Database(db_url)
    db.upgrade()
    per_commit = 500 if variant in ("dicts-500", "tuples-500") else 2000
    now = utcnow()

    def run() -> None:
        with db.session() as session:
            if variant == "tuples-2000-deferred":
                bulk.drop_indexes(session)
        dialect = db.engine.dialect.name
        stamp = bulk.stamp(now, dialect)
        for start in range(0, len(records), per_commit):
            chunk = records[start : start + per_commit]
            with db.session() as session:
                if variant == "dicts-500":
                    rows = [{"section_id": "1", "rating_key": r.rating_key, "guid": r.guid, "asin": r.asin,
                             "title": r.title, "author": r.author, "narrator": r.narrator, "duration": r.duration,
                             "year": r.year, "summary": r.summary, "thumb": r.thumb, "added_at": r.added_at,
                             "updated_at": r.updated_at, "file_path": r.file_path, "norm_title": r.title.lower(),
                             "norm_author": (r.author or "").lower(), "last_seen_scan": 1, "first_seen_at": now,
                             "row_updated_at": now} for r in chunk]
                    session.execute(insert(LibraryItem).execution_options(render_nulls=True), rows)
                else:
                    bulk.insert_rows(session, [
                        ("1", r.rating_key, r.guid, r.asin, r.title, r.author, r.narrator, r.duration, r.year,
                         r.summary, r.thumb, r.added_at, r.updated_at, r.file_path, r.title.lower(),
                         (r.author or "").lower(), 1, stamp, stamp) for r in chunk
                    ])
        with db.session() as session:
            bulk.ensure_indexes(session)

    io_before = benchlib.io_counters()
    cpu, wall, _ = _cpu(run)
    io = benchlib.io_delta("store", io_before, benchlib.io_counters())
    figures = {"cpu_s": cpu, "wall_s": wall, "write_mb": io.get("store_write_mb", 0.0)}
    figures.update(_rescan_bookkeeping(db, records))
    db.dispose()
    return figures


def _rescan_bookkeeping(db: Any, records: list[Any]) -> dict[str, float]:
    """Before: UPDATE last_seen_scan of every row per 500 ids. After: keys stored minus keys listed, in memory."""
    from sqlalchemy import select, update

    from plexbooks_plugin.models import LibraryItem

    listed = {r.rating_key for r in records}

    def touch() -> None:
        with db.session() as session:
            ids = list(session.scalars(select(LibraryItem.id)))
        for start in range(0, len(ids), 500):
            with db.session() as session:
                session.execute(update(LibraryItem).where(LibraryItem.id.in_(ids[start : start + 500]))
                                .values(last_seen_scan=2).execution_options(synchronize_session=False))

    def difference() -> int:
        with db.session() as session:
            stored = session.scalars(select(LibraryItem.rating_key).execution_options(yield_per=10_000))
            return sum(1 for key in stored if key not in listed)

    io_before = benchlib.io_counters()
    touch_cpu, touch_wall, _ = _cpu(touch)
    io = benchlib.io_delta("touch", io_before, benchlib.io_counters())
    diff_cpu, diff_wall, _ = _cpu(difference)
    return {"touch_cpu_s": touch_cpu, "touch_wall_s": touch_wall, "touch_write_mb": io.get("touch_write_mb", 0.0),
            "difference_cpu_s": diff_cpu, "difference_wall_s": diff_wall}


STORE_VARIANTS = ("dicts-500", "tuples-500", "tuples-2000", "tuples-2000-deferred")


def scenario_levers(args: Args) -> Result:
    """Each lever of the full scan measured on its own (see the module docstring)."""
    import json

    import orjson

    from plexbooks_plugin.library_search import search_text
    from plexbooks_plugin.matching import normalize_author, normalize_title
    from plexbooks_plugin.plex.parsing import albums_from_container, changed_albums

    bodies = _fetch_pages(args)
    containers = [json.loads(b)["MediaContainer"] for b in bodies]
    records = [a for c in containers for a in albums_from_container(c)[0]]
    known = {r.rating_key: r.updated_at for r in records if r.updated_at is not None}
    rounds = int(args.get("rounds", 2))
    steps: dict[str, Callable[[], Any]] = {
        "decode_json": lambda: [json.loads(b) for b in bodies],
        "decode_orjson": lambda: [orjson.loads(b) for b in bodies],
        "records_all": lambda: [albums_from_container(c) for c in containers],
        "records_skip_unchanged": lambda: [changed_albums(c, known) for c in containers],
        "norm_title_matching": lambda: [normalize_title(r.title) for r in records],
        "norm_title_search_text": lambda: [search_text(r.title) for r in records],
        "norm_author_each": lambda: [normalize_author(r.author) for r in records],
        "norm_author_once": lambda: [normalize_author(a) for a in {r.author for r in records}],
    }
    cpu: dict[str, list[float]] = {name: [] for name in steps}
    store: dict[str, list[dict[str, float]]] = {name: [] for name in STORE_VARIANTS}
    tmp = Path(args["tmp_dir"])
    for number in range(rounds):  # interleaved: a busy moment of the machine hits every variant alike
        for name, step in steps.items():
            cpu[name].append(_cpu(step)[0])
        for variant in STORE_VARIANTS:
            with benchlib.bench_database(args["backend"], tmp, f"levers-{variant}-{number}") as db_url:
                store[variant].append(_store(db_url, records, variant))
    result: Result = {"items": len(records), "pages": len(bodies), "rounds": rounds}
    for name, values in cpu.items():
        result[f"{name}_cpu_s"] = round(benchlib.median(values), 3)
    for variant, runs in store.items():
        for key in runs[0]:
            result[f"store_{variant}_{key}"] = round(benchlib.median([r[key] for r in runs]), 3)
    return result
