"""Handlers for licence files: certificates, originals, annotated copies, verification."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from commands.authorisation.policy import require_certificate_owner
from commands.handlers.context import Context
from commands.handlers.licences import _current
from commands.handlers.use import read_licence
from commands.messages.fields import fail
from commands.messages.files import (
    MakeAnnotatedCopy,
    RecordLicenceFile,
    RegisterFileCertificate,
    VerifyLicenceFile,
)
from commands.messages.use import AnnotateLicence
from ledger.domain import file_certificates as fc
from ledger.domain import file_records as fr
from ledger.domain import streams
from ledger.domain.access import AccessRecorded
from ledger.domain.departments import apply_department
from ledger.domain.file_verdict import VALID_VERDICT, LedgerFacts, Presented, judge
from ledger.domain.licence import STATUS_NAMES, VALID, Licence, apply_licence
from ledger.domain.localtime import beijing_date
from ledger.errors import IllegalTransitionError, NotFoundError

MAX_PROBLEMS, MAX_TEXT = 20, 1000


def register_file_certificate(cmd: RegisterFileCertificate, ctx: Context) -> None:
    if ctx.get(streams.department_stream(cmd.code), apply_department) is None:
        raise NotFoundError(f"department {cmd.code} is not registered")
    chain = fc.parse_chain(cmd.certificate)
    fc.check_chain(chain, ctx.now)
    stream = fc.file_certificate_stream(fc.leaf_fingerprint(chain))
    ctx.emit(stream, fc.apply_file_certificate,
             fc.register(ctx.get(stream, fc.apply_file_certificate), cmd.code, chain, ctx.at))


def _certificate(ctx: Context, fingerprint: str) -> fc.FileCertificate:
    """The actor's registered certificate with this fingerprint, valid now."""
    fr.check_hash(fingerprint, "payload.certificate")
    cert: fc.FileCertificate | None = ctx.get(fc.file_certificate_stream(fingerprint),
                                              fc.apply_file_certificate)
    if cert is None:
        raise NotFoundError(f"certificate {fingerprint[:16]}… is not registered; register it"
                            " with RegisterFileCertificate first")
    require_certificate_owner(ctx.actor, cert.code, fingerprint)
    if not cert.valid_at(ctx.now):
        raise IllegalTransitionError(f"certificate {fingerprint[:16]}… is valid"
                                     f" {cert.not_before} to {cert.not_after}, not now")
    return cert


def _new_file(ctx: Context, file_hash: str, reference: str) -> None:
    fr.check_hash(file_hash, "payload.file_hash")
    fr.check_reference(reference, "payload.reference")
    fr.check_new(ctx.get(fr.file_stream(file_hash), fr.apply_indexed),
                 ctx.get(fr.reference_stream(reference), fr.apply_indexed), file_hash, reference)


def _index(ctx: Context, indexed: fr.FileIndexed) -> None:
    ctx.emit(fr.file_stream(indexed.file_hash), fr.apply_indexed, indexed)
    ctx.emit(fr.reference_stream(indexed.reference), fr.apply_indexed, indexed)


def record_licence_file(cmd: RecordLicenceFile, ctx: Context) -> None:
    licence, _ = _current(ctx, cmd.identifier)
    if licence.status != VALID:
        raise IllegalTransitionError(
            f"licence {licence.identifier} is {STATUS_NAMES[licence.status]}; files are made"
            " of valid licences only")
    fr.check_format(cmd.format, "payload.format")
    if not cmd.template_id or cmd.template_version < 1:
        fail("payload.template_id/template_version", "name the template and its version")
    cert = _certificate(ctx, cmd.certificate)
    _new_file(ctx, cmd.file_hash, cmd.reference)
    stream = streams.licence_stream(licence.type_code, licence.issuer_code, licence.serial)
    ctx.emit(stream, apply_licence, fr.LicenceFileRecorded(
        licence.identifier, licence.version, cmd.file_hash, cmd.format, cmd.reference,
        cmd.template_id, cmd.template_version, cert.fingerprint))
    _index(ctx, fr.FileIndexed(cmd.file_hash, fr.ORIGINAL, cmd.format, cmd.reference,
                               str(stream), licence.identifier, licence.version,
                               (cert.fingerprint,), (ctx.actor.code,)))
    ctx.answer = {"identifier": licence.identifier, "file_hash": cmd.file_hash}


