"""E-mail through a real SMTP server on loopback that requires STARTTLS and a login (AUTH PLAIN or LOGIN),
as a company relay does: the mails arrive only over TLS with the right credentials; the server's
certificate is verified (self-signed here, trusted through CRHQ_SMTP_CAFILE, never by switching checks
off); a wrong password leaves the mails to be retried, then failed, every attempt audited."""
from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lib.db import session_scope
from lib.models import AuditLog
from lib.notify import engine as notify_engine
from lib.notify import outbox as box
from tests.service.test_notify_world import EVE, Mailbox, free_port, outbox, scan_for_personal_data, world

USER, PASSWORD = "crhq-relay", "s3cret-relay-pw"


def _self_signed(tmp_path):
    """A certificate for localhost / 127.0.0.1 and its key, made with `cryptography`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "relay.crt", tmp_path / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class TlsMailbox(Mailbox):
    """Keeps, with each accepted mail, whether the session was under TLS and who had logged in."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions: list[tuple[bool, bytes | None]] = []
        self.logins: list[tuple[str, bytes, bool]] = []

    async def handle_DATA(self, server, session, envelope):
        who = session.auth_data.login if session.authenticated and session.auth_data else None
        self.sessions.append((session.ssl is not None, who))
        return await super().handle_DATA(server, session, envelope)

    def authenticator(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        self.logins.append((mechanism, auth_data.login, ok))
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@pytest.fixture(params=["PLAIN", "LOGIN"])
def relay(request, tmp_path, monkeypatch):
    """A relay requiring STARTTLS and AUTH; offers only the mechanism of the parameter (smtplib picks it)."""
    from aiosmtpd.controller import Controller

    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box_ = TlsMailbox()
    port = free_port()
    controller = Controller(box_, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            auth_required=True, auth_require_tls=True, authenticator=box_.authenticator,
                            auth_exclude_mechanism=[m for m in ("PLAIN", "LOGIN") if m != request.param])
    controller.start()
    for name, value in (("CRHQ_SMTP_HOST", "127.0.0.1"), ("CRHQ_SMTP_PORT", str(port)), ("CRHQ_SMTP_STARTTLS", "1"),
                        ("CRHQ_SMTP_USER", USER), ("CRHQ_SMTP_PASSWORD", PASSWORD), ("CRHQ_SMTP_CAFILE", str(cert)),
                        ("CRHQ_MAIL_FROM", "crhq@hq.example.com"), ("CRHQ_NOTIFY_STORM", "1000")):
        monkeypatch.setenv(name, value)
    box_.mechanism = request.param
    yield box_
    box_.release.set()
    controller.stop()


def test_mails_arrive_over_starttls_after_login(engine, relay):
    world(engine)
    result = notify_engine.run_once(engine, now=EVE)
    mails = outbox(engine, channel="email")
    assert result.failed == 0 and mails and {r.status for r in mails} == {"sent"}
    assert len(relay.accepted) == len(mails)
    # Every mail came in a TLS session that had logged in as the relay user, with the offered mechanism.
    assert relay.sessions and all(tls and login == USER.encode() for tls, login in relay.sessions)
    assert relay.logins and {(m, ok) for m, _login, ok in relay.logins} == {(relay.mechanism, True)}
    assert {to for to, _m in relay.parsed() for to in to} == {"li@example.com", "wang@example.com", "hq@example.com"}
    scan_for_personal_data([raw.decode("utf-8", "replace") for _to, raw in relay.accepted])


def test_a_wrong_password_is_retried_then_failed_and_audited(engine, relay, monkeypatch):
    world(engine)
    monkeypatch.setenv("CRHQ_SMTP_PASSWORD", "not-the-password")
    first = notify_engine.run_once(engine, now=EVE)
    mails = outbox(engine, channel="email")
    assert relay.accepted == [] and first.failed == 0 and first.deferred == len(mails) > 0
    assert {(r.status, r.attempts) for r in mails} == {("pending", 1)}
    assert all("SMTPAuthenticationError" in r.last_error for r in mails)
    assert relay.logins and not any(ok for _m, _l, ok in relay.logins)
    assert all(r.next_attempt_at == EVE + timedelta(minutes=1) for r in mails)
    # The last attempt (here the second) turns the rows failed, listed for the admin.
    monkeypatch.setattr(box, "MAX_ATTEMPTS", 2)
    last = notify_engine.run_once(engine, now=EVE + timedelta(minutes=1))
    ids = {r.id for r in mails}
    assert last.failed == len(mails) and relay.accepted == []
    assert {r.status for r in outbox(engine, channel="email") if r.id in ids} == {"failed"}
    with session_scope(engine, readonly=True) as s:
        assert set(box.failed_frame(session=s)["id"]) >= ids
        audited = s.execute(select(AuditLog.entity_id, AuditLog.detail).where(AuditLog.action == "notify_failed")).all()
    assert len([a for a, _d in audited if int(a) in ids]) == 2 * len(mails)  # each attempt audited
    assert not any(PASSWORD in str(d) for _a, d in audited) and not any("not-the-password" in str(d) for _a, d in audited)


def test_an_untrusted_certificate_is_refused(engine, relay, monkeypatch):
    """Without the CA file the self-signed certificate fails verification: nothing is sent, and no login
    (the password never leaves over an unverified channel)."""
    world(engine)
    monkeypatch.delenv("CRHQ_SMTP_CAFILE")
    result = notify_engine.run_once(engine, now=EVE)
    mails = outbox(engine, channel="email")
    assert result.sent > 0 and relay.accepted == [] and relay.logins == []
    assert mails and {r.status for r in mails} == {"pending"}
    assert all("CERTIFICATE_VERIFY_FAILED" in r.last_error for r in mails)
