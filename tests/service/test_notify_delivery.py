"""Delivery through real parts on loopback: an SMTP server (aiosmtpd) receives the mails, an HTTP server the
robot posts; a storm becomes one digest; a refused channel is retried with backoff, then failed."""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import threading
import urllib.parse
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lib import cli
from lib.config import get_settings
from lib.db import business_clock, session_scope
from lib.models import AuditLog, Complaint, Project
from lib.notify import channels, subscriptions
from lib.notify import engine as notify_engine
from lib.services.reports import bilingual
from tests.fixtures import complaint
from tests.service.test_notify_world import EVE, OCT1, free_port, outbox, scan_for_personal_data, smtp, world

__all__ = ["smtp"]  # the fixture, imported for these tests


def _cli_kpis(engine, monkeypatch, capsys, start: str, end: str, at=OCT1) -> dict:
    """The CLI's `kpi` as of the notify run's clock (`--now`): the run computes everything as of then."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        capsys.readouterr()
        with business_clock(at):
            assert cli.main(["kpi", "complaints", "--from", start, "--to", end]) == 0
        return json.loads(capsys.readouterr().out)["kpis"]
    finally:
        get_settings.cache_clear()


def test_monthly_report_mail_carries_the_workbook_with_the_cli_figures(engine, smtp, monkeypatch, capsys):
    world(engine)
    monkeypatch.setenv("CRHQ_NOTIFY_STORM", "1000")  # each KPI notice its own mail here
    result = notify_engine.run_once(engine, now=OCT1)
    assert result.failed == 0
    mails = smtp.parsed()
    reports = [(to, m) for to, m in mails if "2025-09" in m["Subject"] and ("月报" in m["Subject"]
                                                                          or "Monthly report" in m["Subject"])]
    by_to = {to[0]: m for to, m in reports}
    assert set(by_to) == {"boss@example.com", "bexec@example.com"}
    assert by_to["boss@example.com"]["Subject"] == "【月报】总部客户关系月报 2025-09"
    assert by_to["bexec@example.com"]["Subject"] == "[Monthly report] HQ customer-relations report 2025-09"
    boss = by_to["boss@example.com"]
    assert boss["To"] == "boss@example.com" and boss["From"] == "crhq@hq.example.com"
    text = boss.get_body(("plain",)).get_content()
    html = boss.get_body(("html",)).get_content()
    # September: 7 complaints, 1 resolved (BR1) → 14.3%, target 95% → off target; in both parts.
    assert "解决率：14.3%（目标 95.0%，未达标）" in text and "14.3%" in html
    attachments = list(boss.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["crhq-monthly-report-2025-09.xlsx"]
    wb = load_workbook(io.BytesIO(attachments[0].get_content()))
    summary = wb["概览 Summary"]
    shown = {row[1]: row[2] for row in summary.iter_rows(min_row=5, values_only=True) if row[1]}
    kpis = _cli_kpis(engine, monkeypatch, capsys, "2025-09-01", "2025-09-30")
    assert kpis["complaints"] == 7 and kpis["resolution_rate"] == pytest.approx(1 / 7)
    # As of the run's clock (1 Oct 09:00), not the real today: of September's complaints only BR1
    # (resolved in time) and BR2 (resolution due long ago) were due by then → on time 1 of 2 = 50%.
    assert kpis["resolution_on_time_rate"] == pytest.approx(1 / 2)
    for name in ("resolution_rate", "resolution_on_time_rate", "followup_satisfaction"):
        # Excel keeps 15 significant digits
        assert shown[bilingual(f"kpi_{name}")] == (None if kpis[name] is None else pytest.approx(kpis[name], rel=1e-13))
    # The B公司 executive's mail: B's own figures (1 of 3 resolved) in the body and in a workbook of B's
    # scope (SPEC §11), which names no other company.
    bexec = by_to["bexec@example.com"]
    assert "Resolution rate: 33.3% (target 95.0%, off target)" in bexec.get_body(("plain",)).get_content()
    (b_book,) = list(bexec.iter_attachments())
    wb_b = load_workbook(io.BytesIO(b_book.get_content()))
    b_shown = {row[1]: row[2] for row in wb_b["概览 Summary"].iter_rows(min_row=5, values_only=True) if row[1]}
    assert b_shown[bilingual("kpi_resolution_rate")] == pytest.approx(1 / 3)
    cells = [str(v) for ws in wb_b.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert any("B公司" in c for c in cells) and not any("A公司" in c for c in cells)
    # Every mail: plain and HTML parts, the recipient's language, no personal data; every send audited.
    raw = [raw.decode("utf-8", "replace") for _to, raw in smtp.accepted]
    scan_for_personal_data([m.get_body(("plain",)).get_content() + m["Subject"] for _to, m in mails] + raw)
    with session_scope(engine, readonly=True) as s:
        audited = s.scalar(select(AuditLog.id).where(AuditLog.action == "notify_sent").limit(1))
        n_audit = len(s.scalars(select(AuditLog.id).where(AuditLog.action == "notify_sent")).all())
    assert audited is not None and n_audit == result.sent - len([r for r in outbox(engine) if r.digest_id])


class Robot(BaseHTTPRequestHandler):
    posts: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Robot.posts.append((self.path, json.loads(body)))
        answer = {"code": 0, "msg": "success"} if self.path.startswith("/feishu") else {"errcode": 0, "errmsg": "ok"}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def robots():
    Robot.posts = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", Robot.posts
    server.shutdown()


def test_robot_webhooks_receive_signed_posts_per_company_and_group(engine, robots):
    base, posts = robots
    world(engine)
    with session_scope(engine) as s:
        channels.set_hook("dingtalk", "A公司", f"{base}/dingtalk/robot/send?access_token=tokA", "SECa1b2", session=s,
                          actor="test")
        channels.set_hook("wecom", None, f"{base}/wecom/webhook/send?key=g1", None, session=s, actor="test")
        channels.set_hook("feishu", "B公司", f"{base}/feishu/hook/abc", "fs-secret", session=s, actor="test")
        subscriptions.set_subscription("wang", "sla_breached", "dingtalk", True, session=s, actor="test")
        subscriptions.set_subscription("li", "sla_breached", "dingtalk", True, session=s, actor="test")
        subscriptions.set_subscription("hq", "escalated", "wecom", True, session=s, actor="test")
        subscriptions.set_subscription("hq", "escalated", "feishu", True, session=s, actor="test")
    result = notify_engine.run_once(engine, now=EVE)
    assert result.failed == 0
    ding = [(p, b) for p, b in posts if p.startswith("/dingtalk")]
    # B1's breach: li and wang both subscribed, one post to A公司's robot.
    assert len(ding) == 1
    path, body = ding[0]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    assert query["access_token"] == ["tokA"]
    ts = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(b"SECa1b2", f"{ts}\nSECa1b2".encode(), hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected]  # parse_qs undid the URL-encoding of the + / = in it
    assert body["msgtype"] == "markdown" and "B1" in body["markdown"]["title"]
    assert "已超时" in body["markdown"]["title"] and "[Breached]" in body["markdown"]["title"]  # both languages
    # E1 (A公司, no wecom robot of its own) → the group's WeCom robot; U1 (B公司) → B's Feishu robot and the
    # group's WeCom robot (B has no WeCom robot).
    wecom = [b["markdown"]["content"] for p, b in posts if p.startswith("/wecom")]
    assert len(wecom) == 2 and any("E1" in c for c in wecom) and any("U1" in c for c in wecom)
    feishu = [b for p, b in posts if p.startswith("/feishu")]
    assert len(feishu) == 1 and "U1" in feishu[0]["content"]["text"]
    fts = feishu[0]["timestamp"]
    assert feishu[0]["sign"] == base64.b64encode(hmac.new(f"{fts}\nfs-secret".encode(), b"", hashlib.sha256).digest()).decode()
    scan_for_personal_data([json.dumps(b, ensure_ascii=False) for _p, b in posts])
    # A second run posts nothing again.
    n = len(posts)
    notify_engine.run_once(engine, now=EVE + timedelta(minutes=1))
    assert len(posts) == n


def test_a_storm_of_breaches_is_one_digest_per_recipient(engine, smtp):
    world(engine)
    with session_scope(engine) as s:
        p1 = s.scalar(select(Project).where(Project.name == "深圳花园"))
        # 300 complaints received Mon 29 Sep 10:00–14:59 → first responses due 30 Sep 10:00–14:59: all breached
        # by 22:00 and inside the 24-hour look-back.
        from datetime import datetime
        for i in range(300):
            complaint(s, p1, f"S{i:03d}", datetime(2025, 9, 29, 10) + timedelta(minutes=i), "hotline", "ordinary",
                      True, "received")
    result = notify_engine.run_once(engine, now=EVE)
    assert result.failed == 0
    to_wang = [m for to, m in smtp.parsed() if to == ["wang@example.com"]]
    # wang (A公司 staff) hears of 300 breaches, B1's, H1's due soon, E1's escalation, the supervisor issue I1
    # due tomorrow, and (issue #26) the group complaint the 300 make (one project and category within 72 h):
    # 305 items, one mail listing 50 of them.
    assert len(to_wang) == 1
    assert to_wang[0]["Subject"] == "【通知汇总】305 条通知"
    assert "……另有 255 条" in to_wang[0].get_body(("plain",)).get_content()
    inbox = [r for r in outbox(engine, recipient="wang", channel="inbox")]
    heads = [r for r in inbox if r.digest_id is None]
    assert len(heads) == 1 and all(r.status == "sent" for r in inbox)
    assert {r.digest_id for r in inbox if r.digest_id} == {heads[0].id}


def test_a_refused_mail_is_retried_with_backoff_then_failed_and_shown(engine, monkeypatch):
    world(engine)
    monkeypatch.setenv("CRHQ_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CRHQ_SMTP_PORT", str(free_port()))  # nothing listens there
    monkeypatch.setenv("CRHQ_SMTP_STARTTLS", "0")
    monkeypatch.setenv("CRHQ_NOTIFY_STORM", "1000")
    first = notify_engine.run_once(engine, now=EVE)
    mails = [r for r in outbox(engine, channel="email")]
    assert first.failed == 0 and first.deferred == len(mails) > 0
    assert {r.attempts for r in mails} == {1}
    assert {r.next_attempt_at for r in mails} == {EVE + timedelta(minutes=1)}
    # Backoff 1, 4, 16, 64 minutes: a run before the next attempt is due tries nothing.
    at = EVE + timedelta(seconds=59)
    assert notify_engine.run_once(engine, now=at).failed == 0
    assert {r.attempts for r in outbox(engine, channel="email")} == {1}
    for attempt, wait in ((2, 1), (3, 4), (4, 16)):
        at = at + timedelta(minutes=wait)
        notify_engine.run_once(engine, now=at)
        assert {r.attempts for r in outbox(engine, channel="email")} == {attempt}
    last = notify_engine.run_once(engine, now=at + timedelta(minutes=64))
    # (By 23:26 H2 is 3.6 working hours from its due time: a new notice, queued and waiting for its 1st try.)
    assert last.failed == len(mails) and last.deferred == 1
    first_ids = {r.id for r in mails}
    assert {r.status for r in outbox(engine, channel="email") if r.id in first_ids} == {"failed"}
    from lib.notify import outbox as box
    with session_scope(engine, readonly=True) as s:
        shown = box.failed_frame(session=s)
        failures = s.scalars(select(AuditLog.entity_id).where(AuditLog.action == "notify_failed")).all()
    assert len(shown) == len(mails) and "ConnectionRefusedError" in shown["last_error"].iloc[0]
    assert len([f for f in failures if int(f) in first_ids]) == 5 * len(mails)  # every attempt audited


def test_two_overlapping_runs_send_each_mail_once(engine, smtp, monkeypatch):
    world(engine)
    monkeypatch.setenv("CRHQ_NOTIFY_STORM", "1000")
    results = []
    threads = [threading.Thread(target=lambda: results.append(notify_engine.run_once(engine, now=EVE)))
               for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    ids = [m["X-CRHQ-Outbox"] for _to, m in smtp.parsed()]
    assert len(ids) == len(set(ids)) == len(outbox(engine, channel="email"))
    assert sum(r.sent for r in results) == len(outbox(engine))
    with session_scope(engine, readonly=True) as s:
        assert s.scalar(select(Complaint.id).limit(1)) is not None
