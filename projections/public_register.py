"""The public register (Art. 17(3)): licences whose catalogue entry requires disclosure,
with only the face fields the entry discloses.

Every licence's full face is kept in a private table (``register_faces``, never served),
so a catalogue revision takes effect at once: narrowing ``public_fields`` or withdrawing
disclosure removes data from ``public_licences`` immediately, and a type made public shows
all its licences immediately.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import orjson

from ledger.mapper import Record
from projections.db import ProjectionDB


class PublicRegister:
    name: ClassVar[str] = "public_register"
    schema_version: ClassVar[int] = 2
    tables: ClassVar[dict[str, str]] = {
        "catalogue_entries": (
            "CREATE TABLE IF NOT EXISTS catalogue_entries (type_code TEXT PRIMARY KEY, version"
            " BIGINT NOT NULL, name TEXT NOT NULL, disclosure TEXT NOT NULL, public_fields TEXT"
            " NOT NULL, definition TEXT NOT NULL)"
        ),
        "register_faces": (
            "CREATE TABLE IF NOT EXISTS register_faces (stream TEXT PRIMARY KEY, identifier"
            " TEXT NOT NULL, type_code TEXT NOT NULL, licence_number TEXT NOT NULL, issuer_code"
            " TEXT NOT NULL, status TEXT NOT NULL, face TEXT NOT NULL, updated_at TEXT NOT NULL)"
        ),
        "public_licences": (
            "CREATE TABLE IF NOT EXISTS public_licences (stream TEXT PRIMARY KEY, identifier"
            " TEXT NOT NULL, type_code TEXT NOT NULL, licence_number TEXT NOT NULL, issuer_code"
            " TEXT NOT NULL, status TEXT NOT NULL, face TEXT NOT NULL, updated_at TEXT NOT NULL)"
        ),
    }
    indexes: ClassVar[tuple[str, ...]] = (
        "CREATE INDEX IF NOT EXISTS public_by_number ON public_licences (licence_number)",
        "CREATE INDEX IF NOT EXISTS register_faces_type ON register_faces (type_code)",
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
            db.execute("DELETE FROM public_licences WHERE type_code = ?", [d["type_code"]])
            if definition["disclosure"] == "public":
                fields = list(definition.get("public_fields", []))
                for held in db.query("SELECT stream, identifier, type_code, licence_number,"
                                     " issuer_code, status, face, updated_at FROM"
                                     " register_faces WHERE type_code = ?", [d["type_code"]]):
                    self._publish(db, [*held[:6], _public(orjson.loads(held[6]), fields),
                                       held[7]])
            return
        stream = str(record.stream)
        if record.type in ("LicenceIssued", "LicenceVersioned"):
            f = d["fields"]
            parts = d["identifier"].split(".")
            status = "01"  # a new licence, or a renewal
            if record.type == "LicenceVersioned" and d["kind"] != "renewal":
                old = db.query("SELECT status FROM register_faces WHERE stream = ?", [stream])
                status = str(old[0][0]) if old else status
            row = [stream, d["identifier"], parts[5], f["licence_number"], parts[6], status,
                   _j(f["face"]), record.at]
            db.execute(
                "INSERT INTO register_faces VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (stream) DO"
                " UPDATE SET identifier=excluded.identifier, licence_number="
                "excluded.licence_number, status=excluded.status, face=excluded.face,"
                " updated_at=excluded.updated_at", row)
            entry = db.query("SELECT disclosure, public_fields FROM catalogue_entries"
                             " WHERE type_code = ?", [parts[5]])
            if entry and entry[0][0] == "public":
                row[6] = _public(f["face"], orjson.loads(entry[0][1]))
                self._publish(db, row)
        else:
            for table in ("register_faces", "public_licences"):
                db.execute(f"UPDATE {table} SET status=?, updated_at=? WHERE stream=?",
                           [d["status"], record.at, stream])

    @staticmethod
    def _publish(db: ProjectionDB, row: Sequence[Any]) -> None:
        db.execute(
            "INSERT INTO public_licences VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (stream) DO"
            " UPDATE SET identifier=excluded.identifier, licence_number="
            "excluded.licence_number, status=excluded.status, face=excluded.face,"
            " updated_at=excluded.updated_at", row)


def _public(face: dict[str, Any], fields: list[str]) -> str:
    return _j({k: face[k] for k in fields if k in face})


def _j(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
