"""CLI commands of SPEC §15 risk signals: `signals --from D --to D` and `signals-rehash` (registered by lib.cli)."""
from __future__ import annotations

import argparse
import json
from datetime import date

from lib.cli_common import migrated_engine as _engine
from lib.db import session_scope
from lib.kpis.common import KpiFilter


def cmd_signals(args) -> int:
    """Prints {"group_complaints": [...], "repeat_complainants": n, "exposure": [...]}: references,
    projects, categories, counts and matched words, never a name, a phone or its hash."""
    from lib import cli
    from lib.services import signals

    flt = KpiFilter(start=date.fromisoformat(args.date_from), end=date.fromisoformat(args.date_to),
                    companies=_many(args.company), projects=_many(args.project), categories=_many(args.category))
    if flt.start > flt.end:
        raise ValueError("--from is after --to")
    with session_scope(_engine(), readonly=True) as session:
        info = cli._as_user(session, args.as_user)
        found = signals.compute(cli._scoped(flt, info, session), session=session)
    print(json.dumps(found.as_json(), ensure_ascii=False, indent=1))
    return 0


def cmd_rehash(args) -> int:
    """Recompute every complaint's phone hash with this installation's key (after the key changed, or a
    backup from another installation was restored without its key)."""
    from lib.services import audit, phone_hash

    with session_scope(_engine()) as session:
        changed = phone_hash.rehash(session=session, only_missing=args.missing_only)
        audit.record(session=session, actor="cli", action="phone_rehash", entity="complaint",
                     detail={"changed": changed, "missing_only": args.missing_only})
    print(json.dumps({"changed": changed}))
    return 0


def _many(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else ()


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("signals", help="risk signals of a period as JSON: group complaints, repeat complainants, "
                                       "exposure words (SPEC §15)")
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    for flag in ("company", "project", "category"):
        p.add_argument(f"--{flag}", help="one value or several separated by commas")
    p.add_argument("--as", dest="as_user", metavar="USERNAME", help="compute what this user would see (their scope)")
    p.set_defaults(func=cmd_signals)
    r = sub.add_parser("signals-rehash", help="recompute the keyed phone hashes of complaints (audited)")
    r.add_argument("--missing-only", action="store_true", help="only complaints with a phone and no hash")
    r.set_defaults(func=cmd_rehash)
