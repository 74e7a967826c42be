"""The JSON of a Merkle proof at a signed size: what ``ledger proof … --json`` prints and
``GET /api/v1/proof/…`` answers, from one function so the two cannot differ."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ledger.integrity.canonical import format_instant
from ledger.transparency.checkpoint import Checkpoint
from ledger.transparency.log import Publish, TransparencyLog

Prove = Callable[[TransparencyLog, int], dict[str, Any]]


def now() -> str:
    """The ledger's clock at the edge (a checkpoint's time)."""
    return format_instant(datetime.now(UTC))


def proof_at(log: TransparencyLog, publish: Publish, size: int | None, leaves: int | None,
             prove: Prove) -> dict[str, Any]:
    """Run ``prove`` at ``size``; with no size, at a signed checkpoint included in the
    answer: the latest if it covers ``leaves`` leaves, else one ``publish`` writes now."""
    log.catch_up()
    signed: Checkpoint | None = None
    if size is None:
        signed = log.latest()
        if signed is None or leaves is None or leaves > signed.size:
            signed, _ = publish(log, now())
        size = signed.size
    data = prove(log, size)
    if signed is not None:
        data["checkpoint"] = signed.to_json()
    return data
