"""PostgreSQL failures explained, schema names checked before any SQL (ledger/store/pg_probe.py)."""

from __future__ import annotations

import pytest

from ledger.errors import ConfigurationError
from ledger.store.event_store import persistence_env
from ledger.store.pg_probe import check_schema_name, explain

ARGS = {"host": "db.example", "port": "6543", "db": "ledger", "user": "app"}


@pytest.mark.parametrize(("reason", "expected"), [
    ('connection to server at "db.example", port 6543 failed: Connection refused',
     "nothing accepts connections at db.example:6543"),
    ("failed to resolve host 'db.example': [Errno -2] Name or service not known",
     "unknown host 'db.example'"),
    ('connection failed: FATAL:  database "ledger" does not exist',
     "the database 'ledger' does not exist; create it (createdb"),
    ('connection failed: FATAL:  role "app" does not exist', "the role 'app' does not exist"),
    ('FATAL:  password authentication failed for user "app"',
     "authentication failed for user 'app'"),
    ("connection timeout expired", "no answer from db.example:6543 within 2 s"),
    ('FATAL:  no pg_hba.conf entry for host "10.0.0.1"', "pg_hba.conf"),
])
def test_postgresql_failures_are_explained(reason: str, expected: str) -> None:
    assert expected in explain(reason, **ARGS)


def test_an_unknown_failure_keeps_the_servers_words() -> None:
    assert explain("something new", **ARGS) == "something new"


@pytest.mark.parametrize("name", ["Bad-Schema", "1abc", "a b", "x;drop", "", "é", "A" * 64])
def test_bad_schema_names_are_refused_before_any_sql(name: str) -> None:
    with pytest.raises(ConfigurationError, match="not a valid schema name"):
        persistence_env(f"postgresql://u@h/db?schema={name}" if name else
                        "postgresql://u@h/db?schema=%20")
    assert check_schema_name("ledger_prod_2") == "ledger_prod_2"
