"""CLI commands of SPEC §15 text signals: `text reindex`, `text top`, `text suggest-eval` (registered by lib.cli)."""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date

from lib.cli_common import migrated_engine as _engine
from lib.db import session_scope


def cmd_reindex(args) -> int:
    """Rebuild the term store (after the word lists changed, or for records from before it)."""
    from lib.services import audit
    from lib.text import index

    started = time.perf_counter()
    with session_scope(_engine()) as session:
        done = index.reindex(session=session, missing_only=args.missing_only,
                             progress=lambda kind, n: print(f"{kind}: {n}", file=sys.stderr) if n % 50_000 == 0 else None)
        audit.record(session=session, actor="cli", action="text_reindex", entity="text_term",
                     detail={"records": done, "missing_only": args.missing_only})
    print(json.dumps({"records": done, "seconds": round(time.perf_counter() - started, 3)}))
    return 0


def cmd_top(args) -> int:
    from lib.kpis.common import KpiFilter
    from lib.text import topics

    flt = KpiFilter(start=date.fromisoformat(args.date_from), end=date.fromisoformat(args.date_to),
                    companies=tuple(args.company or ()), projects=tuple(args.project or ()),
                    categories=tuple(args.category or ()), channels=tuple(args.channel or ()))
    with session_scope(_engine(), readonly=True) as session:
        frame = topics.top_terms(flt, session=session, kind=args.kind, phrases=args.phrases, limit=args.limit)
        rising = topics.rising(flt, session=session, kind=args.kind, phrases=args.phrases)
    print(json.dumps({"records": frame.attrs["records"], "terms": frame.to_dict(orient="records"),
                      "rising": rising.to_dict(orient="records")}, ensure_ascii=False))
    return 0


def cmd_suggest_eval(args) -> int:
    from lib.text import suggest

    with session_scope(_engine(), readonly=True) as session:
        print(json.dumps(suggest.evaluate(session=session, every=args.every)))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    text = sub.add_parser("text", help="text signals: the term store behind Topics (SPEC §15)")
    commands = text.add_subparsers(dest="text_command", required=True)
    p = commands.add_parser("reindex", help="segment every complaint and supervisor issue again")
    p.add_argument("--missing-only", action="store_true", help="only records that have no terms yet")
    p.set_defaults(func=cmd_reindex)
    p = commands.add_parser("top", help="top and rising terms of a filter, as JSON")
    p.add_argument("--from", dest="date_from", required=True)
    p.add_argument("--to", dest="date_to", required=True)
    p.add_argument("--kind", choices=("complaint", "supervisor_issue"), default="complaint")
    p.add_argument("--phrases", action="store_true", help="adjacent word pairs instead of words")
    p.add_argument("--limit", type=int, default=30)
    for name in ("company", "project", "category", "channel"):
        p.add_argument(f"--{name}", action="append")
    p.set_defaults(func=cmd_top)
    p = commands.add_parser("suggest-eval", help="category suggestion accuracy on held-back complaints")
    p.add_argument("--every", type=int, default=5, help="N folds: each holds back the complaints whose id is r mod N")
    p.set_defaults(func=cmd_suggest_eval)
