"""Every refusal of a use of licences (Art. 15-23, 27), on SQLite and on PostgreSQL.

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

import pytest

from commands.bootstrap import Services
from commands.bus import Result
from commands.scenario import Dept, Scenario
from ledger import streams
from ledger.identifiers import make_licence_identifier
from projections.use_queries import get_access_log
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
        today: date = self.clock.now.date()
        return today

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


@pytest.fixture
def town(services: Services, clock: Clock) -> Town:
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


# -- use by government function ------------------------------------------------------------
def test_type_not_on_the_usage_list(town: Town) -> None:
    town.ok(town.b, "SetUsageList", {"code": town.b.code, "entries": [
        {"type_code": town.t("001"), "scenarios": [MATTER]}]})
    ident = town.ident("002")
    result = refused_and_recorded(town, town.read(town.b, ident, "G-B", case="C-1"),
                                  "not_in_usage_list", licence=ident)
    assert town.t("002") in (result.message or "")
    allowed(town, town.read(town.b, town.ident("001"), "G-B", case="C-2"))
    # A department with no usage list at all (the market regulator also uses licences).
    town.accept(town.grant("G-M", town.issuer("market")))
    refused_and_recorded(town, town.read(town.issuer("market"), ident, "G-M", case="C-3"),
                         "not_in_usage_list", licence=ident)


def test_matter_not_among_the_usage_lists_scenarios(town: Town) -> None:
    ident = town.ident("001")
    result = refused_and_recorded(town, town.read(town.a, ident, "G-A", matter="MATTER-999",
                                                  case="C-1"), "not_in_usage_list", ident)
    assert "MATTER-999" in (result.message or "")


def test_no_grant(town: Town) -> None:
    ident = town.ident("001")
    refused_and_recorded(town, town.read(town.a, ident, "G-NONE", case="C-1"), "no_grant", ident)


def test_expired_grant(town: Town) -> None:
    town.accept(town.grant("G-SHORT", town.a, valid_until=town.day(0)))
    ident = town.ident("002")
    allowed(town, town.read(town.a, ident, "G-SHORT", case="C-1"))
    town.clock.advance(days=1)
    refused_and_recorded(town, town.read(town.a, ident, "G-SHORT", case="C-2"),
                         "grant_expired", ident)


def test_grant_not_yet_valid_is_refused(town: Town) -> None:
    town.accept(town.grant("G-LATER", town.a, valid_from=town.day(2), valid_until=town.day(9)))
    ident = town.ident("002")
    refused_and_recorded(town, town.read(town.a, ident, "G-LATER", case="C-1"),
                         "grant_not_yet_valid", ident)
    town.clock.advance(days=2)
    allowed(town, town.read(town.a, ident, "G-LATER", case="C-2"))


def test_revoked_grant(town: Town) -> None:
    ident = town.ident("001")
    allowed(town, town.read(town.a, ident, "G-A", case="C-1"))
    town.ok(town.mgmt, "RevokeGrant", {"grant_id": "G-A", "reason": "department reorganised"})
    result = refused_and_recorded(town, town.read(town.a, ident, "G-A", case="C-2"),
                                  "grant_revoked", ident)
    assert "department reorganised" in (result.message or "")


def test_daily_cap_is_enforced_within_a_batch_and_resets_the_next_day(town: Town) -> None:
    town.accept(town.grant("G-CAP", town.a, daily_cap=2))
    ident = town.ident("001")
    batch = [town.read(town.a, ident, "G-CAP", command_type=kind, case=f"C-{i}")
             for i, kind in enumerate(("VerifyLicence", "DownloadLicence", "ViewLicence"))]
    results = town.services.bus.execute(batch)
    assert [(r.accepted, r.code) for r in results] == [(True, None), (True, None),
                                                       (False, "cap_exceeded")]
    again = town.run(batch[2])
    assert again == replace(results[2], duplicate=True)
    refused_and_recorded(town, town.read(town.a, ident, "G-CAP", case="C-3"), "cap_exceeded",
                         ident)
    # Refused reads did not use the cap up; another grant has its own counter.
    allowed(town, town.read(town.a, ident, "G-A", case="C-4"))
    town.clock.advance(days=1)
    allowed(town, town.read(town.a, ident, "G-CAP", case="C-5"))
    allowed(town, town.read(town.a, ident, "G-CAP", case="C-6"))
    refused_and_recorded(town, town.read(town.a, ident, "G-CAP", case="C-7"), "cap_exceeded",
                         ident)


def test_another_departments_functional_grant_is_the_wrong_party(town: Town) -> None:
    ident = town.ident("001")
    refused_and_recorded(town, town.read(town.b, ident, "G-A", case="C-1"), "wrong_party", ident)
    # A holder's consent grant does not serve as a functional grant either.
    town.accept(town.consent("K-1", ident, town.a))
    refused_and_recorded(town, town.read(town.a, ident, "K-1", case="C-2"), "wrong_party", ident)


def test_type_not_covered_by_the_grant(town: Town) -> None:
    town.accept(town.grant("G-001", town.a, type_codes=[town.t("001")],
                            fields=["company_name"]))
    refused_and_recorded(town, town.read(town.a, town.ident("002"), "G-001", case="C-1"),
                         "type_not_granted", town.ident("002"))


def test_matter_on_the_usage_list_but_not_in_the_grant(town: Town) -> None:
    town.ok(town.a, "SetUsageList", {"code": town.a.code, "entries": [
        {"type_code": town.t("001"), "scenarios": [MATTER, OTHER_MATTER]}]})
    ident = town.ident("001")
    refused_and_recorded(town, town.read(town.a, ident, "G-A", matter=OTHER_MATTER, case="C-1"),
                         "matter_not_granted", ident)
    allowed(town, town.read(town.a, ident, "G-A", matter=MATTER, case="C-2"))


def test_function_use_by_a_department_without_the_using_role_is_recorded(town: Town) -> None:
    ident = town.ident("003")
    health = town.issuer("health")  # issues 003 but is not a using department
    refused_and_recorded(town, town.read(health, ident, "G-A", case="C-1"), "unauthorised",
                         ident)


# -- use by holder consent and delegation ---------------------------------------------------
def test_consent_given_to_a_used_by_b(town: Town) -> None:
    ident, other = town.ident("001"), town.ident("001", 1)
    town.accept(town.consent("K-1", ident, town.a))
    kw: dict[str, Any] = {"command_type": "DownloadLicence", "mode": "consent",
                          "matter": OTHER_MATTER}
    refused_and_recorded(town, town.read(town.b, ident, "K-1", case="C-1", **kw), "wrong_party",
                         ident)
    # The right party, but another licence than the one consented to.
    refused_and_recorded(town, town.read(town.a, other, "K-1", case="C-2", **kw), "wrong_party",
                         other)
    result = allowed(town, town.read(town.a, ident, "K-1", case="C-3", **kw))
    assert result.data is not None and result.data["face"]  # consent shows the whole face


def test_consent_rights_are_exactly_those_granted(town: Town) -> None:
    ident = town.ident("002")
    town.accept(town.consent("K-DL", ident, town.a, rights=["download"]))
    kw: dict[str, Any] = {"mode": "consent", "matter": OTHER_MATTER}
    refused_and_recorded(town, town.read(town.a, ident, "K-DL", command_type="ViewLicence",
                                         case="C-1", **kw), "right_not_granted", ident)
    refused_and_recorded(town, town.read(town.a, ident, "K-DL", command_type="VerifyLicence",
                                         case="C-2", **kw), "right_not_granted", ident)
    # An annotated copy needs the view right.
    annotate = town.read(town.a, ident, "K-DL", command_type="AnnotateLicence", case="C-3",
                         copy_id="copy-1", recipient="某银行", valid_until=town.day(10), **kw)
    refused_and_recorded(town, annotate, "right_not_granted", ident)
    allowed(town, town.read(town.a, ident, "K-DL", command_type="DownloadLicence", case="C-4",
                            **kw))


def test_consent_for_another_matter(town: Town) -> None:
    ident = town.ident("001")
    town.accept(town.consent("K-1", ident, town.a))
    refused_and_recorded(town, town.read(town.a, ident, "K-1", command_type="DownloadLicence",
                                         mode="consent", matter=MATTER, case="C-1"),
                         "matter_not_granted", ident)


def test_revoked_and_expired_consent(town: Town) -> None:
    ident = town.ident("001")
    town.accept(town.consent("K-1", ident, town.a))
    town.accept(town.consent("K-2", ident, town.a, valid_until=town.day(0)))
    kw: dict[str, Any] = {"command_type": "DownloadLicence", "mode": "consent",
                          "matter": OTHER_MATTER}
    town.ok(town.platform, "RevokeGrant", {"grant_id": "K-1", "reason": "holder withdrew"})
    refused_and_recorded(town, town.read(town.a, ident, "K-1", case="C-1", **kw),
                         "grant_revoked", ident)
    town.clock.advance(days=1)
    refused_and_recorded(town, town.read(town.a, ident, "K-2", case="C-2", **kw),
                         "grant_expired", ident)


def test_delegation_needs_the_agent_it_names(town: Town) -> None:
    ident = town.ident("003")
    agent = "320581199001011234"
    town.ok(town.platform, "DelegateUse", {
        "grant_id": "D-1", "identifier": ident, "holder_code": town.s.holder_of(ident),
        "agent_name": "代理人", "agent_code": agent, "matter_code": OTHER_MATTER,
        "valid_from": town.day(0), "valid_until": town.day(7)})
    kw: dict[str, Any] = {"mode": "delegation", "matter": OTHER_MATTER}
    refused_and_recorded(town, town.read(town.a, ident, "D-1", case="C-1", **kw), "wrong_party",
                         ident)
    refused_and_recorded(town, town.read(town.a, ident, "D-1", case="C-2",
                                         agent_code="320581199001015678", **kw),
                         "wrong_party", ident)
    refused_and_recorded(town, town.read(town.a, ident, "D-1", case="C-3", agent_code=agent,
                                         mode="delegation", matter=MATTER),
                         "matter_not_granted", ident)
    allowed(town, town.read(town.a, ident, "D-1", case="C-4", agent_code=agent, **kw))
    town.ok(town.platform, "RevokeGrant", {"grant_id": "D-1", "reason": "matter closed"})
    refused_and_recorded(town, town.read(town.a, ident, "D-1", case="C-5", agent_code=agent,
                                         **kw), "grant_revoked", ident)


# -- public disclosure and unknown licences --------------------------------------------------
@pytest.mark.parametrize("suffix", ["003", "004"])  # personal_or_secret, restricted
def test_non_public_licence_queried_publicly(town: Town, suffix: str) -> None:
    ident = town.ident(suffix)
    envelope = town.envelope(town.platform, "QueryPublicRegister",
                             {"identifier": ident, "operator": "public",
                              "purpose": f"public query {suffix}"})
    result = town.run(envelope)
    assert (result.accepted, result.code) == (False, "not_public")
    again = town.run(envelope)
    assert again == replace(result, duplicate=True)
    town.services.projections.catch_up()
    rows = [r for r in get_access_log(town.services.read_db, licence=ident)
            if r["action"] == "public_query"]
    assert [(r["outcome"], r["code"], r["organisation"]) for r in rows] == [
        ("refused", "not_public", town.platform.code)]


def test_public_query_shows_only_the_public_fields(town: Town) -> None:
    ident = town.ident("001")
    result = town.ok(town.platform, "QueryPublicRegister", {"identifier": ident})
    assert result.data is not None
    assert set(result.data["face"]) == {"company_name", "legal_representative"}


def test_public_query_relayed_by_a_non_platform_is_refused_and_recorded(town: Town) -> None:
    refused_and_recorded(town, town.envelope(town.a, "QueryPublicRegister",
                                             {"identifier": town.ident("001")}),
                         "unauthorised")


def test_unknown_licence(town: Town) -> None:
    known = town.lic("001")
    parts = known["identifier"].split(".")
    unknown_serial = str(make_licence_identifier(parts[5], parts[6], "00799999999", 1))
    unknown_version = str(make_licence_identifier(parts[5], parts[6], parts[7], 2))
    for i, ident in enumerate([unknown_serial, unknown_version, "1.2.156.3005.2.BAD"]):
        envelope = town.read(town.a, ident, "G-A", case=f"C-{i}")
        refused_and_recorded(town, envelope, "not_found")
        [row] = town.access_rows(user=town.a.code, case=f"C-{i}")
        assert (row["identifier"], row["type_code"], row["issuer_code"]) == (ident, None, None)
    public = town.envelope(town.platform, "QueryPublicRegister", {"identifier": unknown_serial})
    result = town.run(public)
    assert result.code == "not_found"
    assert town.run(public) == replace(result, duplicate=True)


# -- annotated copies ---------------------------------------------------------------------
def test_annotation_of_a_licence_that_is_not_valid(town: Town) -> None:
    ident = town.ident("001", 1)
    town.ok(town.issuer("market"), "SuspendLicence", {"identifier": ident,
                                                      "reason": "inspection pending"})
    refused_and_recorded(town, town.annotate(town.a, ident, "G-A", town.day(10), case="C-1"),
                         "licence_not_valid", ident)


def test_annotation_validity_end(town: Town) -> None:
    ident = town.ident("001")
    refused_and_recorded(town, town.annotate(town.a, ident, "G-A", town.day(-1), case="C-1"),
                         "copy_expired", ident)
    refused_and_recorded(town, town.annotate(town.a, ident, "G-A", town.day(91), case="C-2"),
                         "copy_too_long", ident)
    allowed(town, town.annotate(town.a, ident, "G-A", town.day(90), case="C-3"))
    allowed(town, town.annotate(town.a, ident, "G-A", town.day(0), case="C-4"))


def test_at_most_max_live_copies(town: Town) -> None:
    ident = town.ident("002")
    for i in range(3):
        allowed(town, town.annotate(town.a, ident, "G-A", town.day(1), case=f"C-{i}"))
    refused_and_recorded(town, town.annotate(town.a, ident, "G-A", town.day(1), case="C-3"),
                         "too_many_copies", ident)
    # Another department's copies count too: the limit is per licence.
    refused_and_recorded(town, town.annotate(town.b, ident, "G-B", town.day(1), case="C-4"),
                         "too_many_copies", ident)
    town.clock.advance(days=2)  # the three copies are no longer live
    allowed(town, town.annotate(town.a, ident, "G-A", town.day(1), case="C-5"))


def test_incomplete_annotation_is_malformed_and_writes_nothing(town: Town) -> None:
    envelope = town.read(town.a, town.ident("001"), "G-A", command_type="AnnotateLicence",
                         case="C-1", copy_id="copy-1", valid_until=town.day(5))
    refused_writes_nothing(town, envelope, "invalid_command")


def test_annotated_copy_cannot_outlive_the_licence(town: Town) -> None:
    lapsed = town.lic("002", 1)  # its validity ended; nobody has recorded the expiry yet
    assert lapsed["until"] < town.day(0) and lapsed["status"] == "01"
    envelope = town.annotate(town.a, lapsed["identifier"], "G-A", town.day(60), case="C-1")
    result = town.run(envelope)
    assert not result.accepted
    [row] = town.access_rows(user=town.a.code, case="C-1")
    assert (row["outcome"], row["code"]) == ("refused", result.code)


# -- bulk analysis (Art. 15) ----------------------------------------------------------------
def test_bulk_read_needs_a_live_approval(town: Town) -> None:
    t1, t2 = town.t("001"), town.t("002")
    refused_and_recorded(town, town.bulk(town.a, "R-NONE", t1, "B-0"), "no_approval")
    for rid in ("R-1", "R-2", "R-3"):
        town.ok(town.a, "RequestBulkAnalysis", {"request_id": rid, "type_codes": [t1],
                                                "purpose": "quarterly analysis"})
    refused_and_recorded(town, town.bulk(town.a, "R-1", t1, "B-1"), "no_approval")
    town.ok(town.mgmt, "DecideBulkAnalysis", {"request_id": "R-2", "approved": False,
                                              "reason": "purpose too vague"})
    refused_and_recorded(town, town.bulk(town.a, "R-2", t1, "B-2"), "no_approval")
    town.ok(town.mgmt, "DecideBulkAnalysis", {"request_id": "R-3", "approved": True,
                                              "reason": "ok", "valid_until": town.day(0)})
    allowed(town, town.bulk(town.a, "R-3", t1, "B-3"))
    refused_and_recorded(town, town.bulk(town.a, "R-3", t2, "B-4"), "type_not_granted")
    refused_and_recorded(town, town.bulk(town.b, "R-3", t1, "B-5"), "no_approval")
    town.clock.advance(days=1)
    refused_and_recorded(town, town.bulk(town.a, "R-3", t1, "B-6"), "approval_expired")


def test_bulk_decisions_are_the_management_departments(town: Town) -> None:
    t1 = town.t("001")
    town.ok(town.a, "RequestBulkAnalysis", {"request_id": "R-1", "type_codes": [t1],
                                            "purpose": "analysis"})
    refused_writes_nothing(town, town.envelope(town.b, "DecideBulkAnalysis", {
        "request_id": "R-1", "approved": True, "reason": "self-approved"}), "unauthorised")
    refused_writes_nothing(town, town.envelope(town.platform, "RequestBulkAnalysis", {
        "request_id": "R-2", "type_codes": [t1], "purpose": "analysis"}), "unauthorised")


# -- commands that are not reads: refused and nothing written --------------------------------
def test_only_management_grants_functional_use(town: Town) -> None:
    for actor in (town.a, town.issuer("market"), town.platform):
        envelope = town.grant("G-X", town.a)
        forged = town.envelope(actor, "GrantFunctionalUse", envelope["payload"])
        refused_writes_nothing(town, forged, "unauthorised")


def test_only_management_revokes_functional_grants(town: Town) -> None:
    refused_writes_nothing(town, town.envelope(town.platform, "RevokeGrant", {
        "grant_id": "G-A", "reason": "not mine to revoke"}), "unauthorised")
    refused_writes_nothing(town, town.envelope(town.a, "RevokeGrant", {
        "grant_id": "G-A", "reason": "not mine to revoke"}), "unauthorised")
    town.ok(town.mgmt, "RevokeGrant", {"grant_id": "G-A", "reason": "ended"})
    refused_writes_nothing(town, town.envelope(town.mgmt, "RevokeGrant", {
        "grant_id": "G-A", "reason": "twice"}), "illegal_transition")


def test_only_the_platform_gives_consent_or_delegates(town: Town) -> None:
    ident = town.ident("001")
    consent = town.consent("K-1", ident, town.a)
    for actor in (town.a, town.mgmt, town.issuer("market")):
        refused_writes_nothing(town, town.envelope(actor, "GrantHolderConsent",
                                                   consent["payload"]), "unauthorised")
        refused_writes_nothing(town, town.envelope(actor, "DelegateUse", {
            "grant_id": "D-1", "identifier": ident, "holder_code": town.s.holder_of(ident),
            "agent_name": "代理人", "agent_code": "320581199001011234",
            "matter_code": OTHER_MATTER, "valid_from": town.day(0),
            "valid_until": town.day(7)}), "unauthorised")
    town.ok(town.platform, "GrantHolderConsent", consent["payload"])
    refused_writes_nothing(town, town.envelope(town.mgmt, "RevokeGrant", {
        "grant_id": "K-1", "reason": "not the holder's choice"}), "unauthorised")


def test_consent_for_someone_who_is_not_a_holder(town: Town) -> None:
    ident = town.ident("001")
    someone_else = town.s.holder_of(town.ident("001", 1))
    refused_writes_nothing(town, town.consent("K-1", ident, town.a, holder_code=someone_else),
                           "wrong_party")
    refused_writes_nothing(town, town.envelope(town.platform, "DelegateUse", {
        "grant_id": "D-1", "identifier": ident, "holder_code": someone_else,
        "agent_name": "代理人", "agent_code": "320581199001011234", "matter_code": MATTER,
        "valid_from": town.day(0), "valid_until": town.day(7)}), "wrong_party")


@pytest.mark.parametrize(("field", "value", "code"), [
    ("rights", [], "invalid_command"),
    ("rights", ["verify", "delete"], "invalid_command"),
    ("valid_until", "2020-01-01", "invalid_command"),
    ("valid_until", "20261231", "invalid_command"),
])
def test_malformed_consent_writes_nothing(town: Town, field: str, value: Any,
                                          code: str) -> None:
    refused_writes_nothing(town, town.consent("K-1", town.ident("001"), town.a,
                                              **{field: value}), code)


def test_correction_answered_only_by_its_issuer(town: Town) -> None:
    ident = town.ident("001")
    town.ok(town.a, "ReportCorrection", {
        "correction_id": "X-1", "kind": "error", "type_code": town.t("001"),
        "issuer_code": town.issuer("market").code, "description": "wrong name",
        "identifier": ident})
    answer = {"correction_id": "X-1", "outcome": "refused", "reasons": "name is right"}
    for actor in (town.issuer("health"), town.issuer("transport"), town.a, town.mgmt):
        refused_writes_nothing(town, town.envelope(actor, "AnswerCorrection", answer),
                               "unauthorised")
    town.ok(town.issuer("market"), "AnswerCorrection", answer)
    refused_writes_nothing(town, town.envelope(town.issuer("market"), "AnswerCorrection",
                                               answer), "illegal_transition")


def test_a_fix_names_a_new_version_of_the_corrected_licence(town: Town) -> None:
    ident, other = town.ident("001"), town.ident("001", 1)
    town.ok(town.a, "ReportCorrection", {
        "correction_id": "X-1", "kind": "error", "type_code": town.t("001"),
        "issuer_code": town.issuer("market").code, "description": "wrong name",
        "identifier": ident})
    market = town.issuer("market")
    for claimed in (ident, other):
        refused_writes_nothing(town, town.envelope(market, "AnswerCorrection", {
            "correction_id": "X-1", "outcome": "fixed", "reasons": "done",
            "new_identifier": claimed}), "invalid_command")


def test_corrections_reported_only_by_holders_or_users(town: Town) -> None:
    report = {"correction_id": "X-1", "kind": "missing", "type_code": town.t("001"),
              "issuer_code": town.issuer("market").code, "description": "never received"}
    refused_writes_nothing(town, town.envelope(town.issuer("health"), "ReportCorrection",
                                               report), "unauthorised")
    refused_writes_nothing(town, town.envelope(town.a, "ReportCorrection", {
        **report, "issuer_code": town.issuer("health").code}), "invalid_command")
    refused_writes_nothing(town, town.envelope(town.a, "ReportCorrection", {
        **report, "kind": "error"}), "invalid_command")  # an error report names the licence


def test_paper_counts_only_by_an_issuer_of_the_type(town: Town) -> None:
    counts = {"type_code": town.t("001"), "period": "2026-10", "issued": 3, "changed": 0,
              "withdrawn": 0, "in_force": 3}
    for actor in (town.issuer("health"), town.a, town.mgmt):
        refused_writes_nothing(town, town.envelope(actor, "ReportPaperCount", counts),
                               "unauthorised")
    town.ok(town.issuer("market"), "ReportPaperCount", counts)


@pytest.mark.parametrize("period", ["2026-13", "2026-00", "2026-1", "202611", "2026/11",
                                    "26-11", "2026-11-01", ""])
def test_bad_period_writes_nothing(town: Town, period: str) -> None:
    market = town.issuer("market")
    refused_writes_nothing(town, town.envelope(market, "ReportPaperCount", {
        "type_code": town.t("001"), "period": period, "issued": 1, "changed": 0,
        "withdrawn": 0, "in_force": 1}), "invalid_command")
    refused_writes_nothing(town, town.envelope(town.a, "ReportCaseCount", {
        "matter_code": MATTER, "type_code": town.t("001"), "period": period, "cases": 4}),
        "invalid_command")


def test_negative_counts_write_nothing(town: Town) -> None:
    refused_writes_nothing(town, town.envelope(town.issuer("market"), "ReportPaperCount", {
        "type_code": town.t("001"), "period": "2026-10", "issued": -1, "changed": 0,
        "withdrawn": 0, "in_force": 1}), "invalid_command")
    refused_writes_nothing(town, town.envelope(town.a, "ReportCaseCount", {
        "matter_code": MATTER, "type_code": town.t("001"), "period": "2026-10",
        "cases": -4}), "invalid_command")
