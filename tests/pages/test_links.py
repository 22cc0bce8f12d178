"""Query strings as anyone can type them: dates outside the data never crash a page, now or later."""
import pytest

from tests.pages.conftest import app

WARNING = "链接中的日期无效或超出范围"


@pytest.mark.parametrize("script", ["app.py", "pages/2_Complaint_Register.py", "pages/1_Complaints.py"])
@pytest.mark.parametrize(("start", "end"), [("1999-12-31", "2000-01-05"), ("0001-01-01", "2025-01-01"),
                                            ("2025-01-01", "9999-12-31"), ("2025-13-01", "x")])
def test_a_link_with_dates_outside_the_range_is_refused_with_a_message_and_the_page_recovers(script, start, end):
    at = app(script, "exec1")
    at.query_params["from"] = start
    at.query_params["to"] = end
    at.run()
    assert not at.exception, at.exception
    assert any(WARNING in w.value for w in at.warning)
    assert at.metric or at.dataframe  # the page is drawn on its default period
    at.query_params.clear()
    at.run()  # the same session, the link gone: it used to keep failing
    assert not at.exception, at.exception
    assert at.caption and not any(WARNING in w.value for w in at.warning)


def test_a_good_link_still_presets_the_period():
    at = app("app.py", "exec1")
    at.query_params["from"] = "2025-01-01"
    at.query_params["to"] = "2025-03-31"
    at.run()
    assert not at.exception and not any(WARNING in w.value for w in at.warning)
    assert any("2025-01-01" in c.value and "2025-03-31" in c.value for c in at.caption)
