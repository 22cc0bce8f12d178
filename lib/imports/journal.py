"""What one import has written, kept so a failure after some of it was committed can undo it."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Table, and_, delete, event, insert, inspect, update
from sqlalchemy.orm import Session

NEVER_UNDONE = frozenset({"audit_log"})  # append-only: recorded once the import has succeeded
_STEP = 500


class Journal:
    """Rows inserted (by id, as runs of consecutive ids), rows updated (their old values) and rows
    deleted (whole), in the order they happened. ORM writes are noted through session events,
    bulk inserts and deletes by the writers (`WriteContext.insert`, `removing`)."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, Table, Any]] = []
        self.updated_keys: set[tuple[str, tuple]] = set()
        self.new_keys: set[tuple[str, tuple]] = set()
        self.committed = False  # some of the import is committed: a failure must undo it

    # ---- noting -----------------------------------------------------------------------------

    def inserted(self, table: Table, ids: list[int]) -> None:
        if table.name in NEVER_UNDONE or not ids:
            return
        runs, first, last = [], ids[0], ids[0]
        for value in ids[1:]:
            if value == last + 1:
                last = value
            else:
                runs.append((first, last))
                first = last = value
        runs.append((first, last))
        previous = self.steps[-1] if self.steps else None
        if previous and previous[0] == "insert" and previous[1] is table and previous[2][-1][1] + 1 == runs[0][0]:
            previous[2][-1] = (previous[2][-1][0], runs[0][1])  # one ORM row after another: one run
            previous[2].extend(runs[1:])
            return
        self.steps.append(("insert", table, runs))

    def removing(self, session: Session, table: Table, where) -> None:
        """Note the rows a bulk delete is about to remove (call just before it)."""
        rows = [dict(r._mapping) for r in session.execute(table.select().where(where))]
        if rows:
            self.steps.append(("delete", table, rows))

    def mark(self) -> int:
        return len(self.steps)

    def forget(self, mark: int) -> None:
        """Drop what was noted since `mark` (its savepoint was rolled back)."""
        del self.steps[mark:]

    def watch(self, session: Session) -> None:
        event.listen(session, "before_flush", self._before_flush)
        event.listen(session, "after_flush", self._after_flush)

    def unwatch(self, session: Session) -> None:
        event.remove(session, "before_flush", self._before_flush)
        event.remove(session, "after_flush", self._after_flush)

    def _before_flush(self, session: Session, _context, _instances) -> None:
        for obj in session.dirty:
            state = inspect(obj)
            table = state.mapper.local_table
            key = (table.name, state.identity)
            if table.name in NEVER_UNDONE or key in self.updated_keys or key in self.new_keys:
                continue
            old = {}
            for name in state.committed_state:
                prop = state.mapper.attrs.get(name)
                columns = getattr(prop, "columns", None)
                if not columns or state.mapper.version_id_col is columns[0]:
                    continue
                history = state.attrs[name].history
                if history.deleted:
                    old[columns[0].name] = history.deleted[0]
            if old:
                self.updated_keys.add(key)
                pk = dict(zip((c.name for c in state.mapper.primary_key), state.identity, strict=True))
                self.steps.append(("update", table, (pk, old)))

    def _after_flush(self, session: Session, _context) -> None:
        for obj in session.new:
            state = inspect(obj)
            table = state.mapper.local_table
            if table.name in NEVER_UNDONE:
                continue
            pk = state.mapper.primary_key_from_instance(obj)
            self.new_keys.add((table.name, tuple(pk)))
            if len(pk) == 1 and isinstance(pk[0], int):
                self.inserted(table, [pk[0]])
            else:
                names = [c.name for c in state.mapper.primary_key]
                self.steps.append(("insert_keys", table, [dict(zip(names, pk, strict=True))]))

    # ---- undoing ----------------------------------------------------------------------------

    def undo(self, session: Session) -> None:
        """Put back what the import changed, newest first, in the session's current transaction."""
        for kind, table, what in reversed(self.steps):
            if kind == "insert":
                pk = table.c.id
                for first, last in what:
                    for start in range(first, last + 1, _STEP):
                        session.execute(delete(table).where(pk.between(start, min(last, start + _STEP - 1))))
            elif kind == "insert_keys":
                for key in what:
                    session.execute(delete(table).where(and_(*(table.c[k] == v for k, v in key.items()))))
            elif kind == "update":
                pk, old = what
                session.execute(update(table).where(and_(*(table.c[k] == v for k, v in pk.items()))).values(old))
            elif kind == "delete":
                session.execute(insert(table), what)
