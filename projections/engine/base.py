"""What a read model is: tables, the event types it reads, and how it applies events.

A projection applies one event at a time (``apply``); it may also apply a whole page at
once (``apply_page``), which the runner then prefers: a page's writes gathered per table
and sent as one ``executemany`` each, instead of one statement per event.
:class:`PageWrites` folds a page's writes to one table in memory so that the rows written
are exactly those that applying the page one event at a time would leave.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

from ledger.integrity.mapper import Record
from ledger.store.sql import ReadModelWriter


class Projection(Protocol):
    """A read model built only from the event log; rebuildable from zero.

    ``schema_version`` changes when the tables or the meaning of rows change; the runner
    then rebuilds that projection from the start of the log.
    """

    name: ClassVar[str]
    schema_version: ClassVar[int]
    tables: ClassVar[dict[str, str]]  # table name -> CREATE TABLE statement (portable SQL)
    indexes: ClassVar[tuple[str, ...]]
    topics: ClassVar[frozenset[str]]  # event types it reads

    def apply(self, db: ReadModelWriter, record: Record) -> None: ...


@runtime_checkable
class PageProjection(Protocol):
    """A projection that can apply a page of events at once, with the same result as
    applying them one by one, in order."""

    def apply_page(self, db: ReadModelWriter, records: Sequence[Record]) -> None: ...


def unapplied(p: Projection, page: Sequence[tuple[int, Record]], position: int
              ) -> list[Record]:
    """The events of ``page`` (notification id, record) that ``p`` reads and has not applied
    yet (past ``position``), in log order."""
    topics = p.topics
    return [record for nid, record in page if nid > position and record.type in topics]


def apply_records(p: Projection, db: ReadModelWriter, records: Sequence[Record]) -> None:
    """Apply ``records`` (in log order, all of ``p``'s topics) to ``p``: a page at once if
    it can, else one by one."""
    if not records:
        return
    if isinstance(p, PageProjection):
        p.apply_page(db, records)
    else:
        for record in records:
            p.apply(db, record)


class PageWrites:
    """One page's writes to one table, folded per primary key, written on :meth:`flush`.

    Two operations, with the meaning of the SQL they stand for:

    * ``insert(row, update)``: ``INSERT row ON CONFLICT (key) DO UPDATE SET`` the columns
      named in ``update`` (``DO NOTHING`` when there are none);
    * ``update(key, values)``: ``UPDATE … SET values WHERE key``.

    Per key the fold keeps the row to insert if the table had none (``None`` if no insert
    was seen) and the columns to set if it had one. Both cases are carried together because
    the page does not know which holds (an earlier page, or another writer, may have
    written the key); the flush's ``INSERT … ON CONFLICT DO UPDATE`` then takes the right
    branch on the server. Keys are independent, so the flush order between keys is free.
    """

    def __init__(self, table: str, columns: Sequence[str], key: Sequence[str]) -> None:
        self.table = table
        self.columns = tuple(columns)
        self.key = tuple(key)
        self._at = {c: i for i, c in enumerate(self.columns)}
        self._key_at = tuple(self._at[c] for c in self.key)
        self._rows: dict[tuple[Any, ...], tuple[list[Any] | None, dict[str, Any]]] = {}

    def _key(self, row: Sequence[Any]) -> tuple[Any, ...]:
        if len(self._key_at) == 1:
            return (row[self._key_at[0]],)
        return tuple(row[i] for i in self._key_at)

    def insert(self, row: Sequence[Any], update: Collection[str] = ()) -> None:
        key = self._key(row)
        held = self._rows.get(key)
        if held is None:
            self._rows[key] = (list(row), {c: row[self._at[c]] for c in update}
                               if update else {})
            return
        pending, sets = held
        for c in update:
            sets[c] = row[self._at[c]]
        if pending is None:
            self._rows[key] = (list(row), sets)
        else:
            for c in update:
                pending[self._at[c]] = row[self._at[c]]

    def update(self, key: Sequence[Any], values: dict[str, Any]) -> None:
        k = tuple(key)
        held = self._rows.get(k)
        if held is None:
            self._rows[k] = (None, dict(values))
            return
        pending, sets = held
        sets.update(values)
        if pending is not None:
            for c, v in values.items():
                pending[self._at[c]] = v

    def keys(self) -> list[tuple[Any, ...]]:
        """The keys this page writes, in the order first written."""
        return list(self._rows)

    def flush(self, db: ReadModelWriter) -> None:
        """Write the folded rows, one batch per statement shape, and forget them."""
        inserts: dict[tuple[tuple[str, ...], bool], list[list[Any]]] = {}
        updates: dict[tuple[str, ...], list[list[Any]]] = {}
        for key, (pending, sets) in self._rows.items():
            names = tuple(sets)
            if pending is None:
                updates.setdefault(names, []).append([*sets.values(), *key])
                continue
            # ``excluded.c`` when the row to insert already holds the value to set (the
            # usual case); the value itself when an update came before the first insert.
            same = not sets or all(pending[self._at[c]] == v for c, v in sets.items())
            params = pending if same else [*pending, *sets.values()]
            inserts.setdefault((names, same), []).append(params)
        marks = ",".join("?" * len(self.columns))
        target = f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES ({marks})" \
                 f" ON CONFLICT ({', '.join(self.key)}) DO UPDATE SET "
        for (names, same), rows in inserts.items():
            if same:
                action = ", ".join(f"{c}=excluded.{c}" for c in names)
                db.insert_rows(self.table, self.columns, self.key, rows,
                               f"UPDATE SET {action}" if names else "NOTHING")
            else:
                db.executemany(target + ", ".join(f"{c}=?" for c in names), rows)
        for names, rows in updates.items():
            if names:
                db.update_rows(self.table, names, self.key, rows)
        self._rows.clear()


def flush_all(db: ReadModelWriter, writes: Iterable[PageWrites]) -> None:
    for w in writes:
        w.flush(db)
