"""One notification pass (`notify run`): evaluate the events, enqueue what is new, deliver what is due.

Evaluation reads in a read-only transaction and enqueues in a short write one (the outbox key drops what
another run already queued). Delivery claims rows in a committed transition, sends, and marks each
message sent — with its audit row — in its own transaction, so a run killed at any point leaves at most
the message in flight to be sent again by the next run, and nothing unsent behind.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lib.db import business_clock, local_now, session_scope, utcnow
from lib.models import NotifyOutbox, NotifyWebhook, User
from lib.notify import WEBHOOK_KINDS, channels, events, messages, outbox
from lib.notify.subscriptions import effective
from lib.services import audit

ACTOR = "notify"


def storm_threshold() -> int:
    return int(os.environ.get("CRHQ_NOTIFY_STORM", "10"))


@dataclass
class RunResult:
    evaluated: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0

    def as_json(self) -> dict[str, int]:
        return asdict(self)


def _row(item: events.Item, recipient: str, channel: str, lang: str, now: datetime) -> dict:
    if lang == "bi":  # a group chat: both languages
        zh, en = messages.render(item.event, item.params, "zh"), messages.render(item.event, item.params, "en")
        subject, body = f"{zh[0]} / {en[0]}", f"{zh[1]}\n\n{en[1]}"
    else:
        subject, body = messages.render(item.event, item.params, lang)
    return {"event": item.event, "record_key": item.record_key[:120], "recipient": recipient, "channel": channel,
            "lang": lang, "subject": subject, "body": body, "link": item.link,
            "payload": json.dumps(item.payload) if item.payload else None, "status": "pending", "attempts": 0,
            "next_attempt_at": now, "created_at": utcnow()}


def plan(items: Iterable[events.Item], now: datetime, *, session: Session) -> Iterator[dict | str]:
    """Outbox rows for the items (each audience member's subscribed channels; one robot message per record
    and chat group), one item at a time, then the item's evaluation marks (str)."""
    subs = effective(session=session)
    robots = channels.hooks(session=session)
    for item in items:
        yield from item.marks
        robot_rows = {}
        for person in item.audience:
            for channel in sorted(subs.get(person.username, {}).get(item.event, ())):
                if channel == "inbox" or (channel == "email" and person.email):
                    yield _row(item, person.username, channel, person.lang, now)
                elif channel in WEBHOOK_KINDS:
                    hook = robots.get((channel, item.company_id)) or robots.get((channel, None))
                    if hook is not None:
                        robot_rows[(channel, hook.id)] = None
        for channel, hid in robot_rows:
            yield _row(item, f"hook:{hid}", channel, "bi", now)


FLUSH_ROWS = 5000


def evaluate(engine: Engine, now: datetime, cfg: events.Config | None = None) -> int:
    """Evaluate as of `now`, streaming: the events are read in chunks and their outbox rows written
    FLUSH_ROWS at a time (each batch in a short write transaction of its own, the outbox key dropping
    rows already there), so memory holds one batch whatever the number of records. The evaluation marks
    (monthly KPIs and report, the day's digest) are stored last, after every row: a run killed midway
    leaves them unset, and the next run evaluates those events again (the key keeps them once)."""
    cfg = cfg or events.Config.from_env()
    counted = {"items": 0}

    def counting(items: Iterable[events.Item]) -> Iterator[events.Item]:
        for item in items:
            counted["items"] += item.event != "mark"
            yield item

    marks: list[str] = []
    batch: list[dict] = []

    def flush() -> None:
        if batch:
            with session_scope(engine) as writer:
                outbox.enqueue(batch, session=writer)
            batch.clear()

    with session_scope(engine, readonly=True) as session:
        for row in plan(counting(events.evaluate(now, cfg, session=session)), now, session=session):
            if isinstance(row, str):
                marks.append(row)
                continue
            batch.append(row)
            if len(batch) >= FLUSH_ROWS:
                flush()
    flush()
    with session_scope(engine) as session:
        outbox.add_marks(marks, session=session)
    return counted["items"]


