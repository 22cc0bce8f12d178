"""Settings read once from the environment (and st.secrets via lib.auth); refuses placeholder secrets."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DEFAULT_DB_PATH = DATA_DIR / "crhq.db"
COOKIE_KEY_FILE = DATA_DIR / ".cookie_key"
BACKUP_KEY_FILE = DATA_DIR / ".backup_key"
DEMO_CREDENTIALS_FILE = DATA_DIR / "demo_credentials.json"

# Values people paste from tutorials; a cookie key equal to one of them is as good as public.
_PLACEHOLDERS = {"", "some_key", "changeme", "change-me", "secret", "random_signature_key", "xxx"}
MIN_COOKIE_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """The configuration cannot be used as it is (e.g. a placeholder secret)."""


def private_files() -> None:
    """Files and folders this process creates are its owner's only (0600 / 0700): the database and its
    WAL, exports, reports, backups, analytic snapshots and keys all hold personal data or secrets.
    Called when this module is first imported, which every entry point (app, CLI, scripts) does."""
    os.umask(0o077)


private_files()


def open_private(path: str | Path):
    """Open a file for writing (truncated) that only its owner can read, even if it existed with
    wider permissions before (open() keeps an existing file's mode)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


@dataclass(frozen=True)
class Settings:
    database_url: str
    demo_mode: bool
    demo_explicit: bool  # CRHQ_DEMO=1 asked for demo mode even where the app is reachable by others
    cookie_name: str
    cookie_expiry_days: float


def default_database_url() -> str:
    return f"sqlite:///{DEFAULT_DB_PATH}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    url = os.environ.get("DATABASE_URL", "").strip()
    # Demo mode only on the embedded default database and unless switched off explicitly.
    demo = not url and os.environ.get("CRHQ_DEMO", "1") != "0"
    return Settings(
        database_url=url or default_database_url(),
        demo_mode=demo,
        demo_explicit=os.environ.get("CRHQ_DEMO", "").strip() == "1",
        cookie_name=os.environ.get("CRHQ_COOKIE_NAME", "crhq_auth"),
        cookie_expiry_days=float(os.environ.get("CRHQ_COOKIE_EXPIRY_DAYS", "7")),
    )


LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def is_loopback(address: str | None) -> bool:
    """A bind address or Host header name that only this machine reaches ('' or None: every interface)."""
    host = (address or "").strip().lower()
    if host.startswith("["):
        host = host.split("]")[0] + "]"
    elif host.count(":") == 1:
        host = host.split(":")[0]
    return host in LOOPBACK or host.startswith("127.")


def validate_cookie_key(key: str) -> str:
    key = key.strip()
    if key.lower() in _PLACEHOLDERS or len(key) < MIN_COOKIE_KEY_LENGTH:
        raise ConfigError(
            f"CRHQ_COOKIE_KEY must be a random secret of at least {MIN_COOKIE_KEY_LENGTH} characters"
        )
    return key


def cookie_key(secret_from_store: str | None = None, key_file: Path = COOKIE_KEY_FILE) -> str:
    """The cookie signing key: environment, then st.secrets (passed in), else a per-install file.

    The file is created once with owner-only permissions, so every installation signs its
    cookies with its own key and no key is ever a constant in the code.
    """
    from_env = os.environ.get("CRHQ_COOKIE_KEY")
    if from_env is not None:
        return validate_cookie_key(from_env)
    if secret_from_store is not None:
        return validate_cookie_key(secret_from_store)
    if key_file.exists():
        return validate_cookie_key(key_file.read_text(encoding="ascii"))
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return validate_cookie_key(key_file.read_text(encoding="ascii"))
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key


def backup_key(key_file: Path | None = None, *, create: bool = True) -> bytes | None:
    """The server secret that signs backups and keys the audit log's hash chain: CRHQ_BACKUP_KEY, else
    a per-install file created once (owner-only). It is never written into a backup, so whoever edits
    a backup or the audit table without it cannot make them verify. None if there is none and not
    `create`."""
    from_env = os.environ.get("CRHQ_BACKUP_KEY")
    if from_env is not None:
        return validate_backup_key(from_env)
    key_file = key_file or BACKUP_KEY_FILE
    if key_file.exists():
        return validate_backup_key(key_file.read_text(encoding="utf-8"))
    if not create:
        return None
    install_backup_key(secrets.token_urlsafe(48), key_file)
    return validate_backup_key(key_file.read_text(encoding="utf-8"))  # another process may have won


def validate_backup_key(key: str) -> bytes:
    key = key.strip()
    if key.lower() in _PLACEHOLDERS or len(key) < MIN_COOKIE_KEY_LENGTH:
        raise ConfigError(f"CRHQ_BACKUP_KEY must be a random secret of at least {MIN_COOKIE_KEY_LENGTH} characters")
    return key.encode("utf-8")


def install_backup_key(key: str, key_file: Path | None = None) -> None:
    """Write the key file once (owner-only); an existing file is left as it is."""
    validate_backup_key(key)
    key_file = key_file or BACKUP_KEY_FILE
    key_file.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under another name, then linked: a process that loses the race never reads half a key.
    draft = key_file.with_name(f"{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key.strip())
    try:
        os.link(draft, key_file)
    except FileExistsError:
        pass
    finally:
        os.unlink(draft)
