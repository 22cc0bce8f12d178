"""Notifications in a real browser (issue #24): the demo staff account 深圳公司客服 turns its inbox notice of
breaches back on on the Inbox page, `python -m lib.cli notify run --now …` runs against the same database,
and after a reload the sidebar shows the unread count and the page lists the item.

The breach is hand-built: NTJ1 at a 深圳公司 project, hotline, ordinary, received Tue 11 Mar 2031 09:00 →
first response due Wed 12 Mar 09:00; at 22:00 that day it breached 13 hours ago (inside the look-back),
while every demo record lies years before."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime

import pytest
from sqlalchemy import select

from lib.db import make_engine, session_scope
from lib.models import Company, NotifySubscription, Project
from lib.notify import subscriptions
from lib.schema import init_db
from lib.services import demo, seed
from tests.browser.server import (
    ARTIFACTS,
    CHROMIUM,
    FLAGS,
    ROOT,
    login,
    require_chromium,
    streamlit_server,
    wait_for_login_cookie,
)
from tests.fixtures import complaint

pytestmark = pytest.mark.browser
NOW = "2031-03-12T22:00"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
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
    with streamlit_server(url, cookie_key="n", drop_env=("CRHQ_SMTP_HOST", "CRHQ_DEMO")) as (base, env):
        yield base, url, env, account


def _stored(url: str, username: str) -> bool | None:
    engine = make_engine(url)
    try:
        with session_scope(engine, readonly=True) as s:
            return s.scalar(select(NotifySubscription.enabled).where(
                NotifySubscription.username == username, NotifySubscription.event == "sla_breached",
                NotifySubscription.channel == "inbox"))
    finally:
        engine.dispose()


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
        # a fresh server's first script run (imports, the database's first reads) took over 30 s under CI load
        login(page, account["username"], account["password"], form_ms=120_000, settle_ms=1500)
        expect(page.get_by_text("总部客户关系总览").first).to_be_visible(timeout=30_000)
        wait_for_login_cookie(page)
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
