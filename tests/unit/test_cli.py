"""The command line of SPEC §10 on a throwaway SQLite file."""
import io
import json

import pytest

from lib import cli, config


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    config.get_settings.cache_clear()
    yield
    config.get_settings.cache_clear()


def test_init_seed_user_kpi(db, capsys, monkeypatch):
    assert cli.main(["init-db"]) == 0
    assert cli.main(["init-db"]) == 0
    assert cli.main(["seed-demo", "--complaints", "400", "--seed", "2"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["complaints"] == 400
    assert cli.main(["seed-demo", "--complaints", "10"]) == 1  # not empty any more

    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pass\n"))
    assert cli.main(["user", "add", "Zhang", "--role", "executive", "--name", "张总", "--password-stdin"]) == 0
    assert cli.main(["user", "list"]) == 0
    out = capsys.readouterr().out
    assert "zhang" in out and "executive" in out and "s3cret" not in out
    assert cli.main(["user", "disable", "zhang"]) == 0
    assert "disabled zhang" in capsys.readouterr().out

    assert cli.main(["kpi", "complaints", "--from", "2025-01-01", "--to", "2025-12-31", "--by", "month",
                     "--business-line", "property_management"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["area"] == "complaints"
    assert result["filter"] == {"from": "2025-01-01", "to": "2025-12-31", "business_line": ["property_management"]}
    assert [g["key"] for g in result["groups"]][:2] == ["2025-01", "2025-02"]
    assert sum(g["kpis"]["complaints"] for g in result["groups"]) == result["kpis"]["complaints"]


def test_bad_grouping_is_a_clear_error(db, capsys):
    cli.main(["init-db"])
    assert cli.main(["kpi", "listening", "--from", "2025-01-01", "--to", "2025-12-31", "--by", "channel"]) == 2
    assert "listening cannot be grouped by 'channel'" in capsys.readouterr().err
