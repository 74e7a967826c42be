"""Commands for licence files (Art. 3, 20): certificates, originals, copies, verification.

Imported by :mod:`commands.messages.catalog`, which registers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from commands.messages.base import Command, command, licence_key
from commands.messages.wire_types import (
    Code,
    Date,
    FreeText,
    Hash,
    Hashes,
    Identifier,
    Items,
    Name,
    Number,
    Pem,
    Positive,
    Text,
)
from ledger.domain import text as policy

# The verifier's findings: a few short sentences (file_handlers checks the same numbers).
Problems = Annotated[tuple[Annotated[str, Text(policy.TEXT, 1000)], ...], Items(20)]


@command
@dataclass(frozen=True)
class RegisterFileCertificate(Command):
    """Register a department's file-signing certificate (PEM: the certificate, then its
    chain up to the root), beside its command key."""

    code: Code
    certificate: Pem

    def partition_key(self, actor: str) -> str:
        return f"department:{self.code}"


@command
@dataclass(frozen=True)
class RecordLicenceFile(Command):
    """Record the hash of a signed original (PDF or OFD) of the current licence version,
    with its verification reference, the template that rendered it and the certificate
    that signed it."""

    identifier: Identifier
    format: Code
    file_hash: Hash
    reference: Code
    template_id: Name
    template_version: Positive
    certificate: Hash

    def partition_key(self, actor: str) -> str:
        return licence_key(self.identifier)


@command
@dataclass(frozen=True)
class MakeAnnotatedCopy(Command):
    """An annotated copy (加注件) with its file: the AnnotateLicence read (same rules, same
    access record) and, in the same step, the hash of the copy the maker signed."""

    identifier: Identifier
    mode: Code
    grant_id: Code
    matter_code: Code
    case_number: Number
    operator: Name
    purpose: FreeText
    copy_id: Code
    recipient: Name
    valid_until: Date
    file_hash: Hash
    original_hash: Hash
    reference: Code
    certificate: Hash
    agent_code: Number | None = None
    agent_auth: Code | None = None  # as in AnnotateLicence

    def partition_key(self, actor: str) -> str:
        return licence_key(self.identifier)


@command
@dataclass(frozen=True)
class VerifyLicenceFile(Command):
    """Verify a presented file (a recorded access): the verifier reports what it found in
    the bytes; the ledger answers with the verdict and records the verification."""

    file_hash: Hash
    format: Code
    signers: Hashes
    revision_hashes: Hashes
    problems: Problems
    operator: Name
    purpose: FreeText
    matter_code: Code = "-"
    case_number: Number = "-"
    claimed_reference: Code | None = None

    def partition_key(self, actor: str) -> str:
        return f"file:{self.file_hash}"
