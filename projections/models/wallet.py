"""Grants as a holder's wallet sees them (with the licences from licence_state), and the
functional grants the management department has given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final

import orjson

from ledger.integrity.mapper import Record
from ledger.store.sql import ReadModelWriter
from projections.engine.base import PageWrites


class Grants:
    name: ClassVar[str] = "grants"
    schema_version: ClassVar[int] = 1
    tables: ClassVar[dict[str, str]] = {
        "grants": (
            "CREATE TABLE IF NOT EXISTS grants (grant_id TEXT PRIMARY KEY, kind TEXT NOT NULL,"
            " grantee TEXT NOT NULL, holder_code TEXT, identifier TEXT, licence_stream TEXT,"
            " rights TEXT NOT NULL, type_codes TEXT NOT NULL, matter_code TEXT, valid_from"
            " TEXT NOT NULL, valid_until TEXT NOT NULL, daily_cap BIGINT, revoked BIGINT NOT"
            " NULL, revocation_reason TEXT, granted_at TEXT NOT NULL)"
        ),
    }
    indexes: ClassVar[tuple[str, ...]] = (
        "CREATE INDEX IF NOT EXISTS grants_holder ON grants (holder_code)",
    )
    topics: ClassVar[frozenset[str]] = frozenset(
        {"FunctionalUseGranted", "ConsentGranted", "UseDelegated", "GrantRevoked"})

    def apply(self, db: ReadModelWriter, record: Record) -> None:
        self.apply_page(db, [record])

    def apply_page(self, db: ReadModelWriter, records: Sequence[Record]) -> None:
        grants = PageWrites("grants", COLUMNS, ("grant_id",))
        for record in records:
            d = record.data
            if record.type == "GrantRevoked":
                grants.update([d["grant_id"]], {"revoked": 1, "revocation_reason": d["reason"]})
                continue
            if record.type == "FunctionalUseGranted":
                row = [d["grant_id"], "function", d["department"], None, None, None,
                       _j(["verify", "view", "download"]), _j(d["type_codes"]), None,
                       d["valid_from"], d["valid_until"], d["daily_cap"]]
            elif record.type == "ConsentGranted":
                row = [d["grant_id"], "consent", d["grantee"], d["holder_code"],
                       d["identifier"], d["licence_stream"], _j(d["rights"]), _j([]),
                       d["matter_code"], d["valid_from"], d["valid_until"], None]
            else:
                row = [d["grant_id"], "delegation", d["agent_code"], d["holder_code"],
                       d["identifier"], d["licence_stream"], _j(["verify", "view", "download"]),
                       _j([]), d["matter_code"], d["valid_from"], d["valid_until"], None]
            grants.insert([*row, 0, None, record.at])
        grants.flush(db)


COLUMNS: Final = ("grant_id", "kind", "grantee", "holder_code", "identifier", "licence_stream",
                  "rights", "type_codes", "matter_code", "valid_from", "valid_until",
                  "daily_cap", "revoked", "revocation_reason", "granted_at")


def _j(value: object) -> str:
    return orjson.dumps(list(value)).decode()  # type: ignore[call-overload]
