"""Item 12: a backup edited to make someone admin, its checksum recomputed, is refused (the signature
needs the server's key, which is not in the file); unsigned and foreign-key backups need an explicit
flag; a restore is audited in the restored database and its audit chain verifies there. Through the
CLI as an admin runs it."""
from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import text

from lib import cli, config
from lib.db import make_engine, session_scope
from lib.schema import init_db
from lib.services import audit, users

KEY_A = "key-A-" + "a" * 40
KEY_B = "key-B-" + "b" * 40


@pytest.fixture
def run(monkeypatch, capsys):
    """cli.main against a database URL: (rc, stdout + stderr)."""
    def call(url: str, *argv: str) -> tuple[int, str]:
        monkeypatch.setenv("DATABASE_URL", url)
        config.get_settings.cache_clear()
        capsys.readouterr()
        rc = cli.main(list(argv))
        out = capsys.readouterr()
        return rc, out.out + out.err

    yield call
    config.get_settings.cache_clear()


@pytest.fixture
def signed(tmp_path, run, monkeypatch) -> Path:
    """A SQLite database with an admin, a staff member and audit rows, backed up by the CLI (key A)."""
    monkeypatch.setenv("CRHQ_BACKUP_KEY", KEY_A)
    source = make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    init_db(source)
    with session_scope(source) as session:
        users.add_user(session=session, username="admin1", role="admin", name="管理员", password="admin-pass-1")
        users.add_user(session=session, username="staff1", role="staff", name="职员", password="staff-pass-1")
    path = tmp_path / "crhq.backup"
    rc, out = run(str(source.url), "backup", str(path))
    assert rc == 0, out
    return path


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _rewrite(path: Path, out: Path, edit) -> None:
    """Copy a backup, `edit(name, bytes) -> bytes | None` on each member (None drops it)."""
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = edit(item.filename, zin.read(item))
            if data is not None:
                zout.writestr(item.filename, data)


def _with_sha(manifest: bytes, table: str, data: bytes, columns=None) -> bytes:
    info = json.loads(manifest)
    info["tables"][table]["sha256"] = hashlib.sha256(data).hexdigest()
    if columns is not None:
        info["tables"][table]["columns"] = columns
    return json.dumps(info, ensure_ascii=False, indent=1).encode()


def _count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(text(f"SELECT COUNT(*) FROM {table}"))


def _promoted(path: Path, out: Path) -> None:
    """The attack: staff1 becomes admin inside the zip, the manifest's SHA-256 recomputed to match."""
    with zipfile.ZipFile(path) as zf:
        rows = zf.read("app_user.jsonl")
    assert b'"staff1","\xe8\x81\x8c\xe5\x91\x98","staff"' in rows
    tampered = rows.replace(b'"staff1","\xe8\x81\x8c\xe5\x91\x98","staff"', b'"staff1","\xe8\x81\x8c\xe5\x91\x98","admin"')
    _rewrite(path, out, lambda name, data: tampered if name == "app_user.jsonl" else
             _with_sha(data, "app_user", tampered) if name == "manifest.json" else data)


def test_a_promoted_user_with_recomputed_checksum_is_refused_and_nothing_written(signed, engine, run, tmp_path):
    bad = tmp_path / "promoted.backup"
    _promoted(signed, bad)
    rc, out = run(_url(engine), "restore", str(bad))
    assert rc == 1 and "signature does not match" in out and "nothing changed" in out, out
    assert _count(engine, "app_user") == 0 and _count(engine, "audit_log") == 0 and _count(engine, "company") == 0


def test_a_backup_whose_signature_was_removed_is_refused(signed, engine, run, tmp_path):
    bad = tmp_path / "unsigned.backup"
    _promoted(signed, tmp_path / "promoted.backup")
    _rewrite(tmp_path / "promoted.backup", bad, lambda name, data: None if name == "manifest.sig" else data)
    rc, out = run(_url(engine), "restore", str(bad))
    assert rc == 1 and "not signed" in out, out
    assert _count(engine, "app_user") == 0


