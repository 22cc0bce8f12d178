"""Risk signals (issue #26, SPEC §15) on hand-built complaints with known answers, SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from lib.kpis.common import KpiFilter
from lib.models import Complaint
from lib.services import complaints as svc
from lib.services import phone_hash, signals
from lib.services.phone_hash import phone_key
from tests import fixtures
from tests.fixtures import org

T0 = datetime(2025, 3, 3, 9, 0)
MARCH = KpiFilter(date(2025, 3, 1), date(2025, 3, 31))
RULES = signals.Rules(group_min=5, window_hours=72, repeat_days=90, words=("媒体", "12345", "律师", "曝光"))


def complaint(session, project, ref, received, channel, severity, responsible, status, category="maintenance",
              **fields):
    """tests.fixtures.complaint with a category of our choice."""
    c = fixtures.complaint(session, project, ref, received, channel, severity, responsible, status, **fields)
    c.category = category
    return c


def _five(session, project, last: timedelta, category: str = "maintenance", prefix: str = "G") -> None:
    """Four complaints at T0, +1 h, +2 h, +3 h, and the fifth at T0 + `last`."""
    for i, offset in enumerate([timedelta(hours=h) for h in range(4)] + [last], start=1):
        complaint(session, project, f"{prefix}{i}", T0 + offset, "hotline", "ordinary", True, "received",
                  category=category, description="楼上漏水")
    session.flush()


def test_group_fires_at_the_fifth_within_72_hours(session):
    p1, _ = org(session)
    _five(session, p1, timedelta(hours=72))  # the fifth exactly 72 h after the first: within the window
    found = signals.group_complaints(MARCH, RULES, session=session)
    assert [(g.project, g.category, g.count, g.refs) for g in found] == [
        ("深圳花园", "maintenance", 5, ("G1", "G2", "G3", "G4", "G5"))]
    assert (found[0].first_at, found[0].last_at) == (T0, T0 + timedelta(hours=72))


def test_group_not_at_the_fourth(session):
    p1, _ = org(session)
    for i in range(4):
        complaint(session, p1, f"G{i}", T0 + timedelta(hours=i), "hotline", "ordinary", True, "received",
                  description="x")
    session.flush()
    assert signals.group_complaints(MARCH, RULES, session=session) == []


def test_group_not_when_the_fifth_is_a_minute_late(session):
    p1, _ = org(session)
    _five(session, p1, timedelta(hours=72, minutes=1))
    # G2..G5 span 71 h + 1 min but are only four; G1..G5 span 72 h 1 min > 72 h
    assert signals.group_complaints(MARCH, RULES, session=session) == []


def test_group_is_per_project_and_category_and_skips_void(session):
    p1, p2 = org(session)
    for i in range(3):
        complaint(session, p1, f"A{i}", T0 + timedelta(hours=i), "hotline", "ordinary", True, "received")
    for i in range(2):  # same times, other project: 3 + 2 is not 5 of one project
        complaint(session, p2, f"B{i}", T0 + timedelta(hours=i), "hotline", "ordinary", True, "received")
    for i in range(2):  # same project, other category
        complaint(session, p1, f"D{i}", T0 + timedelta(hours=i), "hotline", "ordinary", True, "received",
                  category="delivery")
    complaint(session, p1, "V1", T0 + timedelta(hours=5), "hotline", "ordinary", True, "void")
    complaint(session, p1, "A9", T0 + timedelta(hours=6), "hotline", "ordinary", True, "received")
    session.flush()
    # p1/maintenance counted: A0, A1, A2, A9 = 4 (V1 is void) → no signal
    assert signals.group_complaints(MARCH, RULES, session=session) == []


def test_group_cluster_grows_and_keeps_its_key(session):
    p1, _ = org(session)
    _five(session, p1, timedelta(hours=4))
    before = signals.group_complaints(MARCH, RULES, session=session)[0]
    complaint(session, p1, "G6", T0 + timedelta(hours=50), "hotline", "ordinary", True, "received")
    complaint(session, p1, "G7", T0 + timedelta(days=9), "hotline", "ordinary", True, "received")
    session.flush()
    after = signals.group_complaints(MARCH, RULES, session=session)
    # G6 at +50 h: G2..G6 span 49 h → fires, joins; G7 nine days later: alone
    assert [g.refs for g in after] == [("G1", "G2", "G3", "G4", "G5", "G6")]
    assert after[0].key == before.key == f"group:{p1.id}:maintenance:G1"


def test_group_fired_before_the_period_is_not_in_it(session):
    p1, _ = org(session)
    _five(session, p1, timedelta(hours=4))  # 3 March
    assert signals.group_complaints(KpiFilter(date(2025, 3, 4), date(2025, 3, 31)), RULES, session=session) == []
    # a period starting on the fifth's day sees it, with its earlier complaints
    assert signals.group_complaints(KpiFilter(date(2025, 3, 3), date(2025, 3, 3)), RULES,
                                    session=session)[0].count == 5


def test_of_two_waves_only_the_one_firing_in_the_period(session):
    p1, _ = org(session)
    _five(session, p1, timedelta(hours=4))  # first wave: 3 March 09:00–13:00
    for i in range(5):  # second wave: 20 March 09:00–13:00
        complaint(session, p1, f"W{i}", datetime(2025, 3, 20, 9) + timedelta(hours=i), "hotline", "ordinary", True,
                  "received")
    session.flush()
    found = signals.group_complaints(KpiFilter(date(2025, 3, 4), date(2025, 3, 31)), RULES, session=session)
    assert [g.refs for g in found] == [("W0", "W1", "W2", "W3", "W4")]


def test_group_respects_the_scope(session):
    p1, p2 = org(session)
    _five(session, p1, timedelta(hours=4))
    scoped = KpiFilter(MARCH.start, MARCH.end, scope_projects=(p2.id,))
    assert signals.group_complaints(scoped, RULES, session=session) == []


def test_rising_term_hook_groups_by_project_and_term(session):
    p1, _ = org(session)
    session.flush()
    hits = [("渗水", f"R{i}", p1.id, T0 + timedelta(hours=10 * i)) for i in range(5)]  # 0..40 h: within 72

    def source(flt, _session):
        assert flt.start == date(2025, 2, 25)  # widened by 72 h → 3 + 1 days before 1 March
        return hits

    found = signals.group_complaints(MARCH, RULES, session=session, terms=source)
    assert [(g.term, g.category, g.count, g.refs) for g in found] == [("渗水", None, 5, ("R0", "R1", "R2", "R3", "R4"))]


def test_clusters_pure():
    t = [T0 + timedelta(hours=h) for h in (0, 1, 2, 3, 4, 100, 101, 102, 103, 175)]
    # n=5: index 4 fires (0..4 within 4 h); 5..9: 103-... index 9 (175) - index 5 (100) = 75 h > 72 → no
    assert signals.clusters(t, 5, 72, T0) == [(0, 4)]
    assert signals.clusters(t, 4, 72, T0) == [(0, 4), (5, 8)]  # n=4: 0..3, 1..4 join; 5..8 within 3 h


# ---- repeat complainants -------------------------------------------------------------------

def test_hash_is_keyed_and_normalised():
    k1, k2 = phone_key(b"a" * 40), phone_key(b"b" * 40)
    assert phone_hash.phone_hash("13800138000", k1) != phone_hash.phone_hash("13800138000", k2)
    assert phone_hash.phone_hash("+86 138-0013-8000", k1) == phone_hash.phone_hash("13800138000", k1)
    assert phone_hash.phone_hash("", k1) is None and phone_hash.phone_hash(None, k1) is None
    assert len(phone_hash.phone_hash("13800138000", k1)) == 64


def test_create_and_update_store_the_hash_not_the_phone(session):
    p1, _ = org(session)
    session.flush()
    c = svc.create(svc.NewComplaint(received_at=T0, channel="hotline", project_id=p1.id, category="maintenance",
                                    responsible=True, severity="ordinary", description="漏水",
                                    complainant_phone="13800138000"), session=session, actor="t")
    stored = session.execute(select(Complaint.phone_hash).where(Complaint.id == c.id)).scalar_one()
    assert stored == phone_hash.phone_hash("13800138000") and "13800138000" not in stored
    svc.update(c.ref, {"complainant_phone": "13900139000"}, session=session, actor="t", version=None)
    session.flush()
    stored = session.execute(select(Complaint.phone_hash).where(Complaint.id == c.id)).scalar_one()
    assert stored == phone_hash.phone_hash("13900139000")
    # the history shows the phone change, never the hash
    _record, events = svc.detail(c.ref, session=session)
    assert "phone_hash" not in _record and stored not in " ".join(events["changes"].astype(str))


def _repeat(session, project, ref, at, phone, status="received"):
    complaint(session, project, ref, at, "hotline", "ordinary", True, status, complainant_phone=phone,
              phone_hash=phone_hash.phone_hash(phone), description="噪音")


def test_repeat_within_90_days_counted_per_household(session):
    p1, p2 = org(session)
    _repeat(session, p1, "H1", datetime(2025, 1, 10, 9), "13800000001")
    _repeat(session, p2, "H2", datetime(2025, 3, 5, 9), "138-0000-0001")   # 54 days later: a repeat in March
    _repeat(session, p1, "H3", datetime(2025, 3, 20, 9), "13800000001")    # again: same household
    _repeat(session, p1, "K1", datetime(2024, 11, 1, 9), "13800000002")
    _repeat(session, p1, "K2", datetime(2025, 3, 2, 9), "13800000002")     # 121 days: not a repeat
    _repeat(session, p1, "V1", datetime(2025, 3, 6, 9), "13800000003", status="void")
    _repeat(session, p1, "V2", datetime(2025, 3, 7, 9), "13800000003")     # the earlier one is void
    session.flush()
    found = signals.repeat_complainants(MARCH, RULES, session=session)
    assert [(f.household, f.refs, f.repeat_refs, f.projects) for f in found] == [
        (1, ("H1", "H2", "H3"), ("H2", "H3"), ("深圳花园", "广州华府"))]
    assert signals.compute(MARCH, session=session, rules_=RULES).as_json()["repeat_complainants"] == 1


def test_repeat_at_exactly_90_days(session):
    p1, _ = org(session)
    _repeat(session, p1, "E1", datetime(2024, 12, 5, 9), "13700000001")
    _repeat(session, p1, "E2", datetime(2025, 3, 5, 9), "13700000001")  # 5 Dec → 5 Mar = 26+31+28+2... = 90 days
    _repeat(session, p1, "F1", datetime(2024, 12, 5, 8, 59), "13700000002")
    _repeat(session, p1, "F2", datetime(2025, 3, 5, 9), "13700000002")  # 90 days and a minute
    session.flush()
    assert (datetime(2025, 3, 5) - datetime(2024, 12, 5)).days == 90
    assert [f.refs for f in signals.repeat_complainants(MARCH, RULES, session=session)] == [("E1", "E2")]


def test_hash_column_never_holds_the_phone(session):
    p1, _ = org(session)
    session.flush()
    svc.create(svc.NewComplaint(received_at=T0, channel="hotline", project_id=p1.id, category="maintenance",
                                responsible=True, severity="ordinary", description="漏水",
                                complainant_phone="13812345678"), session=session, actor="t")
    session.flush()
    hashed = session.execute(text("SELECT phone_hash FROM complaint")).scalars().all()
    assert hashed and all("13812345678" not in h and "12345678" not in h for h in hashed)


def test_rehash_with_another_key_changes_every_hash(session):
    p1, _ = org(session)
    _repeat(session, p1, "H1", T0, "13800000001")
    session.flush()
    before = session.execute(select(Complaint.phone_hash)).scalar_one()
    assert phone_hash.rehash(session=session, key=phone_key(b"z" * 40)) == 1
    after = session.execute(select(Complaint.phone_hash)).scalar_one()
    assert after != before and after == phone_hash.phone_hash("13800000001", phone_key(b"z" * 40))


# ---- exposure words ------------------------------------------------------------------------

def test_exposure_words_matched(session):
    p1, _ = org(session)
    complaint(session, p1, "X1", T0, "hotline", "ordinary", True, "received",
              description="再不处理我就找媒体曝光，张三 13812345678", complainant_name="张三",
              complainant_phone="13812345678")
    complaint(session, p1, "X2", T0 + timedelta(hours=1), "hotline", "ordinary", True, "received",
              description="已打12345热线")
    complaint(session, p1, "X3", T0 + timedelta(hours=2), "hotline", "ordinary", True, "received",
              description="联系电话 13812345678，漏水")  # 12345 inside a phone: not the hotline
    complaint(session, p1, "X4", T0 + timedelta(hours=3), "hotline", "ordinary", True, "void",
              description="找律师")
    session.flush()
    found = signals.exposure(MARCH, RULES, session=session)
    assert [(e.ref, e.words) for e in found] == [("X1", ("媒体", "曝光")), ("X2", ("12345",))]
    assert "张三" not in found[0].quote and "13812345678" not in found[0].quote
    assert "张*" in found[0].quote and "138****" in found[0].quote  # masked whole, then cut
    assert found[0].escalation_suggested


def test_rules_validated_whole(session):
    with pytest.raises(signals.ValidationFailed):
        signals.save_rules(session=session, actor="a", group_min=1, window_hours=72, repeat_days=90, words=["媒体"])
    with pytest.raises(signals.ValidationFailed):
        signals.save_rules(session=session, actor="a", group_min=5, window_hours=72, repeat_days=90, words=[])
    assert signals.rules(session=session).group_min == 5  # nothing stored
    saved = signals.save_rules(session=session, actor="a", group_min=3, window_hours=48, repeat_days=30,
                               words=signals.parse_words("媒体、律师\n曝光,媒体"))
    assert saved == signals.Rules(3, 48.0, 30, ("媒体", "律师", "曝光"))


# ---- CLI -----------------------------------------------------------------------------------

def test_cli_output_equals_hand_built(engine, monkeypatch, capsys):
    from lib import cli, config
    from lib.db import session_scope
    from lib.scope import parse
    from lib.services import users

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    try:
        with session_scope(engine) as session:
            p1, p2 = org(session)
            _five(session, p1, timedelta(hours=30))
            _repeat(session, p2, "H1", datetime(2025, 2, 1, 9), "13800000001")
            _repeat(session, p2, "H2", datetime(2025, 3, 10, 9), "13800000001")
            complaint(session, p2, "X1", datetime(2025, 3, 12, 10), "hotline", "ordinary", True, "received",
                      description="要找律师起诉", complainant_name="李四")
        assert cli.main(["signals", "--from", "2025-03-01", "--to", "2025-03-31"]) == 0
        out = json.loads(capsys.readouterr().out)
        with session_scope(engine) as session:
            users.add_user(session=session, username="bstaff", role="staff", name="B", password="b-pass-123456",
                           scope=parse("company:B公司"))
        # B公司's staff: the repeat (H1, H2) and X1 are at 广州华府 (B公司), the group at 深圳花园 (A公司)
        assert cli.main(["signals", "--from", "2025-03-01", "--to", "2025-03-31", "--as", "bstaff"]) == 0
        scoped = json.loads(capsys.readouterr().out)
        assert cli.main(["signals", "--from", "2025-03-01", "--to", "2025-03-31", "--as", "bstaff",
                         "--company", "A公司"]) == 2  # a filter outside the scope is refused
        assert "A公司" in capsys.readouterr().err
    finally:
        config.get_settings.cache_clear()
    assert out == {
        "group_complaints": [{"project": "深圳花园", "company": "A公司", "category": "maintenance", "count": 5,
                              "first_at": "2025-03-03T09:00:00", "last_at": "2025-03-04T15:00:00",  # T0 + 30 h
                              "refs": ["G1", "G2", "G3", "G4", "G5"]}],
        "repeat_complainants": 1,
        "exposure": [{"ref": "X1", "words": ["起诉", "律师"]}],  # in the default list's order
    }
    assert "李四" not in json.dumps(out, ensure_ascii=False) and "13800000001" not in json.dumps(out)
    assert scoped == {"group_complaints": [], "repeat_complainants": 1, "exposure": [{"ref": "X1", "words": ["起诉", "律师"]}]}


def test_repeat_complainant_across_two_imports(session):
    from lib.imports.complaints import import_complaints

    header = "ref,received_at,channel,company,city,project,category,description,complainant_phone\n"
    first = header + ("I1,2025-01-20 10:00,hotline,A公司,深圳,深圳花园,maintenance,电梯故障,13600000001\n"
                      "I2,2025-01-21 10:00,hotline,A公司,深圳,深圳花园,maintenance,门禁坏了,13600000002\n")
    # a month later, another file: the same owner again (written with a country code), another one new
    second = header + ("J1,2025-03-02 10:00,wechat,A公司,深圳,深圳花园,property_service,电梯又坏了,+86 136 0000 0001\n"
                       "J2,2025-03-03 10:00,wechat,A公司,深圳,深圳花园,property_service,噪音,13600000003\n")
    import_complaints(first.encode(), "a.csv", session=session, actor="t")
    assert signals.repeat_complainants(MARCH, RULES, session=session) == []
    import_complaints(second.encode(), "b.csv", session=session, actor="t")
    found = signals.repeat_complainants(MARCH, RULES, session=session)
    # I1 (20 Jan) → J1 (2 Mar): 11 + 28 + 2 = 41 days ≤ 90; I2 and J2 are other households
    assert [(f.refs, f.repeat_refs) for f in found] == [(("I1", "J1"), ("J1",))]
    stored = session.execute(select(Complaint.phone_hash).where(Complaint.ref.in_(["I1", "J1"]))).scalars().all()
    assert len(set(stored)) == 1 and "13600000001" not in stored[0]
    # an import that changes the phone moves the hash with it
    import_complaints((header + "J1,2025-03-02 10:00,wechat,A公司,深圳,深圳花园,property_service,电梯又坏了,"
                                "13600000009\n").encode(), "c.csv", session=session, actor="t")
    assert signals.repeat_complainants(MARCH, RULES, session=session) == []


def test_a_backup_from_before_0013_restores_with_the_hashes_filled(engine, tmp_path):
    """ADDITIVE 0013: a backup written at 0008 (no phone_hash column) restores here, hashes computed."""
    import hashlib
    import zipfile

    from lib.db import make_engine, session_scope
    from lib.schema import init_db
    from lib.services import backup

    source = make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    init_db(source)
    with session_scope(source) as s:
        p1, _ = org(s)
        _repeat(s, p1, "H1", T0, "13800000001")
    path, old = tmp_path / "new.backup", tmp_path / "old.backup"
    backup.backup(source, path)
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        files = {n: zf.read(n) for n in zf.namelist() if n.endswith(".jsonl")}
    info = manifest["tables"]["complaint"]
    drop = info["columns"].index("phone_hash")
    lines = [json.loads(line) for line in files["complaint.jsonl"].splitlines()]
    body = b"".join((json.dumps([v for i, v in enumerate(row) if i != drop], ensure_ascii=False,
                                separators=(",", ":")) + "\n").encode()
                    for row in lines)
    files["complaint.jsonl"] = body
    info["columns"].pop(drop)
    info["sha256"] = hashlib.sha256(body).hexdigest()
    manifest["revision"] = "0008"
    head = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
    with zipfile.ZipFile(old, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        zf.writestr("manifest.json", head)
        zf.writestr("manifest.sig", json.dumps(backup._signature(head, None)))
    init_db(engine)
    backup.restore(engine, old)
    with session_scope(engine) as s:
        assert s.execute(select(Complaint.phone_hash)).scalar_one() == phone_hash.phone_hash("13800000001")
    source.dispose()


# ---- notifications -------------------------------------------------------------------------

def test_risk_signal_notified_once_to_hq_and_the_scope(engine):
    from lib.db import session_scope
    from lib.models import NotifyOutbox, User
    from lib.notify import engine as notify_engine
    from lib.notify.subscriptions import set_subscription
    from lib.scope import parse

    now = datetime(2025, 3, 6, 12, 0)
    with session_scope(engine) as s:
        p1, p2 = org(s)
        for username, role, scope in (("hq", "staff", "group"), ("wang", "staff", "company:A公司"),
                                      ("zhao", "staff", "company:B公司"), ("boss", "executive", "group"),
                                      ("quiet", "staff", "group")):
            s.add(User(username=username, name=username, role=role, password_hash="-", active=True, language="zh",
                       scope=parse(scope).as_text()))
        s.flush()
        set_subscription("quiet", "risk_signal", "inbox", False, session=s, actor="t")
        _five(s, p1, timedelta(hours=5))  # a group complaint at 深圳花园 (A公司), G1..G5 on 3 March
        complaint(s, p1, "X1", datetime(2025, 3, 5, 10), "hotline", "ordinary", True, "received",
                  description="我要找记者曝光", complainant_name="王五", complainant_phone="13800000005",
                  assignee="wang")
    notify_engine.run_once(engine, now=now)
    notify_engine.run_once(engine, now=now + timedelta(hours=1))  # found again: nothing new

    with session_scope(engine, readonly=True) as s:
        rows = s.scalars(select(NotifyOutbox).where(NotifyOutbox.event == "risk_signal",
                                                    NotifyOutbox.channel == "inbox")).all()
        got = sorted((r.record_key, r.recipient) for r in rows)
        text_of = " ".join(r.subject + r.body for r in rows)
    p1_id = 1  # the first project org() writes
    # HQ staff (group scope) and A公司's staff; not B公司's, not the executive, not the one who unsubscribed
    assert got == [("exposure:X1", "hq"), ("exposure:X1", "wang"),
                   (f"group:{p1_id}:maintenance:G1", "hq"), (f"group:{p1_id}:maintenance:G1", "wang")]
    assert "王五" not in text_of and "13800000005" not in text_of and "记者曝光" not in text_of
    assert "曝光" in text_of and "G1, G2, G3, G4, G5" in text_of


def _rising_fixture(session, cats: list[str], description: str = "空鼓"):
    from lib.text import index as text_index

    p1, p2 = org(session)
    for i in range(20):
        complaint(session, p2, f"E{i}", datetime(2025, 2, 10, 9) + timedelta(hours=i), "hotline", "ordinary",
                  True, "received", description="电梯故障")
    for i in range(15):
        complaint(session, p2, f"F{i}", datetime(2025, 3, 10, 9) + timedelta(days=i), "hotline", "ordinary",
                  True, "received", description="电梯故障")
    for i, cat in enumerate(cats):
        complaint(session, p1, f"K{i}", T0 + timedelta(hours=i), "hotline", "ordinary", True, "received",
                  category=cat, description=description)
    session.flush()
    text_index.index("complaint", list(session.scalars(select(Complaint.id))), session=session)


def test_a_rising_word_group_is_not_repeated_when_it_is_a_category_group(session):
    # as below, but the five 空鼓 complaints share a category: one signal, the category's
    _rising_fixture(session, ["maintenance"] * 5)
    found = signals.compute(MARCH, session=session, rules_=RULES).group_complaints
    assert [(g.category, g.term, g.refs) for g in found] == [("maintenance", None, ("K0", "K1", "K2", "K3", "K4"))]


def test_a_group_sharing_a_rising_word_across_categories(session):
    """SPEC §15 "or sharing a rising term", through the term store (the default source).
    The widened period is 25 Feb – 31 Mar (35 days; the 72 h window reaches back 4 days), the one before
    it 21 Jan – 24 Feb. Before: 20 complaints "电梯故障". Now: 15 "电梯故障" in p2, a day apart (no 5 within
    72 h), and 5 "空鼓" in p1
    within 4 h, each of another category, so no project-and-category group. 空鼓: 5 of 20 records now,
    0 of 20 before: pooled 5/40, se = √(0.125·0.875·(1/20 + 1/20)) = 0.1046, z = 0.25/0.1046 = 2.39,
    p = 0.0084 ≤ 0.05·1/m for the m ≤ 4 words tested (电梯, 故障 fell from 20/20 to 15/20) → rising."""
    from lib.text import index as text_index

    p1, p2 = org(session)
    for i in range(20):
        complaint(session, p2, f"E{i}", datetime(2025, 2, 10, 9) + timedelta(hours=i), "hotline", "ordinary",
                  True, "received", description="电梯故障")
    for i in range(15):
        complaint(session, p2, f"F{i}", datetime(2025, 3, 10, 9) + timedelta(days=i), "hotline", "ordinary",
                  True, "received", description="电梯故障")
    cats = ["maintenance", "delivery", "decoration", "other", "housing_quality"]
    for i, cat in enumerate(cats):
        complaint(session, p1, f"K{i}", T0 + timedelta(hours=i), "hotline", "ordinary", True, "received",
                  category=cat, description="空鼓")
    session.flush()
    text_index.index("complaint", list(session.scalars(select(Complaint.id))), session=session)
    found = signals.compute(MARCH, session=session, rules_=RULES).group_complaints
    assert [(g.project, g.category, g.term, g.count, g.refs) for g in found] == [
        ("深圳花园", None, "空鼓", 5, ("K0", "K1", "K2", "K3", "K4"))]
    assert signals.compute(MARCH, session=session, rules_=RULES, terms=None).group_complaints == []
