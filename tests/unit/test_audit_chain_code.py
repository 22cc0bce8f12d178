"""Item 13: every audit row goes through lib.services.audit.record, the one writer that chains it; a
row built elsewhere would have no hashes and break `audit verify` for everyone after it."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILDS_A_ROW = re.compile(r"AuditLog\s*\(|insert\s*\(\s*(AuditLog|audit_log)|INSERT\s+INTO\s+\"?audit_log", re.IGNORECASE)


def test_only_the_audit_service_writes_audit_rows():
    offenders = []
    for path in [*ROOT.glob("lib/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]:
        if path == ROOT / "lib/services/audit.py" or path == ROOT / "lib/models/users_audit.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if BUILDS_A_ROW.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_pattern_would_catch_a_row_built_elsewhere():
    for line in ("session.add(AuditLog(actor='x', action='y'))", "conn.execute(insert(AuditLog), rows)",
                 "conn.execute(text('INSERT INTO audit_log (actor) VALUES (1)'))"):
        assert BUILDS_A_ROW.search(line), line
