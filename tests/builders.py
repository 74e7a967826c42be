"""Shared builders for the integration and property tiers.

A small city built from the deterministic :class:`~commands.demo.scenario.Scenario`, payloads
for hand-made commands, and :class:`RawEvents`: the events table reached around the
ledger with plain SQL, so tests can tamper with stored rows as anyone with database
access could.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import orjson
import psycopg
from eventsourcing.persistence import StoredEvent

from commands.bootstrap import Services, bootstrap
from commands.bus.pipeline import Result
from commands.demo.scenario import AREA, Dept, Scenario
from commands.settings import load_settings
from ledger.domain import streams
from ledger.domain.licence import Licence, apply_licence
from ledger.integrity.canonical import format_instant
from ledger.integrity.mapper import Record, decode_stored

SEED = 7


class Clock(Protocol):
    now: Any

    def advance(self, **kwargs: float) -> None: ...


def scenario_clock(clock: Clock) -> Callable[[], str]:
    """Commands are signed a second before the ledger's clock, as a real client would."""
    return lambda: format_instant(clock.now - timedelta(seconds=1))


def apply_all(services: Services, clock: Clock,
              envelopes: Iterable[dict[str, Any]]) -> list[Result]:
    """One batch that must be accepted whole; then time moves on a minute."""
    results = services.bus.execute(list(envelopes))
    refused = [(r.code, r.message) for r in results if not r.accepted]
    assert not refused, refused
    clock.advance(minutes=1)
    return results


def build_city(services: Services, clock: Clock, licences: int = 20,
               lifecycle: bool = True) -> Scenario:
    """Departments and catalogue, ``licences`` licences in two batches, then their lifecycle."""
    scenario = Scenario(SEED, scenario_clock(clock))
    apply_all(services, clock, scenario.setup())
    half = licences // 2
    apply_all(services, clock, scenario.issue(half))
    apply_all(services, clock, scenario.issue(licences - half))
    if lifecycle:
        apply_all(services, clock, scenario.lifecycle(clock.now.date()))
    return scenario


def sqlite_services(directory: Path, clock: Callable[[], Any]) -> Services:
    """A ledger on ``directory/ledger.db`` with its key beside it (for per-example copies)."""
    return bootstrap(load_settings({
        "LEDGER_DATABASE_URL": f"sqlite:///{directory / 'ledger.db'}",
        "LEDGER_KEY_FILE": str(directory / "ledger-key.pem"),
    }), clock=clock)


def copy_ledger(source: Path, target: Path) -> str:
    """Copy a closed SQLite ledger (and its key); returns the copy's database URL."""
    for item in source.iterdir():
        shutil.copy2(item, target / item.name)
    return f"sqlite:///{target / 'ledger.db'}"


def type_code(scenario: Scenario, suffix: str) -> str:
    """The scenario's licence types are the management USCC + 001..004."""
    return scenario.city.management.code + suffix


def licence_stream(identifier: str) -> UUID:
    parts = identifier.split(".")
    return streams.licence_stream(parts[5], parts[6], parts[7])


def current_licence(services: Services, identifier: str) -> Licence:
    state = services.ledger.get(licence_stream(identifier), apply_licence)
    assert state is not None, identifier
    return state


