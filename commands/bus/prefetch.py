"""Which streams a command will read, so a batch can fetch them in one query.

Only a hint: a stream missing here is read on demand, and one read needlessly costs a
few bytes. Correctness never depends on it (writes are checked by stream version).
"""

from __future__ import annotations

from uuid import UUID

from commands.handlers.use import ACTION_OF
from commands.messages.core import IssueLicence
from commands.signed.envelope import SignedCommand
from ledger.domain import streams
from ledger.domain.indexes import number_key

# Reads are recorded in a stream of their own, keyed by the command id (ledger.domain.access).
RECORDS_ACCESS = frozenset({*ACTION_OF, "VerifyLicenceFile"})


def written_once(signed: SignedCommand) -> list[UUID]:
    """The command's own streams, written once and read again only if its id is reused:
    its receipt and, for a read, its access record. The ledger does not cache them."""
    ids = [streams.receipt_stream(signed.command_id)]
    if signed.type in RECORDS_ACCESS:
        ids.append(streams.access_stream(signed.command_id))
    return ids


def _licence(identifier: str) -> list[UUID]:
    parts = identifier.split(".")
    if len(parts) != 10:
        return []
    return [streams.licence_stream(parts[5], parts[6], parts[7]),
            streams.catalogue_stream(parts[5])]


def streams_of(signed: SignedCommand) -> list[UUID]:
    cmd = signed.command
    ids = [*written_once(signed), streams.department_stream(signed.actor)]
    if isinstance(cmd, IssueLicence):
        t = cmd.type_code
        ids += [streams.catalogue_stream(t), streams.licence_stream(t, signed.actor, cmd.serial),
                streams.licence_number_stream(t, number_key(cmd.licence_number))]
        ids += [streams.holder_slot_stream(t, h.code_type, h.code) for h in cmd.holders]
    identifier = getattr(cmd, "identifier", None)
    if isinstance(identifier, str):
        ids += _licence(identifier)
    grant_id = getattr(cmd, "grant_id", None)
    if isinstance(grant_id, str):
        ids.append(streams.grant_stream(grant_id))
    return ids
