"""Another writer got there first: prepare again against the fresh state, a few times.

Two writers of one lane (a zombie consumer after a rebalance, say) or of one stream
collide on a stream version, and the loser's transaction is refused whole
(``ConcurrencyError``). Nothing of it was stored, so preparing the same work again
against what the winner wrote is always safe; after ``MAX_RETRIES`` tries the conflict is
raised. Used by the bus for batches of commands and for the ledger's own writes alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from ledger.errors import ConcurrencyError

log = logging.getLogger("ledger.bus")
MAX_RETRIES = 5
P = TypeVar("P")
T = TypeVar("T")


def commit_retrying(prepare: Callable[[], P], commit: Callable[[P], T], what: str,
                    on_conflict: Callable[[], None] = lambda: None) -> T:
    """``commit(prepare())``; a conflict in ``commit`` runs ``on_conflict`` and both again."""
    for attempt in range(1, MAX_RETRIES + 1):
        prepared = prepare()
        try:
            return commit(prepared)
        except ConcurrencyError as exc:
            if attempt == MAX_RETRIES:
                raise
            log.info("%s conflicted with another writer (%s); retry %d", what, exc, attempt)
            on_conflict()
    raise AssertionError("unreachable")
