"""Handlers of the data-quality commands: the issuer concerned, or management, signs."""

from __future__ import annotations

from commands.authorisation.policy import require_issuer_or_management
from commands.handlers.context import Context
from commands.messages.fields import fail
from commands.messages.quality import CloseQualityFinding, RecordQualityFinding
from ledger.domain import quality
from ledger.domain.identifiers import IdentifierError, validate_uscc
from ledger.domain.quality import apply_finding, finding_stream

MAX_TEXT = 2000


def record_quality_finding(cmd: RecordQualityFinding, ctx: Context) -> None:
    try:
        validate_uscc(cmd.issuer_code)
    except IdentifierError as exc:
        fail("payload.issuer_code", exc.message)
    if cmd.check not in quality.CHECKS:
        fail("payload.check", f"expected one of {', '.join(quality.CHECKS)}")
    for name in ("subject", "message"):
        text = getattr(cmd, name)
        if not text.strip() or len(text) > MAX_TEXT:
            fail(f"payload.{name}", f"text must be 1..{MAX_TEXT} characters")
    if cmd.finding_id != quality.finding_id(cmd.issuer_code, cmd.check, cmd.subject):
        fail("payload.finding_id", "must be the UUID 5 of 'issuer_code|check|subject' in the"
             f" namespace {quality.NAMESPACE} (docs/commands.md, RecordQualityFinding)")
    require_issuer_or_management(ctx.actor, cmd.issuer_code, "recording a quality finding")
    stream = finding_stream(cmd.finding_id)
    evt = quality.QualityFindingRecorded(cmd.finding_id, cmd.issuer_code, cmd.check,
                                         cmd.subject, cmd.message, ctx.actor.code)
    ctx.emit(stream, apply_finding, quality.record(ctx.get(stream, apply_finding), evt))


def close_quality_finding(cmd: CloseQualityFinding, ctx: Context) -> None:
    if cmd.resolution not in quality.RESOLUTIONS:
        fail("payload.resolution", f"expected one of {', '.join(quality.RESOLUTIONS)}")
    note = cmd.note or ""
    if len(note) > MAX_TEXT or (cmd.resolution == "explained" and not note.strip()):
        fail("payload.note", f"an explanation needs a note of 1..{MAX_TEXT} characters")
    stream = finding_stream(cmd.finding_id)
    current = ctx.get(stream, apply_finding)
    if current is not None:
        require_issuer_or_management(ctx.actor, current.issuer_code,
                                     "closing a quality finding")
    evt = quality.QualityFindingClosed(cmd.finding_id, cmd.resolution, note, ctx.actor.code)
    ctx.emit(stream, apply_finding, quality.close(current, evt))
