"""Issue #27: the command line as a whole process. `import lib.cli` and building its parser import none of
the heavy modules, and each command imports only what it uses (`kpi` needs no Alembic, importers, demo
generator or notification code). Checked in fresh interpreters: sys.modules after the import says it."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("duckdb", "alembic", "pandas", "numpy", "bcrypt", "holidays", "openpyxl", "lib.analytics",
         "lib.schema", "lib.imports.registry", "lib.services.seed", "lib.notify.engine", "lib.services.users")


def _modules_after(code: str, env: dict | None = None) -> dict[str, bool]:
    """Run `code` in a new interpreter at the project root; which of HEAVY it left imported."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, **(env or {})}, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_cli_and_building_its_parser_imports_nothing_heavy():
    loaded = _modules_after("import lib.cli\nlib.cli.build_parser()")
    assert not any(loaded.values()), {m for m, v in loaded.items() if v}


def test_kpi_imports_only_what_a_kpi_needs(tmp_path):
    from lib.db import make_engine
    from lib.schema import init_db

    url = f"sqlite:///{tmp_path / 'lazy.db'}"
    engine = make_engine(url)
    init_db(engine)  # here, in the test's process: the command itself never migrates
    engine.dispose()
    loaded = _modules_after(
        "import contextlib, io\nimport lib.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert lib.cli.main(['kpi', 'complaints', '--from', '2025-01-01', '--to', '2025-12-31']) == 0",
        env={"DATABASE_URL": url, "CRHQ_ANALYTICS": "off"})
    unexpected = {m for m in ("alembic", "lib.schema", "lib.imports.registry", "lib.services.seed",
                              "lib.notify.engine", "lib.services.users", "bcrypt", "holidays", "openpyxl")
                  if loaded[m]}
    assert not unexpected, unexpected


def test_import_kinds_are_still_checked_and_listed():
    out = subprocess.run([sys.executable, "-m", "lib.cli", "import", "no_such_kind", "x.csv"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "invalid choice: 'no_such_kind'" in out.stderr and "'complaints'" in out.stderr
    from lib.imports.registry import IMPORTERS
    shown = subprocess.run([sys.executable, "-m", "lib.cli", "import", "--help"], cwd=ROOT, capture_output=True,
                           text=True, timeout=120).stdout
    assert all(kind in shown for kind in IMPORTERS), shown


def test_the_unknown_user_hash_costs_what_a_real_one_does():
    # Written out instead of computed at import: it must keep the cost factor real hashes have, or an
    # unknown username would answer faster than a known one (users.login).
    from lib.services import users

    assert users._DUMMY_HASH.split("$")[2] == users.hash_password("whatever-1").split("$")[2] == "12"
    assert not users._check_password("no such user", users._DUMMY_HASH)


def test_the_parsers_kpi_areas_are_the_kpi_registrys():
    import lib.cli
    from lib.kpis import areas

    assert lib.cli.KPI_AREAS == areas.CLI_AREAS
