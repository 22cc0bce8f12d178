"""SPEC §8 permissions through the path a user or an attacker takes: the real pages under AppTest
(widgets by key, callbacks, download buttons as the browser fetches them), never a service called
the way the app never calls it. A forged role in the session, a widget value the page never drew,
a file fetched without the click that audits it."""
from __future__ import annotations

import gc
import io
import json
import re
import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import func, select
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.media_file_storage import MediaFileStorageError

from lib.config import get_settings
from lib.db import make_engine, session_scope
from lib.models import AuditLog, Complaint, Project, SavedView, Supervisor, SupervisorIssue, SupervisorIssueRaiser
from lib.services import complaints as complaint_service
from lib.services import users
from tests.pages.conftest import app

FORBIDDEN = "您的角色无权访问此页面。"
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _engine():
    return make_engine(get_settings().database_url)


def _as(script: str, username: str, *, roles: list[str], **state):
    """A session signed in as `username` whose session state claims `roles` (and holds `state`)."""
    at = app(script)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["name"] = username
    at.session_state["roles"] = roles
    for key, value in state.items():
        at.session_state[key] = value
    return at


def _new_user(username: str, role: str) -> None:
    with session_scope(_engine()) as session:
        users.add_user(session=session, username=username, role=role, name=username, password="real-path-1")


def _form_ids(at) -> set[str]:
    return {b.proto.form_id for b in at.button if b.proto.form_id}


def _keys(at) -> set[str]:
    keys, stack = set(), [at._tree]
    while stack:
        node = stack.pop()
        key = getattr(node, "key", None)
        if key:
            keys.add(key)
        stack.extend(getattr(node, "children", {}).values())
    return keys


def _audit(action: str, actor: str) -> list[tuple[str, str | None, str | None]]:
    with session_scope(_engine(), readonly=True) as session:
        return list(session.execute(select(AuditLog.entity, AuditLog.entity_id, AuditLog.detail).where(
            AuditLog.action == action, AuditLog.actor == actor).order_by(AuditLog.id)).all())


def _complaint_with_contact(description: str, assignee: str = "staff1") -> str:
    with session_scope(_engine()) as session:
        project = session.scalar(select(Project.id).order_by(Project.id).limit(1))
        return complaint_service.create(complaint_service.NewComplaint(
            received_at=datetime(2026, 1, 5, 9, 30), channel="hotline", project_id=project, category="maintenance",
            responsible=True, severity="ordinary", description=description, complainant_name="司马光明",
            complainant_phone="13811112222", assignee=assignee), session=session, actor=assignee).ref


def _events(ref: str) -> list[tuple[str, str]]:
    with session_scope(_engine(), readonly=True) as session:
        _, events = complaint_service.detail(ref, session=session)
    return list(zip(events["action"], events["actor"], strict=True))


def _issue_with_a_raiser_phone() -> str:
    with session_scope(_engine(), readonly=True) as session:
        return session.scalar(select(SupervisorIssue.ref).join(
            SupervisorIssueRaiser, SupervisorIssueRaiser.issue_id == SupervisorIssue.id).join(
            Supervisor, Supervisor.id == SupervisorIssueRaiser.supervisor_id).where(
            Supervisor.phone.is_not(None), SupervisorIssue.status != "closed").order_by(SupervisorIssue.id).limit(1))


# ---- downloads as the browser takes them ---------------------------------------------------------
def _managers() -> list[MediaFileManager]:
    return [o for o in gc.get_objects() if isinstance(o, MediaFileManager)]


def _settle_downloads() -> None:
    """Wait for the expiry timers earlier clicks started (ui.audit_export): they drop deferred files
    no session shows, and would otherwise race this test's fetches."""
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.join(timeout=10)


