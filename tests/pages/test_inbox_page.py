"""Issue #24 (SPEC §12) in the running app (AppTest): the Inbox page stores a user's own subscriptions,
lists what `notify run` delivered to the user's inbox with the unread count in the sidebar, marks it read;
no complainant name or phone in it; only admins see the admin section; a company-scoped user's inbox holds
nothing of another company.

Two hand-built companies of their own (the seeded demo data stay as they are): complaints NTA1 (通知甲公司)
and NTB1 (通知乙公司), hotline, ordinary, received Tue 11 Mar 2031 09:00 → first response due Wed 12 Mar
09:00 (24 working hours), never answered: at 22:00 that day both breached 13 hours ago, inside the 24-hour
look-back, while every demo record lies years before (nothing of theirs is news then).
"""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from lib import scope
from lib.config import get_settings
from lib.db import make_engine, session_scope
from lib.models import Company, NotifyOutbox, NotifySubscription, Project
from lib.notify import engine as notify_engine
from lib.services import users
from lib.vocab import normalise_text
from tests.fixtures import complaint
from tests.pages.conftest import ROOT

NOW = datetime(2031, 3, 12, 22, 0)
NAME, PHONE = "通知测试张某某", "13700001111"
PEOPLE = {"nt_staff_a": ("staff", "company:通知甲公司"), "nt_staff_b": ("staff", "company:通知乙公司"),
          "nt_exec": ("executive", "group"), "nt_admin": ("admin", "group")}
PAGE = "pages/8_Inbox.py"


def _engine():
    return make_engine(get_settings().database_url)


@pytest.fixture(scope="module", autouse=True)
def notify_world(app_database):
    engine = _engine()
    with session_scope(engine) as s:
        for company, project, ref, owner in (("通知甲公司", "通知甲花园", "NTA1", "nt_staff_a"),
                                             ("通知乙公司", "通知乙华府", "NTB1", "nt_staff_b")):
            c = Company(name=company, city="测试城", region="测试片区")
            s.add(c)
            s.flush()
            p = Project(company_id=c.id, name=project, name_norm=normalise_text(project), city="测试城",
                        business_line="property_management")
            s.add(p)
            s.flush()
            complaint(s, p, ref, datetime(2031, 3, 11, 9), "hotline", "ordinary", True, "received", assignee=owner,
                      complainant_name=NAME, complainant_phone=PHONE, description=f"{NAME} {PHONE} 漏水")
        s.flush()
        for username, (role, text) in PEOPLE.items():
            users.add_user(session=s, username=username, role=role, name=username, password="notify-pass-1",
                           scope=scope.parse(text))
    yield engine
    engine.dispose()


