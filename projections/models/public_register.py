"""The public register (Art. 17(3)): licences whose catalogue entry requires disclosure,
with only the face fields the entry discloses.

Every licence's full face is kept in a private table (``register_faces``, never served),
so a catalogue revision takes effect at once: narrowing ``public_fields`` or withdrawing
disclosure removes data from ``public_licences`` immediately, and a type made public shows
all its licences immediately.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Final

import orjson

from ledger.integrity.mapper import Record
from ledger.store.sql import ReadModelWriter
from projections.engine.base import PageWrites, flush_all


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

    def apply(self, db: ReadModelWriter, record: Record) -> None:
        self.apply_page(db, [record])

    def apply_page(self, db: ReadModelWriter, records: Sequence[Record]) -> None:
        """The catalogue is small: it is read once per catch-up (``memo``) and kept up to
        date here. A catalogue entry's registration or revision rewrites
        ``public_licences`` from ``register_faces`` in SQL, so the page's rows are written
        before it."""
        catalogue = db.memo("public_register.catalogue", lambda: _catalogue(db))
        # The status of each stream as the page leaves it so far, where the page knows it: a
        # new version (not a renewal) keeps the status, which is written only if known here;
        # otherwise the row keeps its own (an update that leaves ``status`` alone).
        statuses: dict[str, str] = {}
        faces = PageWrites("register_faces", COLUMNS, ("stream",))
        public = PageWrites("public_licences", COLUMNS, ("stream",))
        for record in records:
            d = record.data
            if record.type in ("LicenceTypeRegistered", "LicenceTypeRevised"):
                flush_all(db, (faces, public))
                self._revise(db, d)
                definition = d["definition"]
                catalogue[d["type_code"]] = (definition["disclosure"],
                                             list(definition.get("public_fields", [])))
                continue
            stream = record.stream_id
            if record.type in ("LicenceIssued", "LicenceVersioned"):
                f = d["fields"]
                parts = d["identifier"].split(".")
                entry = catalogue.get(parts[5])
                disclosed = entry[1] if entry is not None and entry[0] == "public" else None
                if record.type == "LicenceVersioned" and d["kind"] != "renewal" \
                        and stream not in statuses:
                    values = {"identifier": d["identifier"],
                              "licence_number": f["licence_number"], "face": _j(f["face"]),
                              "updated_at": record.at}
                    faces.update([stream], values)
                    if disclosed is not None:
                        public.update([stream], {**values, "face": _public(f["face"], disclosed)})
                    continue
                status = statuses.get(stream, "01") \
                    if record.type == "LicenceVersioned" and d["kind"] != "renewal" else "01"
                statuses[stream] = status
                row = [stream, d["identifier"], parts[5], f["licence_number"], parts[6],
                       status, _j(f["face"]), record.at]
                faces.insert(row, UPSERTED)
                if disclosed is not None:
                    row[6] = _public(f["face"], disclosed)
                    public.insert(row, UPSERTED)
            else:
                statuses[stream] = d["status"]
                values = {"status": d["status"], "updated_at": record.at}
                faces.update([stream], values)
                public.update([stream], values)
        flush_all(db, (faces, public))

    def _revise(self, db: ReadModelWriter, d: dict[str, Any]) -> None:
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
            db.executemany(
                f"INSERT INTO public_licences VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (stream) DO"
                f" UPDATE SET {', '.join(f'{c}=excluded.{c}' for c in UPSERTED)}",
                [[*held[:6], _public(orjson.loads(held[6]), fields), held[7]]
                 for held in db.query("SELECT stream, identifier, type_code, licence_number,"
                                      " issuer_code, status, face, updated_at FROM"
                                      " register_faces WHERE type_code = ?", [d["type_code"]])])


COLUMNS: Final = ("stream", "identifier", "type_code", "licence_number", "issuer_code",
                  "status", "face", "updated_at")
UPSERTED: Final = ("identifier", "licence_number", "status", "face", "updated_at")


def _catalogue(db: ReadModelWriter) -> dict[str, tuple[str, list[str]]]:
    """Each licence type's disclosure and public fields, as the table has them."""
    return {str(t): (str(disclosure), orjson.loads(fields)) for t, disclosure, fields
            in db.query("SELECT type_code, disclosure, public_fields FROM catalogue_entries")}
def _public(face: dict[str, Any], fields: list[str]) -> str:
    return _j({k: face[k] for k in fields if k in face})


def _j(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
