"""Preparing again after another writer got there first (commands/bus/conflicts.py)."""

from __future__ import annotations

import pytest

from commands.bus.conflicts import MAX_RETRIES, commit_retrying
from ledger.errors import ConcurrencyError


def test_a_conflict_prepares_again_and_the_next_commit_wins() -> None:
    prepared: list[int] = []
    conflicts: list[int] = []

    def prepare() -> int:
        prepared.append(len(prepared))
        return prepared[-1]

    def commit(n: int) -> str:
        if n < 2:
            raise ConcurrencyError(f"lane moved on (try {n})")
        return f"committed {n}"

    answer = commit_retrying(prepare, commit, "batch", lambda: conflicts.append(1))
    assert answer == "committed 2"
    assert prepared == [0, 1, 2] and len(conflicts) == 2


def test_conflicts_past_the_limit_are_raised() -> None:
    tries: list[int] = []

    def commit(_: None) -> None:
        tries.append(1)
        raise ConcurrencyError("always behind")

    with pytest.raises(ConcurrencyError, match="always behind"):
        commit_retrying(lambda: None, commit, "batch")
    assert len(tries) == MAX_RETRIES


def test_other_failures_and_conflicts_while_preparing_are_not_retried() -> None:
    tries: list[int] = []

    def failing(_: None) -> None:
        tries.append(1)
        raise ValueError("not a conflict")

    with pytest.raises(ValueError):
        commit_retrying(lambda: None, failing, "batch")
    assert len(tries) == 1

    def preparing() -> None:
        tries.append(1)
        raise ConcurrencyError("while reading")

    with pytest.raises(ConcurrencyError):
        commit_retrying(preparing, lambda _: None, "batch")
    assert len(tries) == 2
