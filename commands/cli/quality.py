"""``ledger quality``: the regular data-quality checks (Art. 14) and the rectification plan.

Without ``--keys`` it only shows: the findings recorded and still open, with their age,
and what the checks find now that is not recorded yet. With ``--keys`` it records each new
problem (``RecordQualityFinding``, signed by the issuer concerned or ``--signer``) and
closes as ``fixed`` each open finding the checks no longer find. ``--close ID --note TEXT``
closes one as ``explained``. Exit 1 while findings are open.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from commands.bootstrap import Services, bootstrap
from commands.cli import quality_data as data
from commands.cli.args import require_department
from commands.cli.output import fail, result_table
from commands.settings import load_settings
from commands.signed.envelope import sign_envelope
from ledger.domain.identifiers import IdentifierError, validate_uscc
from ledger.domain.localtime import beijing_date
from ledger.domain.quality import QualityFinding, apply_finding, finding_id, finding_stream
from ledger.errors import ConfigurationError
from ledger.integrity.canonical import format_instant
from ledger.integrity.signing import SigningKey, load_signing_key
from ledger.stock.quality_checks import Problem, check_licences, check_paper

_IDS = uuid.UUID("4d9c2b8e-1f3a-5e6d-b7c0-8a2f4e6d1c35")


def register(sub: Any) -> None:
    p = sub.add_parser("quality", help="data-quality checks over the ledger and the open"
                       " findings of the rectification plan (Art. 14)")
    p.add_argument("--issuer", metavar="CODE", help="only this issuing department")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--keys", type=Path, metavar="DIR",
                   help="record new findings and close fixed ones, signed with <USCC>.pem")
    p.add_argument("--signer", metavar="CODE",
                   help="sign as this department (management); default: the issuer concerned")
    p.add_argument("--close", metavar="FINDING_ID", help="close one finding as explained")
    p.add_argument("--note", help="with --close: why it is not a defect")
    p.set_defaults(func=quality)


def quality(args: argparse.Namespace) -> int:
    if args.close and (not args.keys or not args.note):
        return fail("--close needs --keys DIR and --note TEXT (the explanation)")
    if args.keys is not None and not args.keys.is_dir():
        return fail(f"--keys {args.keys}: not a directory of <USCC>.pem keys")
    if args.issuer is not None:
        try:
            validate_uscc(args.issuer)
        except IdentifierError as exc:
            return fail(f"--issuer {args.issuer!r}: {exc.message}")
    services = bootstrap(load_settings())
    try:
        if args.issuer is not None:
            require_department(services.store, args.issuer, "--issuer")
        services.projections.catch_up()  # the checks read the read models: bring them up
        signer = _Signer(args.keys, args.signer) if args.keys else None
        if args.close and signer is not None:
            return _close_one(services, signer, args.close, args.note)
        now = datetime.now(UTC)
        problems = _problems(services, args.issuer, beijing_date(now).isoformat())
        recorded = closed = 0
        if signer is not None:
            recorded, closed = _record(services, signer, problems, args.issuer)
            services.projections.catch_up()
        shown = _shown(services, problems, args.issuer, beijing_date(now))
    finally:
        services.close()
    if args.json:
        sys.stdout.buffer.write(orjson.dumps({"findings": shown, "recorded": recorded,
                                              "closed": closed}) + b"\n")
    else:
        result_table("data-quality findings (open, oldest first)",
                     ["finding", "issuer", "check", "subject", "age (days)", "recorded",
                      "message"],
                     [(f["finding_id"][:8], f["issuer"], f["check"], f["subject"],
                       f["age_days"], f["recorded_on"] or "not yet", f["message"])
                      for f in shown])
        print(f"open findings: {len(shown)}; recorded now: {recorded}; closed as fixed: {closed}")
    return 1 if shown else 0


class _Signer:
    def __init__(self, folder: Path, signer: str | None) -> None:
        self.folder, self.signer = folder, signer
        self._keys: dict[str, SigningKey] = {}

    def key(self, issuer: str) -> tuple[str, SigningKey]:
        actor = self.signer or issuer
        if actor not in self._keys:
            self._keys[actor] = load_signing_key(self.folder / f"{actor}.pem")
        return actor, self._keys[actor]

    def envelope(self, issuer: str, command_type: str, payload: dict[str, Any],
                 command_id: str) -> dict[str, Any]:
        actor, key = self.key(issuer)
        return sign_envelope(key, command_type=command_type, actor=actor, payload=payload,
                             issued_at=format_instant(datetime.now(UTC)), command_id=command_id)


def _problems(services: Services, issuer: str | None, today: str) -> dict[str, Problem]:
    found = [*check_licences(data.licences(services, issuer), data.entries(services), today),
             *check_paper(data.paper(services, issuer))]
    return {finding_id(p.issuer_code, p.check, p.subject): p for p in found}


def _state(services: Services, fid: str) -> QualityFinding | None:
    state: QualityFinding | None = services.ledger.get(finding_stream(fid), apply_finding)
    return state


def _record(services: Services, signer: _Signer, problems: dict[str, Problem],
            issuer: str | None) -> tuple[int, int]:
    open_now = {f["finding_id"]: f for f in data.open_findings(services, issuer)}
    batch = []
    for fid, p in problems.items():
        state = _state(services, fid)  # the ledger's word: the read model may trail it
        if not (state and (state.open or state.explained)):
            n = (state.times if state else 0) + 1
            batch.append(signer.envelope(p.issuer_code, "RecordQualityFinding", {
                "finding_id": fid, "issuer_code": p.issuer_code, "check": p.check,
                "subject": p.subject, "message": p.message},
                str(uuid.uuid5(_IDS, f"{fid}:record:{n}"))))
    recorded = len(batch)
    for fid, f in open_now.items():
        state = _state(services, fid)
        if fid not in problems and state is not None and state.open:
            n = state.times
            batch.append(signer.envelope(f["issuer"], "CloseQualityFinding", {
                "finding_id": fid, "resolution": "fixed",
                "note": "no longer found by the data-quality checks"},
                str(uuid.uuid5(_IDS, f"{fid}:close:{n}"))))
    refused = [r for r in services.bus.execute(batch) if not r.accepted] if batch else []
    if refused:
        raise ConfigurationError(f"the ledger refused {len(refused)} finding command(s), first:"
                                 f" {refused[0].message} [{refused[0].code}]")
    return recorded, len(batch) - recorded


def _close_one(services: Services, signer: _Signer, given: str, note: str) -> int:
    fid = data.resolve_finding(services, given)  # the table shows 8 characters of the id
    if fid is None:
        return fail(f"--close {given}: more than one finding starts so; give more characters"
                    " of the finding id (--json shows it whole)")
    state = services.ledger.get(finding_stream(fid), apply_finding)
    if state is None:
        return fail(f"--close {given}: no such finding (the first column of `ledger quality`"
                    " names it; a finding marked `not yet` is recorded by a run with --keys)")
    if not state.open:
        print(f"error: finding {fid} is already closed ({state.resolution})", file=sys.stderr)
        return 1
    envelope = signer.envelope(state.issuer_code, "CloseQualityFinding", {
        "finding_id": fid, "resolution": "explained", "note": note},
        str(uuid.uuid5(_IDS, f"{fid}:close:{state.times}")))
    result = services.bus.execute([envelope])[0]
    print(result.line())
    return 0 if result.accepted else 1


def _shown(services: Services, problems: dict[str, Problem], issuer: str | None,
           today: Any) -> list[dict[str, Any]]:
    """Open findings (oldest first), then problems found now and not recorded yet; a
    problem closed as explained is not shown again."""
    shown = []
    open_now = data.open_findings(services, issuer)
    for f in open_now:
        age = (today - datetime.fromisoformat(f["recorded_on"]).date()).days
        shown.append({**f, "age_days": age, "recorded": True})
    known = {f["finding_id"] for f in open_now}
    for fid, p in sorted(problems.items(), key=lambda kv: (kv[1].issuer_code, kv[1].check)):
        state = _state(services, fid)
        if fid not in known and not (state and state.explained):
            shown.append({"finding_id": fid, "issuer": p.issuer_code, "check": p.check,
                          "subject": p.subject, "message": p.message, "recorded_on": None,
                          "age_days": 0, "recorded": False})
    return shown
