"""CLI commands of SPEC §14 (issue #25): `unit-reports status` and `cases list` (registered by lib.cli)."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from lib import scope
from lib.cli_common import migrated_engine as _engine
from lib.db import session_scope
from lib.errors import DomainError
from lib.i18n import t


def _reach(session, username: str | None) -> scope.Reach | None:
    """--as USERNAME: what that user's pages would show (their scope); None: the whole group."""
    if username is None:
        return None
    from lib.services import users
    info = users.get_user(session=session, username=username)
    if info is None or not info.active:
        raise DomainError("err_as_user", user=username)
    return scope.reach(info.scope, session=session)


def _fail(exc: DomainError) -> int:
    print(t(exc.key, "en", **exc.params), file=sys.stderr)
    return 2


def cmd_status(args) -> int:
    from lib.services import unit_reports
    try:
        today = date.fromisoformat(args.today) if args.today else None
    except ValueError:
        print(f"--today must be YYYY-MM-DD, not {args.today!r}", file=sys.stderr)
        return 2
    try:
        with session_scope(_engine(), readonly=True) as session:
            month = args.month or unit_reports.previous_month(today or date.today())
            result = unit_reports.status(month, session=session, reach=_reach(session, args.as_user), today=today)
    except DomainError as exc:
        return _fail(exc)
    print(json.dumps(result.as_json(), ensure_ascii=False))
    return 0


def cmd_cases(args) -> int:
    from lib.services import cases, unit_reports
    try:
        with session_scope(_engine(), readonly=True) as session:
            start, end = unit_reports.month_bounds(args.month) if args.month else (None, None)
            query = cases.LibraryQuery(categories=tuple(args.category or ()), business_lines=tuple(args.business_line or ()),
                                       companies=tuple(args.company or ()), tag=args.tag or "", search=args.search or "",
                                       start=start, end=end)
            frame = cases.library(query, session=session, reach=_reach(session, args.as_user))
    except DomainError as exc:
        return _fail(exc)
    rows = [{**r, "marked_on": r["marked_on"].isoformat()} for r in frame.to_dict("records")]
    print(json.dumps({"count": len(rows), "cases": rows}, ensure_ascii=False, default=str))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("unit-reports", help="monthly unit reports (SPEC §14)")
    usub = p.add_subparsers(dest="unit_reports_cmd", required=True)
    s = usub.add_parser("status", help='per company: submitted / late / returned / missing / pending (JSON)')
    s.add_argument("--month", metavar="YYYY-MM", help="the month reported on (default: the previous month)")
    s.add_argument("--today", metavar="YYYY-MM-DD", help="the day to judge lateness on (default: today)")
    s.add_argument("--as", dest="as_user", metavar="USERNAME", help="what this user would see (their scope)")
    s.set_defaults(func=cmd_status)
    c = sub.add_parser("cases", help="typical cases (SPEC §14)")
    csub = c.add_subparsers(dest="cases_cmd", required=True)
    ls = csub.add_parser("list", help="search the case library (JSON)")
    ls.add_argument("--month", metavar="YYYY-MM", help="cases marked in this month")
    ls.add_argument("--category", action="append", help="complaint category code (repeatable)")
    ls.add_argument("--business-line", action="append", help="business line code (repeatable)")
    ls.add_argument("--company", action="append", help="company name (repeatable)")
    ls.add_argument("--tag")
    ls.add_argument("--search")
    ls.add_argument("--as", dest="as_user", metavar="USERNAME", help="what this user would see (their scope)")
    ls.set_defaults(func=cmd_cases)