def _fetch(button) -> bytes:
    """The bytes a browser gets for a download button: the media URL of an eager file, or, for a
    deferred one, what Streamlit's DeferredFileHandler answers to the browser's backend request
    (MediaFileManager.execute_deferred, outside any script run, hence outside page_setup)."""
    file_id = button.proto.deferred_file_id
    if not file_id:
        eager = button.proto.url.rsplit("/", 1)[-1].split(".")[0]
        for manager in _managers():
            try:
                return manager._storage.get_file(eager).content
            except Exception:  # noqa: BLE001 - another AppTest's manager
                continue
        raise AssertionError(f"no stored file behind {button.key}")
    for manager in _managers():
        if file_id in manager._deferred_callables:
            url = manager.execute_deferred(file_id)
            return manager._storage.get_file(url.rsplit("/", 1)[-1].split(".")[0]).content
    raise LookupError(f"no deferred file behind {button.key}")  # what the handler answers: not found


def _text(data: bytes) -> str:
    if data[:2] == b"PK":  # xlsx: every cell's text
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for c in row if c is not None)
    return data.decode("utf-8-sig")


ROW_EXPORT_KEYS = {"register_export_csv", "register_export_xlsx", "iss_export_csv", "iss_export_xlsx",
                   "exp_dl_rows"}


def _executive_sessions():
    ref = _complaint_with_contact("行导出 exec-export")
    register = _as("pages/2_Complaint_Register.py", "exec1", roles=["staff"], reg_open_ref=ref)
    issues = _as("pages/4_Issues.py", "exec1", roles=["staff"], iss_open_ref=_issue_with_a_raiser_phone())
    explore_complaints = _as("pages/7_Explore.py", "exec1", roles=["admin"], exp_dataset="complaints")
    explore_surveys = _as("pages/7_Explore.py", "exec1", roles=["admin"], exp_dataset="surveys")
    return {"register": register, "issues": issues, "explore_complaints": explore_complaints,
            "explore_surveys": explore_surveys, "complaints": _as("pages/1_Complaints.py", "exec1", roles=["staff"]),
            "surveys": _as("pages/6_Surveys.py", "exec1", roles=["staff"]),
            "overview": _as("app.py", "exec1", roles=["staff"])}


def test_executives_get_no_row_export_on_any_page_and_no_file_they_can_fetch_holds_personal_data():
    """Every download an executive's page offers (a forged staff/admin role in the session) is fetched
    as the browser would: none is a row export, none carries a phone number or a complainant name."""
    _settle_downloads()
    staff = app("pages/2_Complaint_Register.py", "staff1").run()  # control: the same check sees staff exports
    assert {"register_export_csv", "register_export_xlsx"} <= {b.key for b in staff.get("download_button")}
    assert PHONE.search(_text(_fetch(next(b for b in staff.get("download_button")
                                          if b.key == "register_export_csv"))))
    offered = {}
    for name, at in _executive_sessions().items():
        at.run()
        assert not at.exception, (name, at.exception)
        buttons = list(at.get("download_button"))
        offered[name] = {b.key for b in buttons}
        for button in buttons:  # first what the server hands out, whatever the page shows ...
            try:
                text = _text(_fetch(button))
            except Exception as exc:  # noqa: BLE001 - a refused deferred file is a refusal
                assert "err_forbidden_action" in repr(exc.__cause__ or exc), (name, button.key, exc)
                continue
            assert not PHONE.search(text), (name, button.key)
            assert "司马光明" not in text and "complainant" not in text, (name, button.key)
        assert not offered[name] & ROW_EXPORT_KEYS, (name, offered[name])  # ... then no row export at all
    assert {"exp_dl_csv", "exp_dl_xlsx"} <= offered["explore_complaints"]  # aggregates are offered


