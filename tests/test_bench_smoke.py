"""Smoke test of the benchmark suite: every scenario runs at 1,000 items and reports numbers (not timed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RUN = REPO / "bench" / "run.py"

# Each scenario's figures that must be numbers in the JSON report.
EXPECTED = {
    "scan": ("first_s", "items_per_s", "second_s", "rescan_ratio", "peak_rss_mb", "http_requests_first"),
    "plexapi": ("list_500_pages_s", "list_default_pages_s", "items", "peak_rss_mb"),
    "floor": ("fetch_s", "items_per_s", "http_requests", "peak_rss_mb"),
    "recent": ("median_ms", "http_requests_per_poll", "http_only_median_ms", "peak_rss_mb"),
    "recent_new": ("median_ms", "http_requests_per_poll", "stored_new_min", "settled_http_requests_per_poll",
                   "waiting_median_ms", "peak_rss_mb"),
    "availability": ("median_ms", "pairwise_50_extrapolated_ms", "speedup_vs_pairwise", "index_build_s",
                     "index_rss_mb", "peak_rss_mb"),
    "requests": ("index_build_s", "matching_s", "total_s", "matched", "peak_rss_mb"),
    "web": ("host_ready_s", "first_availability_ms", "cold_first_availability_ms", "availability_median_ms",
            "search_median_ms", "search_total_hits", "peak_rss_mb"),
    "decode": ("json_ms", "json_records_ms", "page_items", "peak_rss_mb"),
    "levers": ("decode_json_cpu_s", "records_skip_unchanged_cpu_s", "store_dicts-500_cpu_s",
               "store_tuples-2000-deferred_cpu_s", "store_tuples-2000-deferred_touch_cpu_s"),
}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@pytest.mark.timeout(240)
def test_bench_suite_runs_every_scenario_at_1000_items(tmp_path: Path) -> None:
    """`bench/run.py --items 1000` succeeds, covers every scenario and renders both tables."""
    out = tmp_path / "bench.json"
    env = dict(os.environ)
    env.pop("PLEXBOOKS_TEST_DATABASE_URL", None)  # the smoke test checks the scripts, on SQLite only
    proc = subprocess.run(
        [sys.executable, str(RUN), "--items", "1000", "--memory-items", "300", "--polls", "3", "--runs", "3",
         "--requests", "40", "--new-rounds", "2", "--json", str(out)],
        capture_output=True, text=True, cwd=str(REPO), env=env, timeout=230, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = json.loads(out.read_text())
    runs = results["runs"]["sqlite"]
    for scenario, fields in EXPECTED.items():
        assert scenario in runs, f"{scenario} missing from the report"
        assert "error" not in runs[scenario], runs[scenario]
        for name in fields:
            assert _is_number(runs[scenario].get(name)), f"{scenario}.{name} = {runs[scenario].get(name)!r}"
    assert runs["scan"]["items"] == 1000
    assert runs["floor"]["items"] == 1000
    assert runs["plexapi"]["items"] == 1000
    assert runs["recent"]["http_requests_per_poll"] >= 1
    memory = results["memory"]["sqlite"]
    assert set(memory) == {"300", "1000"}
    assert all(_is_number(memory[size]["scan_peak_rss_mb"]) for size in memory)
    assert {t["metric"] for t in results["targets"]} >= {"first scan, empty DB", "50 books, warm index (median)"}
    # The text table goes to stdout; the Markdown one renders from the JSON alone.
    assert "1 full scan" in proc.stdout and "targets:" in proc.stdout
    markdown = subprocess.run(
        [sys.executable, str(RUN), "--from-json", str(out), "--markdown"],
        capture_output=True, text=True, cwd=str(REPO), timeout=60, check=True,
    ).stdout
    assert markdown.count("| 1 full scan |") >= 3
    assert "| memory |" in markdown
