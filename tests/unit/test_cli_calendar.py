"""`calendar set/show` and `sla due` of SPEC §13 on a throwaway SQLite file."""
import json

import pytest

from lib import cli, config, statutory_calendar


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    config.get_settings.cache_clear()
    statutory_calendar.install({})
    yield
    statutory_calendar.install({})
    config.get_settings.cache_clear()


def _run(capsys, *argv) -> dict:
    assert cli.main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_show_set_and_due(db, capsys):
    shown = _run(capsys, "calendar", "show", "2026")
    assert set(shown) == {"year", "source", "holidays", "workdays"} and shown["source"] == "library"
    assert shown["workdays"] == ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
    assert _run(capsys, "calendar", "show", "2027")["source"] == "estimated"
    # Thu 4 Feb 2027 10:00, important, on the estimate (off 5–10 Feb): see tests/unit/test_sla_calendar.py
    assert _run(capsys, "sla", "due", "--received", "2027-02-04 10:00", "--channel", "hotline",
                "--severity", "important") == {"first_response_due_at": "2027-02-11T10:00",
                                               "resolution_due_at": "2027-02-15T10:00", "estimated": True}
    assert cli.main(["calendar", "set", "2027", "--holidays", "2027-02-05..2027-02-12,2027-02-30"]) == 2
    assert "2027-02-30" in capsys.readouterr().err
    set_out = _run(capsys, "calendar", "set", "2027", "--holidays", "2027-02-05..2027-02-12",
                   "--workdays", "2027-02-14,2027-02-20")
    assert (set_out["source"], set_out["workdays"], set_out["recomputed"]) == ("override",
                                                                               ["2027-02-14", "2027-02-20"], 0)
    statutory_calendar.install({})  # a new process: the entries come from the database
    assert _run(capsys, "calendar", "show", "2027")["source"] == "override"
    # entered: make-up Sun 14 Feb → first response Sun 14 10:00, resolution Tue 16 10:00
    assert _run(capsys, "sla", "due", "--received", "2027-02-04 10:00", "--channel", "hotline",
                "--severity", "important") == {"first_response_due_at": "2027-02-14T10:00",
                                               "resolution_due_at": "2027-02-16T10:00", "estimated": False}
    # non-responsible: 7 working days from Fri 19 Feb 15:00 with make-up Sat 20 → Mon 1 Mar 15:00
    assert _run(capsys, "sla", "due", "--received", "2027-02-19 15:00", "--channel", "forum",
                "--non-responsible")["resolution_due_at"] == "2027-03-01T15:00"
