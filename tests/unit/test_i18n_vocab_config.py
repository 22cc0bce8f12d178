"""Both languages complete, vocabulary look-ups, formatting, and the cookie-key rules."""
import os
import stat

import pytest

from lib import config
from lib.i18n import STRINGS, format_rate, t
from lib.pages import PAGES, may_open, menu_for
from lib.vocab import VOCABULARIES, label, lookup


def test_every_string_has_both_languages():
    for key, (zh, en) in STRINGS.items():
        assert zh.strip() and en.strip(), key
        if zh == en and not any(ch.isalpha() for ch in zh):
            continue  # a symbol both languages write alike ("%")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), f"{key} has no Chinese text"


def test_every_vocabulary_term_has_both_labels():
    for name, terms in VOCABULARIES.items():
        for code, term in terms.items():
            assert term.zh and term.en, (name, code)


@pytest.mark.parametrize(("vocab", "value", "code"), [
    ("channel", "热线", "hotline"), ("channel", " Hotline ", "hotline"), ("channel", "微信公众号", "wechat"),
    ("business_line", "住宅开发", "development"), ("business_line", "物业", "property_management"),
    ("touchpoint", "交付后半年", "delivery_6m"), ("complaint_status", "已归档", "closed"),
    ("channel", "电报", None),
])
def test_lookup_accepts_english_chinese_and_aliases(vocab, value, code):
    assert lookup(vocab, value) == code


def test_labels_and_formatting():
    assert label("channel", "forum", "zh") == "论坛"
    assert label("channel", "forum", "en") == "Forum"
    assert "15 min" in t("err_login_failed", "en", minutes=15)
    assert format_rate(None) == "—"
    assert format_rate(0.98765) == "98.8%"
    # A group with no severity comes back from pandas as NaN: it reads as missing, not "nan".
    assert label("severity", None, "zh") == label("severity", float("nan"), "en") == "—"


def test_menu_matches_spec_roles():
    assert [p.page_id for p in menu_for("executive")] == [p.page_id for p in PAGES if p.page_id != "admin"]
    assert "admin" in [p.page_id for p in menu_for("admin")]
    assert not may_open("staff", "admin")
    assert not may_open(None, "overview")
    assert {p.page_id for p in PAGES} >= {"overview", "admin"}


def test_cookie_key_generated_once_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("CRHQ_COOKIE_KEY", raising=False)
    path = tmp_path / ".cookie_key"
    first = config.cookie_key(key_file=path)
    assert len(first) >= 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert config.cookie_key(key_file=path) == first


@pytest.mark.parametrize("bad", ["some_key", "short", ""])
def test_placeholder_or_short_cookie_key_refused(monkeypatch, bad, tmp_path):
    monkeypatch.setenv("CRHQ_COOKIE_KEY", bad)
    with pytest.raises(config.ConfigError):
        config.cookie_key(key_file=tmp_path / "k")


def test_cookie_key_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CRHQ_COOKIE_KEY", "x" * 40)
    assert config.cookie_key(key_file=tmp_path / "k") == "x" * 40
    assert not (tmp_path / "k").exists()
