"""Smoke test of bench/matching_speed.py: it runs on a small library and reports every figure (not timed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(120)
def test_matching_speed_script_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "speed.json"
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "matching_speed.py"), "--items", "400", "--pairs", "100",
         "--lookups", "60", "--json", str(out)],
        check=True, capture_output=True, text=True, timeout=110,
    )
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["pairs"]["pairs"] > 1_000  # the labelled pairs of tests/data plus the generated ones
    for figure in ("cold_pairs_per_s", "warm_pairs_per_s"):
        assert result["pairs"][figure] > 0
    index = result["index"]
    assert index["items"] > 300
    for figure in ("build_s", "request_lookups_per_s", "catalog_lookups_per_s", "availability_50_median_ms"):
        assert index[figure] > 0
    # Half the questions are about books of the library, in host and ripper variations: most are found.
    assert 20 <= index["request_found"] <= 60
    assert result["machine"]["nproc"] >= 1 and "load_before" in result