def test_a_staff_row_export_taken_through_the_page_is_audited_with_its_rows():
    _settle_downloads()
    at = app("pages/2_Complaint_Register.py", "staff1").run()
    before = len(_audit("export", "staff1"))
    button = next(b for b in at.get("download_button") if b.key == "register_export_xlsx")
    data = _fetch(button)  # the browser fetches the deferred file, then reruns with the click
    button.click().run()
    assert not at.exception, at.exception
    logged = _audit("export", "staff1")[before:]
    assert [entity for entity, _, _ in logged] == ["complaint"]  # one export, one entry
    from openpyxl import load_workbook

    # two header rows: the labels, then the codes (#23 item 10)
    rows = load_workbook(io.BytesIO(data), read_only=True).worksheets[0].max_row - 2
    assert json.loads(logged[0][2]) == {"format": "xlsx", "rows": rows} and rows > 0


def test_an_aggregate_download_taken_through_the_page_is_audited():
    at = app("pages/1_Complaints.py", "exec1").run()
    before = len(_audit("export", "exec1"))
    next(b for b in at.get("download_button") if b.key == "complaints_channel_dl").click().run()
    assert not at.exception, at.exception
    assert [e for e, _, _ in _audit("export", "exec1")[before:]] == ["complaints_by_channel"]


def test_a_row_export_fetched_without_the_click_rerun_is_still_audited():
    _settle_downloads()
    at = app("pages/2_Complaint_Register.py", "staff1").run()
    before = len(_audit("export", "staff1"))
    data = _fetch(next(b for b in at.get("download_button") if b.key == "register_export_csv"))
    assert PHONE.search(_text(data))  # full personal data left the server
    assert len(_audit("export", "staff1")) == before + 1


def test_a_row_export_drawn_before_the_account_was_disabled_is_refused_after():
    _settle_downloads()
    _new_user("rp_leaver", "staff")
    at = _as("pages/2_Complaint_Register.py", "rp_leaver", roles=["staff"]).run()
    button = next(b for b in at.get("download_button") if b.key == "register_export_csv")
    time.sleep(0.05)
    with session_scope(_engine()) as session:
        users.set_active(session=session, username="rp_leaver", active=False, actor="admin1")
    try:
        data = _fetch(button)
    except (MediaFileStorageError, LookupError):  # refused: the protection holds
        return
    assert not PHONE.search(_text(data)), "a disabled account fetched every complaint with full phone numbers"


# ---- administration ----------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["exec1", "staff1"])
def test_the_admin_page_refuses_executives_and_staff_whose_session_claims_admin(username):
    """The role comes from the database: an admin role in the session, and admin widget values sent
    for a page that never drew them, change nothing."""
    at = _as("pages/9_Admin.py", username, roles=["admin"], admin_new_username="rp_intruder",
             admin_new_fullname="x", admin_new_password="intruder-pass-1")
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [FORBIDDEN]
    assert not at.dataframe and not _form_ids(at) and not at.get("data_editor")
    assert not {k for k in _keys(at) if k.startswith("admin_")}
    with session_scope(_engine(), readonly=True) as session:
        assert users.get_user(session=session, username="rp_intruder") is None
    assert at.session_state["roles"] != ["admin"]  # overwritten from the database
    admin = app("pages/9_Admin.py", "admin1").run()  # control: the same checks see the admin's page
    assert {"admin_add_form", "admin_edit_form", "admin_sla_form"} <= _form_ids(admin)


