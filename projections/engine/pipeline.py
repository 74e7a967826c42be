"""Catch-up on PostgreSQL with the server's work on one page overlapping the client's on the
next.

Page by page in turn, the client would wait at each commit for the server to finish the
page's writes, and the server would then wait while the client reads and folds the next
page: each side idle half the time. Here a page's statements are sent (pipeline mode) and
left running while the next page is read and folded into a :class:`DeferredWriter`; only
then does the client wait for the page, commit it, and send the next one.

**Positions.** A page's first statement moves every projection's position from the value
this runner expects to the page's end, and returns the names it moved; it also locks those
rows, which serialises two runners as ``SELECT … FOR UPDATE`` does on the plain path. If
another runner moved a position meanwhile, or a rebuild reset it, a name is missing: the
page is rolled back and :class:`PositionsMoved` tells the runner to start again from the
positions in the table. No event is applied twice and no position moves back.

**Failures.** An error anywhere (the server gone, a statement refused, a bug in a fold)
rolls back the page not yet committed; the pages committed before it stay, with their
positions, and the next catch-up resumes after them. A page is committed only after every
one of its statements has succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg

from ledger.integrity.mapper import Record
from ledger.store.sql import ProjectionDB
from projections.engine.base import Projection, apply_records, unapplied

log = logging.getLogger("ledger.projections")
T = TypeVar("T")
GUARD = ("UPDATE projection_positions AS p SET position = GREATEST(p.position, ?) FROM"
         " unnest(?::text[], ?::bigint[]) AS e(name, position) WHERE p.name = e.name AND"
         " p.position = e.position RETURNING p.name")


class PositionsMoved(Exception):
    """Another runner (or a rebuild) moved a position this runner relied on."""


class DeferredWriter:
    """One page's writes, held until the page before it has been committed, then sent.

    It has :class:`ledger.store.sql.ReadModelWriter`'s methods. A query cannot wait: it first
    starts the page for real (commits the page before, sends what was held), and the rest of
    the page's writes then go straight to the server."""

    dialect = "postgres"

    def __init__(self, pages: PipelinedPages, last: int) -> None:
        self._pages = pages
        self.last = last
        self.held: list[tuple[str, tuple[Any, ...]]] = []
        self.live = False

    def _write(self, method: str, *args: Any) -> None:
        if self.live:
            getattr(self._pages.db, method)(*args)
        else:
            self.held.append((method, args))

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self._write("execute", statement, params)

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self._write("executemany", statement, rows)

    def insert_rows(self, table: str, columns: Sequence[str], key: Sequence[str],
                    rows: Sequence[Sequence[Any]], conflict: str,
                    repeats: bool = False) -> None:
        self._write("insert_rows", table, columns, key, rows, conflict, repeats)

    def update_rows(self, table: str, columns: Sequence[str], key: Sequence[str],
                    rows: Sequence[Sequence[Any]]) -> None:
        self._write("update_rows", table, columns, key, rows)

    def delete_rows(self, table: str, key: Sequence[str], rows: Sequence[Sequence[Any]]
                    ) -> None:
        self._write("delete_rows", table, key, rows)

    def run_for_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                     statement: str) -> None:
        self._write("run_for_rows", table, columns, rows, statement)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._pages.start(self)
        return self._pages.db.query(statement, params)

    def memo(self, key: str, load: Callable[[], T]) -> T:
        return self._pages.memo(key, load)


