"""Handlers for bulk analysis, corrections and the counts departments report."""

from __future__ import annotations

import re

from commands.authorisation import policy
from commands.handlers.context import Context
from commands.handlers.licences import _entry, _parse
from commands.handlers.use import _record
from commands.messages.fields import fail
from commands.messages.use import (
    AnswerCorrection,
    BulkRead,
    DecideBulkAnalysis,
    ReportCaseCount,
    ReportCorrection,
    ReportPaperCount,
    RequestBulkAnalysis,
)
from ledger.domain import bulk, corrections, streams
from ledger.domain.corrections import apply_correction
from ledger.domain.licence import Licence, apply_licence
from ledger.domain.localtime import beijing_date
from ledger.errors import AccessRefusedError, NotFoundError
from ledger.integrity.canonical import parse_date

_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def _period(value: str) -> str:
    if not _PERIOD.fullmatch(value):
        fail("payload.period", f"expected a month written YYYY-MM, got {value!r}")
    return value


def request_bulk_analysis(cmd: RequestBulkAnalysis, ctx: Context) -> None:
    for t in cmd.type_codes:
        _entry(ctx, t)
    stream = streams.bulk_request_stream(cmd.request_id)
    ctx.emit(stream, bulk.apply_bulk, bulk.request(
        ctx.get(stream, bulk.apply_bulk),
        bulk.BulkAnalysisRequested(cmd.request_id, ctx.actor.code, cmd.type_codes,
                                   cmd.purpose)))


def decide_bulk_analysis(cmd: DecideBulkAnalysis, ctx: Context) -> None:
    if cmd.valid_until is not None:
        try:
            parse_date(cmd.valid_until)
        except ValueError as exc:
            fail("payload.valid_until", str(exc))
    stream = streams.bulk_request_stream(cmd.request_id)
    ctx.emit(stream, bulk.apply_bulk, bulk.decide(
        ctx.get(stream, bulk.apply_bulk),
        bulk.BulkAnalysisDecided(cmd.request_id, cmd.approved, cmd.valid_until, cmd.reason)))


def bulk_read(cmd: BulkRead, ctx: Context) -> None:
    request = ctx.get(streams.bulk_request_stream(cmd.request_id), bulk.apply_bulk)
    try:
        policy.may_bulk_read(ctx.actor)
        bulk.check_bulk_read(request, cmd.request_id, ctx.actor.code, cmd.type_code,
                             beijing_date(ctx.now))
    except AccessRefusedError as exc:
        _record(ctx, _BulkView(cmd), "bulk_read", None, "refused", (), exc.code, exc.message)
        raise exc.as_recorded() from None
    _record(ctx, _BulkView(cmd), "bulk_read", None, "allowed", (), None, None)


class _BulkView:
    """Adapts a bulk read to the access record's fields (no single licence)."""

    def __init__(self, cmd: BulkRead) -> None:
        self.identifier = None
        self.mode = "function"
        self.grant_id = cmd.request_id
        self.matter_code, self.case_number = cmd.matter_code, cmd.case_number
        self.operator, self.purpose = cmd.operator, f"{cmd.purpose} ({cmd.type_code})"


def report_correction(cmd: ReportCorrection, ctx: Context) -> None:
    if cmd.kind not in corrections.KINDS:
        fail("payload.kind", f"expected one of {', '.join(corrections.KINDS)}")
    entry = _entry(ctx, cmd.type_code)
    if cmd.issuer_code not in entry.issuers:
        fail("payload.issuer_code", f"{cmd.issuer_code} does not issue {cmd.type_code}")
    licence_stream = None
    if cmd.identifier is not None:
        ident = _parse(cmd.identifier, "payload.identifier")
        stream = streams.licence_stream(ident.type_code, ident.issuer_code, ident.serial)
        licence: Licence | None = ctx.get(stream, apply_licence)
        if licence is None or cmd.identifier not in licence.identifiers:
            raise NotFoundError(f"licence {cmd.identifier} is not in the ledger")
        if (ident.type_code, ident.issuer_code) != (cmd.type_code, cmd.issuer_code):
            fail("payload.identifier", "does not match type_code and issuer_code")
        licence_stream = str(stream)
    elif cmd.kind == "error":
        fail("payload.identifier", "an error report must name the licence")
    cstream = streams.correction_stream(cmd.correction_id)
    evt = corrections.CorrectionReported(
        cmd.correction_id, cmd.kind, cmd.identifier, licence_stream, cmd.type_code,
        cmd.issuer_code, ctx.actor.code, cmd.description, beijing_date(ctx.now).isoformat())
    ctx.emit(cstream, apply_correction, corrections.report(ctx.get(cstream, apply_correction),
                                                           evt))


