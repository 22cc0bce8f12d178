"""Notifications: a small world with hand-worked due times, a real SMTP server on loopback, and who hears
of what (ownership and organisation scope). Other test_notify_* files use these helpers.

Due times (24 working hours for a first response; 2025: 1–8 October off, 28 Sep and 11 Oct worked):
- H1 received Tue 30 Sep 01:00 → 23 h left that day + 1 h on Thu 9 Oct: due 9 Oct 01:00. At 30 Sep 22:00
  that is 2 + 1 = 3 working hours away (eight calendar days): due soon (N = 4).
- H2 received 30 Sep 03:00 → due 9 Oct 03:00: 2 + 3 = 5 working hours away: not due soon.
- B1 received Mon 29 Sep 09:00 → due Tue 30 Sep 09:00, no response: breached 13 h before 22:00.
- E1 received 30 Sep 10:00, escalated to HQ at 21:00 (13:00 UTC); first response due 9 Oct 10:00 (12 h).
- U1 urgent, received 30 Sep 21:00 at B公司: new urgent; first response due 23:00 (1 calendar hour = 1
  working hour): due soon too.
- BR1 (resolved) and BR2 (in progress, due long ago) at B公司 in September; nothing new about them.
"""
from __future__ import annotations

import asyncio
import json
import threading
from datetime import date, datetime
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from lib.db import session_scope
from lib.local_server import free_port  # noqa: F401  (used here and by test_notify_delivery)
from lib.models import ComplaintEvent, NotifyOutbox, SupervisorIssue, User
from lib.notify import engine as notify_engine
from lib.scope import parse
from lib.services import targets
from tests.fixtures import complaint, org

NAMES = ("张三丰", "李秋水")
PHONES = ("13812345678", "13998765432")
EVE = datetime(2025, 9, 30, 22, 0)
OCT1 = datetime(2025, 10, 1, 9, 0)


def world(engine) -> None:
    with session_scope(engine) as s:
        p1, p2 = org(s)
        people = [("li", "staff", "group", "en"), ("wang", "staff", "company:A公司", "zh"),
                  ("hq", "staff", "group", "zh"), ("boss", "executive", "group", "zh"),
                  ("bexec", "executive", "company:B公司", "en"), ("root", "admin", "group", "zh")]
        for username, role, scope, lang in people:
            # Rows written directly: no bcrypt cost (accounts are tested elsewhere).
            s.add(User(username=username, name=username.upper(), role=role, password_hash="-", active=True,
                       language=lang, scope=parse(scope).as_text(), email=f"{username}@example.com"))
        pii = {"complainant_name": NAMES[0], "complainant_phone": PHONES[0],
               "description": f"{NAMES[1]} 电话 {PHONES[1]} 漏水"}
        complaint(s, p1, "H1", datetime(2025, 9, 30, 1), "hotline", "ordinary", True, "received", assignee="li", **pii)
        complaint(s, p1, "H2", datetime(2025, 9, 30, 3), "hotline", "ordinary", True, "received", **pii)
        complaint(s, p1, "B1", datetime(2025, 9, 29, 9), "hotline", "ordinary", True, "received", assignee="li", **pii)
        e1 = complaint(s, p1, "E1", datetime(2025, 9, 30, 10), "hotline", "ordinary", True, "in_progress",
                       escalation_level=1, **pii)
        complaint(s, p2, "U1", datetime(2025, 9, 30, 21), "wechat", "urgent", True, "received", **pii)
        complaint(s, p2, "BR1", datetime(2025, 9, 10, 10), "hotline", "ordinary", True, "resolved",
                  first_response_at=datetime(2025, 9, 10, 11), resolved_at=datetime(2025, 9, 11, 10), **pii)
        complaint(s, p2, "BR2", datetime(2025, 9, 12, 10), "hotline", "ordinary", True, "in_progress", **pii)
        s.flush()
        s.add(ComplaintEvent(complaint_id=e1.id, at=datetime(2025, 9, 30, 13), actor="hq", action="escalate",
                             changes=json.dumps({"escalation_level": ["0", "1"]})))
        for ref, due in (("I1", date(2025, 10, 1)), ("I2", date(2025, 10, 2))):
            s.add(SupervisorIssue(ref=ref, raised_on=date(2025, 9, 20), project_id=p1.id, category="delivery",
                                  description=f"{NAMES[0]} {PHONES[0]}", responsible_party="property",
                                  first_responder="li", due_on=due, status="in_progress"))
        targets.install_defaults(session=s, actor="test")


