"""Benchmark: `python -m lib.bench --complaints N --surveys N [--out docs/PERFORMANCE.md]`.

Builds a database of that size with the demo generator, then measures — each as the median of several
runs with min and max — (1) every page script under AppTest with caches cleared (cold) and warm,
after its first run in the process (reported on its own),
(2) each area's `kpi` for a 12-month filter and a one-project (listening: one-company) filter, plus the
12-month "KPI set" of issue #9 (complaint KPIs by month × business line, survey KPIs by month ×
touchpoint) against the naive baseline (whole tables into pandas, grouped there) in a separate process,
(3) importing a 100,000-row complaints file and a 100,000-row survey file, (4) logging one complaint
and one supervisor issue through the service layer (p50, p99), and (5) the peak memory of a real
`streamlit run` process while a headless Chromium opens every page (skipped when no Chromium), and
(6) the same KPI queries, `kpi` CLI and pages for a company-scoped user (深圳公司, SPEC §11) beside
the group user, so the read targets are shown to hold for a scoped user too.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _stats(samples: list[float]) -> dict[str, float]:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples), "n": len(samples)}


def _timed(fn, runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return _stats(samples)


def machine() -> str:
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    cpu = platform.processor() or platform.machine()
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}"


def build(url: str, complaints: int, surveys: int, today: date) -> dict[str, float]:
    from lib import analytics
    from lib.db import make_engine, session_scope
    from lib.schema import init_db
    from lib.services import seed

    engine = make_engine(url)
    init_db(engine)
    months = (today.year - (today.year - 2)) * 12 + today.month
    started = time.perf_counter()
    with session_scope(engine) as session:
        seed.seed_demo(session=session, complaints=complaints, seed=7, today=today, employees=3000,
                       survey_per_month=max(3, math.ceil(surveys / months)))
    bench_users(engine)
    seeded = time.perf_counter()
    mirror = analytics.refresh(engine)  # what an import does after a bulk load
    return {"seconds": seeded - started, "mirror_seconds": time.perf_counter() - seeded,
            "mirror_built": mirror is not None}


def _row_counts(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from lib.db import make_engine, session_scope
    from lib.models import Complaint, SurveyResponse

    with session_scope(make_engine(url), readonly=True) as session:
        return {"complaints": session.scalar(select(func.count()).select_from(Complaint)),
                "surveys": session.scalar(select(func.count()).select_from(SurveyResponse))}


def bench_users(engine) -> None:
    """The bench's accounts (group executive, staff, admin; a company-scoped staff member), made where
    missing: a database built elsewhere and reused (--reuse) gets them too."""
    from lib.db import session_scope
    from lib.services import users

    with session_scope(engine) as session:
        for username, role in (("bench_exec", "executive"), ("bench_staff", "staff"), ("bench_admin", "admin")):
            if users.get_user(session=session, username=username) is None:
                users.add_user(session=session, username=username, role=role, name=username,
                               password="bench-pass-1")
    _scoped_user(engine)


def kpi_timings(url: str, today: date, runs: int) -> dict[str, dict]:
    from sqlalchemy import select

    from lib import analytics
    from lib.db import make_engine, session_scope
    from lib.kpis import areas, surveys
    from lib.kpis.common import KpiFilter
    from lib.models import Project
    from lib.services import explore

    engine = make_engine(url)
    year = KpiFilter(today - timedelta(days=364), today)
    with session_scope(engine, readonly=True) as session:
        project = session.scalar(select(Project.name).order_by(Project.id))
    out: dict[str, dict] = {}
    for area in areas.AREAS:
        one = KpiFilter(year.start, year.end, companies=("深圳公司",)) if area == "listening" else \
            KpiFilter(year.start, year.end, projects=(project,))
        for label, flt in (("12 months", year), ("one project" if area != "listening" else "one company", one)):
            def run(flt=flt, area=area):
                analytics.forget_results()  # a real query each run, not the mirror's memo
                with session_scope(engine, readonly=True) as session:
                    areas.compute(area, flt, session=session)
            out[f"kpi {area} · {label}"] = _timed(run, runs)

    def kpi_set():
        analytics.forget_results()
        with session_scope(engine, readonly=True) as session:
            explore.pivot("complaints", year, "kpi:resolution_rate", "month", "business_line", session=session)
            surveys.grouped_stats(year, ("month", "touchpoint"), session=session)
    out[KPI_SET] = _timed(kpi_set, runs)

    def new_process():  # what a cron job or a fresh server pays: Python start-up, imports, mirror load
        subprocess.run([sys.executable, "-m", "lib.cli", "kpi", "complaints", "--from", year.start.isoformat(),
                        "--to", year.end.isoformat()], cwd=ROOT, check=True, capture_output=True,
                       env={**os.environ, "DATABASE_URL": url})
    out["kpi complaints · 12 months, CLI in a new process (start-up included)"] = _timed(new_process, runs)
    return out


KPI_SET = "KPI set: complaints month × business line + surveys month × touchpoint"


NAIVE = r"""
import json, resource, sys, time
import pandas as pd
from sqlalchemy import create_engine
url, start, end = sys.argv[1], sys.argv[2], sys.argv[3]
engine = create_engine(url)
t = time.perf_counter()
c = pd.read_sql_table("complaint", engine)
p = pd.read_sql_table("project", engine)
c = c[(c.received_at >= start) & (c.received_at < end) & (c.status != "void")]
c = c.assign(month=c.received_at.dt.strftime("%Y-%m"), done=c.status.isin(["resolved", "verified", "closed"]))
complaints = c.groupby(["month", "business_line"]).agg(n=("id", "size"), resolved=("done", "mean"))
s = pd.read_sql_table("survey_response", engine)
s = s[(s.surveyed_on >= pd.Timestamp(start)) & (s.surveyed_on < pd.Timestamp(end))]
norm = s.overall.where(s.scale != 5, (s.overall - 1) * 25).where(s.scale != 10, (s.overall - 1) * 100 / 9)
norm = norm.where(s.scale != 11, s.overall * 10)
s = s.assign(score=norm, month=pd.to_datetime(s.surveyed_on).dt.strftime("%Y-%m"))
surveys = s.groupby(["month", "touchpoint"]).score.mean()
print(json.dumps({"seconds": time.perf_counter() - t,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "groups": len(complaints) + len(surveys)}))
"""


def naive_baseline(url: str, today: date, runs: int) -> dict[str, float]:
    start = (today - timedelta(days=364)).isoformat()
    end = (today + timedelta(days=1)).isoformat()
    results = []
    for _ in range(runs):
        proc = subprocess.run([sys.executable, "-c", NAIVE, url, start, end], capture_output=True, text=True,
                              cwd=ROOT, check=True)
        results.append(json.loads(proc.stdout))
    stats = _stats([r["seconds"] for r in results])
    stats["peak_mb"] = max(r["peak_mb"] for r in results)
    return stats


def _complaint_file(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    lines = ["ref,received_at,channel,company,city,project,severity,responsible,status,category,description,"
             "complainant_name,complainant_phone"]
    for i in range(n):
        at = datetime(2025, 1, 1) + timedelta(minutes=rng.randrange(600_000))
        lines.append(f"BENCH{seed}-{i:07d},{at:%Y-%m-%d %H:%M},{rng.choice(['hotline', 'forum', 'wechat'])},"
                     f"深圳公司,深圳,基准项目{i % 40},ordinary,yes,received,maintenance,漏水,张三,13800138000")
    return "\n".join(lines).encode("gb18030")


def _survey_file(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    lines = ["respondent_key,surveyed_on,company,city,project,touchpoint,scale,overall,housing_quality,"
             "maintenance,recommend,vendor,method"]
    tps = ["signing_1m", "delivery_1m", "delivery_6m", "delivery_2y"]
    for i in range(n):
        day = date(2025, 1, 1) + timedelta(days=rng.randrange(600))
        lines.append(f"b{seed}k{i:08x},{day},深圳公司,深圳,基准项目{i % 40},{rng.choice(tps)},5,"
                     f"{rng.randint(1, 5)},{rng.randint(1, 5)},,{rng.randint(0, 10)},基准调查,phone")
    return "\n".join(lines).encode("utf-8")


def import_timings(url: str, rows: int) -> dict[str, dict]:
    from lib import analytics
    from lib.db import make_engine, session_scope
    from lib.imports.registry import import_file

    engine = make_engine(url)
    out = {}
    run = int(time.time()) % 1_000_000  # fresh references each run: every row is an insert
    for kind, data, name in (("complaints", _complaint_file(rows, run), "bench.csv"),
                             ("survey", _survey_file(rows, run + 1), "bench_survey.csv")):
        started = time.perf_counter()
        with session_scope(engine) as session:
            result = import_file(kind, data, name, session=session, actor="bench")
        seconds = time.perf_counter() - started
        out[f"import {rows:,} {kind} rows"] = {"seconds": seconds, "rows_per_second": result.rows / seconds}
        started = time.perf_counter()
        analytics.refresh(engine)  # what the import page and CLI do next: a new snapshot past 50,000 changes
        out[f"import {rows:,} {kind} rows"]["refresh_seconds"] = time.perf_counter() - started
    return out


def service_timings(url: str, n: int) -> dict[str, dict]:
    from sqlalchemy import select

    from lib.db import local_now, make_engine, session_scope
    from lib.models import Project, Supervisor
    from lib.services import complaints, issues

    engine = make_engine(url)
    with session_scope(engine, readonly=True) as session:
        project = session.scalar(select(Project.id).order_by(Project.id))
        supervisor = session.scalar(select(Supervisor.id).order_by(Supervisor.id))
    out = {}
    for label, make in (
        ("log one complaint", lambda s: complaints.create(complaints.NewComplaint(
            received_at=local_now(), channel="hotline", project_id=project, category="maintenance",
            responsible=True, severity="ordinary", description="基准测试"), session=s, actor="bench_staff")),
        ("log one supervisor issue", lambda s: issues.create(issues.NewIssue(
            raised_on=local_now().date(), supervisor_ids=[supervisor], category="maintenance",
            description="基准测试", responsible_party="property"), session=s, actor="bench_staff")),
    ):
        with session_scope(engine) as session:  # not timed: a process's first call loads what it needs once
            make(session)
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            with session_scope(engine) as session:
                make(session)
            samples.append(time.perf_counter() - started)
        samples.sort()
        out[label] = {"p50": samples[len(samples) // 2], "p99": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
                      "n": n}
    return out


SCOPED_USER, SCOPED_ENTRY = "bench_shenzhen", "company:深圳公司"


def _scoped_user(engine) -> None:
    """The company-scoped staff account (also added to a reused database built before it existed)."""
    from lib.db import session_scope
    from lib.scope import parse
    from lib.services import users

    with session_scope(engine) as session:
        if users.get_user(session=session, username=SCOPED_USER) is None:
            users.add_user(session=session, username=SCOPED_USER, role="staff", name="深圳公司客服",
                           password="bench-pass-1", scope=parse(SCOPED_ENTRY))


def scoped_timings(url: str, today: date, runs: int) -> dict[str, dict]:
    """Each area's 12-month `kpi`, the CLI with --as, and the pages, for the group staff user and for
    the company-scoped one: the scope is part of the filter, pushed down like any other condition."""
    from lib import analytics, scope
    from lib.db import make_engine, session_scope
    from lib.kpis import areas
    from lib.kpis.common import KpiFilter
    from lib.pages import PAGES
    from lib.services import users

    engine = make_engine(url)
    _scoped_user(engine)
    year = KpiFilter(today - timedelta(days=364), today)
    with session_scope(engine, readonly=True) as session:
        limited = scope.apply(year, users.get_user(session=session, username=SCOPED_USER).scope, session=session)
    kpi: dict[str, dict] = {}
    for area in areas.AREAS:
        for who, flt in (("group", year), ("深圳公司", limited)):
            def run(flt=flt, area=area):
                analytics.forget_results()
                with session_scope(engine, readonly=True) as session:
                    areas.compute(area, flt, session=session)
            kpi[f"kpi {area} · 12 months · {who}"] = _timed(run, runs)
    for who, extra in (("group", []), ("深圳公司", ["--as", SCOPED_USER])):
        def new_process(extra=extra):
            subprocess.run([sys.executable, "-m", "lib.cli", "kpi", "complaints", "--from", year.start.isoformat(),
                            "--to", year.end.isoformat(), *extra], cwd=ROOT, check=True, capture_output=True,
                           env={**os.environ, "DATABASE_URL": url})
        kpi[f"kpi complaints · 12 months, CLI in a new process · {who}"] = _timed(new_process, runs)
    paths = [p.path for p in PAGES if p.page_id != "admin"]
    pages = {who: page_timings(url, min(runs, 3), user=user, paths=paths)
             for who, user in (("group", "bench_staff"), ("深圳公司", SCOPED_USER))}
    return {"kpi": kpi, "pages": pages}


def page_timings(url: str, runs: int, *, user: str | None = None, paths: list[str] | None = None) -> dict[str, dict]:
    import streamlit as st
    from streamlit.components.v2.component_manager import BidiComponentManager
    from streamlit.testing.v1 import AppTest

    from lib import analytics, config
    from lib.pages import PAGES

    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CRHQ_COOKIE_KEY", "b" * 48)
    config.get_settings.cache_clear()
    components = BidiComponentManager()
    components.discover_and_register_components(start_file_watching=False)
    out = {}
    chosen = user
    for spec in PAGES:
        if paths is not None and spec.path not in paths:
            continue
        user = chosen or ("bench_admin" if spec.page_id == "admin" else "bench_staff")

        def fresh(spec=spec, user=user):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
            # AppTest scans every installed package for components on each new instance (0.3-0.8 s here);
            # a running server does that once at start, so the pages share one scan.
            at._bidi_component_manager = components
            if spec.path != "app.py":
                at.switch_page(spec.path)
            at.session_state["authentication_status"] = True
            at.session_state["username"] = user
            at.session_state["name"] = user
            at.session_state["roles"] = ["staff"]
            return at

        # The page's first run in this process also imports its modules, loads Altair's schema and attaches
        # the mirror: a server pays that once after start. It is reported on its own, not as a cold run.
        st.cache_data.clear()
        analytics.forget_results()
        started = time.perf_counter()
        fresh().run()
        first = time.perf_counter() - started
        cold, warm = [], []
        for _ in range(runs):
            st.cache_data.clear()
            analytics.forget_results()
            at = fresh()
            started = time.perf_counter()
            at.run()
            cold.append(time.perf_counter() - started)
            _drawn(spec.path, at)
            at2 = fresh()
            started = time.perf_counter()
            at2.run()
            warm.append(time.perf_counter() - started)
        out[spec.path] = {"first": first, "cold": _stats(cold), "warm": _stats(warm)}
    return out


def _drawn(path: str, at) -> None:
    """A page timed must have drawn itself: a refusal or a login form is fast and says nothing."""
    if at.exception:
        raise RuntimeError(f"{path}: {at.exception}")
    if not at.title or any(b.label == "登录" for b in at.button) or at.error:
        raise RuntimeError(f"{path} was not drawn: {[e.value for e in at.error] or 'no title / the login form'}")


def streamlit_peak_memory(url: str) -> dict[str, float] | None:
    """Peak RSS (VmHWM) of `streamlit run app.py` while Chromium opens every page as staff."""
    chromium = "/usr/bin/chromium"
    if not Path(chromium).exists():
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    from lib.local_server import FLAGS, streamlit_app
    from lib.pages import PAGES

    env = {**os.environ, "DATABASE_URL": url, "CRHQ_COOKIE_KEY": "b" * 48}
    with streamlit_app(env) as (base, proc):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/")
            page.get_by_label("用户名").wait_for(state="visible", timeout=60_000)
            page.get_by_label("用户名").fill("bench_admin")
            page.get_by_label("密码").fill("bench-pass-1")
            page.get_by_role("button", name="登录").click()
            page.wait_for_timeout(3000)
            for spec in PAGES:
                path = "" if spec.path == "app.py" else Path(spec.path).stem.split("_", 1)[1]
                page.goto(f"{base}/{path}")
                page.wait_for_load_state("networkidle", timeout=300_000)
                page.wait_for_timeout(4000)
            browser.close()
        with open(f"/proc/{proc.pid}/status") as fh:
            fields = dict(line.split(":", 1) for line in fh)
        return {"peak_mb": int(fields["VmHWM"].split()[0]) / 1024, "now_mb": int(fields["VmRSS"].split()[0]) / 1024}


def _fmt(value: float, unit: str = "s") -> str:
    if unit == "s":
        return f"{value * 1000:,.0f} ms" if value < 1 else f"{value:,.2f} s"
    return f"{value:,.0f} {unit}"


def machine_speed() -> float:
    """Seconds for a fixed pure-Python loop (the median of three): this VM's speed varies by up to 40%
    from hour to hour, so each report says how fast the machine was at its start and at its end."""
    times = []
    for _ in range(3):
        started, total = time.perf_counter(), 0
        for i in range(5_000_000):
            total += i
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def report(results: dict, args) -> str:
    """The markdown tables of the stages that ran (`--only` may have left some out)."""
    build = results["build"]
    rows = (build.get("complaints", args.complaints), build.get("surveys", args.surveys))
    again = (f"--database {args.database} --reuse" if build.get("reused") else
             f"--complaints {args.complaints} --surveys {args.surveys}") + (f" --only {args.only}" if args.only else "")
    lines = [f"# Performance — {rows[0]:,} complaints, {rows[1]:,} survey answers",
             "", f"Measured {results['when']} on {results['machine']}, database: {results['database']}.",
             ("Reused a database built earlier (it also holds the rows earlier runs imported). "
              if build.get("reused") else
              f"Built with the demo generator in {_fmt(build['seconds'])}, then the analytic mirror's "
              f"first snapshot in {_fmt(build.get('mirror_seconds', 0))}. ") +
             f"Reproduce: `python -m lib.bench {again}`.", ""]
    if "speed" in results:
        lines[-1:-1] = [f"Machine speed (a fixed 5,000,000-step Python loop; lower is faster): "
                        f"{_fmt(results['speed']['start'])} at the start, {_fmt(results['speed'].get('end', 0))} at the end."]
    if "kpi" in results:
        lines += ["## KPI queries (median of runs, min–max)", "", "| Query | Median | Min | Max |", "|---|---|---|---|"]
        for name, s in results["kpi"].items():
            lines.append(f"| {name} | {_fmt(s['median'])} | {_fmt(s['min'])} | {_fmt(s['max'])} |")
    if "naive" in results:
        naive = results["naive"]
        lines += [f"| Naive baseline (whole tables into pandas, grouped there; own process) | {_fmt(naive['median'])} "
                  f"| {_fmt(naive['min'])} | {_fmt(naive['max'])} |", "",
                  f"The naive baseline peaked at {naive['peak_mb']:,.0f} MB."]
        if "kpi" in results:
            lines[-1] += f" Ours was {naive['median'] / results['kpi'][KPI_SET]['median']:.1f}× faster for the same KPI set."
        lines.append("")
    if "pages" in results:
        lines += ["## Pages under AppTest (staff; admin page as admin)", "",
                  "| Page | Cold (caches cleared) | Warm | First run in the process |", "|---|---|---|---|"]
        for path, s in results["pages"].items():
            first = _fmt(s["first"]) if "first" in s else "—"
            lines.append(f"| {path} | {_fmt(s['cold']['median'])} ({_fmt(s['cold']['min'])}–{_fmt(s['cold']['max'])}) "
                         f"| {_fmt(s['warm']['median'])} ({_fmt(s['warm']['min'])}–{_fmt(s['warm']['max'])}) | {first} |")
        lines.append("")
    if "imports" in results or "services" in results:
        lines += ["## Imports and writes", "", "| Operation | Result |", "|---|---|"]
        for name, s in results.get("imports", {}).items():
            lines.append(f"| {name} | {_fmt(s['seconds'])}, {s['rows_per_second']:,.0f} rows/s; then the analytic "
                         f"mirror's refresh {_fmt(s.get('refresh_seconds', 0))} |")
        for name, s in results.get("services", {}).items():
            lines.append(f"| {name} (n={s['n']}) | p50 {_fmt(s['p50'])}, p99 {_fmt(s['p99'])} |")
        lines.append("")
    if "scoped" in results:
        scoped = results["scoped"]
        lines += ["## A company-scoped user (深圳公司) beside the group user", "",
                  "The same reads as staff with the whole group and as a staff account scoped to "
                  f"`{SCOPED_ENTRY}`; the scope is a condition of the filter, applied in SQL and on the analytic mirror.",
                  "", "| Query | Median | Min | Max |", "|---|---|---|---|"]
        for name, s in scoped["kpi"].items():
            lines.append(f"| {name} | {_fmt(s['median'])} | {_fmt(s['min'])} | {_fmt(s['max'])} |")
        lines += ["", "| Page | Group: cold | Group: warm | 深圳公司: cold | 深圳公司: warm |", "|---|---|---|---|---|"]
        for path, group in scoped["pages"]["group"].items():
            mine = scoped["pages"]["深圳公司"][path]
            lines.append(f"| {path} | {_fmt(group['cold']['median'])} | {_fmt(group['warm']['median'])} "
                         f"| {_fmt(mine['cold']['median'])} | {_fmt(mine['warm']['median'])} |")
        lines.append("")
    if "topics" in results:  # issue #26
        lines += _topics_report(results["topics"])
    if results.get("cli"):  # issue #27: kpi as whole processes (lib/bench_cli.py)
        from lib.bench_cli import report_lines
        lines += report_lines(results["cli"])
    if "browser" in results:  # issue #27: pages as users wait for them (lib/bench_browser.py)
        from lib.bench_browser import report_lines as browser_lines
        lines += browser_lines(results["browser"])
    if "memory" in results:
        memory = results["memory"]
        lines += ["## Streamlit process", ""]
        lines.append(f"Peak RSS while Chromium opened every page as admin: {memory['peak_mb']:,.0f} MB "
                     f"(at the end {memory['now_mb']:,.0f} MB)." if memory else "Not measured: no Chromium here.")
    return "\n".join(lines).rstrip("\n") + "\n"


def _topics_stage(url: str, today: date, runs: int, rows: int) -> dict:
    from lib.text import bench as text_bench
    return {"reads": text_bench.read_timings(url, today, runs), "imports": text_bench.import_cost(url, rows)}


def _topics_report(topics: dict) -> list[str]:
    lines = ["## Topics (客户之声, issue #26)", "", "| Read | Median | Min | Max |", "|---|---|---|---|"]
    for name, s in topics["reads"].items():
        if name != "pages":
            lines.append(f"| {name} | {_fmt(s['median'])} | {_fmt(s['min'])} | {_fmt(s['max'])} |")
    for path, s in topics["reads"]["pages"].items():
        lines.append(f"| {path}: cold / warm | {_fmt(s['cold']['median'])} / {_fmt(s['warm']['median'])} | | |")
    lines += ["", "| Import (≈40-character descriptions) | Result |", "|---|---|"]
    lines += [f"| {name} | {_fmt(s['seconds'])}, {s['rows_per_second']:,.0f} rows/s |" for name, s in topics["imports"].items()]
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--surveys", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--database", help="a database URL to build into (default: a new SQLite file)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "PERFORMANCE.md"))
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="--database already holds a bench database: skip building")
    parser.add_argument("--only", help="comma-separated stages to run (kpi, naive, pages, memory, services, imports, "
                                       "scoped, topics, cli, browser)")
    parser.add_argument("--sessions", type=int, default=10, help="concurrent browsers in the browser stage")
    args = parser.parse_args(argv)
    from lib.bench_browser import browser_timings
    from lib.bench_cli import cli_process_timings

    today = date.today()
    workdir = Path(tempfile.mkdtemp(prefix="crhq-bench-"))
    url = args.database or f"sqlite:///{workdir / 'bench.db'}"
    if not args.reuse:  # a new database's snapshots live beside it, not in data/
        os.environ.setdefault("CRHQ_ANALYTICS_DIR", str(workdir / "analytics"))
    results: dict = {"machine": machine(), "when": today.isoformat(), "database": url.split("://")[0]}
    print(f"results so far: {workdir / 'results.json'}", flush=True)
    if args.reuse and args.database:
        from lib.db import make_engine
        from lib.schema import init_db
        init_db(make_engine(url))  # what the app does at start: a database built by older code is upgraded
        bench_users(make_engine(url))
        results["build"] = {"seconds": 0.0, "reused": True, **_row_counts(url)}
    else:
        print("building…", flush=True)
        results["build"] = build(url, args.complaints, args.surveys, today)
    stages = (("kpi", lambda: kpi_timings(url, today, args.runs)),
              ("naive", lambda: naive_baseline(url, today, min(args.runs, 3))),
              ("pages", lambda: page_timings(url, min(args.runs, 5))),
              ("memory", lambda: None if args.skip_browser else streamlit_peak_memory(url)),
              ("services", lambda: service_timings(url, 500)),
              ("scoped", lambda: scoped_timings(url, today, args.runs)),
              ("imports", lambda: import_timings(url, args.import_rows)),
              ("topics", lambda: _topics_stage(url, today, args.runs, args.import_rows)),
              ("cli", lambda: cli_process_timings(url, today, args.runs)),
              ("browser", lambda: {} if args.skip_browser else browser_timings(url, sessions=args.sessions)))
    wanted = set(args.only.split(",")) if args.only else {name for name, _ in stages}
    results["speed"] = {"start": machine_speed()}
    for name, stage in stages:
        if name not in wanted:
            continue
        print(f"{name}…", flush=True)
        results[name] = stage()
        # Each stage's figures are kept as they come: a long run cut short still leaves them.
        (workdir / "results.json").write_text(json.dumps(results, indent=1, default=str))
    results["speed"]["end"] = machine_speed()
    text = report(results, args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
