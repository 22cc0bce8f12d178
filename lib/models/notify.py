"""Notifications (SPEC §12): the outbox (one row per event, record, recipient and channel), per-user
subscriptions, group-robot webhooks and marks of the periodic evaluations already done."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lib.db import Base, utcnow


class NotifyOutbox(Base):
    """A message to deliver. The unique key makes every (event, record, recipient, channel) exist once,
    whichever run (or two overlapping runs) evaluated it first; `status` moves pending → sending →
    sent | failed (back to pending with a later `next_attempt_at` after a failed attempt)."""
    __tablename__ = "notify_outbox"
    __table_args__ = (
        UniqueConstraint("event", "record_key", "recipient", "channel", name="uq_notify_outbox_key"),
        Index("ix_notify_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_notify_outbox_recipient_channel", "recipient", "channel", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(20))
    record_key: Mapped[str] = mapped_column(String(120))
    # A username, or "hook:<id>" for a group-robot webhook.
    recipient: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10))
    lang: Mapped[str] = mapped_column(String(5), default="zh")
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)  # plain text; the HTML part is rendered from it
    link: Mapped[str | None] = mapped_column(String(300))
    payload: Mapped[str | None] = mapped_column(Text)  # JSON: what the channel needs beyond text (a month)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)  # business time of the run's clock
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC, the process clock (leases)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A storm: the rows of one recipient and channel delivered together point at the row that carried them.
    digest_id: Mapped[int | None] = mapped_column(Integer)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)  # inbox
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class NotifySubscription(Base):
    """A user's own choice for one event and channel; absent, the admin's default for the role applies."""
    __tablename__ = "notify_subscription"
    __table_args__ = (UniqueConstraint("username", "event", "channel", name="uq_notify_subscription_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    event: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class NotifyWebhook(Base):
    """A WeCom / DingTalk / Feishu group robot of one company, or of the group (company_id empty)."""
    __tablename__ = "notify_webhook"
    __table_args__ = (UniqueConstraint("kind", "company_id", name="uq_notify_webhook_kind_company"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str | None] = mapped_column(String(200))  # DingTalk / Feishu signing secret
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class NotifyMark(Base):
    """A periodic evaluation done (the KPI events of a month, a day's digest): committed with its outbox
    rows, so it is neither repeated every minute nor lost."""
    __tablename__ = "notify_mark"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
