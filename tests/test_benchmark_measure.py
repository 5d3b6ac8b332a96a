"""``benchmarks/measure.py``, lightly: a command that holds 200 MB shows a peak of about that much."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MEASURE = Path(__file__).resolve().parents[1] / "benchmarks" / "measure.py"
HOLD = "import time; x = bytearray(200_000_000); time.sleep(0.4)"


def test_json_mode_reports_the_peak_of_the_tree(tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    code = subprocess.call([sys.executable, str(MEASURE), str(out), sys.executable, "-c", HOLD])
    assert code == 0
    m = json.loads(out.read_text())
    kib = 200_000_000 / 1024
    assert kib <= m["maxrss_kib"] < 1.5 * kib
    assert kib <= m["peak_tree_rss_kib"] < 1.5 * kib
    if m["tree_source"] == "smaps_rollup":  # kernels from 4.14
        assert 0.95 * kib <= m["peak_tree_pss_kib"] < 1.5 * kib
        assert 0.95 * kib <= m["peak_tree_pss_anon_kib"] <= m["peak_tree_pss_kib"]
    assert m["wall_s"] >= 0.4
    assert m["cpu_s"] > 0


def test_plain_mode_writes_the_largest_process_peak_and_passes_the_exit_status(tmp_path: Path) -> None:
    out = tmp_path / "m.rss"
    command = [sys.executable, "-c", HOLD + "; raise SystemExit(3)"]
    code = subprocess.call([sys.executable, str(MEASURE), str(out), *command])
    assert code == 3
    assert int(out.read_text()) >= 200_000_000 / 1024
