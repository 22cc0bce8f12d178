"""Create or migrate the schema with Alembic (idempotent) and tell where a database stands."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from lib.config import ROOT


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer version of the code than this one."""


def _alembic_config() -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.execution_options(crhq_readonly=True).connect() as conn:  # a read: never the write lock
        return MigrationContext.configure(conn).get_current_revision()


def init_db(engine: Engine) -> str:
    """Upgrade to head; safe to call on every start. Returns the revision now in place."""
    script = ScriptDirectory.from_config(_alembic_config())
    current = current_revision(engine)
    if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
        raise SchemaTooNew(f"database schema {current} is newer than this code ({script.get_current_head()})")
    if current == script.get_current_head():
        return current
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return script.get_current_head()
