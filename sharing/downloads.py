"""Short-lived, single-use download references for files (like the provincial ``auth_code``).

A ``DownloadLicence`` or ``MakeAnnotatedCopy`` accepted over HTTP is answered with a
random 128-bit reference instead of the file: bound to the department that signed the
read, its operator, matter and case number, valid ``LEDGER_DOWNLOAD_TTL`` seconds, and
redeemable once at ``GET /api/v1/files/{reference}``. The references live in a small
table of the ledger's database (``download_refs``; not among the read models, which can
be dropped and rebuilt), so they survive a restart of the service and every service
process in front of one PostgreSQL ledger sees the same ones.
Only the SHA-256 of a reference is stored: whoever reads the table cannot redeem it.
Redemption is one conditional ``UPDATE … RETURNING``, so two requests racing for one
reference get the file once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from ledger.integrity.canonical import sha256_hex
from ledger.store.sql import ProjectionDB

DDL = ("CREATE TABLE IF NOT EXISTS download_refs (ref_hash TEXT PRIMARY KEY, department TEXT"
       " NOT NULL, operator TEXT NOT NULL, matter_code TEXT NOT NULL, case_number TEXT NOT"
       " NULL, command_id TEXT NOT NULL, kind TEXT NOT NULL, file_hash TEXT NOT NULL, format"
       " TEXT NOT NULL, expires_ms BIGINT NOT NULL, used_ms BIGINT)")
KEEP_MS = 86_400_000  # spent and expired references are kept a day, then purged
HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Binding:
    """Who may redeem a reference, for which file."""

    department: str
    operator: str
    matter_code: str
    case_number: str
    command_id: str
    kind: str  # original | copy
    file_hash: str
    format: str


class DownloadRefusedError(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


class Downloads:
    """The references, in ``db`` (used only from the writer thread)."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_ms = int(ttl_seconds * 1000)

    def issue(self, db: ProjectionDB, binding: Binding, now_ms: int) -> tuple[str, int]:
        """A new reference for ``binding`` and when it expires (ms since the epoch)."""
        db.ensure_table(DDL)
        db.execute("DELETE FROM download_refs WHERE expires_ms < ?", [now_ms - KEEP_MS])
        reference = secrets.token_hex(16)
        expires = now_ms + self.ttl_ms
        b = binding
        db.execute("INSERT INTO download_refs (ref_hash, department, operator, matter_code,"
                   " case_number, command_id, kind, file_hash, format, expires_ms) VALUES"
                   " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [sha256_hex(reference.encode()), b.department, b.operator, b.matter_code,
                    b.case_number, b.command_id, b.kind, b.file_hash, b.format, expires])
        return reference, expires

    def redeem(self, db: ProjectionDB, reference: str, department: str, operator: str,
               now_ms: int) -> Binding:
        """The file a reference opens, spending it; raises :class:`DownloadRefusedError`."""
        db.ensure_table(DDL)
        if len(reference) != 32 or not set(reference) <= HEX:
            raise DownloadRefusedError(404, "not_found", "no such download reference")
        key = sha256_hex(reference.encode())
        rows = db.query("SELECT department, operator, expires_ms, used_ms FROM download_refs"
                        " WHERE ref_hash = ?", [key])
        if not rows:
            raise DownloadRefusedError(404, "not_found", "no such download reference")
        owner, bound_operator, expires, used = rows[0]
        if used is not None:
            raise DownloadRefusedError(410, "reference_used", "this download reference was"
                                       " already used; each opens its file once")
        if now_ms >= int(expires):
            raise DownloadRefusedError(410, "reference_expired", "this download reference"
                                       " expired; read the licence again for a new one")
        if (department, operator) != (owner, bound_operator):
            raise DownloadRefusedError(403, "wrong_party", "this download reference is bound"
                                       " to another department or operator (headers"
                                       " X-Ledger-Department and X-Ledger-Operator)")
        spent = db.query("UPDATE download_refs SET used_ms = ? WHERE ref_hash = ? AND used_ms"
                         " IS NULL RETURNING department, operator, matter_code, case_number,"
                         " command_id, kind, file_hash, format", [now_ms, key])
        if not spent:  # another request spent it a moment ago
            raise DownloadRefusedError(410, "reference_used", "this download reference was"
                                       " already used; each opens its file once")
        return Binding(*(str(v) for v in spent[0]))
