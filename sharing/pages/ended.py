"""Sessions ended by logging out, so a copy of the cookie does not sign in again.

The session itself lives in its signed cookie (sharing/pages/session.py); what the server
keeps is only the SHA-256 of each logged-out session's random id until the session would
have expired anyway, in a small table of the ledger's database (``ended_sessions``; not
among the read models, which can be dropped and rebuilt), so every service process in
front of one PostgreSQL ledger refuses it, and a restart does not bring it back. Used
only from the writer thread, like ``download_refs``.
"""

from __future__ import annotations

from ledger.integrity.canonical import sha256_hex
from ledger.store.sql import ProjectionDB

DDL = ("CREATE TABLE IF NOT EXISTS ended_sessions (sid_hash TEXT PRIMARY KEY,"
       " expires_ms BIGINT NOT NULL)")


def end(db: ProjectionDB, sid: str, expires_ms: int, now_ms: int) -> None:
    """Refuse session ``sid`` from now on (and forget those past their expiry)."""
    db.ensure_table(DDL)
    db.execute("DELETE FROM ended_sessions WHERE expires_ms < ?", [now_ms])
    key = sha256_hex(sid.encode())
    if not db.query("SELECT 1 FROM ended_sessions WHERE sid_hash = ?", [key]):
        db.execute("INSERT INTO ended_sessions (sid_hash, expires_ms) VALUES (?, ?)",
                   [key, expires_ms])


def ended(db: ProjectionDB, sid: str) -> bool:
    """Whether session ``sid`` was logged out (a session without an id is refused too)."""
    if not sid:
        return True
    db.ensure_table(DDL)
    return bool(db.query("SELECT 1 FROM ended_sessions WHERE sid_hash = ?",
                         [sha256_hex(sid.encode())]))
