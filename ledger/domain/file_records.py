"""File records: the hash of every signed original and annotated copy, in the ledger.

A rendered original is recorded on its licence's stream (``LicenceFileRecorded``), an
annotated copy likewise (``CopyFileRecorded``); both are also indexed by file hash and
by verification reference (``FileIndexed``, one stream each), so a presented file is
found with one read and neither a hash nor a reference can ever be recorded twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID, uuid5

from ledger.domain import streams
from ledger.domain.events import DomainEvent, event
from ledger.errors import AlreadyExistsError, InvalidCommandError

FORMATS = ("pdf", "ofd")
ORIGINAL, COPY = "original", "copy"
_HASH = re.compile(r"[0-9a-f]{64}")
REFERENCE = re.compile(r"[0-9a-f]{32}")


def file_stream(file_hash: str) -> UUID:
    return uuid5(streams.NAMESPACE, f"file:{file_hash}")


def reference_stream(reference: str) -> UUID:
    return uuid5(streams.NAMESPACE, f"file-reference:{reference}")


@event
@dataclass(frozen=True)
class LicenceFileRecorded(DomainEvent):
    """The signed original (原件) of one licence version, rendered from a face template."""

    identifier: str
    version: int
    file_hash: str
    format: str
    reference: str
    template_id: str
    template_version: int
    certificate: str  # fingerprint of the issuer's file-signing certificate


@event
@dataclass(frozen=True)
class CopyFileRecorded(DomainEvent):
    """The file of an annotated copy (加注件): the original plus the maker's signature."""

    identifier: str
    copy_id: str
    file_hash: str
    original_hash: str
    reference: str
    certificate: str  # fingerprint of the maker's file-signing certificate


@event
@dataclass(frozen=True)
class FileIndexed(DomainEvent):
    """Everything verification needs about one recorded file, keyed by hash or reference."""

    file_hash: str
    kind: str  # original | copy
    format: str
    reference: str
    licence_stream: str
    identifier: str
    version: int
    signers: tuple[str, ...]  # certificate fingerprints, in signing order
    signer_departments: tuple[str, ...]
    copy_id: str | None = None
    purpose: str | None = None
    recipient: str | None = None
    valid_until: str | None = None
    original_hash: str | None = None


def apply_indexed(state: FileIndexed | None, evt: DomainEvent) -> FileIndexed:
    if isinstance(evt, FileIndexed) and state is None:
        return evt
    raise TypeError(f"{type(evt).__name__} does not apply to a file index")


def check_hash(value: str, where: str) -> None:
    if not _HASH.fullmatch(value):
        raise InvalidCommandError(f"{where}: expected 64 lower-case hex digits (SHA-256)")


def check_reference(value: str, where: str) -> None:
    if not REFERENCE.fullmatch(value):
        raise InvalidCommandError(f"{where}: expected a 128-bit reference as 32 lower-case"
                                  " hex digits")


def check_format(value: str, where: str) -> None:
    if value not in FORMATS:
        raise InvalidCommandError(f"{where}: {value!r} is not one of {', '.join(FORMATS)}")


def check_new(by_hash: FileIndexed | None, by_reference: FileIndexed | None,
              file_hash: str, reference: str) -> None:
    """A file hash and a verification reference are recorded once, ever."""
    if by_hash is not None:
        raise AlreadyExistsError(f"file {file_hash[:16]}… is already recorded for"
                                 f" {by_hash.identifier}")
    if by_reference is not None:
        raise AlreadyExistsError(f"reference {reference} is already used by another file;"
                                 " render again with a fresh reference")
