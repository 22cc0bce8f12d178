"""Files the product writes, fetched as the browser fetches them: no cell or header runs as a formula."""
import csv
import io
import threading

from lib.config import get_settings
from lib.db import make_engine, session_scope
from lib.imports.registry import import_file
from tests.pages.conftest import app
from tests.pages.test_real_path_permissions import _fetch

EVIL = ['=HYPERLINK("http://x","y")', "＝1+1", "@SUM(A1)", "-2+3"]


def _downloaded(at, key: str) -> bytes:
    """The bytes behind a download button, as Streamlit's media endpoint would serve them."""
    return _fetch(next(b for b in at.get("download_button") if b.key == key))


def test_company_names_that_look_like_formulas_stay_text_in_the_explore_pivot_headers():
    rows = "".join(f'"TSF{i}",2026-11-0{i + 1} 09:00,hotline,"{name.replace(chr(34), chr(34) * 2)}",深圳,P{i},ordinary,yes,x\n'
                   for i, name in enumerate(EVIL))
    data = "ref,received_at,channel,company,city,project,severity,responsible,description\n" + rows
    with session_scope(make_engine(get_settings().database_url)) as session:
        import_file("complaints", data.encode("utf-8"), "evil.csv", session=session, actor="t")
    for timer in [t for t in threading.enumerate() if isinstance(t, threading.Timer)]:
        timer.join(timeout=10)  # earlier clicks' download expiry would race this fetch
    at = app("pages/7_Explore.py", "exec1").run()
    at.selectbox(key="exp_by2").set_value("company").run()
    assert not at.exception, at.exception
    header = next(csv.reader(io.StringIO(_downloaded(at, "exp_dl_csv").decode("utf-8-sig"))))
    for name in EVIL:
        assert any(h.startswith("'") and h.endswith(name[1:]) for h in header), (name, header)
        assert name not in header


def test_a_staff_row_export_of_issues_writes_an_audit_row_with_kind_format_and_row_count():
    """The Issues page's row export (ui.row_export), fetched as the browser fetches it: one audit
    entry, action export, entity supervisor_issue, format csv, and the number of rows the file holds."""
    from sqlalchemy import select

    from lib.models import AuditLog

    for timer in [t for t in threading.enumerate() if isinstance(t, threading.Timer)]:
        timer.join(timeout=10)
    engine = make_engine(get_settings().database_url)

    def exports_by_staff():
        with session_scope(engine, readonly=True) as session:
            return list(session.execute(select(AuditLog.entity, AuditLog.detail).where(
                AuditLog.action == "export", AuditLog.actor == "staff1").order_by(AuditLog.id)).all())

    at = app("pages/4_Issues.py", "staff1")
    at.session_state["iss_view"] = "all"  # "mine" (staff's default) may be empty
    at.run()
    assert not at.exception, at.exception
    before = len(exports_by_staff())
    data = _downloaded(at, "iss_export_csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) > 2 and "编号" in rows[0] and "ref" in rows[1]  # labels, then the codes, then the issues
    from lib.vocab import ISSUE_STATUSES
    statuses = {row[rows[1].index("status")] for row in rows[2:]}
    assert statuses and statuses <= {s.zh for s in ISSUE_STATUSES.values()}, statuses  # 处理中, not in_progress
    assert {row[rows[1].index("source")] for row in rows[2:]} <= {"监督员反馈", "倾听发现", "典型案例整改"}
    assert exports_by_staff()[before:] == [("supervisor_issue", f'{{"format": "csv", "rows": {len(rows) - 2}}}')]
