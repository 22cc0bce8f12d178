"""Command line of SPEC §10: python -m lib.cli COMMAND …

Each command imports what it needs when it runs (issue #27): `kpi` as a whole process must not pay for
Alembic, the importers, the demo generator or the notification code, and building the parser imports
none of them. Modules adding commands (`cli_<feature>.add_parsers(sub)`) keep their heavy imports
inside their command functions too; tests/unit/test_cli_lazy.py holds that."""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date

from lib import cli_calendar, cli_cases, cli_checks, cli_notify, cli_signals, cli_text
from lib.cli_common import init_db, session_scope
from lib.config import get_settings, open_private
from lib.errors import DomainError

# lib.kpis.areas.CLI_AREAS, written out so that building the parser imports no KPI code
# (tests/unit/test_cli_lazy.py checks the two agree).
KPI_AREAS = ("complaints", "surveys", "listening", "supervisors", "checks", "followups")


def _engine():
    from lib.db import make_engine
    return make_engine(get_settings().database_url)




def t(key: str, lang: str, **params) -> str:
    from lib.i18n import t as translate
    return translate(key, lang, **params)


class _ImportKinds:
    """The import kinds as argparse choices, read from the importers' registry only when the `import`
    command's argument is checked or its help shown (the registry imports every importer)."""

    def _kinds(self):
        from lib.imports.registry import IMPORTERS
        return list(IMPORTERS)

    def __contains__(self, kind) -> bool:
        return kind in self._kinds()

    def __iter__(self):
        return iter(self._kinds())

    def __len__(self) -> int:
        return len(self._kinds())


IMPORT_KINDS = _ImportKinds()


def cmd_init_db(args) -> int:
    print(f"schema at revision {init_db(_engine())}")
    return 0


def cmd_seed_demo(args) -> int:
    from lib.services import seed

    engine = _engine()
    init_db(engine)
    started = time.perf_counter()
    with session_scope(engine) as session:
        if not seed.is_empty(session=session):
            print("database is not empty; seed-demo only fills an empty database", file=sys.stderr)
            return 1
        summary = seed.seed_demo(session=session, complaints=args.complaints, seed=args.seed)
    print(json.dumps({**summary.__dict__, "seconds": round(time.perf_counter() - started, 2)}))
    return 0


def _read_password(args) -> str:
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat: "):
        raise SystemExit("passwords differ")
    return first


def cmd_user(args) -> int:
    from lib import scope
    from lib.services import users

    engine = _engine()
    init_db(engine)
    with session_scope(engine) as session:
        if args.user_cmd == "add":
            wanted = scope.parse(args.scope)  # before the password prompt: a bad entry asks for nothing
            scope.validate(wanted, session=session)
            info = users.add_user(session=session, username=args.username, role=args.role,
                                  name=args.name, password=_read_password(args), actor="cli", scope=wanted)
            if args.email:
                cli_notify.set_email(info.username, args.email, session=session)
            print(f"added {info.username} ({info.role}, scope {'; '.join(info.scope.entries()) or 'group'})")
        elif args.user_cmd == "email":
            cli_notify.set_email(args.username, args.email, session=session)
            print(f"e-mail of {args.username} set")
        elif args.user_cmd == "scope":
            wanted = scope.parse(args.scope)
            users.set_scope(session=session, username=args.username, scope=wanted, actor="cli")
            print(f"scope of {args.username.strip().lower()}: {'; '.join(wanted.entries()) or 'group'} "
                  "(sessions ended)")
        elif args.user_cmd == "disable":
            users.set_active(session=session, username=args.username, active=False, actor="cli")
            print(f"disabled {args.username}")
        else:
            df = users.list_users(session=session)
            print(df.to_string(index=False) if len(df) else "no users")
    return 0


def _filter(args):
    from lib.kpis import common

    def many(value):
        return tuple(v.strip() for v in value.split(",") if v.strip()) if value else ()
    return common.KpiFilter(
        start=date.fromisoformat(args.date_from), end=date.fromisoformat(args.date_to),
        companies=many(args.company), cities=many(args.city), projects=many(args.project),
        business_lines=many(args.business_line), channels=many(args.channel),
        touchpoints=many(args.touchpoint), categories=many(args.category),
    )


def _as_user(session, username: str | None):
    """--as USERNAME: the active account (users.UserInfo) whose view (scope, role) a command computes
    (SPEC §11), or None."""
    if username is None:
        return None
    from lib.services import users

    info = users.get_user(session=session, username=username)
    if info is None or not info.active:
        raise DomainError("err_as_user", user=username)
    return info


