"""The small city every use-refusal test runs in, and the three shapes of an answer.

A refused read is still a read: the result is rejected with the rule's code, yet an
``AccessRecorded`` event (outcome ``refused``, same code) and a receipt are stored, so the
access log shows the attempt and a repeat of the command returns the same answer
(``duplicate=True``) without recording it twice. Refusals of commands that are not reads
(granting, consenting, answering, reporting) write nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from commands.bootstrap import Services
from commands.bus.pipeline import Result
from commands.demo.scenario import Dept, Scenario
from ledger.domain import streams
from ledger.domain.localtime import beijing_date
from projections.models.use_queries import get_access_log
from tests.builders import SEED, Clock, apply_all, scenario_clock

MATTER, OTHER_MATTER = "MATTER-001", "MATTER-002"
FIELDS = ["company_name", "operator_name"]


@dataclass
class Town:
    """A small city: 8 valid licences (two of each type) and a functional grant per user."""

    services: Services
    clock: Clock
    s: Scenario

    @property
    def a(self) -> Dept:
        return self.s.using_departments[0]

    @property
    def b(self) -> Dept:
        return self.s.using_departments[1]

    @property
    def mgmt(self) -> Dept:
        return self.s.city.management

    @property
    def platform(self) -> Dept:
        return self.s.platform

    def issuer(self, name: str) -> Dept:
        return self.s.city.issuers[name]

    @property
    def today(self) -> date:
        return beijing_date(self.clock.now)  # the calendar the handlers judge windows by

    def t(self, suffix: str) -> str:
        return self.mgmt.code + suffix

    def lic(self, suffix: str, nth: int = 0) -> dict[str, Any]:
        return [x for x in self.s.issued if x["type_code"].endswith(suffix)][nth]

    def ident(self, suffix: str, nth: int = 0) -> str:
        return str(self.lic(suffix, nth)["identifier"])

    def day(self, offset: int) -> str:
        return (self.today + timedelta(days=offset)).isoformat()

    # -- sending ----------------------------------------------------------------------
    def envelope(self, actor: Dept, command_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self.s.sign(actor, command_type, payload)

    def send(self, actor: Dept, command_type: str, payload: dict[str, Any]) -> Result:
        return self.run(self.envelope(actor, command_type, payload))

    def run(self, envelope: dict[str, Any]) -> Result:
        [result] = self.services.bus.execute([envelope])
        return result

    def ok(self, actor: Dept, command_type: str, payload: dict[str, Any]) -> Result:
        return self.accept(self.envelope(actor, command_type, payload))

    def accept(self, envelope: dict[str, Any]) -> Result:
        result = self.run(envelope)
        assert result.accepted, (result.code, result.message)
        return result

    def grant(self, grant_id: str, dept: Dept, **overrides: Any) -> dict[str, Any]:
        payload = {"grant_id": grant_id, "department": dept.code,
                   "type_codes": [self.t(x) for x in ("001", "002", "003", "004")],
                   "fields": FIELDS, "valid_from": self.day(0), "valid_until": self.day(30),
                   "daily_cap": None, "scenarios": [MATTER]}
        payload.update(overrides)
        return self.envelope(self.mgmt, "GrantFunctionalUse", payload)

    def consent(self, grant_id: str, identifier: str, grantee: Dept,
                **overrides: Any) -> dict[str, Any]:
        payload = {"grant_id": grant_id, "identifier": identifier,
                   "holder_code": self.s.holder_of(identifier), "grantee": grantee.code,
                   "rights": ["verify", "download"], "matter_code": OTHER_MATTER,
                   "valid_from": self.day(0), "valid_until": self.day(30)}
        payload.update(overrides)
        return self.envelope(self.platform, "GrantHolderConsent", payload)

    def read(self, actor: Dept, identifier: str, grant_id: str, *,
             command_type: str = "ViewLicence", mode: str = "function", matter: str = MATTER,
             case: str, **extra: Any) -> dict[str, Any]:
        return self.envelope(actor, command_type, {
            "identifier": identifier, "mode": mode, "grant_id": grant_id,
            "matter_code": matter, "case_number": case, "operator": "officer-1",
            "purpose": "handling an application", **extra})

    def annotate(self, actor: Dept, identifier: str, grant_id: str, until: str, *,
                 case: str, copy_id: str | None = None) -> dict[str, Any]:
        return self.read(actor, identifier, grant_id, command_type="AnnotateLicence",
                         case=case, copy_id=copy_id or f"copy-{case}", recipient="某银行",
                         valid_until=until)

    def bulk(self, actor: Dept, request_id: str, type_code: str, case: str) -> dict[str, Any]:
        return self.envelope(actor, "BulkRead", {
            "request_id": request_id, "type_code": type_code, "matter_code": MATTER,
            "case_number": case, "operator": "analyst", "purpose": "quarterly analysis"})

    # -- what was recorded --------------------------------------------------------------
    def access_rows(self, *, user: str, case: str) -> list[dict[str, Any]]:
        self.services.projections.catch_up()
        return [r for r in get_access_log(self.services.read_db, user=user)
                if r["case_number"] == case]

    def head(self) -> int:
        return self.services.store.max_notification_id()


def build_town(services: Services, clock: Clock) -> Town:
    """Set-up, 8 licences (two of each type) and a functional grant per using department."""
    s = Scenario(SEED, scenario_clock(clock))
    apply_all(services, clock, s.setup())
    apply_all(services, clock, s.issue(8))
    town = Town(services, clock, s)
    apply_all(services, clock, [town.grant("G-A", town.a), town.grant("G-B", town.b)])
    return town


def refused_and_recorded(town: Town, envelope: dict[str, Any], code: str,
                         licence: str | None = None) -> Result:
    """The read is refused with ``code``, recorded once, and a repeat gives the same answer."""
    result = town.run(envelope)
    assert (result.accepted, result.code) == (False, code), (result.code, result.message)
    assert result.message
    access = streams.access_stream(envelope["command_id"])
    assert result.events == ((str(access), 1),)
    [stored] = town.services.store.read_stream(access)
    assert stored.type == "AccessRecorded"
    assert (stored.data["outcome"], stored.data["code"]) == ("refused", code)
    assert stored.data["fields_returned"] == []
    [receipt] = town.services.store.read_stream(streams.receipt_stream(envelope["command_id"]))
    assert (receipt.data["outcome"], receipt.data["code"]) == ("refused", code)

    case = envelope["payload"].get("case_number", "-")  # public queries carry no case
    rows = town.access_rows(user=envelope["actor"], case=case)
    assert [(r["outcome"], r["code"]) for r in rows] == [("refused", code)]
    assert rows[0]["reason"] == result.message
    if licence is not None:  # the issuer sees the refused attempt on its licence too
        by_licence = [r for r in get_access_log(town.services.read_db, licence=licence)
                      if r["case_number"] == case]
        by_issuer = [r for r in get_access_log(town.services.read_db, issuer=licence.split(".")[6])
                     if r["case_number"] == case]
        assert by_licence == rows == by_issuer

    head = town.head()
    again = town.run(envelope)
    assert again == replace(result, duplicate=True)
    assert len(town.access_rows(user=envelope["actor"], case=case)) == 1
    assert town.head() == head  # the repeat recorded nothing
    return result


def allowed(town: Town, envelope: dict[str, Any]) -> Result:
    result = town.run(envelope)
    assert result.accepted, (result.code, result.message)
    case = envelope["payload"].get("case_number")
    if case is not None:
        rows = town.access_rows(user=envelope["actor"], case=case)
        assert [(r["outcome"], r["code"]) for r in rows] == [("allowed", None)]
    return result


def refused_writes_nothing(town: Town, envelope: dict[str, Any], code: str) -> Result:
    before = town.head()
    result = town.run(envelope)
    assert (result.accepted, result.code) == (False, code), (result.code, result.message)
    assert result.events == () and not result.duplicate
    assert town.head() == before
    again = town.run(envelope)  # nothing was stored, so it is judged afresh, the same way
    assert (again.code, again.duplicate) == (code, False)
    assert town.head() == before
    return result
