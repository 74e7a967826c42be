"""Commands: one frozen type per action a department can ask of the ledger.

Names are imperative. This module holds the catalogue, department and licence commands;
the others are in files, holder, quality and use, and :mod:`commands.messages.catalog`
registers them all (``COMMAND_TYPES``) and decodes payloads.
``partition_key`` names the aggregate a command targets, which keys it on Kafka so that
one licence's commands stay in order within one partition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from commands.messages import limits
from commands.messages.base import Command, command, licence_key
from commands.messages.definitions import LicenceTypeDefinition
from commands.messages.wire_types import (
    AreaCode,
    Code,
    Codes,
    Date,
    Face,
    FreeText,
    Hash,
    Identifier,
    Items,
    Name,
    Number,
    Shape,
)
from ledger.domain.licence import VERSION_FIELDS

Definition = Annotated[Mapping[str, Any], Shape(LicenceTypeDefinition)]


# -- catalogue (management department) --------------------------------------------------
@command
@dataclass(frozen=True)
class RegisterLicenceType(Command):
    type_code: Code
    definition: Definition

    def partition_key(self, actor: str) -> str:
        return f"catalogue:{self.type_code}"


@command
@dataclass(frozen=True)
class ReviseLicenceType(Command):
    type_code: Code
    definition: Definition

    def partition_key(self, actor: str) -> str:
        return f"catalogue:{self.type_code}"


# -- departments --------------------------------------------------------------------------
@dataclass(frozen=True)
class UsageEntry:
    type_code: Code
    scenarios: Codes = ()


@command
@dataclass(frozen=True)
class RegisterDepartment(Command):
    code: Code
    name: Name
    roles: Codes
    area_code: AreaCode
    public_key: Hash
    algorithm: Code = "ed25519"

    def partition_key(self, actor: str) -> str:
        return f"department:{self.code}"


@command
@dataclass(frozen=True)
class RegisterDepartmentKey(Command):
    code: Code
    public_key: Hash
    algorithm: Code = "ed25519"

    def partition_key(self, actor: str) -> str:
        return f"department:{self.code}"


@command
@dataclass(frozen=True)
class RotateDepartmentKey(Command):
    """Register a new key and retire the old one in one step."""

    code: Code
    old_key_id: Code
    public_key: Hash
    algorithm: Code = "ed25519"

    def partition_key(self, actor: str) -> str:
        return f"department:{self.code}"


@command
@dataclass(frozen=True)
class RevokeDepartmentKey(Command):
    code: Code
    key_id: Code
    reason: FreeText

    def partition_key(self, actor: str) -> str:
        return f"department:{self.code}"


@command
@dataclass(frozen=True)
class SetUsageList(Command):
    code: Code
    entries: Annotated[tuple[UsageEntry, ...], Items(limits.MAX_USAGE_ENTRIES)]

    def partition_key(self, actor: str) -> str:
        return f"department:{self.code}"


# -- licences -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Holder:
    name: Name
    code: Number
    code_type: Code


@command
@dataclass(frozen=True)
class IssueLicence(Command):
    type_code: Code
    serial: Code
    licence_number: Number
    holders: Annotated[tuple[Holder, ...], Items(limits.MAX_HOLDERS)]
    issue_date: Date
    valid_from: Date
    area_code: AreaCode
    matter_code: Code
    case_number: Number
    face: Face = field(default_factory=dict)
    valid_until: Date | None = None
    file_hash: Hash | None = None
    paper_number: Number | None = None
    transferred_from: Identifier | None = None  # identifier in the region it came from (op 08)

    def partition_key(self, actor: str) -> str:
        return f"licence:{self.type_code}.{actor}.{self.serial}"


@command
@dataclass(frozen=True)
class ChangeLicence(Command):
    """A change (09), a correction of an error (09) or a renewal (02): a new version."""

    identifier: Identifier
    kind: Code
    reason: FreeText
    changes: Annotated[Mapping[str, Any], Shape(IssueLicence, VERSION_FIELDS, "LicenceChanges")]

    def partition_key(self, actor: str) -> str:
        return licence_key(self.identifier)


@dataclass(frozen=True)
class _StatusCommand(Command):
    identifier: Identifier
    reason: FreeText

    def partition_key(self, actor: str) -> str:
        return licence_key(self.identifier)


@command
@dataclass(frozen=True)
class SuspendLicence(_StatusCommand):
    pass


@command
@dataclass(frozen=True)
class EndSuspension(_StatusCommand):
    pass


@command
@dataclass(frozen=True)
class CancelLicence(_StatusCommand):
    issued_in_error: bool = False


@command
@dataclass(frozen=True)
class RevokeLicence(_StatusCommand):
    pass


@command
@dataclass(frozen=True)
class PenaltyRevokeLicence(_StatusCommand):
    pass


@command
@dataclass(frozen=True)
class ExpireLicence(_StatusCommand):
    as_of: Date = ""


@command
@dataclass(frozen=True)
class TransferLicenceOut(_StatusCommand):
    destination: Name = ""


@command
@dataclass(frozen=True)
class CancelTransferOut(_StatusCommand):
    pass


@command
@dataclass(frozen=True)
class SetLicenceStatusOther(_StatusCommand):
    """Status 99: the reason is the required description."""


# The domain's action (ledger.domain.licence.TRANSITIONS) each status command asks for.
STATUS_ACTIONS = {
    "SuspendLicence": "suspend", "EndSuspension": "end_suspension", "CancelLicence": "cancel",
    "RevokeLicence": "revoke", "PenaltyRevokeLicence": "penalty_revoke",
    "ExpireLicence": "expire", "TransferLicenceOut": "transfer_out",
    "CancelTransferOut": "cancel_transfer_out", "SetLicenceStatusOther": "set_other",
}
