"""Helpers shared by the benchmark driver (`run.py`) and its per-scenario child processes (`scenarios.py`).

Nothing here imports plexbooks at module level, so the driver stays light and each child's
peak RSS reflects only what its scenario loads.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import random
import resource
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULT_MARKER = "@@BENCH_RESULT@@ "
PG_ENV = "PLEXBOOKS_TEST_DATABASE_URL"
BENCH_TOKEN = "bench-admin-token-0000"
BENCH_SECRET = "bench-secret-key-not-for-production"


# ------------------------------------------------------------------ measurement


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (ru_maxrss is KiB on Linux)."""
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.platform == "darwin":  # bytes there
        value //= 1024
    return round(value / 1024, 1)


def current_rss_mb() -> float:
    """Current resident set size of this process in MiB (from /proc; falls back to the peak)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return round(pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024), 1)
    except (OSError, ValueError, IndexError):
        return peak_rss_mb()


def io_counters() -> dict[str, int]:
    """This process's I/O counters from /proc/self/io (empty where there is none).

    ``write_bytes`` is what reached the storage layer (the page cache's write-back included);
    ``wchar`` is every byte passed to write()/pwrite() (SQLite's WAL and database writes, and the
    few hundred bytes of each HTTP request).
    """
    counters: dict[str, int] = {}
    with contextlib.suppress(OSError, ValueError), open("/proc/self/io") as fh:
        for line in fh:
            name, _, value = line.partition(":")
            counters[name.strip()] = int(value)
    return counters


def io_delta(label: str, before: dict[str, int], after: dict[str, int]) -> dict[str, float]:
    """MB written between two `io_counters` readings, as ``{label}_write_mb`` and ``{label}_wchar_mb``."""
    out: dict[str, float] = {}
    for key, name in (("write_bytes", "write_mb"), ("wchar", "wchar_mb")):
        if key in before and key in after:
            out[f"{label}_{name}"] = round((after[key] - before[key]) / (1024 * 1024), 1)
    return out


def sqlite_file_sizes(db_url: str) -> dict[str, float]:
    """Size of a SQLite database file and its WAL in MB (nothing for other databases)."""
    if not db_url.startswith("sqlite:///"):
        return {}
    path = Path(db_url[len("sqlite:///") :])
    sizes: dict[str, float] = {}
    for suffix, name in (("", "db_file_mb"), ("-wal", "wal_file_mb")):
        with contextlib.suppress(OSError):
            sizes[name] = round(Path(str(path) + suffix).stat().st_size / (1024 * 1024), 1)
    return sizes


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the (non-empty) list lies (nearest rank)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def median(values: list[float]) -> float:
    """The median of a non-empty list."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def emit_result(result: dict[str, Any]) -> None:
    """Print a child's result as the one marked line the driver parses."""
    result.setdefault("peak_rss_mb", peak_rss_mb())
    sys.stdout.write(RESULT_MARKER + json.dumps(result, sort_keys=True) + "\n")
    sys.stdout.flush()


def parse_result(stdout: str) -> dict[str, Any]:
    """Return the result a child printed, or raise RuntimeError."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            parsed: dict[str, Any] = json.loads(line[len(RESULT_MARKER) :])
            return parsed
    raise RuntimeError("the scenario printed no result line")


# ------------------------------------------------------------------ the machine


def machine_info() -> dict[str, Any]:
    """What every figure must be read against: cores, CPU model, RAM, Python, library versions."""
    cpu_model = platform.processor() or "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.lower().startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    ram_gb: float | None = None
    with contextlib.suppress(OSError, ValueError), open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / (1024 * 1024), 1)
                break
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 0
    import sqlite3

    info: dict[str, Any] = {
        "nproc": usable,
        "cpu_model": cpu_model,
        "ram_gb": ram_gb,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "sqlite": sqlite3.sqlite_version,
    }
    for dist in ("SQLAlchemy", "requests", "PlexAPI", "psycopg", "rapidfuzz"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            info[dist.lower()] = version(dist)
    return info


# ------------------------------------------------------------------ the emulator process


PORT_RANGE_ENV = "PLEXBOOKS_BENCH_PORTS"  # e.g. "48000-48999": where the bench's servers may listen


def free_port() -> int:
    """A loopback port that was free a moment ago (within PLEXBOOKS_BENCH_PORTS when that is set)."""
    wanted = os.environ.get(PORT_RANGE_ENV, "").strip()
    if not wanted:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    low, _, high = wanted.partition("-")
    ports = list(range(int(low), int(high or low) + 1))
    random.shuffle(ports)  # two bench processes starting together rarely pick the same port
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORT_RANGE_ENV}={wanted}")


@dataclass
class Emulator:
    """A fake Plex running in its own process on loopback."""

    process: subprocess.Popen[bytes]
    url: str
    token: str
    items: int
    section_id: str
    startup_s: float
    log_path: Path

    def stop(self) -> None:
        """Stop the emulator process (only the one this object started)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_emulator(items: int, *, seed: int = 1, token: str = BENCH_TOKEN, log_dir: Path,
                   timeout: float = 600.0) -> Emulator:
    """Start `plexbooks fake-plex` in a child process and wait until it answers /identity."""

    port = free_port()
    log_path = log_dir / f"fakeplex-{items}-{port}.log"
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "plexbooks_plugin.cli", "fake-plex", "--port", str(port),
             "--items", str(items), "--seed", str(seed), "--token", token],
            stdout=log, stderr=subprocess.STDOUT, cwd=str(REPO_DIR), env=child_env(),
        )
    url = f"http://127.0.0.1:{port}"
    wait_for_http(process, url + "/identity", what="the emulator", timeout=timeout, interval=0.1,
                  exit_detail=lambda: log_path.read_text(errors="replace"))
    startup = time.perf_counter() - started
    section = find_audiobook_section(url, token, items)
    return Emulator(process, url, token, items, section, round(startup, 2), log_path)


