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
DEMO_CREDENTIALS_FILE = DATA_DIR / "demo_credentials.json"

# Values people paste from tutorials; a cookie key equal to one of them is as good as public.
_PLACEHOLDERS = {"", "some_key", "changeme", "change-me", "secret", "random_signature_key", "xxx"}
MIN_COOKIE_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """The configuration cannot be used as it is (e.g. a placeholder secret)."""


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