# ---- writes ------------------------------------------------------------------------------------
def test_executives_get_no_write_form_or_import_on_any_page_even_claiming_staff():
    ref = _complaint_with_contact("只读 exec-forms")
    pages = {
        "register": ("pages/2_Complaint_Register.py", {"reg_open_ref": ref}, {"reg_new_form", "reg_act_form"},
                     {"reg_reveal"}),
        "issues_detail": ("pages/4_Issues.py", {"iss_open_ref": _issue_with_a_raiser_phone()},
                          {"iss_new_form", "iss_act_form"}, {"iss_reveal"}),
        "issues_list": ("pages/4_Issues.py", {}, {"iss_new_form"}, {"supervisor_issues_upload"}),
        "supervisors": ("pages/3_Supervisors.py", {}, {"sup_new_form", "act_new_form"},
                        {"sup_reveal_phones", "supervisors_upload", "supervision_activities_upload"}),
        "listening": ("pages/5_Listening.py", {}, set(),
                      {"lis_new_query", "employees_upload", "listening_upload"}),
        "complaints": ("pages/1_Complaints.py", {}, set(), {"complaints_upload"}),
        "surveys": ("pages/6_Surveys.py", {}, set(), {"survey_upload"}),
    }
    for name, (script, state, forms, keys) in pages.items():
        staff = _as(script, "staff1", roles=["staff"], **state).run()  # control: staff get all of them
        assert not staff.exception, (name, staff.exception)
        assert forms <= _form_ids(staff) and keys <= _keys(staff), (name, _form_ids(staff), keys - _keys(staff))
        boss = _as(script, "exec1", roles=["staff"], **state).run()
        assert not boss.exception, (name, boss.exception)
        assert not _form_ids(boss), (name, _form_ids(boss))
        assert not keys & _keys(boss) and not boss.get("file_uploader"), (name, keys & _keys(boss))


def test_a_forged_reveal_in_an_executive_session_shows_nothing_unmasked():
    """The reveal state a staff member's click would leave, set in an executive's session: still masked."""
    ref = _complaint_with_contact("揭示 forged-reveal")
    with session_scope(_engine()) as session:  # the old and new phone are in the history too
        complaint_service.update(ref, {"complainant_phone": "13933334444"}, session=session, actor="staff1",
                                 version=None)
    at = _as("pages/2_Complaint_Register.py", "exec1", roles=["staff"], reg_open_ref=ref, reg_revealed=ref).run()
    assert not at.exception, at.exception
    facts = [w.value for w in at.text_input if w.key and w.key.startswith("reg_fact_")]
    assert "139****4444" in facts and "13933334444" not in facts and "司马光明" not in facts
    history = at.dataframe[-1].value.to_csv()
    assert "138****2222" in history and "139****4444" in history and not PHONE.search(history)
    issue = _issue_with_a_raiser_phone()
    at = _as("pages/4_Issues.py", "exec1", roles=["staff"], iss_open_ref=issue, iss_revealed=issue).run()
    raisers = _with_phones(at)
    assert all("****" in p for p in raisers["联系电话"] if p)
    at = _as("pages/3_Supervisors.py", "exec1", roles=["staff"], sup_reveal_phones=True).run()
    registry = _with_phones(at)
    assert all("****" in p for p in registry["联系电话"] if p)
    assert not _audit("reveal_personal_data", "exec1")


def test_staff_reveal_supervisor_phones_on_an_issue_one_record_audited():
    issue = _issue_with_a_raiser_phone()
    at = _as("pages/4_Issues.py", "staff1", roles=["staff"], iss_open_ref=issue).run()
    raisers = _with_phones(at)
    phones = [p for p in raisers["联系电话"] if p]
    assert phones and all("****" in p for p in phones)  # masked until asked
    at.button(key="iss_reveal").click().run()
    assert not at.exception, at.exception
    raisers = _with_phones(at)
    assert any(PHONE.fullmatch(p) for p in raisers["联系电话"] if p)
    assert ("supervisor_issue", issue, None) in _audit("reveal_personal_data", "staff1")


REVOCATIONS = {
    "disabled": lambda s, u: users.set_active(session=s, username=u, active=False, actor="admin1"),
    "made_executive": lambda s, u: users.set_role(session=s, username=u, role="executive", actor="admin1"),
    "logged_out_elsewhere": lambda s, u: users.logout(session=s, username=u),
}


