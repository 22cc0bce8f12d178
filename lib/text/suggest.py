"""Category suggestion (issue #26): the most likely complaint category from the description's words.

A logistic regression over the words in the term store plus their characters and in-word character pairs
(a word the segmenter cut differently, 漏水 / 渗漏水, still shares its pieces), trained on the latest
complaints that have a category (their terms are already there: nothing is re-segmented). On 170
hand-written complaints (tests/corpus/realistic_complaints.csv, each held back once in 5 folds) it was
right for 124 (72.9%), the naive Bayes over words it replaced for 99 (58.2%) (docs/TEXT.md). Trained lazily, at the first
suggestion, and kept per process for the database while its word lists are the same and fewer new
records than `RETRAIN_SHARE` of its training set have been indexed since (a retrain costs up to ~3 s at
20,000 records: not after every complaint logged). A suggestion is only a suggestion: the form shows it
for the user to take, an import marks it.
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
RETRAIN_SHARE = 0.05  # train again once this share of new records has been indexed since the last training
C = 2.0  # inverse regularisation: 10 was 2 points better on the hand-written set but learnt single records by heart
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


def features(words: list[str]) -> list[str]:
    """A record's features: its words, the character pairs inside words of three or more characters, and
    its characters (marked apart, so the word 水 and the character 水 of 渗水 are different features)."""
    pairs = [w[j:j + 2] for w in words if len(w) > 2 for j in range(len(w) - 1)]
    return [*words, *("~" + p for p in pairs), *("'" + c for w in words for c in w)]


def train(docs: list[list[str]], labels: list[str]):
    """A fitted pipeline (features → tf-idf → logistic regression); None with too few records or one category."""
    if len(docs) < MIN_RECORDS or len(set(labels)) < 2:
        return None
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(analyzer=features, sublinear_tf=True),
                          LogisticRegression(C=C, max_iter=3000))
    model.fit(docs, labels)
    return model


def _latest_record(session: Session) -> int:
    """The highest complaint id in the term store (on the record index: one step)."""
    return session.scalar(select(func.max(_T.c.record_id)).where(_T.c.kind == "complaint")) or 0


def _indexed_since(session: Session, record_id: int) -> int:
    """Complaints indexed after `record_id` (a range of the record index holding only the new records)."""
    return session.scalar(select(func.count()).select_from(_T).where(
        _T.c.kind == "complaint", _T.c.record_id > record_id, _T.c.n == 0)) or 0


def model(*, session: Session):
    """The process's model for this database, trained now if there is none yet (or it had too little data),
    the word lists changed, or `RETRAIN_SHARE` of its training set in new records (at least `MIN_RECORDS`)
    have been indexed since it was trained. Edits of older records wait for that retraining."""
    lex = lexicon(session=session)
    key = session.get_bind().url.render_as_string(hide_password=True)
    words = hash((lex.userdict, lex.stopwords))
    with _lock:
        cached = _models.get(key)
    if cached is not None:
        (trained_words, latest, size), fitted = cached
        if (fitted is not None and trained_words == words
                and _indexed_since(session, latest) < max(MIN_RECORDS, RETRAIN_SHARE * size)):
            return fitted
    latest = _latest_record(session)
    _, docs, labels = _documents(session, where=[_T.c.record_id <= latest])
    fitted = train(docs, labels)
    with _lock:
        _models[key] = ((words, latest, len(docs)), fitted)
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
    """Accuracy on held-back records, `every` folds: in fold r the complaints whose id leaves remainder r
    when divided by `every` are held back, the model is trained on the others and asked for theirs; every
    record is held back once. Per category: how many were held back and how many of those were right."""
    ids, docs, labels = _documents(session, limit=limit)
    correct = held = 0
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in range(every):
        out = [k for k, record_id in enumerate(ids) if record_id % every == r]
        fitted = train([docs[k] for k in range(len(ids)) if ids[k] % every != r],
                       [labels[k] for k in range(len(ids)) if ids[k] % every != r])
        if fitted is None or not out:
            continue
        for k, guess in zip(out, predict(fitted, [docs[k] for k in out]), strict=True):
            right = guess is not None and guess.category == labels[k]
            held, correct = held + 1, correct + right
            per[labels[k]][0] += 1
            per[labels[k]][1] += right
    return {"records": len(ids), "folds": every, "held_back": held, "correct": correct,
            "accuracy": correct / held if held else None,
            "by_category": {c: {"held_back": n, "correct": k} for c, (n, k) in sorted(per.items())}}


def for_complaint(ref: str, *, session: Session) -> Suggestion | None:
    """The suggestion for a stored complaint's description, among the configured categories."""
    from lib.services import settings

    description = session.scalar(select(Complaint.description).where(Complaint.ref == ref))
    return suggest(description, session=session, allowed=settings.get("complaint_categories", session=session))