def outbox(engine, **where) -> list[NotifyOutbox]:
    with session_scope(engine, readonly=True) as s:
        q = select(NotifyOutbox).order_by(NotifyOutbox.id)
        for k, v in where.items():
            q = q.where(getattr(NotifyOutbox, k) == v)
        return list(s.scalars(q))


def keys(rows, channel="inbox") -> set[tuple[str, str, str]]:
    return {(r.event, r.record_key, r.recipient) for r in rows if r.channel == channel}


class Mailbox:
    """aiosmtpd handler: keeps every accepted message; can hold the n-th one unanswered (a send in flight)."""

    def __init__(self) -> None:
        self.accepted: list[tuple[list[str], bytes]] = []
        self.hold_at: int | None = None
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.hold_at is not None and len(self.accepted) + 1 == self.hold_at:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 sender went away"  # never accepted: the client died before our answer
        self.accepted.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"

    def parsed(self):
        return [(to, message_from_bytes(raw, policy=policy.default)) for to, raw in self.accepted]


@pytest.fixture
def smtp(monkeypatch):
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in (("CRHQ_SMTP_HOST", "127.0.0.1"), ("CRHQ_SMTP_PORT", str(port)), ("CRHQ_SMTP_STARTTLS", "0"),
                        ("CRHQ_MAIL_FROM", "crhq@hq.example.com")):
        monkeypatch.setenv(name, value)
    box.port = port
    yield box
    box.release.set()
    controller.stop()


def scan_for_personal_data(texts) -> None:
    for text in texts:
        for secret in (*NAMES, *PHONES, "漏水"):
            assert secret not in text, f"{secret!r} in an outbound message"


def test_record_events_reach_owners_scoped_staff_and_hq(engine):
    world(engine)
    result = notify_engine.run_once(engine, now=EVE)
    rows = outbox(engine)
    got = keys(rows)
    # H1: 3 working hours to its first response → owner li and A's staff wang; H2 (5 h) nobody.
    assert ("sla_due_soon", "H1:first_response:202510090100", "li") in got
    assert ("sla_due_soon", "H1:first_response:202510090100", "wang") in got
    assert not any(r[1].startswith("H2") for r in got)
    # B1: breached at 09:00 → li (owner) and wang; HQ staff hear of level-0 records only when escalated.
    assert {r[2] for r in got if r[:2] == ("sla_breached", "B1:first_response:202509300900")} == {"li", "wang"}
    # E1 escalated to HQ: A's staff and the group-scoped (HQ) staff, li among them; not executives (level 1).
    assert {r[2] for r in got if r[:2] == ("escalated", "E1:level1")} == {"wang", "hq", "li"}
    # U1 new urgent at B公司: HQ staff only (wang's scope is A公司).
    assert {r[2] for r in got if r[:2] == ("escalated", "U1:urgent")} == {"hq", "li"}
    # U1's first response (21:00 + 2 calendar hours = 23:00) is due soon, but B has no scoped staff or owner.
    assert not any(r[1].startswith("U1:first") for r in got)
    # Staff have e-mail on by default: the same items queued for mail, deferred while no SMTP server is set.
    assert keys(rows, "email") == {k for k in got if k[2] in ("li", "wang", "hq")}
    assert result.deferred == len([r for r in rows if r.channel == "email"])
    assert result.sent == len([r for r in rows if r.channel == "inbox"])
    # Subjects in the reader's language, hand-written.
    subject = {(r.record_key, r.recipient): r.subject for r in rows if r.channel == "inbox"}
    assert subject[("H1:first_response:202510090100", "li")] == \
        "[Due soon] Complaint H1: first response due 2025-10-09 01:00, 3.0 working hours left"
    assert subject[("H1:first_response:202510090100", "wang")] == \
        "【即将超时】投诉 H1：首次响应时限 2025-10-09 01:00，剩余 3.0 个工作小时"
    assert subject[("E1:level1", "hq")] == "【升级】投诉 E1 已升级至总部客服部"
    scan_for_personal_data([r.subject + r.body for r in rows])


