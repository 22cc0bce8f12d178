"""The company-scoped demo account (深圳公司客服, SPEC §11) in a real browser: Debian's chromium driven by
Playwright against `streamlit run app.py` on demo data. It sees 深圳公司 only — filter choices, the
register's company column, its own league row ranked among all companies — and a link naming
another company is refused with a message."""
from __future__ import annotations

import re
from datetime import date

import pytest

from lib.db import make_engine, session_scope
from lib.schema import init_db
from lib.services import demo, seed
from tests.browser.server import ARTIFACTS, CHROMIUM, FLAGS, login, require_chromium, streamlit_server

pytestmark = pytest.mark.browser
OWN = "深圳公司"
OTHERS = [c[0] for c in seed.COMPANIES if c[0] != OWN]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Demo data and the demo's own accounts (lib.services.demo), as a demo installation creates them."""
    require_chromium()
    db = tmp_path_factory.mktemp("scope_browser") / "scope.db"
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as session:
        seed.seed_demo(session=session, complaints=4000, employees=400, survey_per_month=120, today=date.today())
        creds = demo.create_demo_users(session=session)
    engine.dispose()
    account = next(c for c in creds if c.get("name") == "深圳公司客服")
    with streamlit_server(url, cookie_key="s") as (base, _):
        yield base, account


def _grid_text(page, testid_key: str) -> str:
    """The cells of a st.dataframe as the browser holds them (the grid's accessible table)."""
    grid = page.locator(f".st-key-{testid_key} [data-testid='stDataFrame']").first
    grid.wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(500)
    return grid.locator("table").first.inner_text(timeout=30_000)


def _options(page, combobox: str) -> list[str]:
    page.get_by_role("combobox", name=combobox).first.click()
    options = page.get_by_role("option")
    options.first.wait_for(timeout=10_000)
    texts = [t.strip() for t in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return texts


def test_the_shenzhen_account_sees_only_shenzhen(server):
    server, account = server
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(server + "/")
        login(page, account["username"], account["password"])
        expect(page.get_by_text("总部客户关系总览").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("深圳公司客服").first).to_be_visible(timeout=30_000)  # signed in as
        page.wait_for_timeout(2000)

        # The league: its own row, ranked among all twelve companies; no other company's name.
        league = _grid_text(page, "overview_league")
        assert OWN in league
        assert re.search(rf"(?<!\d)\d{{1,2}} / {len(seed.COMPANIES)}(?!\d)", league), league
        assert not [c for c in OTHERS if c in league], league
        body = page.locator("body").inner_text()
        assert not [c for c in OTHERS if c in body]
        page.screenshot(path=str(ARTIFACTS / "scope_overview_zh.png"), full_page=True)

        # The register: the company filter offers 深圳公司 only, and every listed complaint is 深圳公司's.
        page.get_by_role("link", name="投诉台账").click()
        expect(page.get_by_text("投诉台账与处理").first).to_be_visible(timeout=30_000)
        page.wait_for_timeout(2000)
        assert _options(page, "公司") == [OWN]
        rows = _grid_text(page, "register_table")
        assert OWN in rows and not [c for c in OTHERS if c in rows], rows[:500]
        body = page.locator("body").inner_text()
        assert not [c for c in OTHERS if c in body]
        page.screenshot(path=str(ARTIFACTS / "scope_register_zh.png"), full_page=True)

        # A link naming another demo company is refused with a message, not widened nor emptied.
        other = "上海公司"
        page.goto(server + f"/Complaints?company={other}")
        expect(page.get_by_text("投诉处理与时限").first).to_be_visible(timeout=30_000)
        page.wait_for_timeout(5000)  # the cookie component's rerun comes after the first draw: what stays
        page.screenshot(path=str(ARTIFACTS / "scope_link_refused_zh.png"), full_page=True)
        expect(page.get_by_text("不在您的数据范围内").first).to_be_visible(timeout=10_000)
        expect(page.get_by_text(f"“{other}”").first).to_be_visible(timeout=10_000)
        expect(page.locator("[data-testid='stMetric']")).to_have_count(0)
        browser.close()