def _scoped(flt, info, session):
    """The filter as that user's pages apply it: limited to the scope, refused if it names anything outside."""
    if info is None:
        return flt
    from lib import scope
    return scope.apply(flt, info.scope, session=session)


def cmd_kpi(args) -> int:
    from lib.kpis import areas

    flt = _filter(args)
    # Read-only: never takes SQLite's write lock, and the analytic mirror keeps the delta it read
    # between the area's statements (a writing session makes it re-read the delta at every one).
    with session_scope(_engine(), readonly=True) as session:
        info = _as_user(session, args.as_user)
        result = areas.compute(args.area, _scoped(flt, info, session), session=session, by=args.by)
    out = result.as_json()
    if info is not None:
        out["as"] = info.username
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


def cmd_analytics(args) -> int:
    from lib import analytics

    engine = _engine()
    init_db(engine)
    print(json.dumps(analytics.build(engine, force=True)))
    return 0


def cmd_import(args) -> int:
    from lib import analytics
    from lib.imports.core import error_report
    from lib.imports.reader import ImportRejected
    from lib.imports.registry import import_file

    engine = _engine()
    init_db(engine)
    data = open(args.file, "rb").read()
    started = time.perf_counter()
    try:
        with session_scope(engine) as session:
            result = import_file(args.kind, data, args.file, session=session, actor="cli", dry_run=args.dry_run)
        analytics.refresh(engine)
    except ImportRejected as exc:
        from lib.imports.base import record_refusal  # audited as on the page, in a transaction of its own
        record_refusal(engine, actor="cli", kind=args.kind, filename=args.file, exc=exc, dry_run=args.dry_run)
        print(f"{t(exc.key, 'zh', **exc.params)}\n{t(exc.key, 'en', **exc.params)}", file=sys.stderr)
        if exc.errors:
            print(error_report(exc.errors).to_csv(index=False), file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    print(json.dumps({**{k: v for k, v in result.__dict__.items() if k != "errors"},
                      "seconds": round(seconds, 2), "rows_per_second": round(result.rows / max(seconds, 1e-9))}))
    return 0


def cmd_report(args) -> int:
    from lib import scope
    from lib.exports import record_export
    from lib.services import reports

    with session_scope(_engine()) as session:
        info = _as_user(session, args.as_user)
        reach = None if info is None else scope.reach(info.scope, session=session)
        data = reports.monthly_report(args.month, session=session, reach=reach)
        record_export(session=session, actor="cli", kind=f"monthly_report_{args.month}", fmt="xlsx", rows=0,
                      **({} if info is None else {"detail": {"as": info.username}}))
    with open_private(args.out) as fh:
        fh.write(data)
    print(f"wrote {args.out} ({len(data):,} bytes)")
    return 0


EXPORT_KINDS = ("complaints", "survey", "supervisor_issues", "supervisors", "audit")


def cmd_export(args) -> int:
    """Rows of one kind to CSV (UTF-8 with BOM) or .xlsx by the file's extension; formulas neutralised,
    survey respondent keys left out, the export audited."""
    from pathlib import Path

    from lib.db import local_now
    from lib.exports import record_export, rows_for_download, to_bytes
    from lib.kpis import common
    from lib.services import audit, complaints, issues, supervision, survey_views

    date_to = args.date_to or local_now().date().isoformat()
    flt = common.KpiFilter(date.fromisoformat(args.date_from), date.fromisoformat(date_to))
    fmt = "xlsx" if Path(args.file).suffix.lower() == ".xlsx" else "csv"
    with session_scope(_engine()) as session:
        info = _as_user(session, args.as_user)
        if info is not None and args.kind == "audit" and info.role != "admin":
            raise DomainError("err_forbidden_action")  # the audit log is the admin's, and has no scope
        flt = _scoped(flt, info, session)
        if args.kind == "complaints":
            frame = complaints.list_frame(flt, session=session, include_void=True, limit=None)
        elif args.kind == "survey":
            frame = survey_views.responses(flt, session=session, limit=None)
        elif args.kind == "supervisor_issues":
            frame = issues.list_frame(flt, session=session, limit=None)
        elif args.kind == "supervisors":
            frame = supervision.supervisors_frame(flt, session=session, serving_only=False)
        else:
            frame = audit.search(session=session, start=flt.start, end=flt.end, limit=None)
        # As a user: what that role may take (executives no rows: SPEC §8), else the operator's export.
        data = to_bytes(frame, fmt) if info is None else rows_for_download(frame, fmt=fmt, role=info.role)
        record_export(session=session, actor="cli", kind=args.kind, fmt=fmt, rows=len(frame),
                      detail={"file": str(args.file)} | ({} if info is None else {"as": info.username}))
    with open_private(args.file) as fh:
        fh.write(data)
    print(f"wrote {args.file}: {len(frame):,} rows ({fmt})")
    return 0


def cmd_backup(args) -> int:
    from lib.services import audit, backup

    engine = _engine()
    manifest = backup.backup(engine, args.file)
    with session_scope(engine) as session:
        audit.record(session=session, actor="cli", action="backup", detail={"file": str(args.file)})
    total = sum(t["rows"] for t in manifest["tables"].values())
    print(f"wrote {args.file}: {len(manifest['tables'])} tables, {total:,} rows, schema {manifest['revision']}")
    return 0


def cmd_restore(args) -> int:
    import getpass

    from lib.services import backup

    engine = _engine()
    try:
        _adopt_key_file(args.key_file)
        # The signature first: a refused backup leaves the target as it was, not even given a schema.
        backup.check(args.file, trust_unsigned=args.trust_unsigned, without_users=args.without_users)
        init_db(engine)  # an empty database gets the schema; a newer one is refused (SchemaTooNew)
        # Audited in the restored database, in the restore's own transaction, continuing its chain.
        done = backup.load(engine, args.file, trust_unsigned=args.trust_unsigned, without_users=args.without_users,
                           audit_as="cli", audit_detail={"file": str(args.file), "os_user": getpass.getuser()})
    except backup.BackupError as exc:
        print(f"恢复被拒绝，数据库未改动 / restore refused, nothing changed: {exc}", file=sys.stderr)
        return 1
    counts = done.counts
    print(f"restored {args.file}: {len(counts)} tables, {sum(counts.values()):,} rows, checksums verified, "
          f"signature {done.signature}, audit chain "
          f"{'intact' if done.chain.intact else 'BROKEN: ' + str(done.chain.reason)}"
          f"{', user accounts not restored' if done.without_users else ''}")
    return 0


def _adopt_key_file(key_file: str | None) -> None:
    """restore --key-file: the key another installation signed with becomes this one's (written to
    data/.backup_key if it has none), since the restored audit chain goes on with it here."""
    import hmac

    from lib import config
    from lib.services import backup

    if not key_file:
        return
    try:
        given = config.validate_backup_key(open(key_file, encoding="utf-8").read())
        here = config.backup_key(create=False)
    except (OSError, UnicodeDecodeError, config.ConfigError) as exc:
        raise backup.BackupError(f"cannot use the key file: {exc}") from exc
    if here is None:
        config.install_backup_key(given.decode("utf-8"))
        print(f"installed the key from {key_file} as {config.BACKUP_KEY_FILE} (owner-only)")
    elif not hmac.compare_digest(here, given):
        raise backup.BackupError(f"{key_file} is not this installation's key (CRHQ_BACKUP_KEY or "
                                 f"{config.BACKUP_KEY_FILE}): audit rows written here after the restore would "
                                 "not verify. Use the same key for both.")


def cmd_audit(args) -> int:
    from lib import config
    from lib.services import audit

    started = time.perf_counter()
    try:
        key = config.validate_backup_key(open(args.key_file, encoding="utf-8").read()) if args.key_file else None
        with _engine().connect() as conn:
            report = audit.verify(conn, key=key)
    except (OSError, UnicodeDecodeError, config.ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    if not report.intact:
        print(f"审计日志被改动 / audit log tampered: {report.reason} ({report.rows:,} rows before it verify)",
              file=sys.stderr)
        return 1
    print(f"audit chain intact: {report.rows:,} rows in {seconds:.2f} s; head row {report.head_id} "
          f"hash {report.head_hash}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lib.cli", description="Customer-relations HQ dashboard")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init-db", help="create or migrate the schema (idempotent)")
    p.set_defaults(func=cmd_init_db)

    p = sub.add_parser("seed-demo", help="fill an empty database with deterministic demo data")
    p.add_argument("--complaints", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_seed_demo)

    p = sub.add_parser("user", help="manage users")
    usub = p.add_subparsers(dest="user_cmd", required=True)
    a = usub.add_parser("add", help="add a user")
    a.add_argument("username")
    a.add_argument("--role", required=True, choices=["executive", "staff", "admin"])
    a.add_argument("--name", required=True)
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    a.add_argument("--scope", action="append", metavar="ENTRY",
                   help="group, region:NAME, company:NAME or project:COMPANY/PROJECT; repeat for several "
                        "(default: group)")
    sc = usub.add_parser("scope", help="set a user's data scope (ends their sessions; audited)")
    sc.add_argument("username")
    sc.add_argument("scope", nargs="+", metavar="ENTRY", help="group, or region:/company:/project: entries")
    a.add_argument("--email", help="e-mail address for notifications")
    e = usub.add_parser("email", help="set (or clear, with '') a user's e-mail address for notifications")
    e.add_argument("username")
    e.add_argument("email")
    d = usub.add_parser("disable", help="disable a user (ends their sessions)")
    d.add_argument("username")
    usub.add_parser("list", help="list users")
    p.set_defaults(func=cmd_user)

    p = sub.add_parser("import", help="import a CSV/.xlsx file (all or nothing)")
    p.add_argument("kind", choices=IMPORT_KINDS, metavar="KIND", help="what the file holds: %(choices)s")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("analytics", help="rebuild the analytic mirror of complaints and survey answers now")
    p.add_argument("action", choices=["rebuild"])
    p.set_defaults(func=cmd_analytics)

    p = sub.add_parser("kpi", help="print the KPIs of an area as JSON")
    p.add_argument("area", choices=KPI_AREAS)
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    for flag in ("company", "city", "project", "business-line", "channel", "touchpoint", "category"):
        p.add_argument(f"--{flag}", help="one value or several separated by commas")
    p.add_argument("--by", choices=["month", "company", "city", "project", "business_line", "channel",
                                    "touchpoint", "category", "department"])
    p.add_argument("--as", dest="as_user", metavar="USERNAME", help="compute what this user would see (their scope)")
    p.set_defaults(func=cmd_kpi)

    p = sub.add_parser("export", help="export rows of one kind to .csv or .xlsx (audited)")
    p.add_argument("kind", choices=EXPORT_KINDS)
    p.add_argument("file")
    p.add_argument("--from", dest="date_from", default="2000-01-01", metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="default: today (business time)")
    p.add_argument("--as", dest="as_user", metavar="USERNAME", help="compute what this user would see (their scope)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("backup", help="write every table to a backup file (zip of JSON lines + checksums)")
    p.add_argument("file")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="load a backup into an empty database (all or nothing, verified)")
    p.add_argument("file")
    p.add_argument("--key-file", help="the backup key of the installation that wrote the backup "
                                      "(becomes this one's if it has none)")
    p.add_argument("--without-users", action="store_true",
                   help="restore everything but the user accounts (for an unsigned or unverifiable backup)")
    p.add_argument("--trust-unsigned", action="store_true",
                   help="restore everything, user accounts included, from an unsigned or unverifiable backup")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("audit", help="check the audit log's hash chain")
    p.add_argument("action", choices=["verify"])
    p.add_argument("--key-file", help="verify with this backup key instead of the installation's")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("report", help="write the monthly report workbook (.xlsx)")
    p.add_argument("--month", required=True, metavar="YYYY-MM")
    p.add_argument("--out", required=True, metavar="FILE.xlsx")
    p.add_argument("--as", dest="as_user", metavar="USERNAME", help="compute what this user would see (their scope)")
    p.set_defaults(func=cmd_report)
    cli_calendar.add_parsers(sub)  # calendar set/show, sla due (SPEC §13)
    cli_notify.add_parsers(sub)  # notify run/serve/subscribe/unsubscribe/webhook (SPEC §12)
    cli_checks.add_parsers(sub)  # checks draw (SPEC §14 call-back checks)
    cli_cases.add_parsers(sub)  # unit-reports status, cases list (SPEC §14, issue #25)
    cli_signals.add_parsers(sub)  # signals, signals-rehash (SPEC §15, issue #26)
    cli_text.add_parsers(sub)  # text reindex/top/suggest-eval (SPEC §15)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DomainError as exc:
        print(f"{t(exc.key, 'zh', **exc.params)} / {t(exc.key, 'en', **exc.params)}", file=sys.stderr)
        return 2
    except (ValueError, *_loaded_errors()) as exc:  # FilterError is a ValueError
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _loaded_errors() -> tuple[type[BaseException], ...]:
    """The refusals a command may raise from the modules it imported (SchemaTooNew from lib.schema):
    a module never imported cannot have raised its error, and importing it just to catch would cost
    every command Alembic's import."""
    schema = sys.modules.get("lib.schema")
    return (schema.SchemaTooNew,) if schema is not None else ()


if __name__ == "__main__":
    sys.exit(main())
