"""The unit tier's guard (tests/unit/conftest.py) refuses each kind of I/O it promises to."""

from __future__ import annotations

import multiprocessing
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable

import psycopg
import pytest

ATTEMPTS: dict[str, Callable[[], object]] = {
    "socket": lambda: socket.create_connection(("127.0.0.1", 9)),
    "raw socket": lambda: socket.socket().connect(("127.0.0.1", 9)),
    "listening socket": lambda: socket.socket().bind(("127.0.0.1", 0)),
    "subprocess": lambda: subprocess.run([sys.executable, "-c", "pass"], check=False),
    "process": lambda: multiprocessing.get_context("spawn").Process(target=print).start(),
    "sqlite": lambda: sqlite3.connect(":memory:"),
    "postgresql": lambda: psycopg.connect("postgresql://postgres@127.0.0.1:9/x"),
}


@pytest.mark.parametrize("name", ATTEMPTS)
def test_the_unit_tier_refuses_io(name: str) -> None:
    with pytest.raises(pytest.fail.Exception, match="a unit test must not"):
        ATTEMPTS[name]()
