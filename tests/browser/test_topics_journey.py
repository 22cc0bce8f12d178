"""Browser journey (issue #26): an executive opens 客户之声 from a link, picks a term and reads the records
that contain it, with the complainant's phone and name masked in the quoted text.

Hand-built beside a small demo: 话题浏览公司/话题浏览花园, May 2024, three complaints
"外墙渗水，联系13900003333" (complainant 赵大勇), "外墙渗水严重", "电梯噪音": the link filters on that
company and month, so the top terms are 外墙 and 渗水 (2 of 3 records each).
"""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from lib.db import make_engine, session_scope
from lib.models import Company, Project
from lib.schema import init_db
from lib.services import complaints as svc
from lib.services import seed, users
from lib.vocab import normalise_text
from tests.browser.server import ARTIFACTS, CHROMIUM, FLAGS, login, require_chromium, streamlit_server

pytestmark = pytest.mark.browser
COMPANY, PHONE, NAME = "话题浏览公司", "13900003333", "赵大勇"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    url = f"sqlite:///{tmp_path_factory.mktemp('topics') / 'topics.db'}"
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as session:
        seed.seed_demo(session=session, complaints=2000, today=date.today(), employees=200, survey_per_month=60)
        users.add_user(session=session, username="boss", role="executive", name="王总", password="boss-pass-1")
        c = Company(name=COMPANY, city="话题城", region="话题片区")
        session.add(c)
        session.flush()
        p = Project(company_id=c.id, name="话题浏览花园", name_norm=normalise_text("话题浏览花园"), city="话题城",
                    business_line="property_management")
        session.add(p)
        session.flush()
        for k, (text, name, phone) in enumerate([(f"外墙渗水，联系{PHONE}", NAME, PHONE), ("外墙渗水严重", None, None),
                                                 ("电梯噪音", None, None)]):
            svc.create(svc.NewComplaint(received_at=datetime(2024, 5, 6 + k, 10), channel="hotline", project_id=p.id,
                                        category="housing_quality", responsible=False, severity=None, description=text,
                                        complainant_name=name, complainant_phone=phone, ref=f"BRT{k + 1}"),
                       session=session, actor="seed")
    engine.dispose()
    with streamlit_server(url, cookie_key="t") as (base, _):
        yield base


def test_an_executive_clicks_a_term_through_to_its_records(server):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(f"{server}/Topics?from=2024-05-01&to=2024-05-31&company={COMPANY}")
        login(page, "boss", "boss-pass-1")
        expect(page.get_by_text("客户之声").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("本期共 3 条有内容的记录").first).to_be_visible(timeout=30_000)
        for _ in range(5):  # a rerun may redraw the select mid-click
            page.get_by_role("combobox", name="查看包含该词的记录").click()
            try:
                page.get_by_role("option", name="渗水", exact=True).click(timeout=3000)
                break
            except PlaywrightTimeout:
                page.keyboard.press("Escape")
        expect(page.get_by_text("包含“渗水”的记录：2 条", exact=False)).to_be_visible(timeout=30_000)
        drill = page.locator("[data-testid='stDataFrame'] table").filter(has_text="BRT1")
        expect(drill).to_have_count(1, timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "topics_drill_zh.png"), full_page=True)
        # the grid's accessible table holds the rows: the two complaints, the quote masked
        cells = drill.inner_text(timeout=30_000)
        assert "BRT1" in cells and "BRT2" in cells and "BRT3" not in cells, cells
        assert "139****3333" in cells
        body = page.locator("body").inner_text() + cells
        assert PHONE not in body and NAME not in body
        assert not re.search(r"1[3-9]\d{9}", body)
        browser.close()
