"""Browser journey (issue #25 item 1): an HQ staff member records one call-back check in chromium.

Demo data (small) plus complaint CHKB1 of its own company, resolved a moment ago with its first response,
root cause, corrective action and follow-up all on record, drawn into the queue. The clerk opens the
Checks page from the sidebar, picks CHKB1, reveals the phone (audited), keeps the prefilled answers
(reached, confirmed, 5, every handling check passed) and saves: the check is passed, the complaint stays
resolved.
"""
from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from lib.db import local_now, make_engine, session_scope
from lib.models import AuditLog, CheckSample, Company, Complaint, Project
from lib.schema import init_db
from lib.services import checks, seed, users
from lib.vocab import normalise_text
from tests.browser.server import ARTIFACTS, CHROMIUM, FLAGS, login, require_chromium, streamlit_server
from tests.fixtures import complaint

pytestmark = pytest.mark.browser
PHONE = "13755556666"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    url = f"sqlite:///{tmp_path_factory.mktemp('checks_browser') / 'journey.db'}"
    engine = make_engine(url)
    init_db(engine)
    resolved = local_now().replace(microsecond=0) - timedelta(seconds=30)
    with session_scope(engine) as s:
        seed.seed_demo(session=s, complaints=1500, today=date.today(), employees=200, survey_per_month=60)
        c = Company(name="浏览器抽查公司", city="抽查城", region="抽查片区")
        s.add(c)
        s.flush()
        p = Project(company_id=c.id, name="浏览器花园", name_norm=normalise_text("浏览器花园"), city="抽查城",
                    business_line="property_management")
        s.add(p)
        s.flush()
        complaint(s, p, "CHKB1", resolved - timedelta(days=2), "hotline", "ordinary", True, "verified",
                  first_response_at=resolved - timedelta(days=2) + timedelta(hours=1), resolved_at=resolved,
                  followup_at=resolved, followup_score=5, complainant_name="钱某某", complainant_phone=PHONE,
                  description="楼道灯不亮", root_cause="线路老化", corrective_action="更换线路")
        s.flush()
        checks.draw(resolved.date(), resolved.date(), session=s, actor="test")
        users.add_user(session=s, username="clerk", role="staff", name="李客服", password="clerk-pass-1")
    engine.dispose()
    with streamlit_server(url, cookie_key="c") as (base, _):
        yield base, url


def _phone_shown(page, value: str, seconds: float = 30) -> bool:
    """The phone fact reads `value` (while a rerun redraws the facts, the old and new inputs both exist)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        fields = page.get_by_label("联系电话", exact=True)
        try:
            if any(fields.nth(i).input_value(timeout=1000) == value for i in range(fields.count())):
                return True
        except Exception:  # noqa: BLE001 - an input removed by the rerun mid-read: look again
            pass
        page.wait_for_timeout(300)
    return False


def test_staff_records_a_call_back_check_in_the_browser(server):
    base, url = server
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(base + "/")
        login(page, "clerk", "clerk-pass-1")
        expect(page.get_by_text("总部客户关系总览").first).to_be_visible(timeout=60_000)
        page.get_by_role("link", name="抽查回访").click()  # the sidebar menu
        expect(page.get_by_role("heading", name="抽查回访").first).to_be_visible(timeout=60_000)
        expect(page.get_by_text("抽查队列").first).to_be_visible(timeout=60_000)
        page.wait_for_timeout(1500)  # let the first run settle before picking
        for _ in range(5):  # a rerun may redraw the select mid-click
            page.get_by_role("combobox", name="选择要回访的投诉").click()
            try:
                page.get_by_role("option", name="CHKB1", exact=False).first.click(timeout=5000)
                break
            except PlaywrightTimeout:
                page.keyboard.press("Escape")
        reveal = page.get_by_role("button", name="显示投诉人电话")
        expect(reveal).to_be_visible(timeout=30_000)
        assert _phone_shown(page, "137****6666")
        reveal.click()
        assert _phone_shown(page, PHONE), "the revealed phone never showed"
        page.screenshot(path=str(ARTIFACTS / "checks_record_zh.png"), full_page=True)
        page.get_by_role("button", name="保存回访结果").click()
        expect(page.get_by_text("已记录：合格。").first).to_be_visible(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "checks_recorded_zh.png"), full_page=True)
        browser.close()
    engine = make_engine(url)
    with session_scope(engine) as s:
        sample = s.scalar(select(CheckSample).join(Complaint, Complaint.id == CheckSample.complaint_id)
                          .where(Complaint.ref == "CHKB1"))
        assert sample.status == "passed"
        assert s.scalar(select(Complaint.status).where(Complaint.ref == "CHKB1")) == "verified"
        assert s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "reveal_personal_data", AuditLog.entity_id == "CHKB1", AuditLog.actor == "clerk")) == 1
        assert s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "check_record", AuditLog.entity_id == "CHKB1")) == 1
    engine.dispose()
