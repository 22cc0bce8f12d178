"""SPEC §15 segmentation: the domain user dictionary, stop words, terms and pairs, masked quotes, the tests."""
from __future__ import annotations

import math

import pytest

from lib.text import segment, topics
from lib.text.segment import Lexicon


@pytest.fixture(scope="module")
def shipped() -> Lexicon:
    return segment.shipped()


@pytest.mark.parametrize("text, without, with_dict", [
    # jieba's own dictionary has no 空鼓: it reads 有空 ("free time") and 时空 ("space-time") instead
    ("地面有空鼓现象", ["地面", "有空", "现象"], ["地面", "空鼓", "现象"]),
    ("交房时空鼓", ["交房", "时空"], ["交房", "空鼓"]),
])
def test_user_dictionary_makes_kongu_one_token(shipped, text, without, with_dict):
    bare = Lexicon((), shipped.stopwords)
    assert bare.tokens(text) == without
    assert shipped.tokens(text) == with_dict


@pytest.mark.parametrize("text, words", [
    ("卫生间渗水", ["卫生间", "渗水"]),
    ("物业费太贵", ["物业费", "太贵"]),
    ("车位不够", ["车位", "不够"]),
    ("楼上漏水", ["楼上", "漏水"]),
    ("电梯噪音大", ["电梯", "噪音"]),       # 大: one character, not a term
    ("保安的问题", ["保安"]),                # 的, 问题: stop words
])
def test_domain_words_and_stop_words(shipped, text, words):
    assert shipped.tokens(text) == words


def test_terms_are_distinct_words_and_adjacent_pairs(shipped):
    # 外墙 渗水 外墙 渗水 → words {外墙, 渗水}; pairs 外墙渗水, 渗水外墙 (each once)
    assert shipped.terms("外墙渗水，外墙渗水") == (["外墙", "渗水"], ["外墙渗水", "渗水外墙"])
    # a stop word between two words does not break the pair: 外墙 的 渗水 → 外墙渗水
    assert shipped.terms("外墙的渗水") == (["外墙", "渗水"], ["外墙渗水"])


def test_numbers_names_and_phones_are_never_terms(shipped):
    words, pairs = shipped.terms("张三丰家楼上漏水，联系13812345678，否则打12345", name="张三丰")
    assert "12345" in words                # the government hotline, standing alone, is a dictionary word
    assert not any("1381" in w or "5678" in w for w in words + pairs)   # no piece of the phone number
    assert not any("张三丰" in w for w in words + pairs)
    assert shipped.tokens("报修电话87654321") == ["报修", "电话"]
    # jieba would cut 138|12345|678 out of a phone number (12345 is a dictionary word): never a term
    assert shipped.tokens("联系13812345678") == ["联系"]


def test_admin_list_text_is_cleaned():
    assert segment.parse_entries("空鼓\n\n# comment\n  渗水   500 \n空鼓\n") == ("空鼓", "渗水 500")


def test_an_admin_word_joins_the_dictionary():
    base = Lexicon(("空鼓",), ())
    assert "墙皮起砂" not in base.tokens("墙皮起砂严重")
    assert "墙皮起砂" in Lexicon(("空鼓", "墙皮起砂"), ()).tokens("墙皮起砂严重")


def test_mask_quote():
    assert segment.mask_quote("张三丰说13812345678打不通，座机0755-12345678", ("张三丰",)) == \
        "张**说138****5678打不通，座机0755-****5678"
    assert segment.mask_quote(None) is None


def test_z_test_by_hand():
    # k1=12 of n1=24 now, k0=2 of n0=16 before: p1=.5, p0=.125, pooled=14/40=.35,
    # se=sqrt(.35·.65·(1/24+1/16))=sqrt(.2275·.1041667)=.153941, z=.375/.153941=2.43600,
    # one-sided p = 1-Φ(2.436) = .00742
    z, p = topics.z_test(12, 24, 2, 16)
    assert z == pytest.approx(0.375 / math.sqrt(0.35 * 0.65 * (1 / 24 + 1 / 16)), abs=1e-9)
    assert z == pytest.approx(2.43600, abs=1e-4)
    assert p == pytest.approx(0.5 * math.erfc(2.43600 / math.sqrt(2)), abs=1e-5)


def test_benjamini_hochberg_by_hand():
    # m=4, sorted p .001 .03 .035 .5; thresholds .0125 .025 .0375 .05: the largest rank under its
    # threshold is 3 (.035 ≤ .0375), so the first three pass although .03 > .025
    assert topics.benjamini_hochberg([0.5, 0.03, 0.001, 0.035], 0.05) == [False, True, True, True]
    assert topics.benjamini_hochberg([0.2, 0.3], 0.05) == [False, False]
