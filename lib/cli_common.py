"""What lib.cli and every lib.cli_<feature> open the database with. Alembic and the engine code are imported
when a command runs, not when the parser is built (issue #27; tests/unit/test_cli_lazy.py holds that)."""
from __future__ import annotations

from lib.config import get_settings


def init_db(engine):
    from lib.schema import init_db as migrate
    return migrate(engine)


def session_scope(engine, **kwargs):
    from lib.db import session_scope as scope_of
    return scope_of(engine, **kwargs)


def migrated_engine():
    """The configured database's engine, its schema brought to the head first."""
    from lib.db import make_engine

    engine = make_engine(get_settings().database_url)
    init_db(engine)
    return engine
