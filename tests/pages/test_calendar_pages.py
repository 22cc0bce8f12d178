"""SPEC §13 on the pages: the banner while 2027 is only estimated, and an admin entering 2027."""
from datetime import date

import pytest

from lib.config import get_settings
from lib.db import local_now, make_engine, session_scope
from lib.services import settings
from tests.pages.conftest import app

pytestmark = pytest.mark.skipif(local_now().date() < date(2026, 11, 1) or local_now().year != 2026,
                                reason="written for the 2026 business clock (2027 not yet in the library)")


@pytest.fixture
def no_2027():
    engine = make_engine(get_settings().database_url)
    yield engine
    with session_scope(engine) as session:  # the page-test database is shared: leave it as found
        settings.put("statutory_calendar", {}, session=session, actor="test")


def _banner(at) -> bool:
    return any("2027 年法定节假日安排尚未录入" in w.value for w in at.warning)


def test_banner_for_staff_and_admin_until_2027_is_entered(no_2027):
    assert _banner(app("pages/2_Complaint_Register.py", "staff1").run())
    assert _banner(app("app.py", "admin1").run())
    assert not _banner(app("app.py", "exec1").run())

    at = app("pages/9_Admin.py", "admin1").run()
    assert any("估算" in c.value for c in at.caption)
    at.number_input(key="admin_cal_year").set_value(2027).run()
    at.text_area(key="admin_cal_holidays").input("2027-02-05..2027-02-12\n2027-13-01")
    at.text_area(key="admin_cal_workdays").input("2027-02-14")
    [b for b in at.button if b.proto.form_id == "admin_cal_form"][0].click().run()
    assert not at.exception, at.exception
    assert "第 2 行" in at.error[0].value and _banner(at)  # refused line by line, nothing stored

    at.text_area(key="admin_cal_holidays").input("2027-02-05..2027-02-12")
    [b for b in at.button if b.proto.form_id == "admin_cal_form"][0].click().run()
    assert not at.exception, at.exception
    assert at.success and "2027 年日历已保存" in at.success[0].value
    assert any("管理员录入" in c.value for c in at.caption)
    assert not _banner(app("pages/2_Complaint_Register.py", "staff1").run())
