"""Issue #23, numbers that mislead: survey groups carry yoy_change (item 15), the minimum sample per KPI
(item 1), partial periods (item 2) and the monthly report's like-with-like listening comparison (item 5)."""
from __future__ import annotations

import json
from datetime import date

import pytest

from lib import cli, config
from lib.db import session_scope
from lib.models import SurveyResponse, SurveyWave
from tests import fixtures

MARCH = ["--from", "2025-03-01", "--to", "2025-03-31"]


@pytest.fixture
def survey_db(engine, monkeypatch):
    """March 2025 against March 2024, scale 5 ((x − 1) × 25):
    A公司 delivery_1m: 2025 5, 4 (100, 75 → 87.5); 2024 3 (50).
    B公司 signing_6m: 2025 2 (25); 2024 4 (75). B公司 signing_1m: 2025 5 (100), nothing in 2024."""
    with session_scope(engine) as session:
        p1, p2 = fixtures.org(session)
        wave = SurveyWave(vendor="零点", method="phone")
        session.add(wave)
        session.flush()
        for i, (project, touchpoint, day, overall) in enumerate((
                (p1, "delivery_1m", date(2025, 3, 3), 5), (p1, "delivery_1m", date(2025, 3, 4), 4),
                (p1, "delivery_1m", date(2024, 3, 5), 3),
                (p2, "signing_6m", date(2025, 3, 6), 2), (p2, "signing_6m", date(2024, 3, 7), 4),
                (p2, "signing_1m", date(2025, 3, 8), 5))):
            session.add(SurveyResponse(wave_id=wave.id, respondent_key=f"k{i}", surveyed_on=day,
                                       project_id=project.id, touchpoint=touchpoint, scale=5, overall=overall))
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    yield engine
    config.get_settings.cache_clear()


def _kpi(capsys, *args: str) -> dict:
    assert cli.main(["kpi", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_survey_groups_carry_their_own_yoy_change(survey_db, capsys):
    by_company = {g["key"]: g["kpis"] for g in _kpi(capsys, "surveys", *MARCH, "--by", "company")["groups"]}
    assert by_company["A公司"]["satisfaction_score"] == pytest.approx(87.5)
    assert by_company["A公司"]["yoy_change"] == pytest.approx(87.5 - 50)
    # B: (25 + 100) / 2 = 62.5 against 75
    assert by_company["B公司"]["yoy_change"] == pytest.approx(62.5 - 75)
    by_touchpoint = {g["key"]: g["kpis"] for g in _kpi(capsys, "surveys", *MARCH, "--by", "touchpoint")["groups"]}
    assert by_touchpoint["delivery_1m"]["yoy_change"] == pytest.approx(37.5)
    assert by_touchpoint["signing_6m"]["yoy_change"] == pytest.approx(25 - 75)
    assert by_touchpoint["signing_1m"]["yoy_change"] is None  # nothing a year earlier
    whole = _kpi(capsys, "surveys", *MARCH, "--by", "month")
    # (100 + 75 + 25 + 100) / 4 = 75 against (50 + 75) / 2 = 62.5; the month against March 2024
    assert whole["kpis"]["yoy_change"] == pytest.approx(12.5)
    assert whole["groups"] == [{"key": "2025-03", "kpis": pytest.approx(whole["groups"][0]["kpis"])}]
    assert whole["groups"][0]["kpis"]["yoy_change"] == pytest.approx(12.5)
