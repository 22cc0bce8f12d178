"""Notification messages, signatures and backoff: pure functions with hand-written expectations."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from datetime import timedelta

import pytest

from lib.i18n import STRINGS
from lib.notify import CHANNELS, EVENTS, channels, messages, outbox


def test_every_event_and_channel_has_both_languages():
    for key in [f"nt_ev_{e}" for e in EVENTS] + [f"nt_ch_{c}" for c in CHANNELS]:
        zh, en = STRINGS[key]
        assert zh and en and zh != en


@pytest.mark.parametrize("attempts, minutes", [(1, 1), (2, 4), (3, 16), (4, 64)])
def test_backoff_quadruples_from_one_minute(attempts, minutes):
    assert outbox.backoff(attempts) == timedelta(minutes=minutes)


def test_dingtalk_signature_as_its_documentation_computes_it():
    # secret "SEC123", timestamp 1700000000000: base64(HMAC-SHA256(secret, "1700000000000\nSEC123")), URL-encoded.
    raw = hmac.new(b"SEC123", b"1700000000000\nSEC123", hashlib.sha256).digest()
    assert channels.dingtalk_sign("SEC123", 1700000000000) == urllib.parse.quote_plus(base64.b64encode(raw).decode())


def test_dingtalk_request_carries_timestamp_and_sign_after_the_token():
    url, body = channels.webhook_request("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=t", "S",
                                         "标题", "a\nb")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert set(query) == {"access_token", "timestamp", "sign"}
    assert json.loads(body) == {"msgtype": "markdown", "markdown": {"title": "标题", "text": "### 标题\n\na\n\nb"}}


def test_rendered_subjects_in_each_language():
    p = {"record": "complaint", "ref": "TS1", "project": "深圳花园", "company": "A公司", "category": "maintenance",
         "severity": "urgent", "status": "received", "received": "2025-09-30 21:00", "kind": "resolution",
         "due": "2025-10-01 21:00"}
    assert messages.render("sla_breached", p, "zh")[0] == "【已超时】投诉 TS1：解决时限 2025-10-01 21:00 已过"
    subject, body = messages.render("sla_breached", p, "en")
    assert subject == "[Breached] Complaint TS1: resolution was due 2025-10-01 21:00"
    assert "Severity: Urgent" in body and "Category: Maintenance" in body


def test_kpi_figures_are_shown_as_a_reader_expects():
    assert messages.fmt_value("resolution_rate", 1 / 7) == "14.3%"
    assert messages.fmt_value("satisfaction_score", 81.25) == "81.2"
    assert messages.fmt_value("resolution_rate", None) == "—"


def test_html_part_escapes_text_and_links_addresses():
    html = messages.to_html("a<b", "x & y\nOpen: http://h/Issues?ref=1&x=2")
    assert "a&lt;b" in html and "x &amp; y" in html
    assert '<a href="http://h/Issues?ref=1&amp;x=2">' in html


def test_links_point_at_the_record_page(monkeypatch):
    monkeypatch.setenv("CRHQ_BASE_URL", "https://crhq.example.com/")
    assert messages.absolute("register?ref=TS1") == "https://crhq.example.com/Complaint_Register?ref=TS1"
    assert messages.absolute("overview") == "https://crhq.example.com/"


def test_a_storm_lists_fifty_and_counts_the_rest():
    subject, body = messages.storm([f"s{i}" for i in range(120)], "en")
    assert subject == "[Digest] 120 notifications"
    assert body.count("\n· ") == 50 and body.endswith("… and 70 more: see the Inbox page")