class PipelinedPages:
    """A catch-up's pages on one PostgreSQL connection, each in its own transaction, the
    newest one left running on the server while the client prepares the next.

    Use as a context manager around :meth:`apply` calls. ``committed(last)`` is called
    after each page has been committed, with no transaction open (so it may use the
    database, even wait for another runner). Leaving normally commits the last page;
    leaving by an exception commits the open page if it was whole (a fold of the next page
    failed) and rolls it back otherwise.
    """

    def __init__(self, db: ProjectionDB, projections: Sequence[Projection],
                 positions: dict[str, int], committed: Callable[[int], None]) -> None:
        self.db = db
        self.projections = list(projections)
        self.names = [p.name for p in self.projections]
        self.positions = {name: positions[name] for name in self.names}  # as of the last page sent
        self.committed = committed
        self._memo: dict[str, Any] = {}
        self._open: _OpenPage | None = None  # sent, not committed
        self._plain = True  # whole pages go with plain inserts until one meets a key
        self._whole = False  # the open page holds all its writes
        self._pipeline = db.pipeline()

    def __enter__(self) -> PipelinedPages:
        self._pipeline.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: Any) -> None:
        if exc is None:
            try:
                self._commit_open()
            except BaseException as failure:
                self._abandon(failure)
                raise
            self._pipeline.__exit__(None, None, None)
            return
        if self._open is not None and self._whole \
                and not isinstance(exc, (psycopg.Error, PositionsMoved)):
            try:  # the page before the failing one is whole: keep it
                self._commit_open()
            except (psycopg.Error, PositionsMoved) as failure:
                log.warning("could not commit the last whole projection page: %s", failure)
        self._abandon(exc)

    def _abandon(self, exc: BaseException) -> None:
        """Leave the pipeline after ``exc`` and roll back what is open; a connection that is
        gone rolls back by itself."""
        self._open = None
        try:
            self._pipeline.__exit__(type(exc), exc, exc.__traceback__)
            self.db.execute("ROLLBACK")  # with nothing open, PostgreSQL only warns
        except psycopg.Error as cleanup:
            log.warning("rolling back the open projection page failed too: %s", cleanup)

    def memo(self, key: str, load: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = load()
        value: T = self._memo[key]
        return value

    def apply(self, page: Sequence[tuple[int, Record]], last: int) -> None:
        """Fold ``page`` (the events up to notification ``last``) into a held page, then
        commit the page before it and send this one, which is left running."""
        writer = DeferredWriter(self, last)
        # Each projection's share is taken before any is folded: a query in a fold starts
        # the page, which moves ``positions`` to its end.
        shares = [(p, unapplied(p, page, self.positions[p.name])) for p in self.projections]
        for p, records in shares:
            apply_records(p, writer, records)
        self.start(writer, whole=True)
        self._whole = True

    def start(self, writer: DeferredWriter, whole: bool = False) -> None:
        """Commit the open page (waiting for it) and send ``writer``'s page: its position
        guard, then the writes it held (all of the page's if ``whole``). From now on
        ``writer`` writes straight through."""
        if writer.live:
            return
        self._commit_open()
        expected = [self.positions[name] for name in self.names]
        page = _OpenPage(writer.last, expected, writer.held, plain=whole and self._plain)
        self._whole = False
        self._send(page)
        for name in self.names:
            self.positions[name] = max(self.positions[name], writer.last)
        writer.live = True
        writer.held = []

    def _send(self, page: _OpenPage) -> None:
        """Send ``page``: its start, its guard, its held writes. A whole page goes with
        plain inserts where a conflict can only mean its events were applied before (the
        server's cheaper path, a fifth of a catch-up's server time); meeting one, it is
        rolled back and sent again with its conflict clauses, kept for the rest of the
        run (positions set back by hand: every page will meet one)."""
        try:
            self._send_once(page)
        except psycopg.errors.UniqueViolation:
            if not page.plain:
                raise
            self._resend_with_conflict_clauses(page)

    def _send_once(self, page: _OpenPage) -> None:
        self._open = page
        self.db.execute("BEGIN")
        # Read models are derived: a crash may lose the last pages committed without a
        # flush, but their rows and positions together (the WAL keeps their order), and
        # the next catch-up applies those events again. So the commit need not wait for
        # the disk, and the round trip after it (see _commit_open) stays short.
        self.db.execute("SET LOCAL synchronous_commit TO off")
        # A page's set-based statements join at most a page of rows with tables that grow
        # without bound: probing the key's index per row is right whatever the planner
        # estimates, and it would otherwise hash or sort a whole table (licences, say) for a
        # few thousand updates, the more so on stale statistics.
        self.db.execute("SET LOCAL enable_hashjoin TO off")
        self.db.execute("SET LOCAL enable_mergejoin TO off")
        self.db.execute("SET LOCAL jit TO off")
        page.guard = self.db.send(GUARD, [page.last, self.names, page.expected])
        self.db.plain_inserts = page.plain
        try:
            for method, args in page.writes:
                getattr(self.db, method)(*args)
        finally:
            self.db.plain_inserts = False

    def _resend_with_conflict_clauses(self, page: _OpenPage) -> None:
        log.info("projection rows already there in the page ending at %s: sending it again"
                 " with its conflict clauses", page.last)
        with suppress(psycopg.Error):  # the server skipped the rest of the page
            self.db.sync()
        self.db.execute("ROLLBACK")
        self._plain = page.plain = False
        self._send_once(page)

    def _commit_open(self) -> None:
        """Wait for the open page; commit it if its guard moved every position, else roll it
        back and raise :class:`PositionsMoved`."""
        page = self._open
        if page is None:
            return
        try:
            self.db.sync()
        except psycopg.errors.UniqueViolation:
            if not page.plain:
                raise
            self._resend_with_conflict_clauses(page)
            self.db.sync()
        assert page.guard is not None
        moved = {str(row[0]) for row in page.guard.fetchall()}
        self._open = None
        if moved != set(self.names):
            self.db.execute("ROLLBACK")
            raise PositionsMoved(sorted(set(self.names) - moved))
        self.db.execute("COMMIT")
        self.db.sync()  # one more round trip per page, so that nothing is open below
        self.committed(page.last)


@dataclass
class _OpenPage:
    """A page sent and not yet committed, with what it takes to send it again."""

    last: int
    expected: list[int]
    writes: list[tuple[str, tuple[Any, ...]]]  # as held; a page that went live has more
    plain: bool  # inserts without conflict clauses (a whole page only: it can be resent)
    guard: psycopg.Cursor[Any] | None = None
