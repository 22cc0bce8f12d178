"""The benchmark keeps working: a tiny run end to end (in its own process) writes its report."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_runs_and_writes_a_report(tmp_path):
    out = tmp_path / "PERF.md"
    proc = subprocess.run([sys.executable, "-m", "lib.bench", "--complaints", "600", "--surveys", "600", "--runs", "1",
                           "--import-rows", "300", "--skip-browser", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "CRHQ_ANALYTICS": "on"})  # the mirror path, however small
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert "| kpi complaints · 12 months |" in text and "Naive baseline" in text
    assert "| pages/6_Surveys.py |" in text and "import 300 complaints rows" in text
    assert "analytic mirror's first snapshot in" in text and "CLI in a new process" in text
    assert "Machine speed (a fixed 5,000,000-step Python loop" in text