class Deliverer:
    """Sends claimed rows; one SMTP connection and one workbook per month for the whole run."""

    def __init__(self, engine: Engine, now: datetime) -> None:
        self.engine, self.now, self.worker = engine, now, outbox.worker_id()
        self.smtp = channels.SmtpSettings.from_env()
        self.mailer = channels.Mailer(self.smtp) if self.smtp else None
        self.workbooks: dict[str, bytes] = {}
        self.result = RunResult()
        with session_scope(engine, readonly=True) as session:
            self.emails = dict(session.execute(select(User.username, User.email).where(User.active.is_(True))).all())
            self.robots = {h.id: (h.kind, h.url, h.secret) for h in session.scalars(select(NotifyWebhook))}

    @property
    def channels(self) -> tuple[str, ...]:
        return ("inbox", *WEBHOOK_KINDS, *(("email",) if self.smtp else ()))

    def run(self) -> None:
        try:
            while True:
                with session_scope(self.engine) as session:
                    ids = outbox.claim(self.now, self.worker, self.channels, session=session)
                if not ids:
                    break
                with session_scope(self.engine, readonly=True) as session:
                    batch = outbox.rows(ids, session=session)
                groups: dict[tuple[str, str], list[NotifyOutbox]] = defaultdict(list)
                for row in batch:
                    groups[(row.recipient, row.channel)].append(row)
                for group in groups.values():
                    self._group(group)
        finally:
            if self.mailer:
                self.mailer.close()

    def _group(self, group: list[NotifyOutbox]) -> None:
        singles = [r for r in group if r.event == "monthly_report"]  # its workbook goes with it, never in a digest
        rest = [r for r in group if r.event != "monthly_report"]
        if len(rest) >= storm_threshold():
            lang = rest[0].lang
            if lang == "bi":
                zh, en = messages.storm([r.subject for r in rest], "zh"), messages.storm([r.subject for r in rest], "en")
                subject, body = f"{zh[0]} / {en[0]}", f"{zh[1]}\n\n{en[1]}"
            else:
                subject, body = messages.storm([r.subject for r in rest], lang)
            self._deliver(rest, subject, body, "inbox")
        else:
            singles += rest
        for row in sorted(singles, key=lambda r: r.id):
            self._deliver([row], row.subject, row.body, row.link)

    def _deliver(self, rows: list[NotifyOutbox], subject: str, body: str, link: str | None) -> None:
        first, ids = rows[0], [r.id for r in rows]
        try:
            self._send(first, ids, subject, body, link)
        except Exception as exc:  # any failure of a channel is retried; the run goes on with the others
            with session_scope(self.engine) as session:
                _retry, failed = outbox.mark_failed(ids, self.worker, self.now, f"{type(exc).__name__}: {exc}",
                                                    session=session)
                audit.record(session=session, actor=ACTOR, action="notify_failed", entity="notify_outbox",
                             entity_id=first.id, detail={"event": first.event, "channel": first.channel,
                                                         "recipient": first.recipient, "rows": len(ids),
                                                         "error": str(exc)[:300]})
            self.result.failed += failed
            return
        with session_scope(self.engine) as session:
            done = outbox.mark_sent(ids, self.worker, session=session,
                                    **({"digest_id": first.id, "subject": subject, "body": body} if len(rows) > 1 else {}))
            audit.record(session=session, actor=ACTOR, action="notify_sent", entity="notify_outbox", entity_id=first.id,
                         detail={"event": first.event if len(rows) == 1 else "digest", "record": first.record_key,
                                 "recipient": first.recipient, "channel": first.channel, "rows": len(ids)})
        self.result.sent += done

    def _send(self, row: NotifyOutbox, ids: list[int], subject: str, body: str, link: str | None) -> None:
        lang = "zh" if row.lang == "bi" else row.lang
        if row.channel == "inbox":
            return
        text = messages.full_text(body, link, lang)
        if row.channel == "email":
            to = self.emails.get(row.recipient)
            if not to:
                raise channels.SendError("no e-mail address")
            attachment = None
            extra = outbox.payload(row)
            if row.event == "monthly_report" and extra.get("attach"):
                attachment = (f"crhq-monthly-report-{extra['month']}.xlsx",
                              self._workbook(extra["month"], row.recipient))
            self.mailer.send(channels.email_message(sender=self.smtp.sender, to=to, subject=subject, text=text,
                                                    html=messages.to_html(subject, text), outbox_ids=ids,
                                                    attachment=attachment))
            return
        kind, url, secret = self.robots[int(row.recipient.partition(":")[2])]
        channels.post_webhook(kind, url, secret, subject, text)

    def _workbook(self, month: str, username: str) -> bytes:
        """The month's workbook as `username` would download it: of their scope, read now from the database."""
        from lib import scope
        from lib.services import reports, users
        with session_scope(self.engine, readonly=True) as session:
            info = users.get_user(session=session, username=username)
            reach = scope.reach(info.scope if info else scope.Scope(companies=("\x00",)), session=session)
            key = (month, reach)
            if key not in self.workbooks:
                self.workbooks[key] = reports.monthly_report(month, session=session, reach=None if reach.is_group
                                                             else reach)
        return self.workbooks[key]


def run_once(engine: Engine, *, now: datetime | None = None, cfg: events.Config | None = None) -> RunResult:
    now = now or local_now()
    with business_clock(now):  # every KPI, overdue count and workbook of this run is as of `now`
        evaluated = evaluate(engine, now, cfg)
        deliverer = Deliverer(engine, now)
        deliverer.run()
    result = deliverer.result
    result.evaluated = evaluated
    with session_scope(engine, readonly=True) as session:
        result.deferred = outbox.deferred(now, session=session)
    return result


def serve(engine: Engine, *, interval: float = 60.0, out=sys.stdout) -> None:
    """Run a pass at the start of every minute until SIGTERM / SIGINT (a pass in progress finishes)."""
    stop = {"now": False}

    def ask_stop(*_args) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, ask_stop)
    signal.signal(signal.SIGINT, ask_stop)
    while not stop["now"]:
        started = time.time()
        try:
            result = run_once(engine)
            print(json.dumps({"at": local_now().isoformat(), **result.as_json()}), file=out, flush=True)
        except Exception as exc:  # a failed pass (database restarting …) is reported; the next one tries again
            print(json.dumps({"at": local_now().isoformat(), "error": f"{type(exc).__name__}: {exc}"}), file=out,
                  flush=True)
        while not stop["now"] and time.time() < started - started % interval + interval:
            time.sleep(0.5)
