"""Issue #27: the analytic mirror and the KPI modules do not import each other in a circle. The KPI
modules use the mirror (lib.analytics) and register their formulas in lib.mirror_registry; the mirror
reads them there and never imports lib.kpis."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported(path: Path) -> set[str]:
    """Every module an import statement anywhere in the file names (inside functions too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_the_mirror_names_no_kpi_module():
    assert not {m for m in _imported(ROOT / "lib" / "analytics.py") if m.startswith("lib.kpis")}


def test_the_registry_depends_on_nothing_of_the_project():
    assert not {m for m in _imported(ROOT / "lib" / "mirror_registry.py") if m.startswith("lib")}


def test_importing_the_mirror_loads_no_kpi_module():
    code = "import sys, lib.analytics; print(sorted(m for m in sys.modules if m.startswith('lib.kpis')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_mirror_finds_the_formulas_of_both_tables_in_a_fresh_process():
    # Nothing imported the KPI modules first: the registry brings them in, and the columns the mirror
    # stores are the KPI modules' (7 complaint columns: 5 flags, the month, the hours to resolve; 7 survey
    # columns: 5 scores, the top-2-box flag, the month).
    code = ("import lib.analytics as a; print(len(a._derived('complaint')), len(a._derived('survey_response')),"
            " a._derived('complaint')[0][0], a._derived('survey_response')[-1][0])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["7", "7", "flag_resolved", "surveyed_month"]
