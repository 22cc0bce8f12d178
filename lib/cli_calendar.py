"""CLI commands of SPEC §13: `calendar set/show` and `sla due` (registered by lib.cli).

The calendar, SLA and database modules are imported by the commands that use them: registering the
parsers costs every other command nothing (issue #27)."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from lib.cli_common import migrated_engine as _engine
from lib.cli_common import session_scope
from lib.vocab import CHANNELS


def cmd_calendar_set(args) -> int:
    from lib.services import calendar

    try:
        entry = calendar.parse_text("\n".join(args.holidays.split(",")), "\n".join(args.workdays.split(",")))
        with session_scope(_engine()) as session:
            moved = calendar.set_year(args.year, entry, session=session, actor="cli")
            shown = calendar.show(args.year, session=session)
    except calendar.CalendarRejected as exc:
        for lang in ("zh", "en"):
            print("\n".join(calendar.messages(exc, lang)), file=sys.stderr)
        return 2
    print(json.dumps({**shown, "recomputed": moved}, ensure_ascii=False))
    return 0




def cmd_calendar_show(args) -> int:
    from lib.services import calendar

    with session_scope(_engine(), readonly=True) as session:
        print(json.dumps(calendar.show(args.year, session=session), ensure_ascii=False))
    return 0


def cmd_sla_due(args) -> int:
    from lib.services import settings
    from lib.sla import due_times, estimated

    received = datetime.strptime(args.received, "%Y-%m-%d %H:%M")
    severity = None if args.non_responsible else args.severity
    with session_scope(_engine(), readonly=True) as session:
        due = due_times(received, args.channel, severity, not args.non_responsible,
                        settings.get("sla", session=session))
    flags = estimated(received, args.channel, severity, not args.non_responsible,
                      due.first_response_due_at, due.resolution_due_at)
    print(json.dumps({"first_response_due_at": due.first_response_due_at.isoformat(timespec="minutes"),
                      "resolution_due_at": due.resolution_due_at.isoformat(timespec="minutes"),
                      "estimated": any(flags)}))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calendar", help="the statutory working calendar of a year (SPEC §13)")
    csub = p.add_subparsers(dest="calendar_cmd", required=True)
    s = csub.add_parser("set", help="enter a year from the State Council notice; recomputes due times")
    s.add_argument("year", type=int)
    s.add_argument("--holidays", default="", metavar="D[..D],…", help="days off: dates and ranges")
    s.add_argument("--workdays", default="", metavar="D,…", help="make-up working weekend days (调休)")
    s.set_defaults(func=cmd_calendar_set)
    s = csub.add_parser("show", help="print a year's calendar and where it comes from")
    s.add_argument("year", type=int)
    s.set_defaults(func=cmd_calendar_show)

    p = sub.add_parser("sla", help="SLA due times")
    ssub = p.add_subparsers(dest="sla_cmd", required=True)
    s = ssub.add_parser("due", help="the due times of a complaint received then")
    s.add_argument("--received", required=True, metavar='"YYYY-MM-DD HH:MM"')
    s.add_argument("--channel", required=True, choices=CHANNELS)
    s.add_argument("--severity", choices=("ordinary", "important", "urgent"))
    s.add_argument("--non-responsible", action="store_true")
    s.set_defaults(func=cmd_sla_due)