def make_annotated_copy(cmd: MakeAnnotatedCopy, ctx: Context) -> None:
    cert = _certificate(ctx, cmd.certificate)
    _new_file(ctx, cmd.file_hash, cmd.reference)
    fr.check_hash(cmd.original_hash, "payload.original_hash")
    original: fr.FileIndexed | None = ctx.get(fr.file_stream(cmd.original_hash),
                                              fr.apply_indexed)
    if original is None or original.kind != fr.ORIGINAL or original.format != "pdf":
        raise NotFoundError(f"payload.original_hash: {cmd.original_hash[:16]}… is not a"
                            " recorded PDF original")
    if original.identifier != cmd.identifier:
        fail("payload.original_hash", f"the original is of {original.identifier}, not"
             f" {cmd.identifier}")
    read_licence(AnnotateLicence(
        cmd.identifier, cmd.mode, cmd.grant_id, cmd.matter_code, cmd.case_number, cmd.operator,
        cmd.purpose, cmd.agent_code, cmd.agent_auth, cmd.copy_id, cmd.recipient,
        cmd.valid_until), ctx)
    stream = UUID(original.licence_stream)
    ctx.emit(stream, apply_licence, fr.CopyFileRecorded(
        cmd.identifier, cmd.copy_id, cmd.file_hash, cmd.original_hash, cmd.reference,
        cert.fingerprint))
    _index(ctx, fr.FileIndexed(
        cmd.file_hash, fr.COPY, "pdf", cmd.reference, original.licence_stream,
        original.identifier, original.version, (*original.signers, cert.fingerprint),
        (*original.signer_departments, ctx.actor.code), cmd.copy_id, cmd.purpose,
        cmd.recipient, cmd.valid_until, cmd.original_hash))
    ctx.answer = {**(ctx.answer or {}), "copy_id": cmd.copy_id, "file_hash": cmd.file_hash}


def _presented(cmd: VerifyLicenceFile) -> Presented:
    fr.check_hash(cmd.file_hash, "payload.file_hash")
    if cmd.format not in (*fr.FORMATS, "other"):
        fail("payload.format", f"{cmd.format!r} is not one of pdf, ofd, other")
    for i, value in enumerate((*cmd.signers, *cmd.revision_hashes)):
        fr.check_hash(value, f"payload.signers/revision_hashes[{i}]")
    if len(cmd.problems) > MAX_PROBLEMS or any(len(p) > MAX_TEXT for p in cmd.problems):
        fail("payload.problems", f"at most {MAX_PROBLEMS}, each at most {MAX_TEXT} characters")
    claimed = cmd.claimed_reference
    if claimed is not None and not fr.REFERENCE.fullmatch(claimed):
        claimed = None  # whatever a file claims is only a hint
    return Presented(cmd.file_hash, cmd.format, cmd.signers, cmd.revision_hashes,
                     cmd.problems, claimed)


def verify_licence_file(cmd: VerifyLicenceFile, ctx: Context) -> None:
    """Any registered department may verify a file presented to it; each is recorded."""
    presented = _presented(cmd)

    def indexed(stream: UUID) -> fr.FileIndexed | None:
        found: fr.FileIndexed | None = ctx.get(stream, fr.apply_indexed)
        return found

    record = indexed(fr.file_stream(presented.file_hash))
    first = next((f for h in reversed(presented.revision_hashes)
                  if h != presented.file_hash and (f := indexed(fr.file_stream(h)))), None)
    claimed = presented.claimed_reference
    by_reference = indexed(fr.reference_stream(claimed)) if claimed else None
    known = record or first or by_reference
    licence: Licence | None = (ctx.get(UUID(known.licence_stream), apply_licence)
                               if known else None)
    certificates = {fp: ctx.get(fc.file_certificate_stream(fp), fc.apply_file_certificate)
                    for fp in presented.signers}
    answer = judge(presented, LedgerFacts(record, first, by_reference, licence, certificates),
                   beijing_date(ctx.now))
    _record_access(ctx, cmd, answer, known, licence)
    ctx.answer = answer


def _record_access(ctx: Context, cmd: VerifyLicenceFile, answer: dict[str, Any],
                   known: fr.FileIndexed | None, licence: Licence | None) -> None:
    first = answer["reasons"][0] if answer["reasons"] else None
    ctx.emit(streams.access_stream(ctx.signed.command_id), lambda s, e: e, AccessRecorded(
        "verify", "file", "allowed" if answer["verdict"] == VALID_VERDICT else "refused",
        known.identifier if known else None, known.licence_stream if known else None,
        licence.type_code if licence else None, licence.issuer_code if licence else None,
        ctx.actor.code, cmd.operator, cmd.matter_code, cmd.case_number, cmd.purpose, None,
        first["code"] if first else None, first["message"] if first else None, (),
        beijing_date(ctx.now).isoformat()))
