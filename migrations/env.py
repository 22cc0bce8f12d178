"""Alembic environment: runs on a connection handed over by lib.schema, or on DATABASE_URL."""
from __future__ import annotations

from alembic import context

import lib.models  # noqa: F401  (registers every table on Base.metadata)
from lib.config import get_settings
from lib.db import Base, make_engine

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(get_settings().database_url)
    with engine.begin() as conn:
        _run(conn)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
