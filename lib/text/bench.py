"""The `topics` stage of lib.bench (issue #26): tokenising's cost per imported row, and Topics reads.

`import_cost` imports the same kind of complaint file twice into the bench database, once with the
import's tokenising turned off and once on (fresh refs each time, so every row is an insert), with
descriptions of a realistic length (about 40 characters, several complaint phrases each).
`read_timings` times the topic queries for the last 12 months (median of runs) and the Topics page
cold and warm under AppTest.
"""
from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta

from lib.services.seed import COMPLAINT_TEXTS


def complaint_file(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    phrases = [t for texts in COMPLAINT_TEXTS.values() for t in texts]
    lines = ["ref,received_at,channel,company,city,project,severity,responsible,status,category,description"]
    for i in range(n):
        at = datetime(2025, 1, 1) + timedelta(minutes=rng.randrange(600_000))
        text = "业主反映" + "，".join(rng.sample(phrases, 3)) + "，多次联系未果，要求尽快处理"
        lines.append(f"TXT{seed}-{i:07d},{at:%Y-%m-%d %H:%M},hotline,深圳公司,深圳,基准项目{i % 40},ordinary,yes,"
                     f"received,maintenance,{text}")
    return "\n".join(lines).encode("utf-8")


def import_cost(url: str, rows: int) -> dict[str, dict]:
    from lib.db import make_engine, session_scope
    from lib.imports import complaints
    from lib.imports.registry import import_file

    engine = make_engine(url)
    run = int(time.time()) % 1_000_000
    out = {}
    for label, tokenise in (("without tokenising", False), ("with tokenising", True)):
        complaints.TOKENISE = tokenise
        data = complaint_file(rows, run + tokenise)
        started = time.perf_counter()
        try:
            with session_scope(engine) as session:
                result = import_file("complaints", data, "text_bench.csv", session=session, actor="bench")
        finally:
            complaints.TOKENISE = True
        seconds = time.perf_counter() - started
        out[f"import {rows:,} complaints {label}"] = {"seconds": seconds, "rows_per_second": result.rows / seconds}
    return out


def read_timings(url: str, today: date, runs: int) -> dict[str, dict]:
    from lib.bench import _timed, page_timings
    from lib.db import make_engine, session_scope
    from lib.kpis.common import KpiFilter
    from lib.text import topics

    engine = make_engine(url)
    flt = KpiFilter(start=today - timedelta(days=364), end=today)
    project = KpiFilter(start=flt.start, end=flt.end, companies=("深圳公司",))
    out = {}
    with session_scope(engine, readonly=True) as session:
        for name, fn in (("top words, 12 months", lambda: topics.top_terms(flt, session=session)),
                         ("top phrases, 12 months", lambda: topics.top_terms(flt, session=session, phrases=True)),
                         ("rising words, 12 months vs previous 12", lambda: topics.rising(flt, session=session)),
                         ("top words, 12 months, one company", lambda: topics.top_terms(project, session=session)),
                         ("trend of 5 words, 12 months", lambda: topics.trend(flt, ["维修", "渗水", "保安", "电梯", "交付"],
                                                                             session=session))):
            out[name] = _timed(fn, runs)
    out["pages"] = page_timings(url, runs, paths=["pages/14_Topics.py"])
    return out