def answer_correction(cmd: AnswerCorrection, ctx: Context) -> None:
    if cmd.outcome not in corrections.OUTCOMES:
        fail("payload.outcome", f"expected one of {', '.join(corrections.OUTCOMES)}")
    cstream = streams.correction_stream(cmd.correction_id)
    current = ctx.get(cstream, apply_correction)
    if current is not None:
        policy.may_answer_correction(ctx.actor, current.issuer_code, cmd.correction_id)
    if cmd.outcome == "fixed" and current is not None:
        _check_fix(ctx, current, cmd.new_identifier)
    evt = corrections.CorrectionAnswered(cmd.correction_id, cmd.outcome, cmd.new_identifier,
                                         cmd.reasons, beijing_date(ctx.now).isoformat())
    ctx.emit(cstream, apply_correction,
             corrections.answer(current, cmd.correction_id, ctx.actor.code, evt))


def _check_fix(ctx: Context, current: corrections.Correction, new_identifier: str | None) -> None:
    """A fix is a later version of the licence reported (or, for a missing licence, a
    licence of that issuer)."""
    if new_identifier is None:
        fail("payload.new_identifier", "a fix names the licence version that fixes it")
    ident = _parse(new_identifier, "payload.new_identifier")
    stream = streams.licence_stream(ident.type_code, ident.issuer_code, ident.serial)
    licence: Licence | None = ctx.get(stream, apply_licence)
    if licence is None or new_identifier not in licence.identifiers:
        raise NotFoundError(f"licence {new_identifier} is not in the ledger")
    if current.licence_stream is None:
        if ident.issuer_code != current.issuer_code:
            fail("payload.new_identifier", f"the missing licence was to be issued by"
                 f" {current.issuer_code}, not {ident.issuer_code}")
        return
    if str(stream) != current.licence_stream:
        fail("payload.new_identifier", "a fix must be a new version of the licence reported,"
             " not another licence")
    if current.reported_version is not None and ident.version <= current.reported_version:
        fail("payload.new_identifier", f"version {ident.version} is not later than the version"
             f" {current.reported_version} reported as wrong; correct it first (ChangeLicence"
             " with kind correction)")


def report_paper_count(cmd: ReportPaperCount, ctx: Context) -> None:
    entry = _entry(ctx, cmd.type_code)
    policy.may_report_paper_count(ctx.actor, entry, cmd.type_code)
    counts = (cmd.issued, cmd.changed, cmd.withdrawn, cmd.in_force)
    if min(counts) < 0:
        fail("payload", "counts cannot be negative")
    period = _period(cmd.period)
    ctx.emit(streams.paper_count_stream(ctx.actor.code, cmd.type_code, period),
             lambda s, e: e, corrections.PaperCountReported(ctx.actor.code, cmd.type_code,
                                                            period, *counts))


def report_case_count(cmd: ReportCaseCount, ctx: Context) -> None:
    _entry(ctx, cmd.type_code)
    if cmd.cases < 0:
        fail("payload.cases", "cannot be negative")
    period = _period(cmd.period)
    ctx.emit(streams.case_count_stream(ctx.actor.code, cmd.matter_code, cmd.type_code, period),
             lambda s, e: e, corrections.CaseCountReported(ctx.actor.code, cmd.matter_code,
                                                           cmd.type_code, period, cmd.cases))
