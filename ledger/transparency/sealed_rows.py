"""Only rows their batch's seal lists become leaves: the ledger's signature on a checkpoint
must not vouch for a row that rotted or was edited after it was sealed.

Every committed batch ends with its seal (a ``BatchSealed`` row listing the SHA-256 of each
row before it, in order), so the rows up to the last seal of what was read are checked and
covered; rows after it wait for their seal. The seal's own signature and chain are the
audit's business; this check is what makes a leaf "from the events themselves".
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson

from ledger.errors import LedgerError

SEAL_TOPIC = "BatchSealed"


class SealMismatch(LedgerError):
    """A row is not what its batch's seal lists (the caller refuses to cover it)."""

    code = "log_mismatch"


def sealed_prefix(rows: Sequence[Any], resumed: bool = False) -> int:
    """How many of ``rows`` (stored rows in notification order, starting right after a
    seal) end with a seal that lists them all; raises :class:`SealMismatch` naming the
    first row a seal does not list. ``resumed``: the first batch may have begun before
    ``rows`` (a leaf table written by older software), so its seal need only end with them."""
    pending: list[tuple[int, str]] = []
    covered = 0
    for index, row in enumerate(rows):
        state = bytes(row.state)
        if row.topic != SEAL_TOPIC:
            pending.append((int(row.id), hashlib.sha256(state).hexdigest()))
            continue
        listed = _listed(int(row.id), state)
        if resumed and covered == 0 and pending and len(listed) > len(pending):
            listed = listed[len(listed) - len(pending):]
        for (nid, digest), expected in zip(pending, listed, strict=False):
            if digest != expected:
                raise SealMismatch(_altered(nid, int(row.id)))
        if len(listed) != len(pending):
            nid = pending[len(listed)][0] if len(pending) > len(listed) else int(row.id)
            raise SealMismatch(_altered(nid, int(row.id)))
        pending, covered = [], index + 1
    return covered


def _listed(seal_nid: int, state: bytes) -> list[str]:
    try:
        events = orjson.loads(state)["data"]["events"]
        if isinstance(events, list) and all(isinstance(e, str) for e in events):
            return list(events)
    except (orjson.JSONDecodeError, KeyError, TypeError):
        pass
    raise SealMismatch(f"the seal at event id {seal_nid} cannot be read: the row was altered"
                       " or is damaged; nothing is proved or signed from it (run `ledger"
                       " audit`)")


def _altered(nid: int, seal_nid: int) -> str:
    return (f"event id {nid} is not what the seal at event id {seal_nid} lists: the row was"
            " altered or is damaged after it was sealed; nothing is proved or signed from"
            " it (run `ledger audit`)")
