"""The city every read-model test runs in, and what was sent to it.

A city issues 40 licences, lives through changes, suspensions, cancellations and expiries,
uses them (by function, by consent, by delegation, publicly), reports counts and
corrections. The tests compute every expected figure from the commands that were sent and
the answers they got (kept in :class:`Sent`), never from the projections' own code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from commands.bootstrap import Services
from commands.bus.pipeline import Result
from commands.demo.scenario import Dept, Scenario
from commands.demo.use import use
from ledger.domain.identifiers import make_licence_identifier, make_uscc
from ledger.domain.localtime import beijing_date
from ledger.domain.quality import finding_id
from tests.builders import (
    SEED,
    Clock,
    issue_payload,
    scenario_clock,
)

READS = {"VerifyLicence": "verify", "ViewLicence": "view", "DownloadLicence": "download",
         "AnnotateLicence": "annotate", "QueryPublicRegister": "public_query",
         "BulkRead": "bulk_read"}
USES = {"verify", "view", "download", "annotate"}
STATUS_AFTER = {"SuspendLicence": "02", "EndSuspension": "01", "CancelLicence": "04",
                "RevokeLicence": "03", "PenaltyRevokeLicence": "07", "ExpireLicence": "05",
                "TransferLicenceOut": "06"}
AGENT = "320581199001011234"


def lineage(identifier: str) -> str:
    return identifier.rsplit(".", 2)[0]


@dataclass
class Sent:
    """Every command sent, with the ledger's answer and the day it was handled."""

    services: Services
    clock: Clock
    s: Scenario
    log: list[tuple[dict[str, Any], Result, date]] = field(default_factory=list)

    def batch(self, envelopes: Iterable[dict[str, Any]]) -> list[Result]:
        items = list(envelopes)
        day = beijing_date(self.clock.now)  # the calendar the ledger counts days in
        results = self.services.bus.execute(items)
        self.log += [(e, r, day) for e, r in zip(items, results, strict=True)]
        self.clock.advance(minutes=1)
        return results

    def one(self, actor: Dept, command_type: str, payload: dict[str, Any]) -> Result:
        [result] = self.batch([self.s.sign(actor, command_type, payload)])
        assert result.accepted, (command_type, result.code, result.message)
        return result

    def accepted(self, *types: str) -> list[tuple[dict[str, Any], date]]:
        return [(e, d) for e, r, d in self.log if r.accepted and e["type"] in types]

    def reads(self) -> list[tuple[dict[str, Any], Result]]:
        return [(e, r) for e, r, _ in self.log if e["type"] in READS]

    @property
    def today(self) -> date:
        today: date = beijing_date(self.clock.now)
        return today

    def current(self) -> dict[str, str]:
        """Lineage -> current identifier, from the commands that issued and versioned."""
        out = {}
        for e, _ in self.accepted("IssueLicence"):
            ident = issued_identifier(e)
            out[lineage(ident)] = ident
        for e, _ in self.accepted("ChangeLicence"):
            ident = e["payload"]["identifier"]
            out[lineage(ident)] = next_identifier(ident)
        return out


def issued_identifier(envelope: dict[str, Any]) -> str:
    p = envelope["payload"]
    return str(make_licence_identifier(p["type_code"], envelope["actor"], p["serial"], 1))


def next_identifier(identifier: str) -> str:
    p = identifier.split(".")
    return str(make_licence_identifier(p[5], p[6], p[7], int(p[8]) + 1))


def _day(base: date, days: int) -> str:
    return (base + timedelta(days=days)).isoformat()


