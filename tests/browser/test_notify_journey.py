"""Notifications in a real browser (issue #24): the demo staff account 深圳公司客服 turns its inbox notice of
breaches back on on the Inbox page, `python -m lib.cli notify run --now …` runs against the same database,
and after a reload the sidebar shows the unread count and the page lists the item.

The breach is hand-built: NTJ1 at a 深圳公司 project, hotline, ordinary, received Tue 11 Mar 2031 09:00 →
first response due Wed 12 Mar 09:00; at 22:00 that day it breached 13 hours ago (inside the look-back),
while every demo record lies years before."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from lib.db import make_engine, session_scope
from lib.models import Company, NotifySubscription, Project
from lib.notify import subscriptions
from lib.schema import init_db
from lib.services import demo, seed
from tests.fixtures import complaint

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
NOW = "2031-03-12T22:00"
COOKIE = "crhq_auth"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run the suite through scripts/test.sh")
    db = tmp_path_factory.mktemp("notify_browser") / "notify.db"
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as session:
        seed.seed_demo(session=session, complaints=1500, employees=200, survey_per_month=60, today=date.today())
        creds = demo.create_demo_users(session=session)
        account = next(c for c in creds if c.get("name") == "深圳公司客服")
        project = session.scalar(select(Project).join(Company, Company.id == Project.company_id)
                                 .where(Company.name == "深圳公司").order_by(Project.id).limit(1))
        complaint(session, project, "NTJ1", datetime(2031, 3, 11, 9), "hotline", "ordinary", True, "received",
                  assignee=account["username"], complainant_name="通知测试张某某", complainant_phone="13700001111")
        # The account had turned breach notices in the inbox off; the journey turns them on again.
        subscriptions.set_subscription(account["username"], "sla_breached", "inbox", False, session=session,
                                       actor="test")
    engine.dispose()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "CRHQ_COOKIE_KEY": "n" * 48}
    for name in ("CRHQ_SMTP_HOST", "CRHQ_DEMO"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    yield f"http://127.0.0.1:{port}", url, env, account
    proc.terminate()
    try:  # Streamlit's shutdown took over 10 s under load once: the test had passed, the teardown failed
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _stored(url: str, username: str) -> bool | None:
    engine = make_engine(url)
    try:
        with session_scope(engine, readonly=True) as s:
            return s.scalar(select(NotifySubscription.enabled).where(
                NotifySubscription.username == username, NotifySubscription.event == "sla_breached",
                NotifySubscription.channel == "inbox"))
    finally:
        engine.dispose()


def _wait_for_login_cookie(page, timeout: float = 60.0) -> None:
    """The sign-in cookie is written by the authenticator's cookie component, an iframe that sets it from
    the browser once it has loaded. A navigation before that removes the component unmounted, the cookie
    is never written, and a reload lands on the login form (the earlier flake: "stuck at the cookie
    iframe" after reload, under CI load). Wait for the cookie itself, not for the network to go idle."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(c["name"] == COOKIE for c in page.context.cookies()):
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"the sign-in cookie {COOKIE!r} was never written by the cookie component")


def _sign_in(page, username: str, password: str) -> None:
    """Sign in once the login form is there. A fresh server's first script run (imports, the database's
    first reads) took over 30 s under CI load, so wait for the form itself, long enough."""
    page.get_by_label("用户名").wait_for(state="visible", timeout=120_000)
    page.wait_for_timeout(1500)  # the login form draws no cookie component (issue #27): let the first run settle
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def _open_inbox(page) -> None:
    """Click 通知 in the sidebar until the Inbox shows: once the cookie component has written the cookie
    it reports back and the script reruns, and a click landing in that rerun is dropped."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(5):
        page.get_by_role("link", name="通知", exact=True).first.click()
        try:
            page.get_by_text("通知与订阅").first.wait_for(state="visible", timeout=10_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError("the Inbox never opened from the sidebar link")


def test_subscribe_in_the_browser_then_notify_run_fills_the_inbox(server):
    base, url, env, account = server
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(base + "/")
        _sign_in(page, account["username"], account["password"])
        expect(page.get_by_text("总部客户关系总览").first).to_be_visible(timeout=30_000)
        _wait_for_login_cookie(page)
        _open_inbox(page)
        expect(page.get_by_text("暂无通知。")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("link", name="未读")).to_have_count(0)

        # The settings: a row per event, a labelled checkbox per channel. 已超时 (sla_breached) · 站内通知.
        box = page.locator(".st-key-inbox_subs_row_sla_breached").get_by_role("checkbox", name="站内通知")
        expect(box).not_to_be_checked(timeout=30_000)
        box.check(force=True)  # the input is drawn by its label: Playwright clicks it where it lies
        expect(box).to_be_checked()
        page.get_by_role("button", name="保存订阅").click()
        expect(page.get_by_text("已保存 1 项更改。")).to_be_visible(timeout=30_000)
        assert _stored(url, account["username"]) is True
        page.screenshot(path=str(ARTIFACTS / "inbox_subscribed.png"), full_page=True)

        run = subprocess.run([sys.executable, "-m", "lib.cli", "notify", "run", "--now", NOW], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        result = json.loads(run.stdout.strip().splitlines()[-1])
        assert result["sent"] >= 1 and result["failed"] == 0

        page.reload()
        # Concrete elements, in order: the page itself (signed in from the cookie), then the count.
        expect(page.get_by_text("通知与订阅").first).to_be_visible(timeout=60_000)
        counter = page.get_by_role("link", name="未读")
        expect(counter).to_be_visible(timeout=30_000)
        label = counter.inner_text()
        n = int(label.split("（")[1].split(" ")[0])
        assert n >= 1, label
        grid = page.locator("[data-testid='stDataFrame']").first  # the list comes before the settings grid
        grid.wait_for(state="visible", timeout=30_000)
        page.wait_for_timeout(500)
        listed = grid.locator("table").first.inner_text(timeout=30_000)
        assert "NTJ1" in listed and "已超时" in listed
        assert "通知测试张某某" not in page.content() and "13700001111" not in page.content()
        page.screenshot(path=str(ARTIFACTS / "inbox_item.png"), full_page=True)
        browser.close()
