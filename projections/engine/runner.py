"""Keeps read models up to date from the notification log, idempotently.

Each projection's position is saved in ``projection_positions`` in the same transaction
as the rows it produced, so a crash at any instant leaves rows and position in step and a
restart resumes where it stopped. A page of events goes to each projection at once
(``apply_page`` where it has one, see :mod:`projections.engine.base`), so a page costs a few
statements per table rather than a few per event. ``rebuild`` starts a projection from
zero; ``check`` builds a fresh copy in a scratch database and compares every row.

A projection that fails on an event stops alone (:mod:`projections.engine.stuck`): the runner
names it in :attr:`ProjectionRunner.stuck` and keeps the others current. A database
outage stops them all, to be retried (``follow``) or reported (``ledger project``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from commands.bus.failures import is_outage, log_unexpected
from ledger.integrity.mapper import Record, decode_stored
from ledger.store.event_store import EventStore
from ledger.store.read_database import ReadSource
from ledger.store.sql import ProjectionDB
from projections.engine.base import Projection, apply_records, unapplied
from projections.engine.pipeline import PipelinedPages, PositionsMoved
from projections.engine.stuck import StuckProjection, find_stuck

log = logging.getLogger("ledger.projections")
PAGE = 2000  # notification ids a page spans (its events of the projections' topics fewer)
POSITIONS = ("CREATE TABLE IF NOT EXISTS projection_positions (name TEXT PRIMARY KEY,"
             " position BIGINT NOT NULL, schema_version BIGINT NOT NULL)")


class ProjectionRunner:
    def __init__(self, store: EventStore, db: ProjectionDB,
                 projections: Sequence[Projection], source: ReadSource | None = None
                 ) -> None:
        self.store = store
        self.db = db
        # Where the read models have a database of their own: checked to belong to this
        # ledger before they are read or applied to (ledger/store/read_database.py).
        self.source = source
        self.all_projections = list(projections)
        self.stuck: dict[str, StuckProjection] = {}  # stopped alone, see projections.engine.stuck
        self._ready = False

    @property
    def projections(self) -> list[Projection]:
        """The projections this runner keeps current (all but the stuck ones)."""
        return [p for p in self.all_projections if p.name not in self.stuck]

    def _prepare(self) -> None:
        if self.source is not None and self.source.check():
            self._ready = False  # another ledger's tables were dropped: create them again
        if self._ready:
            return
        with self.db.transaction():
            self.db.execute(POSITIONS)
            for p in self.all_projections:
                row = self.db.query("SELECT schema_version FROM projection_positions"
                                    " WHERE name = ?", [p.name])
                if row and row[0][0] != p.schema_version:
                    log.warning("projection %s changed shape (v%s -> v%s): rebuilding",
                                p.name, row[0][0], p.schema_version)
                    self._drop(p)
                    row = []
                for ddl in p.tables.values():
                    self.db.create_table(ddl)
                for ddl in p.indexes:
                    self.db.execute(ddl)
                if not row:
                    self.db.execute("INSERT INTO projection_positions (name, position,"
                                    " schema_version) VALUES (?, 0, ?)",
                                    [p.name, p.schema_version])
        self._ready = True

    def _drop(self, p: Projection) -> None:
        for table in p.tables:
            self.db.execute(f"DROP TABLE IF EXISTS {table}")
        self.db.execute("DELETE FROM projection_positions WHERE name = ?", [p.name])

    def positions(self) -> dict[str, int]:
        self._prepare()
        rows = self.db.query("SELECT name, position FROM projection_positions")
        wanted = {p.name for p in self.all_projections}
        return {str(name): int(pos) for name, pos in rows if name in wanted}

    def behind(self) -> int:
        """How many events the slowest read model lags the ledger (0: up to date)."""
        head = self.store.max_notification_id()
        return head - min(self.positions().values(), default=head)

    @staticmethod
    def _locked_positions(db: ProjectionDB, projections: Sequence[Projection]
                          ) -> dict[str, int]:
        """The positions of ``projections``, locked on PostgreSQL until the transaction
        ends (only their rows: projections on other connections are not held up)."""
        names = [p.name for p in projections]
        lock = " FOR UPDATE" if db.dialect == "postgres" else ""
        rows = db.query(f"SELECT name, position FROM projection_positions WHERE name IN"
                        f" ({','.join('?' * len(names))}){lock}", names)
        return {str(name): int(pos) for name, pos in rows}

    def catch_up(self, progress: Callable[[int, int], None] | None = None,
                 until: int | None = None) -> int:
        """Apply every new event (up to ``until``) to every projection that is not stuck;
        returns events read. One that fails on an event is set aside (see :attr:`stuck`)."""
        while True:
            try:
                return self._catch_up(progress, until)
            except PositionsMoved as moved:
                # Another runner applied pages meanwhile: what this one sent is rolled
                # back; start again from where the positions are now.
                log.info("projection positions moved under this runner (%s); reading them"
                         " again", ", ".join(moved.args[0]))
            except Exception as exc:
                if is_outage(exc):
                    raise  # the server is away: nothing to blame on a projection
                log_unexpected(log, "a page of read-model updates failed; applying each"
                               " projection alone to find the one that fails", exc)
                if not self._isolate(until):
                    raise  # nothing stuck and nothing moved: not a projection's doing

    def _isolate(self, until: int | None) -> bool:
        """Each projection alone over its next page (committed pages stay); those that
        fail on an event join :attr:`stuck`. Did that change anything?"""
        self._ready = False  # the failed transaction may have been a table's creation
        before = self.positions()
        head = self.store.max_notification_id() if until is None else until

        def rows(first: int, last: int, topics: list[str]) -> list[Any]:
            return list(self.store.recorder.select_notifications(first, PAGE, stop=last,
                                                                 topics=topics))

        def write(p: Projection, page: list[tuple[int, Record]], last: int) -> None:
            self.write_page(self.db, [p], page, last)

        found = find_stuck(self.projections, before, head, PAGE, rows, write)
        self.stuck.update((f.projection, f) for f in found)
        return bool(found) or self.positions() != before

    def _catch_up(self, progress: Callable[[int, int], None] | None, until: int | None
                  ) -> int:
        positions = {n: v for n, v in self.positions().items() if n not in self.stuck}
        head = self.store.max_notification_id() if until is None else until
        start = min(positions.values(), default=head) + 1
        topics = sorted(set().union(*(p.topics for p in self.projections)))
        # A page is a window of PAGE notification ids, never "the rest of the log": with
        # stale statistics (after a bulk load or a restore) PostgreSQL answers a topic
        # filter over an open range by scanning and sorting all the rest, every page.
        pages = ((first, min(head, first + PAGE - 1)) for first in range(start, head + 1, PAGE))
        seen = 0
        if self.db.dialect != "postgres" or start > head:
            for first, last in pages:
                page = self.read_page(first, last, topics)
                self.write_page(self.db, self.projections, page, last)
                seen += len(page)
                if progress is not None:
                    progress(last, head)
            return seen

        def committed(last: int) -> None:
            if progress is not None:
                progress(last, head)

        # The next page is read (and decoded) in a thread while this one is folded and
        # sent: the thread waits on the store's connection, and decodes while this thread
        # waits for the read models' server. One page ahead at most.
        with PipelinedPages(self.db, self.projections, positions, committed) as pipelined, \
                ThreadPoolExecutor(1, thread_name_prefix="projection-read") as reader:
            windows = list(pages)
            ahead = reader.submit(self.read_page, *windows[0], topics) if windows else None
            for i, (_, last) in enumerate(windows):
                assert ahead is not None
                page = ahead.result()
                ahead = reader.submit(self.read_page, *windows[i + 1], topics) \
                    if i + 1 < len(windows) else None
                pipelined.apply(page, last)
                seen += len(page)
        return seen

    def read_page(self, first: int, last: int, topics: list[str]) -> list[tuple[int, Record]]:
        """The window's events of the projections' topics, decoded, with their ids."""
        rows = self.store.recorder.select_notifications(first, PAGE, stop=last, topics=topics)
        return [(row.id, decode_stored(row)) for row in rows]

    def write_page(self, db: ProjectionDB, projections: Sequence[Projection],
                   page: list[tuple[int, Record]], last: int) -> None:
        """Apply one page to ``projections`` on ``db`` and move their positions to its
        end, in one transaction."""
        with db.transaction():
            # Positions are read again inside the page's transaction (locked on
            # PostgreSQL): another runner may have moved on since, and a position must
            # never move back nor a row be applied twice.
            positions = self._locked_positions(db, projections)
            for p in projections:
                # Each projection gets the page's events it reads and has not applied yet,
                # in log order, at once. Projections own disjoint tables: the order in
                # which they apply a page changes no row.
                apply_records(p, db, unapplied(p, page, positions[p.name]))
            behind = [p.name for p in projections if positions[p.name] < last]
            if behind:
                db.execute(f"UPDATE projection_positions SET position = ? WHERE name IN"
                           f" ({','.join('?' * len(behind))}) AND position < ?",
                           [last, *behind, last])

    def follow(self, stop: Callable[[], bool], idle_sleep: float = 0.5) -> None:
        """Catch up, then poll for new events until ``stop()``; backs off when idle.
        A stuck projection stays stopped (it is reported once); the others go on."""
        while not stop():
            try:
                if self.catch_up() == 0:
                    time.sleep(idle_sleep)
            except Exception as exc:  # database away: say so, wait, try again (no busy loop)
                log.error("projection update failed (%s); retrying in 5 s", exc)
                time.sleep(5)

    def rebuild(self) -> int:
        self._prepare()
        self.stuck.clear()  # rebuilt from zero: each gets its chance again
        with self.db.transaction():
            for p in self.projections:
                self._drop(p)
        self._ready = False
        return self.catch_up()


def table_rows(db: ProjectionDB, p: Projection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of a projection's tables, in a canonical order, for comparison."""
    out = {}
    for table in p.tables:
        rows = db.query(f"SELECT * FROM {table}")
        out[table] = sorted((tuple(_norm(v) for v in r) for r in rows), key=repr)
    return out


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value


def check(store: EventStore, db: ProjectionDB, projections: Sequence[Projection],
          scratch: ProjectionDB) -> dict[str, list[str]]:
    """Compare each projection with a fresh replay into ``scratch``; returns differences."""
    head = store.max_notification_id()
    live = ProjectionRunner(store, db, projections)
    live.catch_up(until=head)
    if any(pos > head for pos in live.positions().values()):
        head = max(live.positions().values())  # a follower moved on meanwhile; match it
    fresh = ProjectionRunner(store, scratch, projections)
    fresh.catch_up(until=head)
    problems: dict[str, list[str]] = {}
    for p in projections:
        a, b = table_rows(db, p), table_rows(scratch, p)
        diffs = []
        for table in p.tables:
            if a[table] != b[table]:
                extra = len(set(a[table]) - set(b[table]))
                missing = len(set(b[table]) - set(a[table]))
                diffs.append(f"{table}: {extra} row(s) not in a fresh replay,"
                             f" {missing} row(s) missing")
        problems[p.name] = diffs
    return problems
