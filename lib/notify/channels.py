"""Delivery channels: e-mail over SMTP (STARTTLS, login), WeCom / DingTalk (signed) / Feishu group-robot
webhooks. The in-app inbox needs no sending: a sent inbox row is the notification."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import smtplib
import ssl
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.errors import ValidationFailed
from lib.models import Company, NotifyWebhook
from lib.notify import WEBHOOK_KINDS
from lib.services import audit

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class SendError(RuntimeError):
    """A channel refused or could not take a message (retried with backoff)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    sender: str

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        host = os.environ.get("CRHQ_SMTP_HOST", "").strip()
        if not host:
            return None
        starttls = os.environ.get("CRHQ_SMTP_STARTTLS", "1").strip().lower() not in ("0", "false", "no", "off")
        return cls(host, int(os.environ.get("CRHQ_SMTP_PORT", "587" if starttls else "25")),
                   os.environ.get("CRHQ_SMTP_USER") or None, os.environ.get("CRHQ_SMTP_PASSWORD") or None, starttls,
                   os.environ.get("CRHQ_MAIL_FROM", "crhq@localhost"))


class Mailer:
    """One SMTP connection for a run's mails, opened on the first and reopened once if the server hung up."""

    def __init__(self, settings: SmtpSettings, timeout: float = 30.0) -> None:
        self.settings, self.timeout, self._smtp = settings, timeout, None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
        if s.starttls:
            # Certificates are always verified; CRHQ_SMTP_CAFILE trusts a private CA (or a self-signed relay).
            smtp.starttls(context=ssl.create_default_context(cafile=os.environ.get("CRHQ_SMTP_CAFILE") or None))
        if s.user:
            smtp.login(s.user, s.password or "")
        return smtp

    def send(self, msg: EmailMessage) -> None:
        for attempt in (1, 2):
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                refused = self._smtp.send_message(msg)
                if refused:
                    raise SendError(f"refused: {sorted(refused)}")
                return
            except smtplib.SMTPServerDisconnected:
                self._smtp = None
                if attempt == 2:
                    raise
            except (smtplib.SMTPException, OSError) as exc:
                self.close()
                raise SendError(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None


def email_message(*, sender: str, to: str, subject: str, text: str, html: str, outbox_ids: list[int],
                  attachment: tuple[str, bytes] | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(idstring=f"crhq-notify-{outbox_ids[0]}", domain=sender.partition("@")[2] or None)
    msg["X-CRHQ-Outbox"] = ",".join(str(i) for i in outbox_ids)
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    if attachment is not None:
        name, data = attachment
        msg.add_attachment(data, maintype=XLSX[0], subtype=XLSX[1], filename=name)
    return msg


# ---- group robots ----------------------------------------------------------------------------
def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's robot signature: base64(HMAC-SHA256(secret, "timestamp\\nsecret")), URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's robot signature: base64(HMAC-SHA256(key="timestamp\\nsecret", message=empty))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_request(kind: str, url: str, secret: str | None, title: str, text: str) -> tuple[str, bytes]:
    """(URL, JSON body) of one robot message."""
    if kind == "wecom":
        body = {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}
    elif kind == "dingtalk":
        body = {"msgtype": "markdown", "markdown": {"title": title, "text": f"### {title}\n\n" + text.replace("\n", "\n\n")}}
        if secret:
            ts = int(time.time() * 1000)
            url = f"{url}{'&' if '?' in url else '?'}timestamp={ts}&sign={dingtalk_sign(secret, ts)}"
    elif kind == "feishu":
        body = {"msg_type": "text", "content": {"text": f"{title}\n{text}"}}
        if secret:
            ts = int(time.time())
            body = {"timestamp": str(ts), "sign": feishu_sign(secret, ts), **body}
    else:
        raise ValueError(kind)
    return url, json.dumps(body, ensure_ascii=False).encode("utf-8")


def post_webhook(kind: str, url: str, secret: str | None, title: str, text: str, timeout: float = 15.0) -> None:
    target, data = webhook_request(kind, url, secret, title, text)
    req = urllib.request.Request(target, data=data, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (admin-configured robot URL)
            answer = json.loads(resp.read() or b"{}")
    except (OSError, ValueError) as exc:
        raise SendError(f"{type(exc).__name__}: {exc}") from exc
    # WeCom and DingTalk answer {"errcode": 0}; Feishu {"code": 0} (older: {"StatusCode": 0}).
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code not in (0, None):
        raise SendError(f"{kind} robot answered {code}: {answer.get('errmsg') or answer.get('msg')}")


def hooks(*, session: Session) -> dict[tuple[str, int | None], NotifyWebhook]:
    """(kind, company id or None for the group) → active robot."""
    return {(h.kind, h.company_id): h for h in session.scalars(select(NotifyWebhook).where(NotifyWebhook.active.is_(True)))}


def hooks_frame(*, session: Session):
    import pandas as pd
    rows = session.execute(select(NotifyWebhook.id, NotifyWebhook.kind, Company.name, NotifyWebhook.url,
                                  NotifyWebhook.secret.is_not(None), NotifyWebhook.active)
                           .outerjoin(Company, Company.id == NotifyWebhook.company_id).order_by(NotifyWebhook.id)).all()
    return pd.DataFrame(rows, columns=["id", "kind", "company", "url", "signed", "active"])


def set_hook(kind: str, company: str | None, url: str, secret: str | None, *, session: Session, actor: str,
             active: bool = True) -> int:
    """Add or replace the robot of a company (or of the group) for one kind; audited (never its secret)."""
    url = (url or "").strip()
    if kind not in WEBHOOK_KINDS:
        raise ValidationFailed("err_notify_channel", channel=kind)
    if not url.startswith(("https://", "http://")):
        raise ValidationFailed("err_notify_hook")
    company_id = None
    if company:
        company_id = session.scalar(select(Company.id).where(Company.name == company.strip()))
        if company_id is None:
            raise ValidationFailed("err_scope_unknown", entry=f"company:{company}")
    hook = session.scalar(select(NotifyWebhook).where(NotifyWebhook.kind == kind, NotifyWebhook.company_id.is_(None)
                                                      if company_id is None else NotifyWebhook.company_id == company_id))
    if hook is None:
        hook = NotifyWebhook(kind=kind, company_id=company_id, url=url, secret=secret or None, active=active)
        session.add(hook)
    else:
        hook.url, hook.secret, hook.active = url, secret or None, active
    session.flush()
    audit.record(session=session, actor=actor, action="notify_webhook", entity="notify_webhook", entity_id=hook.id,
                 detail={"kind": kind, "company": company or "group", "active": active})
    return hook.id
