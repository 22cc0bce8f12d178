"""Issue 23 items 6 and 11 in a real browser: no table offers Streamlit's own "Download as CSV", and the
file uploader speaks the user's language (Streamlit 1.67 has no setting for its texts)."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect, sync_playwright

from lib.db import local_now
from tests.browser.server import ARTIFACTS, CHROMIUM, FLAGS, login, wait_for_login_cookie
from tests.browser.test_journey import server  # noqa: F401  (fixture)


def test_tables_have_no_built_in_download_and_the_uploader_reads_chinese(server):  # noqa: F811
    base, _ = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/Complaint_Register")  # a table with rows (an empty one has no export anyway)
        login(page, "clerk", "clerk-pass-1")
        table = page.locator("[data-testid='stDataFrameResizable']").first
        expect(table).to_be_visible(timeout=60_000)
        page.wait_for_timeout(1500)
        table.hover()
        page.wait_for_timeout(1500)
        labels = page.locator("[data-testid='stElementToolbar'] button").evaluate_all(
            "bs => bs.map(b => b.getAttribute('aria-label') || '')")
        assert "Search" in labels, labels  # the table's own toolbar is drawn …
        assert not [x for x in labels if "Download" in x], labels  # … without Streamlit's "Download as CSV"
        wait_for_login_cookie(page)  # a navigation before the cookie is written would sign the page out
        page.goto(f"{base}/Issues")  # an import panel
        zone = page.locator("[data-testid='stFileUploaderDropzone']").first
        zone.scroll_into_view_if_needed()
        expect(zone).to_be_visible(timeout=30_000)
        instructions = zone.locator("[data-testid='stFileUploaderDropzoneInstructions']")
        before = instructions.evaluate("e => getComputedStyle(e, '::before').content")
        button = zone.locator("button [data-has-shortcut]").first
        after = button.evaluate("e => getComputedStyle(e, '::after').content")
        assert not zone.locator("button [data-testid='stMarkdownContainer']").first.is_visible()  # "Upload" hidden
        assert "将文件拖放到此处" in before and "200 MB" in before, before
        assert after == '"选择文件"', after
        assert not instructions.locator("span").first.is_visible()  # "Drag and drop file here" hidden
        ARTIFACTS.mkdir(exist_ok=True)
        zone.screenshot(path=str(ARTIFACTS / "u23_uploader_zh.png"))
        browser.close()


def test_the_date_picker_speaks_the_browsers_language(server):  # noqa: F811
    """Streamlit 1.67 names months and weekdays in the browser's language (its locale is
    navigator.language; there is no server setting): a Chinese browser's calendar reads Chinese."""
    base, _ = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page.goto(f"{base}/Admin")
        login(page, "chief", "chief-pass-1")
        field = page.locator("[data-testid='stDateInput']:visible").first
        for _ in range(10):  # a rerun after the login (the cookie component) can draw the tabs afresh
            page.get_by_role("tab", name="审计日志").click(timeout=60_000)
            page.wait_for_timeout(2000)
            if field.count():
                break
        expect(field).to_be_visible(timeout=30_000)
        field.locator("[data-testid='stDateInputField']").first.click(timeout=60_000)
        page.wait_for_timeout(1500)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "u23_date_picker_zh.png"))
        shown = page.locator("body").inner_text()
        # the audit filter opens on 30 business days back: that month's Chinese name heads the calendar
        opened = local_now().date() - timedelta(days=30)  # the business date (China) the filter starts from
        month = opened.month
        names = ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"]
        assert names[month - 1] in shown and f"{opened.year}年" in shown, shown[-400:]
        assert not any(m in shown for m in ("January", "February", "March", "April", "June", "July", "August",
                                            "September", "October", "November", "December"))
        browser.close()
