"""What the service adds to an accepted read's result, after the read was recorded.

The handlers of signed queries (commands/handlers/holders.py) decide and record; the data
they allowed comes from the read models here, the same ``get_…`` queries ``ledger wallet``,
``access-log`` and ``stats`` print, so a handler stays a function of state and command
and the replay records the same events again. A ``DownloadLicence`` or
``MakeAnnotatedCopy`` accepted over HTTP gains a single-use download reference
(sharing/downloads.py) instead of the file. A query answered again for a replayed command id
(``duplicate``) gets the data again, so a client whose answer was lost (a time-out, a
read model not built yet: 503) posts the same envelope again without a second record; a
file read does not get a second download reference.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from commands.bootstrap import Services
from commands.handlers.holders import DEFAULT_LIMIT, HOLDER_MATTER, QUERY_OF
from commands.messages.holder import (
    DownloadHolderLicence,
    GetIssuerAccessLog,
    GetIssuerStatistics,
)
from commands.signed.envelope import SignedCommand
from ledger.domain.identifiers import parse_licence_identifier
from ledger.domain.localtime import beijing_date
from ledger.domain.streams import licence_stream
from licence_files.store import FileStore
from projections.models.use_queries import get_access_log, get_stats, get_wallet
from sharing.downloads import Binding, Downloads
from sharing.holder_queries import holder_licences, holder_reads

FILE_READS = ("DownloadLicence", "MakeAnnotatedCopy", "DownloadHolderLicence")


class Awaiting:
    """With Kafka, the signed queries and file reads answered 202: their result, once
    polled, is completed as a direct answer would have been (once; the oldest of more than
    ``bound`` are forgotten, and their poll answers the bare result).

    A command id is no secret (anyone who saw the envelope knows it, and time-based ids can
    be guessed), so the data is handed only to a poll that brings the random token the 202
    gave the poster; any other poll of that id gets the bare result and leaves the data
    waiting for the poster."""

    def __init__(self, bound: int = 10_000) -> None:
        self._commands: OrderedDict[str, tuple[SignedCommand, str]] = OrderedDict()
        self._bound = bound

    def remember(self, signed: SignedCommand) -> str | None:
        """The poll token for ``signed`` if its answer carries data, else None."""
        if signed.type not in QUERY_OF and signed.type not in FILE_READS:
            return None
        token = secrets.token_hex(16)
        self._commands[signed.command_id] = (signed, token)
        self._commands.move_to_end(signed.command_id)
        while len(self._commands) > self._bound:
            self._commands.popitem(last=False)
        return token

    def take(self, command_id: str, token: str) -> SignedCommand | None:
        """The command to complete, once, for the poll that brings its token."""
        held = self._commands.get(command_id)
        if held is None or not hmac.compare_digest(held[1].encode(), token.encode()):
            return None
        del self._commands[command_id]
        return held[0]


def wants_more(signed: SignedCommand, body: dict[str, Any]) -> bool:
    """Whether an answer gets data from the read models or a download reference."""
    if body.get("status") != "accepted":
        return False
    return signed.type in QUERY_OF or (signed.type in FILE_READS and not body.get("duplicate"))


def complete(services: Services, downloads: Downloads, files: FileStore,
             signed: SignedCommand, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with its data filled in (runs in the writer thread)."""
    data = dict(body.get("data") or {})
    if signed.type in QUERY_OF:
        if services.settings.inline_projections:
            services.projections.catch_up()  # the answer includes every committed event
        data.update(_query(services, _asked(signed)))
    else:
        data["download"] = _reference(services, downloads, files, signed, data)
    return {**body, "data": data}


def _asked(signed: SignedCommand) -> dict[str, Any]:
    """What the allowed query asked, from the signed command (as the handler answered)."""
    cmd: Any = signed.command
    asked: dict[str, Any] = {"query": QUERY_OF[signed.type]}
    if isinstance(cmd, GetIssuerAccessLog):
        asked["limit"] = DEFAULT_LIMIT if cmd.limit is None else min(cmd.limit, DEFAULT_LIMIT)
    if isinstance(cmd, GetIssuerStatistics):
        asked["period"] = cmd.period
    for name in ("holder_code", "issuer_code"):
        if hasattr(cmd, name):
            asked[name] = getattr(cmd, name)
    return asked


def _query(services: Services, asked: dict[str, Any]) -> dict[str, Any]:
    db, query = services.read_db, asked["query"]
    if query == "holder_licences":  # the portal's list too (sharing/pages/holder.py)
        wallet = holder_licences(services, asked["holder_code"])
        return {**asked, "as_of": wallet["as_of"], "licences": wallet["licences"],
                "live_grants": wallet["live_grants"]}
    if query == "holder_access_log":
        wallet = get_wallet(db, asked["holder_code"], beijing_date(datetime.now(UTC)))
        return {**asked, "reads": holder_reads(services, wallet["licences"])}
    if query == "issuer_access_log":
        return {**asked, "reads": get_access_log(db, issuer=asked["issuer_code"],
                                        limit=asked["limit"])}
    rows = get_stats(db, asked["period"])["rows"]
    return {**asked, "rows": [r for r in rows if r["department"] == asked["issuer_code"]]}


def _reference(services: Services, downloads: Downloads, files: FileStore,
               signed: SignedCommand, data: dict[str, Any]) -> dict[str, Any] | None:
    """A reference to the file this read allows: the copy just made, or the latest
    original of the licence's current version; None when no such file is stored here."""
    found: tuple[str, str] | None
    if signed.type == "MakeAnnotatedCopy":
        kind, found = "copy", (str(data["file_hash"]), "pdf")
    else:
        kind, found = "original", _latest_original(services, data["current_identifier"])
    if found is None or not (files.root / f"{found[0]}.{found[1]}").is_file():
        return None
    cmd: Any = signed.command  # a read: one of FILE_READS
    if isinstance(cmd, DownloadHolderLicence):  # recorded with the holder as its case
        matter, case = HOLDER_MATTER, cmd.holder_code
    else:
        matter, case = cmd.matter_code, cmd.case_number
    binding = Binding(signed.actor, cmd.operator, matter, case, signed.command_id, kind,
                      *found)
    reference, expires = downloads.issue(services.state_db, binding, int(time.time() * 1000))
    return {"reference": reference, "url": f"/api/v1/files/{reference}", "kind": kind,
            "format": found[1], "file_hash": found[0],
            "expires_at": datetime.fromtimestamp(expires / 1000, UTC).isoformat(
                timespec="seconds").replace("+00:00", "Z")}


def _latest_original(services: Services, identifier: str) -> tuple[str, str] | None:
    ident = parse_licence_identifier(identifier)
    stream = licence_stream(ident.type_code, ident.issuer_code, ident.serial)
    found = None
    for record in services.store.read_stream(UUID(str(stream))):
        if record.type == "LicenceFileRecorded" and record.data["identifier"] == identifier:
            found = (str(record.data["file_hash"]), str(record.data.get("format", "pdf")))
    return found