def test_a_second_run_finds_the_same_events_and_sends_nothing_again(engine):
    world(engine)
    first = notify_engine.run_once(engine, now=EVE)
    again = notify_engine.run_once(engine, now=EVE.replace(minute=1))
    assert first.sent > 0 and again.sent == 0
    # The same record events again; the day's digest (li's) was evaluated once and is not again.
    assert again.evaluated == first.evaluated - 1


def test_kpi_under_amber_goes_to_the_executives_of_its_scope_and_the_digest_to_owners(engine):
    world(engine)
    notify_engine.run_once(engine, now=OCT1)
    rows = outbox(engine, channel="inbox")
    red = {(r.record_key, r.recipient) for r in rows if r.event == "kpi_red" and r.record_key.endswith(":resolution_rate")}
    # September resolution rate (target 95%, amber 3 points: red below 92%): A 0/4, B 1/3, group 1/7 — all red.
    # The group executive hears of all three; the B公司 executive of B only.
    assert red == {("2025-09:group:resolution_rate", "boss"), ("2025-09:A公司:resolution_rate", "boss"),
                   ("2025-09:B公司:resolution_rate", "boss"), ("2025-09:B公司:resolution_rate", "bexec")}
    by_key = {(r.record_key, r.recipient): r for r in rows if r.digest_id is None}
    bexec = by_key[("2025-09:B公司:resolution_rate", "bexec")]
    assert bexec.subject == "[Off target] 2025-09 B公司: Resolution rate 33.3% (target 95.0%)"
    # The daily digest at 09:00 (after 08:30): li's B1 first response (overdue since 30 Sep 09:00) and the
    # supervisor issue I1 due today; I2 (due tomorrow) is an issue_due notice instead.
    digest = by_key[("2025-10-01", "li")]
    assert digest.event == "daily_digest"
    assert digest.subject == "[Daily digest] 2025-10-01: 2 items due today or overdue"
    assert "Complaint B1" in digest.body and "Supervisor issue I1" in digest.body and "I2" not in digest.body
    assert {r.recipient for r in rows if r.event == "issue_due"} == {"li", "wang"}
    # Once a month, once a day: a later run adds no KPI, report or digest rows.
    before = len(outbox(engine))
    notify_engine.run_once(engine, now=OCT1.replace(hour=10))
    assert len(outbox(engine)) == before
    scan_for_personal_data([r.subject + r.body for r in outbox(engine)])


def test_no_digest_before_half_past_eight(engine):
    world(engine)
    notify_engine.run_once(engine, now=OCT1.replace(hour=8, minute=29))
    assert not [r for r in outbox(engine) if r.event == "daily_digest"]
    notify_engine.run_once(engine, now=OCT1.replace(hour=8, minute=30))
    assert {r.recipient for r in outbox(engine) if r.event == "daily_digest"} == {"li"}


def test_kpi_events_use_the_runs_clock_not_the_real_today(engine):
    """Supervisor KPIs as of --now: I1 (due 1 Oct) and I2 (due 2 Oct), both open and raised 20 Sep, are
    not yet late at 1 Oct 09:00, so September's on-time closure rate has no denominator (nothing due and
    unresolved before that day, nothing resolved): no value, no red notice. Read with the real today
    (years later) both would be late: 0 of 2 = 0%, red for the group and A公司. Their closure rate is
    0 of 2 raised = 0% (target 90%) either way: red."""
    world(engine)
    notify_engine.run_once(engine, now=OCT1)
    red = {r.record_key for r in outbox(engine, channel="inbox", recipient="boss") if r.event == "kpi_red"}
    assert {"2025-09:group:issue_closure_rate", "2025-09:A公司:issue_closure_rate"} <= red
    assert not [k for k in red if k.endswith(":on_time_closure_rate")]
