"""One real browser journey: Debian's chromium driven by Playwright against `streamlit run app.py`."""
from __future__ import annotations

import re
import time
from datetime import date

import pytest

from lib.db import local_now, make_engine, session_scope
from lib.schema import init_db
from lib.services import seed, users
from tests.browser.server import ARTIFACTS, CHROMIUM, FLAGS, login, require_chromium, streamlit_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    db = tmp_path_factory.mktemp("browser") / "journey.db"
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as session:
        seed.seed_demo(session=session, today=date.today())  # the full default demo size
        users.add_user(session=session, username="boss", role="executive", name="王总", password="boss-pass-1")
        users.add_user(session=session, username="clerk", role="staff", name="李客服", password="clerk-pass-1")
        users.add_user(session=session, username="chief", role="admin", name="陈管理", password="chief-pass-1")
    engine.dispose()
    with streamlit_server(url, cookie_key="j") as (base, _):
        yield base, url


def test_executive_journey(server):
    server, _ = server
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(server + "/")
        page.get_by_label("用户名").fill("boss")
        page.get_by_label("密码").fill("wrong-password")
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_text("登录未成功：用户名或密码错误", exact=False)).to_be_visible(timeout=30_000)

        page.get_by_label("密码").fill("boss-pass-1")
        started = time.perf_counter()
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_text("总部客户关系总览").first).to_be_visible(timeout=30_000)
        chart = page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first
        expect(chart).to_be_visible(timeout=30_000)
        print(f"login to drawn chart: {time.perf_counter() - started:.2f} s")
        page.screenshot(path=str(ARTIFACTS / "overview_zh.png"), full_page=True)

        # A card clicks through to its area page with the overview's period applied as the filter.
        page.wait_for_timeout(1500)
        page.get_by_role("link", name="查看明细").first.click()
        expect(page.get_by_text("投诉处理与时限").first).to_be_visible(timeout=30_000)
        start = {"year": str(local_now().year), "month": "1", "day": "1"}  # the overview's default: this year
        for part, value in start.items():
            expect(page.get_by_role("spinbutton", name=f"{part}, 开始日期")).to_have_attribute(
                "aria-valuenow", value, timeout=30_000)
        assert "from=" in page.url and "to=" in page.url
        page.screenshot(path=str(ARTIFACTS / "card_click_through.png"), full_page=True)

        # The monthly report downloads from the overview as an Excel workbook.
        page.get_by_role("link", name="总览").click()
        expect(page.get_by_text("月度报告").first).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="生成月报").click()
        link = page.get_by_role("button", name=re.compile("下载 .* 月报（Excel）"))
        expect(link).to_be_visible(timeout=60_000)
        with page.expect_download(timeout=60_000) as info:
            link.click()
        report = ARTIFACTS / "monthly_report.xlsx"
        info.value.save_as(report)
        from openpyxl import load_workbook
        assert load_workbook(report).sheetnames[0] == "概览 Summary"

        page.get_by_text("English", exact=True).click()
        expect(page.get_by_text("HQ customer-relations overview").first).to_be_visible(timeout=30_000)

        page.reload()  # the cookie keeps the session; the language is the user's own
        expect(page.get_by_text("HQ customer-relations overview").first).to_be_visible(timeout=30_000)
        expect(chart).to_be_visible(timeout=30_000)

        page.goto(server + "/Complaints")
        expect(page.get_by_text("Complaints and SLAs").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Open backlog by age (since received)").first).to_be_visible(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "complaints_en.png"), full_page=True)
        page.goto(server + "/Surveys")
        expect(page.get_by_text("Satisfaction surveys").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Dimensions against the industry average").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Import a file (CSV or Excel)")).to_have_count(0)  # executives never import
        page.screenshot(path=str(ARTIFACTS / "surveys_en.png"), full_page=True)
        page.goto(server + "/Listening")
        expect(page.get_by_text("“Six Ones” employee listening").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Staff participation").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Record a listening activity")).to_have_count(0)  # executives only read
        page.goto(server + "/Complaint_Register")
        expect(page.get_by_text("Complaint register").first).to_be_visible(timeout=30_000)
        expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Log a complaint")).to_have_count(0)  # executives never edit

        page.goto(server + "/Admin")  # deep link to a page executives may not open
        expect(page.get_by_text("Your role may not open this page.")).to_be_visible(timeout=30_000)
        expect(page.locator("[data-testid='stDataFrame']")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "admin_refused_en.png"), full_page=True)

        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=30_000)
        page.reload()  # the old cookie was revoked on logout: still logged out after a refresh
        expect(page.get_by_label("Username").or_(page.get_by_label("用户名"))).to_be_visible(timeout=30_000)
        expect(page.get_by_text("HQ customer-relations overview")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "logged_out.png"), full_page=True)
        browser.close()


