"""Who wants which event on which channel: the admin's defaults per role, each user's own choices,
and the user's e-mail address."""
from __future__ import annotations

import json
import re

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.errors import NotFound, ValidationFailed
from lib.models import NotifySubscription, Setting, User
from lib.notify import CHANNELS, EVENTS
from lib.services import audit
from lib.vocab import ROLES

DEFAULTS_KEY = "notify_defaults"
# A fresh install: staff hear of their records, executives of KPIs and the report; the inbox carries all.
BUILTIN_DEFAULTS: dict[str, dict[str, list[str]]] = {
    "staff": {"sla_due_soon": ["inbox", "email"], "sla_breached": ["inbox", "email"],
              "escalated": ["inbox", "email"], "issue_due": ["inbox", "email"], "daily_digest": ["inbox", "email"],
              "risk_signal": ["inbox", "email"]},
    "admin": {"sla_due_soon": ["inbox"], "sla_breached": ["inbox"], "escalated": ["inbox"],
              "issue_due": ["inbox"], "daily_digest": ["inbox"], "kpi_red": ["inbox"], "risk_signal": ["inbox"]},
    "executive": {"escalated": ["inbox"], "kpi_red": ["inbox", "email"], "kpi_drop": ["inbox", "email"],
                  "monthly_report": ["inbox", "email"]},
}
_EMAIL = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[A-Za-z]{2,}")


def role_defaults(*, session: Session) -> dict[str, dict[str, list[str]]]:
    row = session.get(Setting, DEFAULTS_KEY)
    stored = json.loads(row.value) if row is not None else {}
    return {role: {e: list(stored.get(role, BUILTIN_DEFAULTS.get(role, {})).get(e, [])) for e in EVENTS}
            for role in ROLES}


def set_role_defaults(defaults: dict[str, dict[str, list[str]]], *, session: Session, actor: str) -> None:
    clean = {role: {e: sorted({c for c in defaults.get(role, {}).get(e, []) if c in CHANNELS}) for e in EVENTS}
             for role in ROLES}
    row = session.get(Setting, DEFAULTS_KEY)
    if row is None:
        session.add(Setting(key=DEFAULTS_KEY, value=json.dumps(clean), updated_by=actor))
    else:
        row.value, row.updated_by = json.dumps(clean), actor
    audit.record(session=session, actor=actor, action="notify_defaults", entity="setting", entity_id=DEFAULTS_KEY)


def _check(event: str, channel: str) -> None:
    if event not in EVENTS:
        raise ValidationFailed("err_notify_event", event=event)
    if channel not in CHANNELS:
        raise ValidationFailed("err_notify_channel", channel=channel)


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound("err_user_not_found", username=username)
    return user


def set_subscription(username: str, event: str, channel: str, enabled: bool, *, session: Session,
                     actor: str) -> None:
    """The user's own choice for (event, channel), whatever the role's default."""
    _check(event, channel)
    user = _user(session, username)
    row = session.scalar(select(NotifySubscription).where(NotifySubscription.username == user.username,
                                                          NotifySubscription.event == event,
                                                          NotifySubscription.channel == channel))
    if row is None:
        session.add(NotifySubscription(username=user.username, event=event, channel=channel, enabled=enabled))
    else:
        row.enabled = enabled
    audit.record(session=session, actor=actor, action="notify_subscribe" if enabled else "notify_unsubscribe",
                 entity="user", entity_id=user.username, detail={"event": event, "channel": channel})


def effective(*, session: Session) -> dict[str, dict[str, set[str]]]:
    """username → event → channels on, for every active user (defaults overlaid with own choices)."""
    defaults = role_defaults(session=session)
    out = {u: {e: set(defaults.get(role, {}).get(e, [])) for e in EVENTS}
           for u, role in session.execute(select(User.username, User.role).where(User.active.is_(True)))}
    for u, event, channel, enabled in session.execute(select(
            NotifySubscription.username, NotifySubscription.event, NotifySubscription.channel,
            NotifySubscription.enabled)):
        if u in out and event in out[u]:
            (out[u][event].add if enabled else out[u][event].discard)(channel)
    return out


def settings_frame(username: str, *, session: Session) -> pd.DataFrame:
    """One row per event, one boolean column per channel: what the settings page edits."""
    mine = effective(session=session).get(username.strip().lower(), {e: set() for e in EVENTS})
    return pd.DataFrame([{"event": e, **{c: c in mine.get(e, set()) for c in CHANNELS}} for e in EVENTS])


def save_settings(username: str, rows: list[dict], *, session: Session, actor: str) -> int:
    """Store the rows of settings_frame the user changed; returns how many choices changed."""
    before = effective(session=session).get(username, {})
    changed = 0
    for row in rows:
        event = row.get("event")
        for channel in CHANNELS:
            want = bool(row.get(channel))
            if event in EVENTS and want != (channel in before.get(event, set())):
                set_subscription(username, event, channel, want, session=session, actor=actor)
                changed += 1
    return changed


def set_email(username: str, email: str | None, *, session: Session, actor: str) -> None:
    user = _user(session, username)
    email = (email or "").strip() or None
    if email is not None and not _EMAIL.fullmatch(email):
        raise ValidationFailed("err_notify_email", email=email)
    user.email = email
    audit.record(session=session, actor=actor, action="user_email", entity="user", entity_id=user.username)


def get_email(username: str, *, session: Session) -> str | None:
    return _user(session, username).email
