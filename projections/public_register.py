"""The public register (Art. 17(3)): licences whose catalogue entry requires disclosure,
with only the face fields the entry discloses.

A catalogue revision that withdraws disclosure removes the type's rows at once; one that
starts disclosing a type shows its licences from their next recorded event on.
"""

from __future__ import annotations

from typing import Any, ClassVar

import orjson

from ledger.mapper import Record
from projections.db import ProjectionDB


class PublicRegister:
    name: ClassVar[str] = "public_register"
    schema_version: ClassVar[int] = 1
    tables: ClassVar[dict[str, str]] = {
        "catalogue_entries": (
            "CREATE TABLE IF NOT EXISTS catalogue_entries (type_code TEXT PRIMARY KEY, version"
            " BIGINT NOT NULL, name TEXT NOT NULL, disclosure TEXT NOT NULL, public_fields TEXT"
            " NOT NULL, definition TEXT NOT NULL)"
        ),
        "public_licences": (
            "CREATE TABLE IF NOT EXISTS public_licences (stream TEXT PRIMARY KEY, identifier"
            " TEXT NOT NULL, type_code TEXT NOT NULL, licence_number TEXT NOT NULL, issuer_code"
            " TEXT NOT NULL, status TEXT NOT NULL, face TEXT NOT NULL, updated_at TEXT NOT NULL)"
        ),
    }
    indexes: ClassVar[tuple[str, ...]] = (
        "CREATE INDEX IF NOT EXISTS public_by_number ON public_licences (licence_number)",
    )
    topics: ClassVar[frozenset[str]] = frozenset({
        "LicenceTypeRegistered", "LicenceTypeRevised", "LicenceIssued", "LicenceVersioned",
        "LicenceSuspended", "LicenceSuspensionEnded", "LicenceCancelled", "LicenceRevoked",
        "LicencePenaltyRevoked", "LicenceExpired", "LicenceTransferredOut",
        "LicenceTransferOutCancelled", "LicenceStatusSetOther",
    })

    def apply(self, db: ProjectionDB, record: Record) -> None:
        d = record.data
        if record.type in ("LicenceTypeRegistered", "LicenceTypeRevised"):
            definition = d["definition"]
            db.execute(
                "INSERT INTO catalogue_entries VALUES (?,?,?,?,?,?) ON CONFLICT (type_code) DO"
                " UPDATE SET version=excluded.version, name=excluded.name,"
                " disclosure=excluded.disclosure, public_fields=excluded.public_fields,"
                " definition=excluded.definition",
                [d["type_code"], d["version"], definition["name"], definition["disclosure"],
                 _j(definition.get("public_fields", [])), _j(definition)])
            if definition["disclosure"] != "public":
                db.execute("DELETE FROM public_licences WHERE type_code = ?", [d["type_code"]])
            return
        stream = str(record.stream)
        if record.type in ("LicenceIssued", "LicenceVersioned"):
            type_code = d["type_code"] if record.type == "LicenceIssued" else self._type(db, stream)
            if type_code is None:
                return
            entry = db.query("SELECT disclosure, public_fields FROM catalogue_entries"
                             " WHERE type_code = ?", [type_code])
            if not entry or entry[0][0] != "public":
                return
            public = orjson.loads(entry[0][1])
            f = d["fields"]
            face = {k: f["face"][k] for k in public if k in f["face"]}
            status = "01"
            if record.type == "LicenceVersioned":
                old = db.query("SELECT status FROM public_licences WHERE stream=?", [stream])
                status = "01" if d["kind"] == "renewal" or not old else old[0][0]
            issuer = d.get("issuer_code") or d["identifier"].split(".")[6]
            db.execute(
                "INSERT INTO public_licences VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (stream) DO"
                " UPDATE SET identifier=excluded.identifier, licence_number="
                "excluded.licence_number, status=excluded.status, face=excluded.face,"
                " updated_at=excluded.updated_at",
                [stream, d["identifier"], type_code, f["licence_number"], issuer, status,
                 _j(face), record.at])
        else:
            db.execute("UPDATE public_licences SET status=?, updated_at=? WHERE stream=?",
                       [d["status"], record.at, stream])

    @staticmethod
    def _type(db: ProjectionDB, stream: str) -> str | None:
        rows = db.query("SELECT type_code FROM public_licences WHERE stream=?", [stream])
        return str(rows[0][0]) if rows else None


def _j(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
