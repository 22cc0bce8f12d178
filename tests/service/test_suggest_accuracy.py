"""Category suggestion on realistic text (issue #26): 170 hand-written complaint descriptions in the words
owners use (tests/corpus/realistic_complaints.csv, 22 per category, 16 "other"; none of the demo's
phrases), each filed under the category a clerk would pick. Imported through the CLI as a user would, then
`text suggest-eval` holds back each fifth in turn (every record once) and asks the model trained on the
rest. Measured when the model was chosen: logistic regression 124 of 170 (72.9%); the naive Bayes over
words it replaced, on the same folds, 99 (58.2%); always guessing one category, 22 (12.9%)."""
from __future__ import annotations

import json
from pathlib import Path

from lib import cli, config

FIXTURE = Path(__file__).resolve().parents[1] / "corpus" / "realistic_complaints.csv"


def test_suggestion_accuracy_on_held_back_realistic_complaints(engine, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    try:
        assert cli.main(["import", "complaints", str(FIXTURE)]) == 0
        capsys.readouterr()
        assert cli.main(["text", "suggest-eval", "--every", "5"]) == 0
        result = json.loads(capsys.readouterr().out)
    finally:
        config.get_settings.cache_clear()
    assert result["records"] == 170 and result["held_back"] == 170
    # well above the naive Bayes it replaced (99) and far from chance (22); 124 when measured
    assert result["correct"] >= 115, result
    by = result["by_category"]
    assert sum(v["held_back"] for v in by.values()) == 170 and by["housing_quality"]["held_back"] == 22
    # every real category is recognised more often than not; "other" (questions, praise) is the hard one
    assert all(v["correct"] * 2 > v["held_back"] for c, v in by.items() if c != "other"), by