@pytest.mark.parametrize("change", list(REVOCATIONS))
def test_a_form_open_when_the_session_was_revoked_writes_nothing(change):
    username = f"rp_{change}"
    _new_user(username, "staff")
    ref = _complaint_with_contact(f"撤销 {change.replace('_', '-')}", assignee=username)
    at = _as("pages/2_Complaint_Register.py", username, roles=["staff"], reg_open_ref=ref).run()
    assert "reg_act_form" in _form_ids(at)
    at.text_area(key="reg_act_note").input("submitted after the account changed")
    time.sleep(0.05)
    with session_scope(_engine()) as session:
        REVOCATIONS[change](session, username)
    next(b for b in at.button if b.proto.form_id == "reg_act_form").click().run()
    assert at.session_state["authentication_status"] is None  # the run itself does end the session ...
    assert _events(ref) == [("create", username)]  # ... but the write must not have happened


# ---- saved views -------------------------------------------------------------------------------
def test_another_users_saved_view_of_the_same_name_is_never_opened_or_deleted():
    for username, dataset in (("staff1", "surveys"), ("admin1", "listening")):
        at = app("pages/7_Explore.py", username).run()
        at.selectbox(key="exp_dataset").set_value(dataset).run()
        at.text_input(key="exp_view_name").set_value("同名视图").run()
        at.button(key="exp_view_save").click().run()
        assert not at.exception, at.exception
    other = app("pages/7_Explore.py", "admin1").run()
    other.selectbox(key="exp_view_pick").set_value("同名视图").run()
    other.button(key="exp_view_open").click().run()
    assert other.selectbox(key="exp_dataset").value == "listening"  # the admin's own, not staff1's
    other.selectbox(key="exp_view_pick").set_value("同名视图").run()
    other.button(key="exp_view_delete").click().run()
    assert not other.exception, other.exception
    other.button(key="exp_view_delete_no").click().run()  # Cancel: still there, nothing deleted
    with session_scope(_engine(), readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(SavedView).where(SavedView.name == "同名视图")) == 2
    other.button(key="exp_view_delete").click().run()
    assert "确认删除视图“同名视图”？" in [w.value for w in other.warning]
    other.button(key="exp_view_delete_yes").click().run()
    assert not other.exception, other.exception
    with session_scope(_engine(), readonly=True) as session:
        left = session.execute(select(SavedView.username, func.count()).where(SavedView.name == "同名视图")
                               .group_by(SavedView.username)).all()
    assert left == [("staff1", 1)]
    mine = app("pages/7_Explore.py", "staff1").run()
    mine.selectbox(key="exp_view_pick").set_value("同名视图").run()
    mine.button(key="exp_view_open").click().run()
    assert mine.selectbox(key="exp_dataset").value == "surveys"


def test_an_executive_cannot_find_a_complaint_by_phone_even_claiming_staff():
    ref = _complaint_with_contact("电话检索 forged-search")
    for username, found in (("staff1", True), ("exec1", False)):
        at = _as("pages/2_Complaint_Register.py", username, roles=["staff"]).run()
        at.text_input(key="register_search").input("13811112222").run()
        assert (ref in list(at.dataframe[0].value["编号"])) is found, username


def _with_phones(at):
    """The table with a phone column (tables without a selection have no key under AppTest)."""
    return next(d.value for d in at.dataframe if "联系电话" in d.value.columns)


def _complaint_count() -> int:
    with session_scope(_engine(), readonly=True) as session:
        return session.scalar(select(func.count(Complaint.id)))


def test_a_log_form_value_forged_into_an_executive_session_creates_nothing():
    """The widget values of the "log a complaint" form, sent by an executive's browser for a form the
    page never drew, are dropped: no callback, no row."""
    before = _complaint_count()
    at = _as("pages/2_Complaint_Register.py", "exec1", roles=["staff"], reg_new_description="伪造",
             reg_new_name="伪造者", reg_new_phone="13900000000")
    at.run()
    assert not at.exception, at.exception
    assert _complaint_count() == before and not _audit("complaint_create", "exec1")
    with session_scope(_engine(), readonly=True) as session:
        assert not session.scalar(select(func.count(Complaint.id)).where(Complaint.description == "伪造"))