def app(username: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(PAGE)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["name"] = username
    at.session_state["roles"] = [PEOPLE[username][0]]  # role and scope come from the database
    at.session_state["crhq_lang"] = "zh"
    return at.run()


def _sidebar_links(at) -> list[str]:
    return [link.label for link in at.sidebar.get("page_link")]


def _unread_label(at) -> str | None:
    found = [label for label in _sidebar_links(at) if label.startswith("通知（") and "未读" in label]
    return found[0] if found else None


def _texts(at) -> str:
    parts = [str(e.value) for e in (*at.markdown, *at.caption, *at.subheader, *at.info, *at.success)]
    parts += [frame.value.to_csv() for frame in at.dataframe]
    return "\n".join(parts)


def _inbox_table(at):
    (table,) = [d.value for d in at.dataframe if "内容" in d.value.columns]  # the list, not the settings editor
    return table


def _stored(username: str) -> set[tuple[str, str, bool]]:
    with session_scope(_engine(), readonly=True) as s:
        return {(r.event, r.channel, r.enabled) for r in s.scalars(
            select(NotifySubscription).where(NotifySubscription.username == username))}


def test_staff_turns_subscriptions_on_and_off_and_reads_the_breach_in_the_inbox(notify_world):
    at = app("nt_staff_a")
    assert not at.exception
    assert "通知与订阅" in [t.value for t in at.title]
    assert "暂无通知。" in [i.value for i in at.info]
    assert _unread_label(at) is None
    # The settings are labelled checkboxes, one per event × channel, in a form (no canvas grid).
    assert not at.data_editor
    breach_mail, kpi_inbox = at.checkbox(key="inbox_sub_sla_breached_email"), at.checkbox(key="inbox_sub_kpi_red_inbox")
    assert breach_mail.label == "邮件" and kpi_inbox.label == "站内通知"
    assert breach_mail.value and not kpi_inbox.value  # staff defaults: breaches by mail, no KPI notices
    assert at.checkbox(key="inbox_sub_sla_breached_inbox").value
    # Off: breaches by e-mail (a staff default); on: KPI notices (kpi_red) in the inbox.
    breach_mail.uncheck()
    kpi_inbox.check()
    at.button(key="inbox_subs_save").click().run()
    assert not at.exception
    assert _stored("nt_staff_a") == {("sla_breached", "email", False), ("kpi_red", "inbox", True)}
    assert "已保存 2 项更改。" in [s.value for s in at.success]

    # notify run at 22:00 on 12 March 2031: NTA1's breach reaches its owner's inbox (still on), not by mail.
    notify_engine.run_once(notify_world, now=NOW)
    with session_scope(notify_world, readonly=True) as s:
        mine = list(s.scalars(select(NotifyOutbox).where(NotifyOutbox.recipient == "nt_staff_a")))
    assert {(r.event, r.channel, r.status) for r in mine if r.record_key.startswith("NTA1")} == \
        {("sla_breached", "inbox", "sent")}
    at = app("nt_staff_a")
    assert not at.exception
    label = _unread_label(at)
    unread = len([r for r in mine if r.channel == "inbox" and r.status == "sent" and r.digest_id is None])
    assert label == f"通知（{unread} 条未读）" and unread >= 1
    listed = _inbox_table(at)
    assert any("NTA1" in s and "已超时" in s for s in listed["内容"])
    assert "NTB1" not in _texts(at)  # 通知乙公司's breach went to its own staff only
    for text in (_texts(at), *(r.subject + r.body for r in mine)):
        assert NAME not in text and PHONE not in text and "漏水" not in text
    # Mark all as read: the sidebar count goes away.
    at.button(key="inbox_mark_read").click().run()
    assert not at.exception
    assert _unread_label(at) is None
    assert f"已将 {unread} 条标为已读。" in [s.value for s in at.success]
    assert bool(_inbox_table(at)["已读"].all())


def test_the_other_company_sees_only_its_own_item(notify_world):
    notify_engine.run_once(notify_world, now=NOW)  # nothing new if the first test ran; NTB1's breach else
    at = app("nt_staff_b")
    assert not at.exception
    assert _unread_label(at) is not None
    texts = _texts(at)
    assert "NTB1" in texts and "NTA1" not in texts and "通知甲公司" not in texts


def test_only_the_admin_sees_the_admin_section(notify_world):
    admin = "管理员：角色默认订阅、群机器人与发送失败"
    at = app("nt_exec")
    assert not at.exception
    assert "通知与订阅" in [t.value for t in at.title]
    assert admin not in [h.value for h in at.subheader]
    assert not [e for e in at.get("expander")]
    at = app("nt_admin")
    assert not at.exception
    assert admin in [h.value for h in at.subheader]


def _deliver_to_inbox(username: str, key: str) -> None:
    """One notification as `notify run` leaves it in a user's inbox (sent, unread)."""
    from lib.db import utcnow
    with session_scope(_engine()) as s:
        s.add(NotifyOutbox(event="sla_breached", record_key=key, recipient=username, channel="inbox", lang="zh",
                           subject=f"【已超时】{key}", body=key, link=None, status="sent", attempts=0,
                           next_attempt_at=NOW, created_at=utcnow(), sent_at=utcnow()))


def test_the_sidebar_count_is_reused_briefly_per_user_and_cleared_by_mark_read(notify_world, monkeypatch):
    """nt_exec's inbox: 1 unread (CACHE1). A second one (CACHE2) arriving within the reuse time is not
    counted yet (no query on that run); once the reuse time is over, 2; marking read clears the count at
    once (0, no link), however long the reuse time."""
    monkeypatch.setenv("CRHQ_UNREAD_TTL_SECONDS", "600")
    _deliver_to_inbox("nt_exec", "CACHE1")
    at = app("nt_exec")
    assert _unread_label(at) == "通知（1 条未读）"
    _deliver_to_inbox("nt_exec", "CACHE2")
    at.run()
    assert _unread_label(at) == "通知（1 条未读）"  # reused: 600 s have not passed
    monkeypatch.setenv("CRHQ_UNREAD_TTL_SECONDS", "0")
    at.run()
    assert _unread_label(at) == "通知（2 条未读）"
    monkeypatch.setenv("CRHQ_UNREAD_TTL_SECONDS", "600")
    at.button(key="inbox_mark_read").click().run()
    assert not at.exception
    assert _unread_label(at) is None
    # Another user signed in on the same browser session: counted for them, not nt_exec's reused 0.
    _deliver_to_inbox("nt_admin", "CACHE3")
    at.session_state["username"] = at.session_state["name"] = "nt_admin"
    at.session_state["roles"] = ["admin"]
    at.run()
    assert not at.exception
    assert _unread_label(at) is not None
