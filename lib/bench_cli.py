"""Bench stage "cli": `python -m lib.cli kpi <area>` as whole processes, beside two whole-process references.

Every figure is one process from exec to exit (imports, the mirror's checks, the statements, teardown):
wall time and CPU time (user + system, from the kernel's accounting of the finished child), run in
rounds (each round runs every command once, in the same order) so load on the shared machine falls on
all of them alike. The references, in the same rounds:
- naive: lib.bench.NAIVE (whole tables into pandas, grouped there: the 12-month KPI set);
- duckdb-parquet: a script that imports duckdb and groups the same KPI set over Parquet copies of the
  two tables (written once before the rounds; their writing is not timed).
The load average is read before and after.
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AREAS = ("complaints", "surveys", "listening", "supervisors", "checks", "followups")

DUCKDB_PARQUET = r"""
import json, sys, time
import duckdb
folder, start, end = sys.argv[1], sys.argv[2], sys.argv[3]
t = time.perf_counter()
con = duckdb.connect()
complaints = con.execute(
    "SELECT strftime(received_at, '%Y-%m') AS month, business_line, count(*) AS n,"
    " avg(CASE WHEN status IN ('resolved', 'verified', 'closed') THEN 1.0 ELSE 0.0 END) AS resolved"
    " FROM read_parquet(?) WHERE received_at >= CAST(? AS TIMESTAMP) AND received_at < CAST(? AS TIMESTAMP)"
    " AND status <> 'void' GROUP BY ALL", [folder + "/complaint.parquet", start, end]).fetchall()
surveys = con.execute(
    "SELECT strftime(surveyed_on, '%Y-%m') AS month, touchpoint, avg(CASE scale WHEN 5 THEN (overall - 1) * 25"
    " WHEN 10 THEN (overall - 1) * 100.0 / 9 WHEN 11 THEN overall * 10 ELSE overall END) AS score"
    " FROM read_parquet(?) WHERE surveyed_on >= CAST(? AS DATE) AND surveyed_on < CAST(? AS DATE)"
    " GROUP BY ALL", [folder + "/survey_response.parquet", start, end]).fetchall()
print(json.dumps({"seconds": time.perf_counter() - t, "groups": len(complaints) + len(surveys)}))
"""

_COLUMNS = {"complaint": "received_at, status, business_line",
            "survey_response": "surveyed_on, scale, overall, touchpoint"}


def write_parquet(url: str, folder: Path) -> None:
    """The two tables' KPI columns as Parquet (read in chunks through SQLAlchemy: any database)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            for table, columns in _COLUMNS.items():
                result = conn.execution_options(stream_results=True).execute(text(f"SELECT {columns} FROM {table}"))
                names = list(result.keys())
                writer = None
                while rows := result.fetchmany(200_000):
                    batch = pa.table({n: pa.array([r[i] for r in rows]) for i, n in enumerate(names)})
                    if table == "complaint" and batch.schema.field("received_at").type == pa.string():
                        batch = batch.set_column(0, "received_at", batch["received_at"].cast(pa.timestamp("us")))
                    if table == "survey_response" and batch.schema.field("surveyed_on").type == pa.string():
                        batch = batch.set_column(0, "surveyed_on", batch["surveyed_on"].cast(pa.date32()))
                    if writer is None:
                        writer = pq.ParquetWriter(folder / f"{table}.parquet", batch.schema)
                    writer.write_table(batch.cast(writer.schema))
                if writer is not None:
                    writer.close()
    finally:
        engine.dispose()


def _process(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) of one whole process; cpu from RUSAGE_CHILDREN (children run one at a time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _summary(samples: list[tuple[float, float]]) -> dict[str, float]:
    walls, cpus = [s[0] for s in samples], [s[1] for s in samples]
    return {"median": statistics.median(walls), "min": min(walls), "max": max(walls),
            "cpu_median": statistics.median(cpus), "cpu_min": min(cpus), "n": len(samples)}


def cli_process_timings(url: str, today: date, runs: int, areas: tuple[str, ...] = AREAS) -> dict:
    from lib.bench import NAIVE

    start = today - timedelta(days=364)
    end = today + timedelta(days=1)
    env = {**os.environ, "DATABASE_URL": url}
    commands = {f"kpi {area} 12 months by month":
                [sys.executable, "-m", "lib.cli", "kpi", area, "--from", start.isoformat(),
                 "--to", today.isoformat(), "--by", "month"] for area in areas}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="crhq-bench-parquet-") as folder:
        write_parquet(url, Path(folder))
        commands["naive (whole tables into pandas)"] = [sys.executable, "-c", NAIVE, url, start.isoformat(),
                                                        end.isoformat()]
        commands["duckdb over Parquet script"] = [sys.executable, "-c", DUCKDB_PARQUET, folder, start.isoformat(),
                                                  end.isoformat()]
        for argv in commands.values():  # one warm-up each (mirror snapshot built/verified, page cache)
            _process(argv, env)
        samples: dict[str, list] = {name: [] for name in commands}
        for _ in range(runs):
            for name, argv in commands.items():
                samples[name].append(_process(argv, env))
    out = {name: _summary(s) for name, s in samples.items()}
    return {"processes": out, "load_before": load_before, "load_after": os.getloadavg()}


def report_lines(cli: dict) -> list[str]:
    procs = cli["processes"]
    naive = procs["naive (whole tables into pandas)"]
    parquet = procs["duckdb over Parquet script"]
    lb, la = cli["load_before"], cli["load_after"]
    lines = ["", "### `kpi` as whole processes (exec to exit), with the references in the same rounds", "",
             f"Load average before {lb[0]:.1f} / {lb[1]:.1f} / {lb[2]:.1f}, after {la[0]:.1f} / {la[1]:.1f} / "
             f"{la[2]:.1f}. CPU = user + system of the process.", "",
             "| process | wall median (min–max) | CPU median | naive ÷ this (wall / CPU) | this ÷ DuckDB-Parquet (wall / CPU) |",
             "|---|---|---|---|---|"]
    for name, s in procs.items():
        lines.append(f"| {name} | {s['median']:.2f} s ({s['min']:.2f}–{s['max']:.2f}) | {s['cpu_median']:.2f} s | "
                     f"{naive['median'] / s['median']:.1f}× / {naive['cpu_median'] / s['cpu_median']:.1f}× | "
                     f"{s['median'] / parquet['median']:.2f}× / {s['cpu_median'] / parquet['cpu_median']:.2f}× |")
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    """`python -m lib.bench_cli URL [RUNS]`: this stage alone, against an existing database."""
    import json

    args = sys.argv[1:] if argv is None else argv
    result = cli_process_timings(args[0], date.today(), int(args[1]) if len(args) > 1 else 5)
    print(json.dumps(result, indent=1))
    print("\n".join(report_lines(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
