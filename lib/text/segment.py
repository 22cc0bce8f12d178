"""Offline Chinese segmentation of descriptions (SPEC §15) with jieba and the domain word lists.

jieba 0.42.1 ships its dictionary inside the package, so nothing is downloaded. One tokenizer per
process and user dictionary (`_tokenizer`, cached): building jieba's prefix dictionary takes about a
second, so it happens once, never per record or page view. The user dictionary and stop words are
data files beside this module; an admin may replace either list (settings `text_userdict`,
`text_stopwords`, stored in the database and audited), and the lists in force are passed in here.
"""
from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"
MAX_TERM = 40  # the term column's width: a longer "word" is noise (a URL, a serial number)
# A term worth counting: at least two characters, with a Chinese character or a letter in it, or a
# number the user dictionary names (12345, the government hotline).
_CJK_OR_LETTER = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_DIGITS = re.compile(r"\d+")


def _read_list(name: str) -> tuple[str, ...]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))


@functools.cache
def shipped_userdict() -> tuple[str, ...]:
    """The shipped user dictionary, one "word [frequency]" entry per item."""
    return _read_list("userdict.txt")


@functools.cache
def shipped_stopwords() -> tuple[str, ...]:
    return _read_list("stopwords.txt")


def parse_entries(text: str) -> tuple[str, ...]:
    """An admin's text (one entry a line, # comments) as a clean list; blank lines dropped, duplicates once."""
    seen: dict[str, None] = {}
    for line in text.splitlines():
        entry = " ".join(line.split())
        if entry and not entry.startswith("#"):
            seen.setdefault(entry, None)
    return tuple(seen)


def _word(entry: str) -> tuple[str, int | None]:
    parts = entry.split()
    freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    return parts[0], freq


@functools.lru_cache(maxsize=4)
def _tokenizer(userdict: tuple[str, ...]):
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for entry in userdict:
        word, freq = _word(entry)
        # A high enough frequency that jieba keeps the word whole against its own dictionary's splits.
        tokenizer.add_word(word, freq=max(freq or 0, 2000))
    return tokenizer


@dataclass(frozen=True)
class Lexicon:
    """The word lists in force: the user dictionary entries and the stop words."""
    userdict: tuple[str, ...]
    stopwords: tuple[str, ...]

    @functools.cached_property
    def _stop(self) -> frozenset[str]:
        return frozenset(self.stopwords)

    @functools.cached_property
    def _numbers(self) -> frozenset[str]:
        return frozenset(w for w, _ in map(_word, self.userdict) if not _CJK_OR_LETTER.search(w))

    def tokens(self, text: str | None, name: str | None = None) -> list[str]:
        """The kept words of `text` in order: stop words, punctuation, single characters and numbers
        left out. A number is kept only when it is a dictionary word standing alone (12345), never a
        part of a longer one (a phone number); words of `name` (the complainant's) are personal data."""
        if not text:
            return []
        text = _DIGITS.sub(lambda m: m.group() if m.group() in self._numbers else " ", text)
        name = (name or "").strip()
        words = _tokenizer(self.userdict).lcut(text, HMM=True)
        kept = []
        for word in words:
            word = word.strip()
            if (len(word) < 2 or len(word) > MAX_TERM or word in self._stop
                    or not (_CJK_OR_LETTER.search(word) or word in self._numbers)):
                continue
            if len(name) >= 2 and (word in name or name in word):
                continue
            kept.append(word.lower())
        return kept

    def terms(self, text: str | None, name: str | None = None) -> tuple[list[str], list[str]]:
        """(distinct words, distinct adjacent pairs) of `text`, each once, in order of appearance.
        A pair is two kept words next to each other once stop words are out (外墙 渗水 → 外墙渗水)."""
        words = self.tokens(text, name)
        pairs = [a + b for a, b in zip(words, words[1:], strict=False) if a != b and len(a + b) <= MAX_TERM]
        return list(dict.fromkeys(words)), list(dict.fromkeys(pairs))


def shipped() -> Lexicon:
    return Lexicon(shipped_userdict(), shipped_stopwords())


def lexicon(*, session) -> Lexicon:
    """The lists in force: the admin's (settings) where set, else the shipped files."""
    from lib.services import settings

    userdict = settings.get("text_userdict", session=session)
    stopwords = settings.get("text_stopwords", session=session)
    return Lexicon(tuple(userdict) if userdict is not None else shipped_userdict(),
                   tuple(stopwords) if stopwords is not None else shipped_stopwords())


_PHONE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)|(?<!\d)(\d{3,4}-?)(\d{3,4})(\d{4})(?!\d)")


def mask_quote(text: str | None, names: tuple[str, ...] = ()) -> str | None:
    """A description as quoted to someone who may not see personal data: phone numbers inside it
    (mobile 138****5678, landline 0755-****1234) and the given names (张**) masked."""
    if not text:
        return text
    from lib.privacy import mask_name

    def phone(match: re.Match) -> str:
        if match.group(1):
            return match.group(1) + "****" + match.group(3)
        return match.group(4) + "****" + match.group(6)

    out = _PHONE_IN_TEXT.sub(phone, text)
    for name in names:
        if name and len(name.strip()) >= 2:
            out = out.replace(name.strip(), mask_name(name))
    return out
