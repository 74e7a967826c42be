"""Commands for licence files (Art. 3, 20): certificates, originals, copies, verification.

Imported at the bottom of :mod:`commands.messages`, which registers them.
"""

from __future__ import annotations

from dataclasses import dataclass

from commands.messages import Command, command, licence_key


@command
@dataclass(frozen=True)
class RegisterFileCertificate(Command):
    """Register a department's file-signing certificate (PEM: the certificate, then its
    chain up to the root), beside its command key."""

    code: str
    certificate: str

    def partition_key(self, actor: str) -> str:
        return f"department:{self.code}"


@command
@dataclass(frozen=True)
class RecordLicenceFile(Command):
    """Record the hash of a signed original (PDF or OFD) of the current licence version,
    with its verification reference, the template that rendered it and the certificate
    that signed it."""

    identifier: str
    format: str
    file_hash: str
    reference: str
    template_id: str
    template_version: int
    certificate: str

    def partition_key(self, actor: str) -> str:
        return licence_key(self.identifier)


@command
@dataclass(frozen=True)
class MakeAnnotatedCopy(Command):
    """An annotated copy (加注件) with its file: the AnnotateLicence read (same rules, same
    access record) and, in the same step, the hash of the copy the maker signed."""

    identifier: str
    mode: str
    grant_id: str
    matter_code: str
    case_number: str
    operator: str
    purpose: str
    copy_id: str
    recipient: str
    valid_until: str
    file_hash: str
    original_hash: str
    reference: str
    certificate: str
    agent_code: str | None = None
    agent_auth: str | None = None  # as in AnnotateLicence

    def partition_key(self, actor: str) -> str:
        return licence_key(self.identifier)


@command
@dataclass(frozen=True)
class VerifyLicenceFile(Command):
    """Verify a presented file (a recorded access): the verifier reports what it found in
    the bytes; the ledger answers with the verdict and records the verification."""

    file_hash: str
    format: str
    signers: tuple[str, ...]
    revision_hashes: tuple[str, ...]
    problems: tuple[str, ...]
    operator: str
    purpose: str
    matter_code: str = "-"
    case_number: str = "-"
    claimed_reference: str | None = None

    def partition_key(self, actor: str) -> str:
        return f"file:{self.file_hash}"