def wait_for_http(
    process: subprocess.Popen[bytes], url: str, *, what: str, timeout: float, interval: float,
    exit_detail: Callable[[], str],
) -> None:
    """Wait until `url` answers 200; RuntimeError when `process` exits first or `timeout` passes (then killed)."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}: {exit_detail()[-2000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{what} did not answer {url} within {timeout:.0f} s")
        time.sleep(interval)


def find_audiobook_section(url: str, token: str, items: int) -> str:
    """The id of the music section holding the generated books (the one whose album count is `items`)."""
    import requests

    headers = {"Accept": "application/json", "X-Plex-Token": token}
    sections = requests.get(url + "/library/sections", headers=headers, timeout=30).json()
    best: tuple[int, str] | None = None
    for directory in sections["MediaContainer"].get("Directory", []):
        if directory.get("type") != "artist":
            continue
        key = str(directory["key"])
        count = requests.get(
            f"{url}/library/sections/{key}/all",
            params={"type": 9, "X-Plex-Container-Start": 0, "X-Plex-Container-Size": 0},
            headers=headers, timeout=60,
        ).json()["MediaContainer"].get("totalSize", 0)
        if int(count) == items:
            return key
        if best is None or int(count) > best[0]:
            best = (int(count), key)
    if best is None:
        raise RuntimeError("the emulator has no music section")
    return best[1]


def child_env() -> dict[str, str]:
    """The environment of child processes: the repository importable, output unbuffered."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_DIR), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


# ------------------------------------------------------------------ databases


def schema_url(base_url: str, schema: str) -> str:
    """Point every connection of a PostgreSQL URL at `schema` (as tests/conftest.py does)."""
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@contextlib.contextmanager
def bench_database(backend: str, tmp_dir: Path, label: str) -> Iterator[str]:
    """Yield the URL of a new empty database: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / (label + '.db')}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        raise RuntimeError(f"{PG_ENV} is not set")
    from sqlalchemy import create_engine, text

    name = f"pbbench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(base)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        yield schema_url(base, name)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        engine.dispose()


def redact_url(url: str) -> str:
    """A database URL without its password, for printing."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]
