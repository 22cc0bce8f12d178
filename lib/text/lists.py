"""The admin's word lists (user dictionary, stop words): validated, stored as settings, audited."""
from __future__ import annotations

import re

from sqlalchemy.orm import Session

from lib.errors import ValidationFailed
from lib.services import settings
from lib.text.segment import MAX_TERM, parse_entries, shipped_stopwords, shipped_userdict

MAX_ENTRIES = 20_000
_ENTRY = re.compile(rf"[^\s]{{1,{MAX_TERM}}}( [1-9][0-9]{{0,8}})?")


def current(*, session: Session) -> dict[str, object]:
    """The lists in force and whether each is the admin's (True) or the shipped file's (False)."""
    userdict = settings.get("text_userdict", session=session)
    stopwords = settings.get("text_stopwords", session=session)
    return {"userdict": list(userdict if userdict is not None else shipped_userdict()),
            "stopwords": list(stopwords if stopwords is not None else shipped_stopwords()),
            "custom": userdict is not None or stopwords is not None}


def _checked(text: str, *, words_only: bool) -> list[str]:
    entries = parse_entries(text)
    if len(entries) > MAX_ENTRIES:
        raise ValidationFailed("txt_err_too_many", max=MAX_ENTRIES)
    for entry in entries:
        if not _ENTRY.fullmatch(entry) or (words_only and " " in entry):
            raise ValidationFailed("txt_err_entry", entry=entry[:60])
    return list(entries)


def save(userdict_text: str, stopwords_text: str, *, session: Session, actor: str) -> None:
    """Both lists checked first, then stored together (each change audited as a setting change)."""
    userdict = _checked(userdict_text, words_only=False)
    stopwords = _checked(stopwords_text, words_only=True)
    settings.put("text_userdict", userdict, session=session, actor=actor)
    settings.put("text_stopwords", stopwords, session=session, actor=actor)


def reset(*, session: Session, actor: str) -> None:
    """Back to the shipped files (the settings hold None again; audited)."""
    settings.put("text_userdict", None, session=session, actor=actor)
    settings.put("text_stopwords", None, session=session, actor=actor)


def reindex_all(*, session: Session, actor: str) -> dict[str, int]:
    """Every record segmented again with the lists in force (audited: who, how many)."""
    from lib.services import audit
    from lib.text import index

    done = index.reindex(session=session)
    audit.record(session=session, actor=actor, action="text_reindex", entity="text_term", detail={"records": done})
    return done
