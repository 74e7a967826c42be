"""What a holder may see of their own: their licences with files, and every read of them.

One query for ``ListHolderLicences`` / ``GetHolderAccessLog`` (sharing/answers.py) and the
holder portal (sharing/pages/holder.py) alike, so the two can never disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from commands.bootstrap import Services
from ledger.domain.localtime import beijing_date
from projections.models.use_queries import get_access_log, get_wallet


def licence_files(services: Services, identifier: str) -> list[dict[str, Any]]:
    """The files recorded for a licence (originals of each version, annotated copies), read
    from its own stream: each with the reference its QR code opens."""
    rows = services.read_db.query("SELECT stream FROM licence_versions WHERE identifier = ?",
                                  [identifier])
    if not rows:
        return []
    return [{"kind": "original" if r.type == "LicenceFileRecorded" else "copy",
             "format": r.data.get("format", "pdf"), "version": r.data.get("version"),
             "reference": r.data["reference"], "recorded_at": r.at}
            for r in services.store.read_stream(UUID(str(rows[0][0])))
            if r.type in ("LicenceFileRecorded", "CopyFileRecorded")]


def holder_licences(services: Services, holder: str) -> dict[str, Any]:
    """A holder's wallet with each licence's files: what ``ListHolderLicences`` answers
    (sharing/answers.py) and what the portal shows, from one query."""
    wallet = get_wallet(services.read_db, holder, beijing_date(datetime.now(UTC)))
    for licence in wallet["licences"]:
        licence["files"] = licence_files(services, licence["identifier"])
    return wallet


def holder_reads(services: Services, licences: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every read of these licences, newest first: what ``GetHolderAccessLog`` answers."""
    reads: list[dict[str, Any]] = []
    for licence in licences:
        reads += get_access_log(services.read_db, licence=licence["identifier"])
    reads.sort(key=lambda r: r["recorded_at"], reverse=True)
    return reads
