"""Signed queries: a platform for a holder (Art. 5, 16, 28) and an issuer (Art. 27).

Each is a read of personal or usage data, so each is a signed command recorded as an
``AccessRecorded`` event, like any read of a licence: who asked, for whom, why. The
handler authorises and records; the data (a holder's licences, who used them, an
issuer's access log and statistics) comes from the read models after the record is
committed (docs/service.md, "Signed queries").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from commands.messages.base import Command, command, licence_key
from commands.messages.wire_types import Code, Count, FreeText, Identifier, Name, Number, Period


@dataclass(frozen=True)
class _HolderQuery(Command):
    holder_code: Number
    operator: Name
    purpose: FreeText
    # How the platform authenticated the holder's real name before acting for them
    # (one of ledger.domain.access.AGENT_AUTH_METHODS); without it the query is refused.
    agent_auth: Code | None = None

    def partition_key(self, actor: str) -> str:
        return f"holder:{self.holder_code}"


@command
@dataclass(frozen=True)
class ListHolderLicences(_HolderQuery):
    """A platform lists, for a holder who signed in with their real name, their licences
    (every version's current state, with its files) and the grants they gave that are live."""


@command
@dataclass(frozen=True)
class GetHolderAccessLog(_HolderQuery):
    """A platform shows a holder who read their licences: when, who, why, the outcome."""


@command
@dataclass(frozen=True)
class DownloadHolderLicence(_HolderQuery):
    """A platform downloads one of a holder's own licences for them: its data, and over
    HTTP a single-use reference to its file. Recorded as a read of that licence."""

    identifier: Identifier = field(kw_only=True)  # required: after the base's defaults

    def partition_key(self, actor: str) -> str:
        return licence_key(self.identifier)  # ordered with the licence's lifecycle


@dataclass(frozen=True)
class _IssuerQuery(Command):
    issuer_code: Code
    operator: Name
    purpose: FreeText

    def partition_key(self, actor: str) -> str:
        return f"issuer:{self.issuer_code}"


@command
@dataclass(frozen=True)
class GetIssuerAccessLog(_IssuerQuery):
    """An issuer sees who read the licences it issued (Art. 27): the latest ``limit`` reads."""

    limit: Count | None = None


@command
@dataclass(frozen=True)
class GetIssuerStatistics(_IssuerQuery):
    """An issuer's issuance and usage figures per licence type and month (``ledger stats``)."""

    period: Period | None = None
