"""Browser-visible page times, cold and warm, on demo data (issue #23 item 14), plus screenshots.

    .venv/bin/python scripts/page_timings.py [--database-url URL] [--out test-artifacts]

Without --database-url a fresh SQLite database with the default demo data is made. A server is
started (`streamlit run app.py`), Debian's chromium (never `playwright install`) signs in as an
admin, then opens every page twice: "cold" is the first visit after the server started (empty
caches), "warm" the second. A page counts as drawn when Streamlit's running indicator is gone and
the main block holds content. Screenshots of the overview, Complaints and Surveys pages are saved
in Chinese and English. Prints a table and writes page_timings.json next to the screenshots.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib.bench_browser import drawn, pages, visit  # noqa: E402  (after the path is set)
from lib.local_server import CHROMIUM, FLAGS, streamlit_app  # noqa: E402

SHOTS = ("overview", "complaints", "surveys")
USER, PASSWORD = "timer", "timer-pass-1"


def _database(url: str | None) -> str:
    from lib.db import make_engine, session_scope
    from lib.schema import init_db
    from lib.services import seed, users

    fresh = url is None
    url = url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'timings.db'}"
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as session:
        if fresh:
            seed.seed_demo(session=session, today=date.today())
        if users.get_user(session=session, username=USER) is None:
            users.add_user(session=session, username=USER, role="admin", name=USER, password=PASSWORD)
    engine.dispose()
    return url


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--out", default=str(ROOT / "test-artifacts"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    url = _database(args.database_url)
    env = {**os.environ, "DATABASE_URL": url, "CRHQ_COOKIE_KEY": os.environ.get("CRHQ_COOKIE_KEY", "t" * 48)}
    with streamlit_app(env) as (base, _):
        from playwright.sync_api import sync_playwright

        times: dict[str, dict[str, float]] = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(base + "/")
            page.get_by_label("用户名").fill(USER)
            page.get_by_label("密码").fill(PASSWORD)
            started = time.perf_counter()
            page.get_by_role("button", name="登录").click()
            page.get_by_text("总部客户关系总览").first.wait_for(state="visible", timeout=120_000)
            times["login_to_overview"] = {"cold": drawn(page) - started}
            page.wait_for_timeout(2000)  # the sign-in cookie is written after the first drawn run
            for kind in ("cold", "warm"):
                for name, path in pages():
                    times.setdefault(name, {})[kind] = visit(page, base + path)
                    if kind == "warm" and name in SHOTS:
                        page.screenshot(path=str(out / f"{name}_zh.png"), full_page=True)
            page.goto(base + "/")
            drawn(page)
            page.get_by_text("English", exact=True).first.click()
            drawn(page)
            for name, path in pages():
                if name in SHOTS:
                    visit(page, base + path)
                    page.screenshot(path=str(out / f"{name}_en.png"), full_page=True)
            browser.close()
    rounded = {k: {v: round(s, 2) for v, s in d.items()} for k, d in times.items()}
    (out / "page_timings.json").write_text(json.dumps(rounded, indent=2))
    print(f"{'page':<20}{'cold s':>8}{'warm s':>8}")
    for name, d in rounded.items():
        print(f"{name:<20}{d.get('cold', float('nan')):>8}{d.get('warm', float('nan')):>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
