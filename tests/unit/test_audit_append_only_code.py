"""Issue #8: the audit log is append-only in the code too — no update or delete path names it."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WRITE_PATHS = re.compile(r"(update|delete)\s*\(\s*(AuditLog|audit_log)|(AuditLog|audit_log)\b.*\.(update|delete)\s*\(|"
                         r"(UPDATE|DELETE\s+FROM)\s+\"?audit_log", re.IGNORECASE)


def test_no_code_updates_or_deletes_the_audit_log():
    offenders = []
    for path in [*ROOT.glob("lib/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if WRITE_PATHS.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_pattern_would_catch_an_update_or_delete():
    for line in ("session.execute(delete(AuditLog).where(AuditLog.id == 1))", "update(AuditLog).values(actor='x')",
                 "conn.execute(text('DELETE FROM audit_log'))", "session.query(AuditLog).delete()"):
        assert WRITE_PATHS.search(line), line
