"""Service calls from a page outside the cache: a read in its own session, a write in its own transaction."""
from __future__ import annotations

from lib import auth
from lib.db import session_scope
from lib.errors import DomainError
from lib.ui.cache import clear_caches, get_engine


def read(fn, *args, **kwargs):
    """An uncached read in its own session (detail views must show the record as it is now)."""
    with session_scope(get_engine(), readonly=True) as session:
        return fn(*args, session=session, **kwargs)


def _require_valid_session() -> None:
    """Writes come from callbacks, which run before page_setup: a session revoked since the form was
    drawn (disabled, role changed, logged out elsewhere) writes nothing."""
    if auth.signed_in_still(get_engine()) is None:
        raise DomainError("err_session_ended")


def write(fn, *args, **kwargs):
    """Run a service call in its own transaction, then drop cached reads so pages show the change. A
    database that stays busy (another long write) is a message in the user's language, not a traceback."""
    _require_valid_session()
    with auth.database_errors_as_messages():
        with session_scope(get_engine()) as session:
            result = fn(*args, session=session, **kwargs)
    clear_caches()
    return result
