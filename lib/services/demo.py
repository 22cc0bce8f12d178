"""First start on the embedded database: migrate, seed demo data and create the demo accounts."""
from __future__ import annotations

import fcntl
import json
import os
import secrets
from pathlib import Path

from sqlalchemy.engine import Engine

from lib.config import DATA_DIR, DEMO_CREDENTIALS_FILE
from lib.db import session_scope
from lib.errors import DomainError
from lib.schema import init_db
from lib.scope import parse as parse_scope
from lib.scope import validate as validate_scope
from lib.services import seed, users

# username, role, display name, scope (SPEC §11): the group accounts, a local company's complaint
# handler and a region's executive, so the demo shows what a scoped user sees. The names are the
# demo data's (lib.services.seed.COMPANIES: 深圳公司 in 华南).
DEMO_ACCOUNTS = (("exec", "executive", "演示领导", "group"), ("staff", "staff", "演示专员", "group"),
                 ("admin", "admin", "演示管理员", "group"),
                 ("shenzhen", "staff", "深圳公司客服", "company:深圳公司"),
                 ("south_exec", "executive", "华南区域领导", "region:华南"))


def bootstrap(engine: Engine, *, demo_mode: bool, credentials_file: Path = DEMO_CREDENTIALS_FILE) -> None:
    """Idempotent; a file lock keeps two processes from seeding the same database at once."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(DATA_DIR / "bootstrap.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        init_db(engine)
        if not demo_mode:
            return
        with session_scope(engine, readonly=True) as session:  # the usual case: nothing to do, no write lock
            empty, no_users = seed.is_empty(session=session), users.count_users(session=session) == 0
        if empty:
            with session_scope(engine) as session:
                if seed.is_empty(session=session):
                    seed.seed_demo(session=session)
        if no_users:
            with session_scope(engine) as session:
                if users.count_users(session=session) == 0:
                    creds = create_demo_users(session=session)
                    _write_private(credentials_file, json.dumps(creds, ensure_ascii=False, indent=1))


def create_demo_users(*, session) -> list[dict[str, str]]:
    """The demo accounts with random passwords: demo credentials are per installation, never in code."""
    creds = []
    for username, role, name, scope in DEMO_ACCOUNTS:
        try:  # a demo database without the demo's companies gets the group accounts only
            validate_scope(parse_scope(scope), session=session)
        except DomainError:
            continue
        password = secrets.token_urlsafe(9)
        users.add_user(session=session, username=username, role=role, name=name, password=password,
                       actor="system", scope=parse_scope(scope))
        creds.append({"username": username, "role": role, "name": name, "scope": scope, "password": password})
    return creds


def demo_credentials(credentials_file: Path = DEMO_CREDENTIALS_FILE) -> list[dict[str, str]]:
    if not credentials_file.exists():
        return []
    return json.loads(credentials_file.read_text(encoding="utf-8"))


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
