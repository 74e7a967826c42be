"""Commands for using licences, corrections and reports (Art. 15-23, 12, 31)."""

from __future__ import annotations

from dataclasses import dataclass

from commands.messages import Command, command, licence_key


@command
@dataclass(frozen=True)
class GrantFunctionalUse(Command):
    """Management lets a using department call verify/download for some types (Art. 17(1))."""

    grant_id: str
    department: str
    type_codes: tuple[str, ...]
    fields: tuple[str, ...]
    valid_from: str
    valid_until: str
    daily_cap: int | None = None
    scenarios: tuple[str, ...] = ()

    def partition_key(self, actor: str) -> str:
        return f"grant:{self.grant_id}"


@command
@dataclass(frozen=True)
class GrantHolderConsent(Command):
    """A holder, through the trusted platform, lets a party verify/download one licence."""

    grant_id: str
    identifier: str
    holder_code: str
    grantee: str
    rights: tuple[str, ...]
    matter_code: str
    valid_from: str
    valid_until: str

    def partition_key(self, actor: str) -> str:
        # Keyed by the licence, not the grant: ordered with the licence's lifecycle and
        # with the reads under it (docs/kafka.md, "Order across aggregates").
        return licence_key(self.identifier)


@command
@dataclass(frozen=True)
class DelegateUse(Command):
    """A holder lets an agent use one licence for one matter and window (委托用证)."""

    grant_id: str
    identifier: str
    holder_code: str
    agent_name: str
    agent_code: str
    matter_code: str
    valid_from: str
    valid_until: str

    def partition_key(self, actor: str) -> str:
        return licence_key(self.identifier)  # as GrantHolderConsent


@command
@dataclass(frozen=True)
class RevokeGrant(Command):
    grant_id: str
    reason: str

    def partition_key(self, actor: str) -> str:
        return f"grant:{self.grant_id}"


@dataclass(frozen=True)
class _Read(Command):
    identifier: str
    mode: str  # function | consent | delegation
    grant_id: str
    matter_code: str
    case_number: str
    operator: str
    purpose: str
    # Delegation through a platform: the delegate the platform acts for, and how it
    # authenticated their real name (one of ledger.access.AGENT_AUTH_METHODS).
    agent_code: str | None = None
    agent_auth: str | None = None

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

    copy_id: str = ""
    recipient: str = ""
    valid_until: str = ""


@command
@dataclass(frozen=True)
class QueryPublicRegister(Command):
    """A public query (Art. 17(3)) relayed by the public service platform."""

    identifier: str
    operator: str = "public"
    purpose: str = "public query"

    def partition_key(self, actor: str) -> str:
        return licence_key(self.identifier)


@command
@dataclass(frozen=True)
class RequestBulkAnalysis(Command):
    request_id: str
    type_codes: tuple[str, ...]
    purpose: str

    def partition_key(self, actor: str) -> str:
        return f"bulk:{self.request_id}"


@command
@dataclass(frozen=True)
class DecideBulkAnalysis(Command):
    request_id: str
    approved: bool
    reason: str
    valid_until: str | None = None

    def partition_key(self, actor: str) -> str:
        return f"bulk:{self.request_id}"


@command
@dataclass(frozen=True)
class BulkRead(Command):
    request_id: str
    type_code: str
    matter_code: str
    case_number: str
    operator: str
    purpose: str

    def partition_key(self, actor: str) -> str:
        return f"bulk:{self.request_id}"


@command
@dataclass(frozen=True)
class ReportCorrection(Command):
    correction_id: str
    kind: str  # error | missing
    type_code: str
    issuer_code: str
    description: str
    identifier: str | None = None

    def partition_key(self, actor: str) -> str:
        return f"correction:{self.correction_id}"


@command
@dataclass(frozen=True)
class AnswerCorrection(Command):
    correction_id: str
    outcome: str  # fixed | refused
    reasons: str
    new_identifier: str | None = None

    def partition_key(self, actor: str) -> str:
        return f"correction:{self.correction_id}"


@command
@dataclass(frozen=True)
class ReportPaperCount(Command):
    type_code: str
    period: str
    issued: int
    changed: int
    withdrawn: int
    in_force: int

    def partition_key(self, actor: str) -> str:
        return f"paper:{actor}:{self.type_code}:{self.period}"


@command
@dataclass(frozen=True)
class ReportCaseCount(Command):
    matter_code: str
    type_code: str
    period: str
    cases: int

    def partition_key(self, actor: str) -> str:
        return f"cases:{actor}:{self.matter_code}:{self.type_code}:{self.period}"
