"""Category suggestion (issue #26): the most likely complaint category from the description's words.

A multinomial naive Bayes over the words in the term store, trained on the latest complaints that have a
category (their terms are already there: nothing is re-segmented). Trained lazily, at the first
suggestion, and kept per process for the database and its data version (the store's highest row id and
the word lists): any write or re-index makes the next suggestion train again on the new data. A
suggestion is only a suggestion: the form shows it for the user to take, an import marks it.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.models import Complaint, TextTerm
from lib.text.segment import Lexicon, lexicon

TRAIN_LIMIT = 20_000  # the latest records: enough for ~10 categories, trained in well under a second
MIN_RECORDS = 20
_T = TextTerm.__table__
_lock = threading.Lock()
_models: dict[str, tuple[tuple, Any]] = {}


@dataclass(frozen=True)
class Suggestion:
    category: str
    probability: float


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _documents(session: Session, limit: int = TRAIN_LIMIT, where: list | None = None
               ) -> tuple[list[int], list[list[str]], list[str]]:
    """(record ids, word lists, categories) of the latest `limit` indexed complaints with a category."""
    latest = (select(_T.c.record_id).where(_T.c.kind == "complaint", _T.c.n == 0, _T.c.category.is_not(None),
                                           *(where or []))
              .order_by(_T.c.record_id.desc()).limit(limit)).subquery()
    rows = session.execute(select(_T.c.record_id, _T.c.category, _T.c.term)
                           .where(_T.c.kind == "complaint", _T.c.n == 1, _T.c.record_id.in_(select(latest.c.record_id)))
                           .order_by(_T.c.record_id))
    words: dict[int, list[str]] = defaultdict(list)
    category: dict[int, str] = {}
    for record_id, cat, term in rows:
        words[record_id].append(term)
        category[record_id] = cat
    ids = sorted(words)
    return ids, [words[i] for i in ids], [category[i] for i in ids]


def train(docs: list[list[str]], labels: list[str]):
    """A fitted pipeline (bag of words → naive Bayes); None with too few records or one category."""
    if len(docs) < MIN_RECORDS or len(set(labels)) < 2:
        return None
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(CountVectorizer(analyzer=_identity, binary=True), MultinomialNB(alpha=0.1))
    model.fit(docs, labels)
    return model


def _version(session: Session, lex: Lexicon) -> tuple:
    top = session.scalar(select(func.max(_T.c.id)).where(_T.c.kind == "complaint"))
    return (top, hash((lex.userdict, lex.stopwords)))


def model(*, session: Session):
    """The process's model for this database and data version, trained now if there is none yet."""
    lex = lexicon(session=session)
    key = session.get_bind().url.render_as_string(hide_password=True)
    version = _version(session, lex)
    with _lock:
        cached = _models.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
    _, docs, labels = _documents(session)
    fitted = train(docs, labels)
    with _lock:
        _models[key] = (version, fitted)
    return fitted


def predict(fitted, tokens_list: list[list[str]], allowed: list[str] | None = None) -> list[Suggestion | None]:
    """The best category for each word list (None for an empty one), among `allowed` when given."""
    out: list[Suggestion | None] = [None] * len(tokens_list)
    todo = [i for i, tokens in enumerate(tokens_list) if tokens]
    if fitted is None or not todo:
        return out
    classes = list(fitted.classes_)
    usable = [j for j, c in enumerate(classes) if allowed is None or c in allowed]
    if not usable:
        return out
    probabilities = fitted.predict_proba([tokens_list[i] for i in todo])
    for i, row in zip(todo, probabilities, strict=True):
        best = max(usable, key=lambda j: row[j])
        out[i] = Suggestion(classes[best], float(row[best]))
    return out


def suggest(description: str | None, *, session: Session, allowed: list[str] | None = None) -> Suggestion | None:
    """The suggested category of one description, or None (no words, or too little training data)."""
    tokens = lexicon(session=session).tokens(description)
    return predict(model(session=session), [tokens], allowed)[0] if tokens else None


def suggest_many(descriptions: list[str | None], *, session: Session, lex: Lexicon | None = None,
                 allowed: list[str] | None = None) -> list[Suggestion | None]:
    lex = lex or lexicon(session=session)
    return predict(model(session=session), [lex.tokens(d) for d in descriptions], allowed)


def evaluate(*, session: Session, every: int = 5, limit: int = TRAIN_LIMIT) -> dict[str, Any]:
    """Accuracy on held-back records: every `every`-th indexed complaint (by id) is held back, the model
    is trained on the others and asked for the held-back ones' categories."""
    ids, docs, labels = _documents(session, limit=limit)
    held = [k for k, record_id in enumerate(ids) if record_id % every == 0]
    kept = [k for k in range(len(ids)) if ids[k] % every != 0]
    fitted = train([docs[k] for k in kept], [labels[k] for k in kept])
    if fitted is None or not held:
        return {"trained_on": len(kept), "held_back": len(held), "correct": 0, "accuracy": None}
    guesses = predict(fitted, [docs[k] for k in held])
    correct = sum(1 for k, g in zip(held, guesses, strict=True) if g is not None and g.category == labels[k])
    return {"trained_on": len(kept), "held_back": len(held), "correct": correct, "accuracy": correct / len(held)}


def for_complaint(ref: str, *, session: Session) -> Suggestion | None:
    """The suggestion for a stored complaint's description, among the configured categories."""
    from lib.services import settings

    description = session.scalar(select(Complaint.description).where(Complaint.ref == ref))
    return suggest(description, session=session, allowed=settings.get("complaint_categories", session=session))
