"""The unit tier is free of I/O: a unit test that opens a socket, starts a process or
opens a database fails here, naming what it tried. Such a test belongs in tests/integration
(or tests/e2e for the command line)."""

from __future__ import annotations

import multiprocessing.process
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest


def _refuse(what: str) -> Any:
    def refused(*args: Any, **kwargs: Any) -> Any:
        pytest.fail(f"a unit test must not {what}; move it to tests/integration", pytrace=False)
    return refused


@pytest.fixture(autouse=True)
def _no_io(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _refuse("open a network connection"))
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse("open a network connection"))
    monkeypatch.setattr(socket.socket, "bind", _refuse("listen on a socket"))
    monkeypatch.setattr(socket, "create_connection", _refuse("open a network connection"))
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("start a subprocess"))
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start",
                        _refuse("start a process"))
    monkeypatch.setattr(sqlite3, "connect", _refuse("open a SQLite database"))
    monkeypatch.setattr(psycopg, "connect", _refuse("connect to PostgreSQL"))
    monkeypatch.setattr(psycopg.Connection, "connect", _refuse("connect to PostgreSQL"))
    yield
