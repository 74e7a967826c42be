"""One direct connection to PostgreSQL before any pool is built, its failure named.

A connection pool retries quietly until its timeout and then says only "couldn't get a
connection after 10.00 sec", whatever went wrong. One plain ``psycopg.connect`` with a
short timeout fails at once with the server's own reason, which this turns into a
message that says what to do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ledger.errors import ConfigurationError

CONNECT_TIMEOUT_S = 2
# A schema name the ledger will put in SQL identifiers: plain, unquoted, lower case.
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def check_schema_name(name: str) -> str:
    if not SCHEMA_NAME.fullmatch(name):
        raise ConfigurationError(
            f"LEDGER_DATABASE_URL: schema {name!r} is not a valid schema name; expected"
            " lower-case letters, digits and _ (at most 63, not starting with a digit),"
            " e.g. ?schema=ledger_prod", code="configuration")
    return name


def probe(env: Mapping[str, str], shown_url: str) -> None:
    """Connect once (``connect_timeout`` 2 s) with eventsourcing's settings; raise a
    :class:`ConfigurationError` naming the problem and its fix, or return."""
    import psycopg

    host, port = env["POSTGRES_HOST"], env["POSTGRES_PORT"]
    db, user = env["POSTGRES_DBNAME"], env["POSTGRES_USER"]
    try:
        psycopg.connect(host=host, port=int(port), dbname=db, user=user,
                        password=env.get("POSTGRES_PASSWORD") or None,
                        connect_timeout=CONNECT_TIMEOUT_S).close()
    except psycopg.Error as exc:
        raise ConfigurationError(
            f"cannot open the ledger database {shown_url}: "
            + explain(" ".join(str(exc).split()), host=host, port=port, db=db, user=user),
            code="database") from None


def explain(reason: str, *, host: str, port: str, db: str, user: str) -> str:
    """The server's reason as a problem and what to do about it."""
    low = reason.lower()
    if "connection refused" in low:
        return (f"nothing accepts connections at {host}:{port} (connection refused). Is"
                " PostgreSQL running there (scripts/start-postgres.sh), and is the port in"
                " LEDGER_DATABASE_URL right?")
    if "resolve host" in low or "name or service not known" in low \
            or "could not translate host name" in low:
        return (f"unknown host {host!r}: check the host name in LEDGER_DATABASE_URL")
    if "timeout expired" in low or "timed out" in low:
        return (f"no answer from {host}:{port} within {CONNECT_TIMEOUT_S} s: check the"
                " host, the port and any firewall between")
    if f'database "{db}" does not exist'.lower() in low:
        return (f"the database {db!r} does not exist; create it (createdb -h {host}"
                f" -p {port} -U {user} {db}) or name an existing one in LEDGER_DATABASE_URL")
    if "role" in low and "does not exist" in low:
        return (f"the role {user!r} does not exist on {host}:{port}; create it (CREATE ROLE"
                f" \"{user}\" LOGIN) or give an existing user in LEDGER_DATABASE_URL")
    if "password authentication failed" in low or "authentication failed" in low \
            or "no password supplied" in low:
        return (f"authentication failed for user {user!r}: check the user and password in"
                " LEDGER_DATABASE_URL (postgresql://user:password@host:port/db)")
    if "no pg_hba.conf entry" in low:
        return (f"the server refuses {user!r} from this host (pg_hba.conf): ask its"
                " administrator to allow it")
    return reason
