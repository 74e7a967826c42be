"""Commands of the data-quality rectification plan (Art. 14): record and close findings."""

from __future__ import annotations

from dataclasses import dataclass

from commands.messages.base import Command, command
from commands.messages.wire_types import Code, FreeText


@command
@dataclass(frozen=True)
class RecordQualityFinding(Command):
    """Record a problem a data-quality check found. ``check`` is one of missing_field,
    code_invalid, expired_still_valid, paper_count_differs, holder_name_differs,
    suspicious_duplicate; ``finding_id`` is the UUID 5 of ``ISSUER|CHECK|SUBJECT`` in the
    namespace 0b7f3f54-9a1e-5c47-8d2b-6e3a1c9f4d20, so the same problem is the same
    finding."""

    finding_id: Code
    issuer_code: Code
    check: Code
    subject: FreeText
    message: FreeText

    def partition_key(self, actor: str) -> str:
        return f"quality:{self.finding_id}"


@command
@dataclass(frozen=True)
class CloseQualityFinding(Command):
    """Close an open finding: ``fixed``, or ``explained`` with the reason in ``note``."""

    finding_id: Code
    resolution: Code
    note: FreeText | None = None

    def partition_key(self, actor: str) -> str:
        return f"quality:{self.finding_id}"