def _pick_first_option(page, combobox: str) -> None:
    """Open a select and take its first option; retried because a rerun may redraw it mid-click."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(5):
        page.get_by_role("combobox", name=combobox).click()
        try:
            page.get_by_role("option").first.click(timeout=3000)
            page.keyboard.press("Escape")
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"no option could be picked in {combobox}")


def test_staff_logs_a_complaint_in_the_browser(server):
    server, url = server
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server + "/Complaints")  # a deep link before login lands on the login form, then the page
        login(page, "clerk", "clerk-pass-1")
        expect(page.get_by_text("投诉处理与时限").first).to_be_visible(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "complaints_zh.png"), full_page=True)

        page.get_by_role("link", name="投诉台账").click()  # the sidebar menu, as a user navigates
        expect(page.get_by_text("投诉台账与处理").first).to_be_visible(timeout=30_000)
        page.get_by_text("登记投诉").first.click()
        page.get_by_label("内容").fill("地下车库漏水，影响停车")
        page.get_by_label("投诉人").fill("赵六")
        page.get_by_role("button", name="保存").first.click()
        expect(page.get_by_text("已登记投诉 TS").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("· 已受理").first).to_be_visible(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "register_logged_zh.png"), full_page=True)

        # The export is made when clicked (not on every run) and audited when taken.
        exports_before = _exports_by(url, "clerk")
        with page.expect_download(timeout=60_000) as info:
            page.get_by_role("button", name="导出 Excel").click()
        exported = ARTIFACTS / "register_export.xlsx"
        info.value.save_as(exported)
        from openpyxl import load_workbook
        sheet = load_workbook(exported).active
        assert "编号" in [c.value for c in sheet[1]]  # headers in the user's language, then the codes
        header = [c.value for c in sheet[2]]
        rows = list(sheet.iter_rows(min_row=3, values_only=True))
        assert all(str(row[header.index("ref")]).startswith("TS") for row in rows)
        assert "赵六" in [row[header.index("complainant_name")] for row in rows]  # staff export full names
        deadline = time.time() + 10
        while _exports_by(url, "clerk") == exports_before and time.time() < deadline:
            time.sleep(0.2)
        assert _exports_by(url, "clerk") == exports_before + 1
        # The file was Streamlit's media endpoint's, which asks for no session: once taken it is gone,
        # so a link copied from the browser (history, a proxy log) fetches nothing.
        import urllib.error
        import urllib.request
        media = info.value.url
        assert "/media/" in media
        deadline, status = time.time() + 10, 200
        while status == 200 and time.time() < deadline:
            try:
                status = urllib.request.urlopen(media, timeout=5).status
                time.sleep(0.5)
            except urllib.error.HTTPError as exc:
                status = exc.code
        assert status == 404, f"{media} still served {status}"
        browser.close()


def _exports_by(url: str, actor: str) -> int:
    from sqlalchemy import func, select

    from lib.models import AuditLog
    with session_scope(make_engine(url)) as session:
        return session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.actor == actor, AuditLog.action == "export", AuditLog.entity == "complaint"))


def _issues_raised_this_year(url: str) -> int:
    from lib.kpis import supervisors
    from lib.kpis.common import KpiFilter

    today = local_now().date()  # the business's date, as the pages and the issue form use it
    with session_scope(make_engine(url)) as session:
        return supervisors.compute(KpiFilter(date(today.year, 1, 1), today), session=session).kpis["issues_raised"]


def test_staff_logs_a_supervisor_issue_and_the_executive_sees_it_counted(server):
    from playwright.sync_api import expect, sync_playwright

    server, url = server
    before = _issues_raised_this_year(url)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server + "/Issues")
        login(page, "clerk", "clerk-pass-1")
        expect(page.get_by_text("问题跟踪（监督员反馈与改进事项）").first).to_be_visible(timeout=30_000)
        page.wait_for_timeout(2000)  # the post-login rerun redraws the page once; interact after it
        page.get_by_text("登记问题").first.click()
        _pick_first_option(page, "提出问题的监督员")
        page.get_by_label("问题描述").fill("小区门口早高峰拥堵，需协调交警")
        page.get_by_role("button", name="保存").first.click()
        expect(page.get_by_text("已登记问题 JD").first).to_be_visible(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "issue_logged_zh.png"), full_page=True)
        assert _issues_raised_this_year(url) == before + 1

        boss = browser.new_page(viewport={"width": 1400, "height": 1000})
        boss.goto(server + "/Supervisors")
        login(boss, "boss", "boss-pass-1")
        metric = boss.locator("[data-testid='stMetric']").filter(has_text=re.compile("监督员问题数|Issues raised"))  # boss chose English earlier
        expect(metric.first).to_contain_text(f"{before + 1:,}", timeout=30_000)
        boss.screenshot(path=str(ARTIFACTS / "supervisors_exec.png"), full_page=True)
        browser.close()


@pytest.mark.parametrize(("username", "password"), [("clerk", "clerk-pass-1"), ("chief", "chief-pass-1")])
def test_area_pages_draw_in_both_languages(server, username, password):
    """Surveys and Listening for staff and admin, in Chinese and then in English (executives: above)."""
    from playwright.sync_api import expect, sync_playwright

    server, _ = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server + "/Surveys")
        login(page, username, password)
        expect(page.get_by_text("各触点月度趋势（阴影为 95% 区间）").first).to_be_visible(timeout=30_000)
        chart = page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")
        expect(chart.first).to_be_visible(timeout=30_000)
        page.wait_for_timeout(2000)
        page.get_by_role("link", name="六个一倾听").click()
        expect(page.get_by_text("“六个一”倾听活动").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("员工参与率").first).to_be_visible(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / f"listening_zh_{username}.png"), full_page=True)

        page.get_by_text("English", exact=True).click()
        expect(page.get_by_text("“Six Ones” employee listening").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Staff participation").first).to_be_visible(timeout=30_000)
        page.get_by_role("link", name="Satisfaction surveys").click()
        expect(page.get_by_text("Monthly trend by touchpoint").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Import a file (CSV or Excel)").first).to_be_visible(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / f"surveys_en_{username}.png"), full_page=True)
        browser.close()
