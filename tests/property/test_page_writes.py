"""A page's folded writes (:class:`projections.engine.base.PageWrites`) leave exactly the rows that
the same statements run one by one leave, on SQLite and on PostgreSQL (there also through
the set-based statements of ``ProjectionDB``, each column sent as one string), whatever rows
the table held before.

The reference is the plain SQL each operation stands for, executed in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.store import sql as db_module
from ledger.store.sql import ProjectionDB
from projections.engine.base import PageWrites

COLUMNS = ("k", "j", "a", "b", "c")
KEY = ("k", "j")
VALUES = ("a", "b", "c")
DDL = ("CREATE TABLE {t} (k TEXT NOT NULL, j BIGINT NOT NULL, a TEXT, b BIGINT NOT NULL,"
       " c TEXT, PRIMARY KEY (k, j))")

keys = st.tuples(st.sampled_from(["s1", "s2", "s3"]), st.integers(1, 2))
# Besides plain values: the empty string, and the separator and NULL mark the set-based
# path joins a column with (a batch holding one goes row by row instead).
a_values = st.sampled_from([None, "x", "y", "", "x\x1fy", "\x1e", "\x1ex"])
b_values = st.integers(0, 3)
c_values = st.sampled_from([None, "p", "q"])
rows = st.builds(lambda key, a, b, c: (*key, a, b, c), keys, a_values, b_values, c_values)
inserts = st.tuples(st.just("insert"), rows, st.sets(st.sampled_from(VALUES)))
updates = st.tuples(st.just("update"), keys, st.fixed_dictionaries(
    {}, optional={"a": a_values, "b": b_values, "c": c_values}).filter(bool))
pages = st.lists(st.one_of(inserts, updates), max_size=14)
existing = st.lists(rows, max_size=5, unique_by=lambda r: r[:2])


def one_by_one(db: ProjectionDB, table: str, ops: list[Any]) -> None:
    for op in ops:
        if op[0] == "insert":
            _, row, update = op
            action = ", ".join(f"{c}=excluded.{c}" for c in sorted(update))
            db.execute(f"INSERT INTO {table} VALUES (?,?,?,?,?) ON CONFLICT (k, j) DO "
                       + (f"UPDATE SET {action}" if action else "NOTHING"), row)
        else:
            _, key, values = op
            db.execute(f"UPDATE {table} SET {', '.join(f'{c}=?' for c in values)}"
                       " WHERE k=? AND j=?", [*values.values(), *key])


def folded(db: ProjectionDB, table: str, ops: list[Any]) -> None:
    writes = PageWrites(table, COLUMNS, KEY)
    for op in ops:
        if op[0] == "insert":
            writes.insert(op[1], sorted(op[2]))
        else:
            writes.update(op[1], op[2])
    writes.flush(db)


@pytest.fixture(params=[
    pytest.param(("sqlite_url", 200), id="sqlite"),
    pytest.param(("pg_url", 200), id="postgres-executemany", marks=pytest.mark.postgres),
    # Batches of at least BATCH_FROM rows go as one statement on PostgreSQL: 1 sends every
    # batch so.
    pytest.param(("pg_url", 1), id="postgres-set", marks=pytest.mark.postgres),
])
def db(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
       ) -> Iterator[ProjectionDB]:
    """Each write path: SQLite's executemany, PostgreSQL's executemany and its set-based
    statements."""
    url_fixture, batch_from = request.param
    monkeypatch.setattr(db_module, "BATCH_FROM", batch_from)
    handle = ProjectionDB(request.getfixturevalue(url_fixture))
    yield handle
    handle.close()


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=existing, ops=pages)
def test_folding_a_page_leaves_the_rows_one_by_one_leaves(
        db: ProjectionDB, before: list[Any], ops: list[Any]) -> None:
    result = {}
    for name, apply in (("expected", one_by_one), ("folded", folded)):
        with db.transaction():
            db.execute(f"DROP TABLE IF EXISTS pw_{name}")
            db.execute(DDL.format(t=f"pw_{name}"))
            db.executemany(f"INSERT INTO pw_{name} VALUES (?,?,?,?,?)", before)
        with db.transaction():
            apply(db, f"pw_{name}", ops)
        result[name] = sorted(db.query(f"SELECT k, j, a, b, c FROM pw_{name}"), key=repr)
    assert result["folded"] == result["expected"]


def test_a_failed_flush_rolls_the_page_back(db: ProjectionDB) -> None:
    with db.transaction():
        db.execute("DROP TABLE IF EXISTS pw_fail")
        db.execute(DDL.format(t="pw_fail"))
    writes = PageWrites("pw_fail", COLUMNS, KEY)
    writes.insert(("s1", 1, "x", 1, None))
    writes.insert(("s2", 1, "x", None, None))  # b is NOT NULL: the flush fails
    with pytest.raises(Exception, match=r"(?i)null"), db.transaction():
        db.execute("INSERT INTO pw_fail VALUES ('s0', 0, NULL, 0, NULL)")
        writes.flush(db)
    assert db.query("SELECT COUNT(*) FROM pw_fail") == [(0,)]
    with db.transaction():  # and the connection is fit for the next page
        db.execute("INSERT INTO pw_fail VALUES ('s0', 0, NULL, 0, NULL)")
    assert db.query("SELECT COUNT(*) FROM pw_fail") == [(1,)]