def issue_payload(scenario: Scenario, type_suffix: str, serial: str, number: str,
                  holder: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """An IssueLicence payload valid for the scenario's types 001 (执照) and 002 (食品)."""
    face = {
        "001": {"company_name": "常熟示例", "legal_representative": "张三"},
        "002": {"operator_name": "常熟示例", "premises": "虞山路1号"},
    }[type_suffix]
    payload: dict[str, Any] = {
        "type_code": type_code(scenario, type_suffix), "serial": serial,
        "licence_number": number, "holders": [holder], "issue_date": "2022-01-01",
        "valid_from": "2022-01-01", "valid_until": "2026-12-31", "area_code": AREA,
        "face": face, "matter_code": "MATTER-001", "case_number": f"CASE-{serial}",
    }
    payload.update(overrides)
    return payload


def sign(scenario: Scenario, actor: Dept, command_type: str,
         payload: dict[str, Any]) -> dict[str, Any]:
    return scenario.sign(actor, command_type, payload)


# -- the events table, around the ledger ----------------------------------------------------
@dataclass(frozen=True)
class Row:
    nid: int
    stream: str
    version: int
    topic: str
    state: bytes

    def record(self) -> Record:
        return decode_stored(StoredEvent(UUID(self.stream), self.version, self.topic,
                                         self.state))

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = orjson.loads(self.state)
        return body


def flip(data: bytes, index: int, mask: int = 0x01) -> bytes:
    changed = bytearray(data)
    changed[index] ^= mask
    return bytes(changed)


class RawEvents:
    """Plain SQL on eventsourcing's events table (in SQLite the rowid is the notification id)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.sqlite = parts.scheme == "sqlite"
        if self.sqlite:
            self.path = parts.path[1:]
            self.id_col, self.ph = "rowid", "?"
            names = self._fetch("SELECT name FROM sqlite_master WHERE type = 'table'"
                                " AND sql LIKE '%originator_version%'", ())
            self.table = f'"{names[0][0]}"'
        else:
            self.dsn = url.split("?")[0]
            schema = parse_qs(parts.query)["schema"][0]
            self.id_col, self.ph = "notification_id", "%s"
            names = self._fetch("SELECT table_name FROM information_schema.columns"
                                " WHERE table_schema = %s AND column_name = 'state'", (schema,))
            self.table = f'"{schema}"."{names[0][0]}"'
        assert len(names) == 1, names

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        if self.sqlite:
            conn: Any = sqlite3.connect(self.path)
            try:
                with conn:  # one transaction, committed on success
                    yield conn
            finally:
                conn.close()
        else:
            with psycopg.connect(self.dsn) as conn:
                yield conn

    def _fetch(self, query: str, params: tuple[Any, ...]) -> list[Any]:
        with self._connect() as conn:
            return list(conn.execute(query, params).fetchall())

    def _run(self, *statements: tuple[str, tuple[Any, ...]]) -> None:
        with self._connect() as conn:
            for template, params in statements:
                query = template.format(table=self.table, id=self.id_col)
                conn.execute(query.replace("?", self.ph), params)

    def rows(self) -> list[Row]:
        found = self._fetch(f"SELECT {self.id_col}, originator_id, originator_version, topic,"
                            f" state FROM {self.table} ORDER BY {self.id_col}", ())
        # SQLite keeps stream ids as 32 hex digits, PostgreSQL as uuid: both become str(UUID).
        return [Row(int(n), str(UUID(str(s))), int(v), str(t), bytes(b))
                for n, s, v, t, b in found]

    def set_state(self, nid: int, state: bytes) -> None:
        self._run(("UPDATE {table} SET state = ? WHERE {id} = ?", (state, nid)))

    def delete(self, nid: int) -> None:
        self._run(("DELETE FROM {table} WHERE {id} = ?", (nid,)))

    def swap_states(self, a: Row, b: Row) -> None:
        self._run(("UPDATE {table} SET state = ? WHERE {id} = ?", (b.state, a.nid)),
                  ("UPDATE {table} SET state = ? WHERE {id} = ?", (a.state, b.nid)))

    def swap_ids(self, a: int, b: int) -> None:
        self._run(("UPDATE {table} SET {id} = ? WHERE {id} = ?", (-a, a)),
                  ("UPDATE {table} SET {id} = ? WHERE {id} = ?", (a, b)),
                  ("UPDATE {table} SET {id} = ? WHERE {id} = ?", (b, -a)))

    def append(self, stream: str, version: int, topic: str, state: bytes) -> None:
        """A new row at the end of the global order (a forger's insert)."""
        value: Any = UUID(stream).hex if self.sqlite else UUID(stream)
        self._run(("INSERT INTO {table} (originator_id, originator_version, topic, state)"
                   " VALUES (?, ?, ?, ?)", (value, version, topic, state)))
