"""The `browser` stage of lib.bench (issue #27): what users wait for, measured from outside.

A real `streamlit run app.py` (lib.local_server) on the bench database, Debian's chromium driven by
Playwright, whole seconds as a user sees them:
- **login form after a (re)start**: the server process started → its port answers → the login form drawn
  in a new browser;
- **sign-in → overview drawn**;
- **every page cold and warm**: navigation → the page drawn (its title there and Streamlit's running
  indicator gone for half a second: charts included), first visit after the server started ("cold") and
  the second ("warm"), as the bench's admin;
- **concurrent sessions**: `sessions` browsers at once (separate processes, one chromium each), each
  signing in and visiting every page twice; the p50/p95/max of all their page times.
"""
from __future__ import annotations

import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from lib.local_server import CHROMIUM, FLAGS, free_port, streamlit_app

USER, PASSWORD = "bench_admin", "bench-pass-1"


def pages() -> list[tuple[str, str]]:
    """(page id, address path) of every page, the overview first."""
    from lib.pages import PAGES

    return [(spec.page_id, "/" if spec.path == "app.py" else "/" + Path(spec.path).stem.split("_", 1)[1])
            for spec in PAGES]


def drawn(page, timeout_s: float = 120) -> float:
    """Wait until the page is drawn: its title shown, then Streamlit's running indicator gone for half a
    second. Returns when it went (perf_counter)."""
    page.locator("[data-testid='stMain'] h1").first.wait_for(state="visible", timeout=timeout_s * 1000)
    deadline, quiet, since = time.time() + timeout_s, 0, time.perf_counter()
    while time.time() < deadline and quiet < 5:
        running = page.locator("[data-testid='stStatusWidget']").count() > 0
        if running or not quiet:
            since = time.perf_counter()
        quiet = 0 if running else quiet + 1
        page.wait_for_timeout(100)
    if quiet < 5:
        raise TimeoutError("the page was still running")
    return since


def visit(page, url: str) -> float:
    """Seconds from navigating to `url` until it is drawn; refuses a page that shows the login form."""
    started = time.perf_counter()
    page.goto(url)
    done = drawn(page) - started
    if page.get_by_role("button", name="登录", exact=True).count():
        raise RuntimeError(f"{url}: the login form, not the page (the session cookie was not kept)")
    return done


def sign_in(page, base: str) -> float:
    """Sign in from the login form; seconds from the click until the overview is drawn."""
    page.goto(base + "/")
    page.get_by_label("用户名").wait_for(state="visible", timeout=120_000)
    page.get_by_label("用户名").fill(USER)
    page.get_by_label("密码").fill(PASSWORD)
    started = time.perf_counter()
    page.get_by_role("button", name="登录").click()
    page.get_by_text("总部客户关系总览").first.wait_for(state="visible", timeout=120_000)
    seconds = drawn(page) - started
    page.wait_for_timeout(1500)  # the sign-in cookie is written by a component after the first drawn run
    return seconds


def _session(base: str, rounds: int) -> list[float]:
    """One browser: sign in, then every page `rounds` times; its page times (run in a worker process)."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        sign_in(page, base)
        for _ in range(rounds):
            times += [visit(page, base + path) for _, path in pages()]
        browser.close()
    return times


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"n": len(ordered), "p50": statistics.median(ordered),
            "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], "max": ordered[-1]}


def browser_timings(url: str, *, sessions: int = 10, rounds: int = 2) -> dict:
    """The stage's figures on `url`'s database (its bench users must exist: lib.bench.build makes them)."""
    if not Path(CHROMIUM).exists():
        return {}
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "DATABASE_URL": url, "CRHQ_COOKIE_KEY": os.environ.get("CRHQ_COOKIE_KEY", "b" * 48)}
    out: dict = {}
    port = free_port()
    started = time.perf_counter()
    with streamlit_app(env, port=port) as (base, _):
        out["port answers after start"] = time.perf_counter() - started
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(base + "/")
            page.get_by_label("用户名").wait_for(state="visible", timeout=120_000)
            out["login form after start"] = time.perf_counter() - started
            out["sign-in to overview drawn"] = sign_in(page, base)
            for visit_kind in ("cold", "warm"):
                for page_id, path in pages():
                    out.setdefault("pages", {}).setdefault(page_id, {})[visit_kind] = visit(page, base + path)
            browser.close()
        if sessions:
            with ProcessPoolExecutor(max_workers=sessions) as pool:
                runs = list(pool.map(_session, [base] * sessions, [rounds] * sessions))
            out["concurrent"] = {"sessions": sessions, **_stats([t for run in runs for t in run])}
    return out


def report_lines(results: dict) -> list[str]:
    if not results:
        return ["## In the browser (issue #27)", "", "Not measured: no Chromium here.", ""]
    lines = ["## In the browser, measured from outside (issue #27)", "",
             "A real `streamlit run app.py`, Debian's chromium driven by Playwright, signed in as the bench's "
             "admin; a page is drawn when its title is there and Streamlit's running indicator has been gone "
             "for half a second (lib/bench_browser.py).", "",
             f"Login form after the server started: {results['login form after start']:.2f} s (port answered after "
             f"{results['port answers after start']:.2f} s); sign-in to the overview drawn: "
             f"{results['sign-in to overview drawn']:.2f} s.", "",
             "| Page | Cold (first visit after start) | Warm |", "|---|---|---|"]
    for page_id, s in results["pages"].items():
        lines.append(f"| {page_id} | {s['cold']:.2f} s | {s['warm']:.2f} s |")
    if "concurrent" in results:
        c = results["concurrent"]
        lines += ["", f"{c['sessions']} browsers at once, each signing in and visiting every page twice: "
                      f"{c['n']} page views, p50 {c['p50']:.2f} s, p95 {c['p95']:.2f} s, max {c['max']:.2f} s."]
    return lines + [""]