def test_a_signed_backup_restores_is_audited_there_and_its_chain_verifies(signed, engine, run):
    rc, out = run(_url(engine), "restore", str(signed))
    assert rc == 0 and "signature verified" in out and "audit chain intact" in out, out
    with engine.connect() as conn:
        roles = dict(conn.execute(text("SELECT username, role FROM app_user")).all())
        last = conn.execute(text("SELECT actor, action, detail FROM audit_log ORDER BY id DESC LIMIT 1")).one()
    assert roles == {"admin1": "admin", "staff1": "staff"}
    detail = json.loads(last.detail)
    assert (last.actor, last.action) == ("cli", "restore")
    assert detail["signature"] == "verified" and detail["without_users"] is False
    assert detail["file_sha256"] == hashlib.sha256(signed.read_bytes()).hexdigest()
    assert detail["os_user"] and detail["tables"]["app_user"] == 2 and detail["audit_chain"] == "intact"
    rc, out = run(_url(engine), "audit", "verify")  # the restore's own row continues the restored chain
    assert rc == 0 and "audit chain intact: 3 rows" in out, out  # 2 user_add (the backup's own row is after it) + restore


def _legacy(path: Path, out: Path) -> None:
    """A format-1 backup as the code before signatures wrote it: no manifest.sig, schema 0005, audit
    rows without the hash columns."""
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        columns = manifest["tables"]["audit_log"]["columns"]
        keep = [i for i, c in enumerate(columns) if c not in ("prev_hash", "row_hash")]
        lines = [json.loads(line) for line in zf.read("audit_log.jsonl").splitlines()]
    rows = b"".join(json.dumps([r[i] for i in keep], ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
                    for r in lines)
    manifest.update(format="crhq-backup/1", revision="0005")
    manifest.pop("audit_head")
    body = _with_sha(json.dumps(manifest).encode(), "audit_log", rows, [columns[i] for i in keep])
    _rewrite(path, out, lambda name, data: None if name == "manifest.sig" else rows if name == "audit_log.jsonl"
             else body if name == "manifest.json" else data)


def test_an_old_unsigned_backup_restores_only_with_a_flag(signed, engine, run, tmp_path):
    old = tmp_path / "old.backup"
    _legacy(signed, old)
    rc, out = run(_url(engine), "restore", str(old))
    assert rc == 1 and "not signed" in out and "--without-users" in out, out
    assert _count(engine, "audit_log") == 0
    rc, out = run(_url(engine), "restore", str(old), "--without-users")
    assert rc == 0 and "signature unsigned" in out and "user accounts not restored" in out, out
    assert _count(engine, "app_user") == 0 and _count(engine, "audit_log") == 3  # 2 restored + the restore
    rc, out = run(_url(engine), "audit", "verify")  # the old rows were chained on the way in
    assert rc == 0 and "3 rows" in out, out

    second = make_engine(f"sqlite:///{tmp_path / 'second.db'}")
    rc, out = run(str(second.url), "restore", str(old), "--trust-unsigned")
    assert rc == 0, out
    with second.connect() as conn:
        assert dict(conn.execute(text("SELECT username, role FROM app_user")).all()) == {
            "admin1": "admin", "staff1": "staff"}
        detail = json.loads(conn.scalar(text("SELECT detail FROM audit_log ORDER BY id DESC LIMIT 1")))
    assert detail["signature"] == "unsigned" and detail["format"] == "crhq-backup/1"


def test_a_backup_from_another_installation_needs_its_key(signed, engine, run, tmp_path, monkeypatch):
    monkeypatch.setenv("CRHQ_BACKUP_KEY", KEY_B)  # this installation's key is not the one that signed
    rc, out = run(_url(engine), "restore", str(signed))
    assert rc == 1 and "another key" in out and "--key-file" in out, out
    key_a = tmp_path / "key_a"
    key_a.write_text(KEY_A)
    rc, out = run(_url(engine), "restore", str(signed), "--key-file", str(key_a))
    assert rc == 1 and "not this installation's key" in out, out
    assert _count(engine, "app_user") == 0

    # A new machine with no key of its own: the given key becomes its key (owner-only), and restores.
    monkeypatch.delenv("CRHQ_BACKUP_KEY")
    monkeypatch.setattr(config, "BACKUP_KEY_FILE", tmp_path / "data" / ".backup_key")
    rc, out = run(_url(engine), "restore", str(signed), "--key-file", str(key_a))
    assert rc == 0 and "installed the key" in out and "signature verified" in out, out
    assert (tmp_path / "data" / ".backup_key").read_text() == KEY_A
    assert stat.S_IMODE(os.stat(tmp_path / "data" / ".backup_key").st_mode) == 0o600
    rc, out = run(_url(engine), "audit", "verify")
    assert rc == 0, out


def test_a_restore_refuses_a_backup_whose_audit_log_was_edited(signed, engine, run, tmp_path, monkeypatch):
    """The audit rows inside a backup signed here cannot be edited either: checksum, and the chain."""
    bad = tmp_path / "edited.backup"
    with zipfile.ZipFile(signed) as zf:
        rows = zf.read("audit_log.jsonl").replace(b'"user_add"', b'"user_del"', 1)
    _rewrite(signed, bad, lambda name, data: rows if name == "audit_log.jsonl" else data)
    rc, out = run(_url(engine), "restore", str(bad))
    assert rc == 1 and "checksum" in out, out
    rc, out = run(_url(engine), "restore", str(bad), "--trust-unsigned")  # the checksum is still checked
    assert rc == 1 and _count(engine, "audit_log") == 0


def test_the_key_file_is_made_once_and_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("CRHQ_BACKUP_KEY", raising=False)
    path = tmp_path / "k" / ".backup_key"
    first = config.backup_key(path)
    assert config.backup_key(path) == first and len(first) >= 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert audit.chain_key(first) != first  # the chain and the signature use keys derived from it


def test_a_backup_of_a_tampered_audit_log_is_refused_unless_trusted(tmp_path, engine, run, monkeypatch):
    """A signed backup of a database whose audit log was edited past its triggers: the restore
    verifies the chain and refuses; with --trust-unsigned it restores and says the chain is broken."""
    monkeypatch.setenv("CRHQ_BACKUP_KEY", KEY_A)
    source = make_engine(f"sqlite:///{tmp_path / 'tampered.db'}")
    init_db(source)
    with session_scope(source) as session:
        for name in ("u1", "u2", "u3"):
            users.add_user(session=session, username=name, role="staff", name=name, password="long-pass-123")
    with source.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        conn.execute(text("DELETE FROM audit_log WHERE id = 2"))
    path = tmp_path / "tampered.backup"
    assert run(str(source.url), "backup", str(path))[0] == 0
    rc, out = run(_url(engine), "restore", str(path))
    assert rc == 1 and "audit log does not verify" in out and "row 3 does not follow row 1" in out, out
    assert _count(engine, "app_user") == 0
    rc, out = run(_url(engine), "restore", str(path), "--trust-unsigned")
    assert rc == 0 and "audit chain BROKEN" in out, out
    rc, out = run(_url(engine), "audit", "verify")
    assert rc == 1 and "row 3" in out, out


def test_a_refused_restore_leaves_a_new_target_untouched(signed, run, tmp_path):
    """The signature is checked before the target is opened: not even a schema is written."""
    bad, target = tmp_path / "promoted.backup", tmp_path / "never.db"
    _promoted(signed, bad)
    rc, out = run(f"sqlite:///{target}", "restore", str(bad))
    assert rc == 1 and "signature does not match" in out, out
    assert not target.exists()