def build(services: Services, clock: Clock) -> Sent:
    s = Scenario(SEED, scenario_clock(clock))
    sent = Sent(services, clock, s)
    today = beijing_date(clock.now)
    for part in (s.setup(), s.issue(20), s.issue(20), s.lifecycle(today)):
        sent.batch(part)
    market, health = s.city.issuers["market"], s.city.issuers["health"]
    a, b = s.using_departments
    live = [x for x in s.issued if x["status"] == "01"]
    t001 = [x for x in live if x["type_code"].endswith("001")]
    # One licence cancelled as issued in error: it leaves the issuance rate.
    in_error = t001.pop()
    sent.one(market, "CancelLicence", {"identifier": in_error["identifier"],
                                       "reason": "issued to the wrong company",
                                       "issued_in_error": True})
    in_error["status"] = "04"
    sent.batch(use(s, today, reads=40))
    # A period with electronic licences and no paper report: issuance rate null.
    holder = {"name": "常熟市补录企业有限公司", "code_type": "001",
              "code": make_uscc("91320581", "BL000001")}
    sent.one(market, "IssueLicence", issue_payload(
        s, "001", "00799000001", "营业（2018）补0000001", holder, issue_date="2018-06-01",
        valid_from="2018-06-01", valid_until=None))
    # The market regulator uses licences too, with no case-count report: usage rate null.
    sent.one(market, "SetUsageList", {"code": market.code, "entries": [
        {"type_code": t, "scenarios": ["MATTER-001"]} for t in s.city.types]})
    sent.one(s.city.management, "GrantFunctionalUse", {
        "grant_id": "G-MARKET", "department": market.code, "type_codes": list(s.city.types),
        "fields": ["company_name"], "valid_from": _day(today, 0),
        "valid_until": _day(today, 30)})
    sent.batch([s.sign(market, "VerifyLicence", {
        "identifier": t001[i]["identifier"], "mode": "function", "grant_id": "G-MARKET",
        "matter_code": "MATTER-001", "case_number": f"MKT-{i % 2}", "operator": "m",
        "purpose": "inspection"}) for i in range(3)])
    # A case count of zero: no denominator either.
    sent.one(b, "ReportCaseCount", {"matter_code": "MATTER-001", "type_code": t001[0]["type_code"],
                                    "period": "2026-10", "cases": 0})
    # A later report replaces an earlier one for the same key.
    sent.one(a, "ReportCaseCount", {"matter_code": "MATTER-001",
                                    "type_code": t001[0]["type_code"],
                                    "period": today.strftime("%Y-%m"), "cases": 60})
    # Grants in the first holder's wallet: a delegation for three days, one starting later.
    wallet_licence = t001[0]["identifier"]
    holder_code = s.holder_of(wallet_licence)
    for gid, start, end in (("D-SHORT", 0, 3), ("D-LATER", 5, 9)):
        sent.one(s.platform, "DelegateUse", {
            "grant_id": gid, "identifier": wallet_licence, "holder_code": holder_code,
            "agent_name": "代理人", "agent_code": AGENT, "matter_code": "MATTER-002",
            "valid_from": _day(today, start), "valid_until": _day(today, end)})
    # Corrections: one fixed by a correction version, one refused, one left open.
    fixed, refused = t001[1]["identifier"], t001[2]["identifier"]
    type_code = t001[0]["type_code"]
    for cid, reporter, ident in (("X-FIX", a, fixed), ("X-REF", s.platform, refused)):
        sent.one(reporter, "ReportCorrection", {
            "correction_id": cid, "kind": "error", "type_code": type_code,
            "issuer_code": market.code, "description": "the name is misspelt",
            "identifier": ident})
    sent.one(b, "ReportCorrection", {
        "correction_id": "X-OPEN", "kind": "missing",
        "type_code": s.city.management.code + "003", "issuer_code": health.code,
        "description": "my practising certificate never arrived"})
    sent.one(market, "ChangeLicence", {"identifier": fixed, "kind": "correction",
                                       "reason": "X-FIX", "changes": {
                                           "case_number": "CORR-X-FIX"}})
    sent.one(market, "AnswerCorrection", {"correction_id": "X-FIX", "outcome": "fixed",
                                          "reasons": "name corrected",
                                          "new_identifier": next_identifier(fixed)})
    sent.one(market, "AnswerCorrection", {"correction_id": "X-REF", "outcome": "refused",
                                          "reasons": "the name matches the register"})
    # A data-quality finding (Art. 14), recorded and closed as explained.
    finding = finding_id(market.code, "missing_field", fixed)
    sent.one(market, "RecordQualityFinding", {"finding_id": finding, "issuer_code": market.code,
                                              "check": "missing_field", "subject": fixed,
                                              "message": "business_scope is missing"})
    sent.one(market, "CloseQualityFinding", {"finding_id": finding, "resolution": "explained",
                                             "note": "optional on the paper licence"})
    services.projections.catch_up()
    return sent
