"""Notifications and subscriptions (SPEC §12): events → recipients → outbox → channels, delivered once.

`lib.notify.engine.run_once` is one evaluation and delivery pass (the CLI's `notify run`); events.py
finds what happened, recipients.py who should hear of it (ownership and organisation scope),
subscriptions.py which channels each of them wants, messages.py renders it in their language with no
personal data, outbox.py stores and claims it exactly once, channels.py sends it.
"""
from __future__ import annotations

EVENTS = ("sla_due_soon", "sla_breached", "escalated", "issue_due", "kpi_red", "kpi_drop", "monthly_report",
          "daily_digest", "risk_signal")
CHANNELS = ("email", "inbox", "wecom", "dingtalk", "feishu")
WEBHOOK_KINDS = ("wecom", "dingtalk", "feishu")
