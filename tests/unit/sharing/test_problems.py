"""The HTTP status of every refusal code (sharing/problems.py)."""

from __future__ import annotations

import importlib
import pkgutil

import commands
import ledger
import projections
from ledger.errors import LedgerError
from sharing.problems import status_of


def _error_classes() -> set[type[LedgerError]]:
    for package in (ledger, commands, projections):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)
    found: set[type[LedgerError]] = set()
    todo: list[type[LedgerError]] = [LedgerError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_no_ledger_refusal_is_a_server_error() -> None:
    for cls in _error_classes():
        # A conflict that outlived the bus's retries, and a transparency log that no longer
        # matches the events, are the server's state, not the input's.
        server_state = {"concurrency_conflict", "log_mismatch"}
        assert 400 <= status_of(cls.code) < 500 or cls.code in server_state, cls


def test_refusal_classes_map_as_the_issue_says() -> None:
    assert [status_of(c) for c in ("malformed_json", "invalid_command", "bad_date")] == [400] * 3
    assert [status_of(c) for c in ("bad_signature", "unknown_key", "key_not_valid")] == [401] * 3
    assert [status_of(c) for c in ("unauthorised", "access_refused", "grant_expired")] == [403] * 3
    assert status_of("not_found") == 404
    assert [status_of(c) for c in ("illegal_transition", "command_id_reused")] == [409, 409]
    assert (status_of("too_large"), status_of("rate_limited")) == (413, 429)
    assert (status_of("database"), status_of("broker")) == (503, 503)
