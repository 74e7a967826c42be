"""Commands for using licences, corrections and reports (Art. 15-23, 12, 31)."""

from __future__ import annotations

from dataclasses import dataclass

from commands.messages.base import Command, command, licence_key
from commands.messages.wire_types import (
    Code,
    Codes,
    Count,
    Date,
    FaceKeys,
    FreeText,
    Identifier,
    Name,
    Number,
    Period,
    TypeCodes,
)


@command
@dataclass(frozen=True)
class GrantFunctionalUse(Command):
    """Management lets a using department call verify/download for some types (Art. 17(1))."""

    grant_id: Code
    department: Code
    type_codes: TypeCodes
    fields: FaceKeys
    valid_from: Date
    valid_until: Date
    daily_cap: Count | None = None
    scenarios: Codes = ()

    def partition_key(self, actor: str) -> str:
        return f"grant:{self.grant_id}"


@command
@dataclass(frozen=True)
class GrantHolderConsent(Command):
    """A holder, through the trusted platform, lets a party verify/download one licence."""

    grant_id: Code
    identifier: Identifier
    holder_code: Number
    grantee: Code
    rights: Codes
    matter_code: Code
    valid_from: Date
    valid_until: Date

    def partition_key(self, actor: str) -> str:
        # Keyed by the licence, not the grant: ordered with the licence's lifecycle and
        # with the reads under it (docs/kafka.md, "Order across aggregates").
        return licence_key(self.identifier)


@command
@dataclass(frozen=True)
class DelegateUse(Command):
    """A holder lets an agent use one licence for one matter and window (委托用证)."""

    grant_id: Code
    identifier: Identifier
    holder_code: Number
    agent_name: Name
    agent_code: Number
    matter_code: Code
    valid_from: Date
    valid_until: Date

    def partition_key(self, actor: str) -> str:
        return licence_key(self.identifier)  # as GrantHolderConsent


@command
@dataclass(frozen=True)
class RevokeGrant(Command):
    grant_id: Code
    reason: FreeText

    def partition_key(self, actor: str) -> str:
        return f"grant:{self.grant_id}"


@dataclass(frozen=True)
class _Read(Command):
    identifier: Identifier
    mode: Code  # function | consent | delegation
    grant_id: Code
    matter_code: Code
    case_number: Number
    operator: Name
    purpose: FreeText
    # Delegation through a platform: the delegate the platform acts for, and how it
    # authenticated their real name (one of ledger.domain.access.AGENT_AUTH_METHODS).
    agent_code: Number | None = None
    agent_auth: Code | None = None

    def partition_key(self, actor: str) -> str:
        return licence_key(self.identifier)


@command
@dataclass(frozen=True)
class VerifyLicence(_Read):
    pass


@command
@dataclass(frozen=True)
class ViewLicence(_Read):
    pass


@command
@dataclass(frozen=True)
class DownloadLicence(_Read):
    pass


@command
@dataclass(frozen=True)
class AnnotateLicence(_Read):
    """Make an annotated copy (加注件): purpose, recipient and validity, signed by the maker."""

    copy_id: Code = ""
    recipient: Name = ""
    valid_until: Date = ""


@command
@dataclass(frozen=True)
class QueryPublicRegister(Command):
    """A public query (Art. 17(3)) relayed by the public service platform."""

    identifier: Identifier
    operator: Name = "public"
    purpose: FreeText = "public query"

    def partition_key(self, actor: str) -> str:
        return licence_key(self.identifier)


@command
@dataclass(frozen=True)
class RequestBulkAnalysis(Command):
    request_id: Code
    type_codes: TypeCodes
    purpose: FreeText

    def partition_key(self, actor: str) -> str:
        return f"bulk:{self.request_id}"


@command
@dataclass(frozen=True)
class DecideBulkAnalysis(Command):
    request_id: Code
    approved: bool
    reason: FreeText
    valid_until: Date | None = None

    def partition_key(self, actor: str) -> str:
        return f"bulk:{self.request_id}"


@command
@dataclass(frozen=True)
class BulkRead(Command):
    request_id: Code
    type_code: Code
    matter_code: Code
    case_number: Number
    operator: Name
    purpose: FreeText

    def partition_key(self, actor: str) -> str:
        return f"bulk:{self.request_id}"


@command
@dataclass(frozen=True)
class ReportCorrection(Command):
    correction_id: Code
    kind: Code  # error | missing
    type_code: Code
    issuer_code: Code
    description: FreeText
    identifier: Identifier | None = None

    def partition_key(self, actor: str) -> str:
        return f"correction:{self.correction_id}"


@command
@dataclass(frozen=True)
class AnswerCorrection(Command):
    correction_id: Code
    outcome: Code  # fixed | refused
    reasons: FreeText
    new_identifier: Identifier | None = None

    def partition_key(self, actor: str) -> str:
        return f"correction:{self.correction_id}"


@command
@dataclass(frozen=True)
class ReportPaperCount(Command):
    type_code: Code
    period: Period
    issued: Count
    changed: Count
    withdrawn: Count
    in_force: Count

    def partition_key(self, actor: str) -> str:
        return f"paper:{actor}:{self.type_code}:{self.period}"


@command
@dataclass(frozen=True)
class ReportCaseCount(Command):
    matter_code: Code
    type_code: Code
    period: Period
    cases: Count

    def partition_key(self, actor: str) -> str:
        return f"cases:{actor}:{self.matter_code}:{self.type_code}:{self.period}"
