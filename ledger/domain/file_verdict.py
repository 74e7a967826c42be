"""The verdict on a presented file: is it genuine, current and valid today? (Art. 20)

The verifier's own check of the bytes (signature intact and covering the whole file,
certificate path and revocation) arrives as :class:`Presented`; the ledger adds what
only it knows: whether exactly these bytes were recorded, for which licence and version,
by whose registered certificate, and the licence's live status. A screenshot, a scan, a
re-saved or edited file, a look-alike certificate, a withdrawn licence and an expired
copy each give a negative verdict with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.domain.file_certificates import FileCertificate
from ledger.domain.file_records import COPY, FileIndexed
from ledger.domain.licence import STATUS_NAMES, VALID, Licence
from ledger.integrity.canonical import parse_date

VALID_VERDICT, NOT_VALID, NOT_GENUINE = "valid", "not_valid", "not_genuine"
# Reasons that say the file itself is not a genuine recorded licence file.
FORGERY = frozenset({
    "not_a_licence_file", "unsigned", "signature_broken", "not_whole_file",
    "untrusted_certificate", "unreadable", "not_recorded", "changed_after_signing",
    "certificate_not_registered", "wrong_signer",
})


@dataclass(frozen=True)
class Presented:
    """What the verifier found in the file: its hash, signers and any problems."""

    file_hash: str
    format: str  # pdf | ofd | other
    signers: tuple[str, ...]  # leaf certificate fingerprints, in signing order
    revision_hashes: tuple[str, ...]  # hash of the bytes each signature covers
    problems: tuple[str, ...]  # "code: message", from the check of the bytes
    claimed_reference: str | None = None


@dataclass(frozen=True)
class LedgerFacts:
    """What the ledger holds about the file (each None when unknown)."""

    record: FileIndexed | None
    first_revision: FileIndexed | None  # a recorded file the first signature covers
    by_reference: FileIndexed | None  # the file its embedded reference names
    licence: Licence | None
    certificates: Mapping[str, FileCertificate | None]


def judge(presented: Presented, facts: LedgerFacts, today: date) -> dict[str, Any]:
    """The verdict, its reasons (``code``, ``message``) and the facts behind them."""
    reasons: list[dict[str, str]] = []

    def add(code: str, message: str) -> None:
        reasons.append({"code": code, "message": message})

    for problem in presented.problems:
        code, _, message = problem.partition(": ")
        add(code, message or code)
    record = facts.record
    if record is None and presented.format != "other" and presented.signers:
        _unrecorded(facts, add)
    signers = _signers(presented, facts, record, add)
    answer: dict[str, Any] = {"file": {"sha256": presented.file_hash,
                                       "format": presented.format}, "signers": signers}
    known = record or facts.first_revision or facts.by_reference
    if known is not None and facts.licence is not None:
        answer["licence"] = _licence(known, facts.licence, today,
                                     add if record is not None else None)
    if record is not None:
        answer["file"].update(kind=record.kind, reference=record.reference)
        if record.kind == COPY:
            answer["copy"] = _copy(record, today, add)
    codes = {r["code"] for r in reasons}
    verdict = (NOT_GENUINE if codes & FORGERY or record is None
               else NOT_VALID if codes else VALID_VERDICT)
    if record is None and not codes:
        add("not_recorded", "the ledger has no record of this file")
    return {"verdict": verdict, "reasons": reasons, **answer}


def _unrecorded(facts: LedgerFacts, add: Any) -> None:
    base = facts.first_revision
    if base is not None:
        add("changed_after_signing", f"the file begins with the {base.kind} recorded for"
            f" {base.identifier}, but bytes were added or changed after it was signed")
    elif facts.by_reference is not None:
        add("not_recorded", f"the file carries the reference of a file recorded for"
            f" {facts.by_reference.identifier}, but its bytes differ: it was re-saved or"
            " edited; only the recorded file has effect")
    else:
        add("not_recorded", "the ledger has no record of this file: it was not issued"
            " through the licence system")


def _signers(presented: Presented, facts: LedgerFacts, record: FileIndexed | None,
             add: Any) -> list[dict[str, Any]]:
    out = []
    for i, fingerprint in enumerate(presented.signers):
        cert = facts.certificates.get(fingerprint)
        out.append({"fingerprint": fingerprint, "department": cert.code if cert else None,
                    "subject": cert.subject if cert else None})
        if cert is None:
            add("certificate_not_registered", f"signature {i + 1} was made with certificate"
                f" {fingerprint[:16]}…, which no department registered in the ledger"
                " (a look-alike certificate?)")
    if record is not None and tuple(presented.signers) != tuple(record.signers):
        add("wrong_signer", f"the file is signed by {len(presented.signers)} certificate(s)"
            f" other than the {len(record.signers)} recorded for it")
    return out


def _licence(known: FileIndexed, licence: Licence, today: date,
             add: Any | None) -> dict[str, Any]:
    until = licence.fields.get("valid_until")
    expired = until is not None and parse_date(until) < today
    status = licence.status
    current = known.identifier == licence.identifier
    if add is not None:
        if not current:
            add("superseded", f"the file is version {known.version} ({known.identifier});"
                f" the current version is {licence.identifier}")
        if status != VALID:
            add(f"licence_{STATUS_NAMES[status].replace(' ', '_')}",
                f"licence {licence.identifier} is {STATUS_NAMES[status]}"
                + (f" ({licence.status_reason})" if licence.status_reason else ""))
        elif expired:
            add("licence_expired", f"licence {licence.identifier} was valid until {until}")
    return {
        "identifier": known.identifier, "version": known.version,
        "current_identifier": licence.identifier, "is_current_version": current,
        "status": status, "status_name": "expired" if expired and status == VALID
        else STATUS_NAMES[status], "valid_until": until, "type_code": licence.type_code,
        "issuer_code": licence.issuer_code,
    }


def _copy(record: FileIndexed, today: date, add: Any) -> dict[str, Any]:
    until = record.valid_until or ""
    expired = parse_date(until) < today
    if expired:
        add("copy_expired", f"the annotated copy was valid until {until}")
    return {"copy_id": record.copy_id, "purpose": record.purpose,
            "maker": record.signer_departments[-1], "recipient": record.recipient,
            "valid_until": until, "expired": expired}
