"""CLI of SPEC §14 call-back checks: `checks draw` (registered by lib.cli).

For cron, every day (it acts on working days of the statutory calendar only):
    30 8 * * *  cd /srv/crhq && .venv/bin/python -m lib.cli checks draw --working-days-only
Without --from/--to the period runs from the previous working day to yesterday (on a Monday: Friday to
Sunday), so consecutive working days' draws cover every day once.
"""
from __future__ import annotations

import argparse
import json
from datetime import date, timedelta

from lib.cli_common import migrated_engine as _engine
from lib.db import local_now, session_scope


def previous_working_day(today: date) -> date:
    from lib.services import settings
    from lib.sla import is_working_day

    with session_scope(_engine(), readonly=True) as session:
        settings.sync_calendar(session=session)
    day = today - timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day




def cmd_draw(args) -> int:
    from lib.services import checks
    from lib.sla import is_working_day

    today = local_now().date()
    if args.working_days_only and not (args.date_from or args.date_to):
        from lib.services import settings
        with session_scope(_engine(), readonly=True) as session:
            settings.sync_calendar(session=session)
        if not is_working_day(today):
            print(json.dumps({"skipped": f"{today.isoformat()} is not a working day"}))
            return 0
    if bool(args.date_from) != bool(args.date_to):
        raise ValueError("give both --from and --to, or neither (the previous working day)")
    if args.date_from:
        start, end = date.fromisoformat(args.date_from), date.fromisoformat(args.date_to)
    else:
        start, end = previous_working_day(today), today - timedelta(days=1)
    with session_scope(_engine()) as session:
        drawn = checks.draw(start, end, session=session, actor="cli", seed=args.seed, today=today)
    print(json.dumps({"from": start.isoformat(), "to": end.isoformat(), "added": sum(d.added for d in drawn),
                      "companies": [{"company": d.company, "resolved": d.resolved, "size": d.size,
                                     "added": d.added, "seed": d.seed} for d in drawn]},
                     ensure_ascii=False, indent=1))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("checks", help="HQ call-back checks (SPEC §14)")
    csub = p.add_subparsers(dest="checks_cmd", required=True)
    d = csub.add_parser("draw", help="draw each company's random sample of complaints resolved in a period "
                                     "into HQ's check queue (idempotent; the same seed draws the same sample)")
    d.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="default: the previous working day (to yesterday)")
    d.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    d.add_argument("--seed", help="seed text (default 'crhq'); mixed with the company and the period")
    d.add_argument("--working-days-only", action="store_true",
                   help="do nothing on a day off of the statutory calendar (for a daily cron line)")
    d.set_defaults(func=cmd_draw)
