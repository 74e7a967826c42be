"""The read models after a realistic run, on SQLite and on PostgreSQL.

A city issues 40 licences, lives through changes, suspensions, cancellations and expiries,
uses them (by function, by consent, by delegation, publicly), reports counts and
corrections. Every expected figure below is computed in this file from the commands that
were sent and the answers they got, never from the projections' own code. Then the read
models are rebuilt, checked against a fresh replay, caught up twice, replayed over
themselves, and broken midway through a transaction.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar

import orjson
import pytest

from commands.bootstrap import Services
from commands.bus import Result
from commands.scenario import Dept, Scenario
from commands.scenario_use import use
from ledger.identifiers import make_licence_identifier, make_uscc
from ledger.localtime import beijing_date
from ledger.mapper import Record
from projections.db import ProjectionDB
from projections.queries import get_licence
from projections.registry import all_projections
from projections.runner import ProjectionRunner, check, table_rows
from projections.use_queries import get_access_log, get_stats, get_wallet
from tests.builders import (
    SEED,
    Clock,
    current_licence,
    issue_payload,
    licence_stream,
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
            ident = _issued_ident(e)
            out[lineage(ident)] = ident
        for e, _ in self.accepted("ChangeLicence"):
            ident = e["payload"]["identifier"]
            out[lineage(ident)] = _next(ident)
        return out


def _issued_ident(envelope: dict[str, Any]) -> str:
    p = envelope["payload"]
    return str(make_licence_identifier(p["type_code"], envelope["actor"], p["serial"], 1))


def _next(identifier: str) -> str:
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
                                          "new_identifier": _next(fixed)})
    sent.one(market, "AnswerCorrection", {"correction_id": "X-REF", "outcome": "refused",
                                          "reasons": "the name matches the register"})
    services.projections.catch_up()
    return sent


@pytest.fixture
def sent(services: Services, clock: Clock) -> Sent:
    return build(services, clock)


# -- licence state ---------------------------------------------------------------------------
def test_licence_state_matches_the_ledger_and_the_commands(sent: Sent) -> None:
    db = sent.services.read_db
    statuses: dict[str, list[str]] = defaultdict(lambda: ["01"])
    for e, _ in sent.accepted(*STATUS_AFTER):
        statuses[lineage(e["payload"]["identifier"])].append(STATUS_AFTER[e["type"]])
    current = sent.current()
    assert len(current) == 41
    for key, ident in current.items():
        shown = get_licence(db, ident)
        domain = current_licence(sent.services, ident)
        assert shown["identifier"] == ident == domain.identifier
        assert shown["is_current_version"] is True
        assert [v["identifier"] for v in shown["versions"]] == list(domain.identifiers)
        assert [v["version"] for v in shown["versions"]] == list(
            range(1, len(domain.identifiers) + 1))
        assert [v["previous_identifier"] for v in shown["versions"][1:]] == list(
            domain.identifiers[:-1])
        assert (shown["status"], shown["status_reason"], shown["cancel_kind"]) == (
            domain.status, domain.status_reason, domain.cancel_kind)
        assert [h["status"] for h in shown["status_history"]] == statuses[key]
        assert shown["status"] == statuses[key][-1]
        assert shown["holders"] == list(domain.holders)
        assert shown["face"] == dict(domain.fields["face"])
        assert (shown["version"], shown["catalogue_version"], shown["last_operation"]) == (
            domain.version, domain.catalogue_version, domain.last_operation)


def test_a_superseded_identifier_shows_the_current_version(sent: Sent) -> None:
    db = sent.services.read_db
    changed = [e["payload"] for e, _ in sent.accepted("ChangeLicence")]
    assert changed
    for payload in changed:
        old = payload["identifier"]
        shown = get_licence(db, old)
        assert shown["requested"] == old and shown["is_current_version"] is False
        assert shown["identifier"] == sent.current()[lineage(old)] != old
        assert shown["versions"][-1]["kind"] in ("change", "correction")
        assert shown["versions"][-1]["previous_identifier"] == old
    correction = get_licence(db, _next(changed[-1]["identifier"]))
    assert (correction["versions"][-1]["kind"], correction["case_number"]) == (
        "correction", "CORR-X-FIX")
    cancelled = [get_licence(db, sent.current()[lineage(e["payload"]["identifier"])])
                 for e, _ in sent.accepted("CancelLicence")]
    assert "issued_in_error" in {c["cancel_kind"] for c in cancelled}


# -- wallet ---------------------------------------------------------------------------------
def test_wallet_holds_the_licences_and_only_live_grants(sent: Sent) -> None:
    db, s = sent.services.read_db, sent.s
    current = sent.current()
    consents = [e["payload"] for e, _ in sent.accepted("GrantHolderConsent")]
    revoked = {e["payload"]["grant_id"] for e, _ in sent.accepted("RevokeGrant")}
    assert len(consents) == 2 and len(revoked & {c["grant_id"] for c in consents}) == 1
    for consent in consents:
        wallet = get_wallet(db, consent["holder_code"], sent.today)
        held = [lic for lic in s.issued if lic["holder"] == consent["holder_code"]]
        assert sorted(x["identifier"] for x in wallet["licences"]) == sorted(
            current[lineage(lic["identifier"])] for lic in held)
        grants = {g["grant_id"] for g in wallet["live_grants"]}
        assert (consent["grant_id"] in grants) == (consent["grant_id"] not in revoked)

    holder = next(e["payload"]["holder_code"] for e, _ in sent.accepted("DelegateUse"))
    given = [e["payload"] for e, _ in sent.accepted("GrantHolderConsent", "DelegateUse")
             if e["payload"]["holder_code"] == holder]

    def live_on(day: date) -> set[str]:
        shown = {g["grant_id"] for g in get_wallet(db, holder, day)["live_grants"]}
        expected = {g["grant_id"] for g in given if g["grant_id"] not in revoked
                    and g["valid_from"] <= day.isoformat() <= g["valid_until"]}
        assert shown == expected, day
        return shown

    assert "D-SHORT" in live_on(sent.today) and "D-LATER" not in live_on(sent.today)
    assert "D-SHORT" in live_on(sent.today + timedelta(days=3))
    assert not {"D-SHORT", "D-LATER"} & live_on(sent.today + timedelta(days=4))
    assert "D-LATER" in live_on(sent.today + timedelta(days=6))
    assert live_on(sent.today + timedelta(days=400)) == set()
    [short] = [g for g in get_wallet(db, holder, sent.today)["live_grants"]
               if g["grant_id"] == "D-SHORT"]
    assert (short["kind"], short["grantee"], short["matter_code"]) == (
        "delegation", AGENT, "MATTER-002")
    nobody = get_wallet(db, "91320581NOBODY0000", sent.today)
    assert nobody["licences"] == [] and nobody["live_grants"] == []


# -- access log -----------------------------------------------------------------------------
def test_access_log_counts_every_read_sent_refused_included(sent: Sent) -> None:
    db = sent.services.read_db
    reads = sent.reads()
    assert {r.accepted for _, r in reads} == {True, False}
    by_user: dict[str, Counter[tuple[str, str, str | None]]] = defaultdict(Counter)
    by_lineage: Counter[str] = Counter()
    by_issuer: Counter[str] = Counter()
    for e, r in reads:
        outcome = ("allowed", None) if r.accepted else ("refused", r.code)
        by_user[e["actor"]][(READS[e["type"]], *outcome)] += 1
        ident = e["payload"].get("identifier")
        if ident is not None:
            by_lineage[lineage(ident)] += 1
            by_issuer[ident.split(".")[6]] += 1
    for user, expected in by_user.items():
        rows = get_access_log(db, user=user)
        assert Counter((x["action"], x["outcome"], x["code"]) for x in rows) == expected
    current = sent.current()
    for key, n in by_lineage.items():
        rows = get_access_log(db, licence=current[key])
        assert len(rows) == n
        assert {lineage(x["identifier"]) for x in rows} == {key}
    for issuer, n in by_issuer.items():
        assert len(get_access_log(db, issuer=issuer)) == n
    without_licence = sum(1 for e, _ in reads if "identifier" not in e["payload"])
    assert sum(by_issuer.values()) + without_licence == len(reads)


def test_access_log_of_a_licence_by_any_version(sent: Sent) -> None:
    db = sent.services.read_db
    changed = [e["payload"]["identifier"] for e, _ in sent.accepted("ChangeLicence")]
    assert changed
    for old in changed:
        new = sent.current()[lineage(old)]
        assert get_access_log(db, licence=old) == get_access_log(db, licence=new)


# -- statistics -----------------------------------------------------------------------------
def expected_stats(sent: Sent) -> dict[tuple[str, str, str], dict[str, Any]]:
    in_error = {lineage(e["payload"]["identifier"]) for e, _ in sent.accepted("CancelLicence")
                if e["payload"].get("issued_in_error")}
    electronic: Counter[tuple[str, str, str]] = Counter()
    for e, _ in sent.accepted("IssueLicence"):
        p = e["payload"]
        if lineage(_issued_ident(e)) not in in_error:
            electronic[(e["actor"], p["type_code"], p["issue_date"][:7])] += 1
    paper = {(e["actor"], e["payload"]["type_code"], e["payload"]["period"]):
             e["payload"]["issued"] for e, _ in sent.accepted("ReportPaperCount")}
    cases_by_matter = {(e["actor"], e["payload"]["matter_code"], e["payload"]["type_code"],
                        e["payload"]["period"]): e["payload"]["cases"]
                       for e, _ in sent.accepted("ReportCaseCount")}
    # The usage rate's numerator counts the cases its denominator counts: uses in a matter
    # the department reported a case count for (that type, that month), no others.
    uses: dict[tuple[str, str, str], set[tuple[str, str]]] = defaultdict(set)
    for e, day in sent.accepted(*[t for t, a in READS.items() if a in USES]):
        p = e["payload"]
        dept, type_code, period = e["actor"], p["identifier"].split(".")[5], day.strftime("%Y-%m")
        if (dept, p["matter_code"], type_code, period) in cases_by_matter:
            uses[(dept, type_code, period)].add((p["matter_code"], p["case_number"]))
    cases: dict[tuple[str, str, str], int] = defaultdict(int)
    for (dept, _matter, t, period), n in cases_by_matter.items():
        cases[(dept, t, period)] += n
    rows = {}
    for key in {k for k, v in electronic.items() if v} | set(paper) | set(uses) | set(cases):
        e_n, p_n = electronic.get(key, 0), paper.get(key)
        u_n, c_n = len(uses.get(key, ())), cases.get(key)
        rows[key] = {
            "department": key[0], "licence_type": key[1], "period": key[2],
            "electronic_issued": e_n, "paper_issued": p_n,
            "issuance_rate": round(e_n / p_n, 4) if p_n else None,
            "cases_using_electronic": u_n, "cases_requiring": c_n,
            "usage_rate": round(u_n / c_n, 4) if c_n else None}
    return rows


def test_stats_equal_the_rates_computed_from_the_commands(sent: Sent) -> None:
    db = sent.services.read_db
    expected = expected_stats(sent)
    got = get_stats(db, None)
    assert got["period"] is None
    assert {(r["department"], r["licence_type"], r["period"]): r for r in got["rows"]} == expected
    # Every kind of row is there: a rate, a missing denominator, a zero denominator.
    rates = list(expected.values())
    assert any(r["issuance_rate"] is not None and r["issuance_rate"] < 1 for r in rates)
    assert any(r["issuance_rate"] == 1 for r in rates)
    assert any(r["electronic_issued"] and r["paper_issued"] is None for r in rates)
    assert any(r["usage_rate"] is not None for r in rates)
    # Uses in matters without a case-count report happened (a consent download for
    # another matter, a department that never reports); they count in no numerator.
    reported = {(e["actor"], e["payload"]["matter_code"], e["payload"]["type_code"],
                 e["payload"]["period"]) for e, _ in sent.accepted("ReportCaseCount")}
    assert any((e["actor"], e["payload"]["matter_code"], e["payload"]["identifier"].split(".")[5],
                day.strftime("%Y-%m")) not in reported
               for e, day in sent.accepted(*[t for t, a in READS.items() if a in USES]))
    assert any(r["cases_requiring"] == 0 and r["usage_rate"] is None for r in rates)
    for period in {k[2] for k in expected} | {"1999-01"}:
        one = get_stats(db, period)
        assert one["period"] == period
        assert one["rows"] == [expected[k] for k in sorted(expected) if k[2] == period]


def test_issued_in_error_and_versions_do_not_count_as_issued(sent: Sent) -> None:
    rows = get_stats(sent.services.read_db, None)["rows"]
    issued = len(sent.accepted("IssueLicence"))
    in_error = sum(1 for e, _ in sent.accepted("CancelLicence")
                   if e["payload"].get("issued_in_error"))
    assert in_error >= 1 and sent.accepted("ChangeLicence")
    assert sum(r["electronic_issued"] for r in rows) == issued - in_error


# -- public register and corrections ----------------------------------------------------------
def test_public_register_has_only_public_types_and_their_public_fields(sent: Sent) -> None:
    db, types = sent.services.read_db, sent.s.city.types
    public = {t: d["public_fields"] for t, d in types.items() if d["disclosure"] == "public"}
    assert public and len(public) < len(types)
    rows = db.query("SELECT identifier, type_code, face, status FROM public_licences")
    assert {r[0] for r in rows} == {ident for ident in sent.current().values()
                                    if ident.split(".")[5] in public}
    kept_back: set[str] = set()
    for ident, type_code, face, status in rows:
        shown = get_licence(db, ident)
        assert set(orjson.loads(face)) == set(public[type_code])
        assert orjson.loads(face) == {k: shown["face"][k] for k in public[type_code]}
        assert status == shown["status"]
        kept_back |= set(shown["face"]) - set(public[type_code])
    assert kept_back == {"business_scope", "premises"}


def test_corrections_queue_with_answers_and_ages(sent: Sent) -> None:
    db = sent.services.read_db
    reported_on = sent.today
    sent.clock.advance(days=40)
    rows = {r[0]: r for r in db.query(
        "SELECT correction_id, kind, identifier, reporter, reported_on, answered_on, outcome,"
        " new_identifier, reasons FROM corrections")}
    assert set(rows) == {"X-FIX", "X-REF", "X-OPEN"}
    fix, ref, open_ = rows["X-FIX"], rows["X-REF"], rows["X-OPEN"]
    assert fix[6:8] == ("fixed", sent.current()[lineage(fix[2])])
    assert get_licence(db, fix[7])["versions"][-1]["kind"] == "correction"
    assert (ref[6], ref[7], ref[8]) == ("refused", None, "the name matches the register")
    assert ref[3] == sent.s.platform.code
    assert (open_[1], open_[2], open_[5], open_[6]) == ("missing", None, None, None)
    today = sent.clock.now.date()
    ages = {cid: (today - date.fromisoformat(r[4])).days for cid, r in rows.items()
            if r[5] is None}
    assert ages == {"X-OPEN": 40}
    assert all(r[4] == reported_on.isoformat() for r in rows.values())
    assert all(r[5] == reported_on.isoformat() for r in (fix, ref))


# -- rebuild, check, idempotency -----------------------------------------------------------
def snapshot(runner: ProjectionRunner) -> dict[str, Any]:
    return {p.name: table_rows(runner.db, p) for p in runner.projections}


def test_rebuild_check_and_repeated_catch_up(sent: Sent) -> None:
    services = sent.services
    runner, head = services.projections, services.store.max_notification_id()
    assert set(runner.positions().values()) == {head}
    before = snapshot(runner)
    assert all(any(rows for rows in tables.values()) for tables in before.values())
    assert runner.rebuild() > 0
    assert snapshot(runner) == before
    assert set(runner.positions().values()) == {head}
    problems = check(services.store, services.read_db, runner.projections,
                     ProjectionDB("sqlite:///:memory:"))
    assert set(problems) == {p.name for p in runner.projections}
    assert not any(problems.values()), problems
    assert runner.catch_up() == 0 and runner.catch_up() == 0
    assert set(runner.positions().values()) == {head}
    assert snapshot(runner) == before
    # Replaying every event over rows that already hold them changes nothing.
    services.read_db.execute("UPDATE projection_positions SET position = 0")
    assert runner.catch_up() > 0
    assert snapshot(runner) == before
    assert set(runner.positions().values()) == {head}


def test_check_finds_a_tampered_row(sent: Sent) -> None:
    services = sent.services
    db = services.read_db
    stream = db.query("SELECT stream FROM licences WHERE status = '01' ORDER BY stream")[0][0]
    db.execute("UPDATE licences SET status = '03' WHERE stream = ?", [stream])
    db.execute("DELETE FROM access_log WHERE access_stream = (SELECT MIN(access_stream)"
               " FROM access_log)")
    problems = check(services.store, db, services.projections.projections,
                     ProjectionDB("sqlite:///:memory:"))
    assert problems["licence_state"] == [
        "licences: 1 row(s) not in a fresh replay, 1 row(s) missing"]
    assert problems["access_log"] == ["access_log: 0 row(s) not in a fresh replay,"
                                      " 1 row(s) missing"]
    assert not any(v for k, v in problems.items() if k not in ("licence_state", "access_log"))


# -- crash safety --------------------------------------------------------------------------
class Exploding:
    """A real projection that records what it saw, and fails on one event type."""

    name: ClassVar[str] = "exploding"
    schema_version: ClassVar[int] = 1
    tables: ClassVar[dict[str, str]] = {
        "exploding_seen": "CREATE TABLE IF NOT EXISTS exploding_seen (stream TEXT NOT NULL,"
                          " version BIGINT NOT NULL, type TEXT NOT NULL,"
                          " PRIMARY KEY (stream, version))"}
    indexes: ClassVar[tuple[str, ...]] = ()
    topics: ClassVar[frozenset[str]] = frozenset({
        "LicenceIssued", "LicenceVersioned", "LicenceSuspended", "LicenceExpired",
        "AccessRecorded"})

    def __init__(self, fail_on: str | None) -> None:
        self.fail_on = fail_on

    def apply(self, db: ProjectionDB, record: Record) -> None:
        db.execute("INSERT INTO exploding_seen VALUES (?, ?, ?)",
                   [str(record.stream), record.version, record.type])
        if record.type == self.fail_on:
            raise RuntimeError(f"projection failed on {record.type}")


@pytest.mark.parametrize("page", [2000, 7])
def test_a_failure_midway_leaves_rows_and_positions_in_step(
        services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch, page: int) -> None:
    monkeypatch.setattr("projections.runner.PAGE", page)
    s = Scenario(SEED, scenario_clock(clock))
    sent = Sent(services, clock, s)
    sent.batch(s.setup())
    sent.batch(s.issue(20))
    exploding = Exploding(fail_on="AccessRecorded")
    runner = ProjectionRunner(services.store, services.read_db,
                              [*all_projections(), exploding])
    runner.catch_up()
    start = services.store.max_notification_id()
    assert set(runner.positions().values()) == {start}
    services.bus.after_commit = None  # nothing but our runner moves the read models now
    sent.batch(s.lifecycle(clock.now.date()))
    sent.batch(use(s, clock.now.date(), reads=20))
    assert sent.accepted("ExpireLicence", "ChangeLicence") and sent.reads()
    before, positions = snapshot(runner), runner.positions()

    with pytest.raises(RuntimeError, match="AccessRecorded"):
        runner.catch_up()
    after = runner.positions()
    if page == 2000:  # one transaction held everything: nothing moved
        assert after == positions and snapshot(runner) == before
    else:  # earlier pages were committed with their positions; the failed one left no trace
        assert len(set(after.values())) == 1
        stopped = next(iter(after.values()))
        assert start <= stopped < services.store.max_notification_id()
        fresh = ProjectionRunner(services.store, ProjectionDB("sqlite:///:memory:"),
                                 [*all_projections(), Exploding(fail_on=None)])
        fresh.catch_up(until=stopped)
        assert snapshot(runner) == snapshot(fresh)
    with pytest.raises(RuntimeError):  # it fails the same way again, and still moves nothing
        runner.catch_up()
    assert runner.positions() == after

    exploding.fail_on = None  # the bug is fixed: it resumes where it stopped
    assert runner.catch_up() > 0
    head = services.store.max_notification_id()
    assert set(runner.positions().values()) == {head}
    assert snapshot(runner) != before
    problems = check(services.store, services.read_db, runner.projections,
                     ProjectionDB("sqlite:///:memory:"))
    assert not any(problems.values()), problems


# -- known defects, kept as executable reports (each passes once its defect is fixed) -------
def small_city(services: Services, clock: Clock) -> Sent:
    s = Scenario(SEED, scenario_clock(clock))
    sent = Sent(services, clock, s)
    sent.batch(s.setup())
    sent.batch(s.issue(8))
    return sent


def revise(sent: Sent, suffix: str, **changes: Any) -> None:
    type_code = sent.s.city.management.code + suffix
    definition = {**orjson.loads(orjson.dumps(sent.s.city.types[type_code])), **changes}
    sent.one(sent.s.city.management, "ReviseLicenceType",
             {"type_code": type_code, "definition": definition})
    sent.services.projections.catch_up()


def test_narrowing_the_public_fields_hides_them_at_once(services: Services,
                                                        clock: Clock) -> None:
    sent = small_city(services, clock)
    revise(sent, "001", public_fields=["company_name"])
    faces = [orjson.loads(r[0]) for r in services.read_db.query(
        "SELECT face FROM public_licences WHERE type_code = ?",
        [sent.s.city.management.code + "001"])]
    assert faces and all(set(face) == {"company_name"} for face in faces)


def test_a_type_made_public_shows_its_licences(services: Services, clock: Clock) -> None:
    sent = small_city(services, clock)
    revise(sent, "004", disclosure="public", public_fields=["vehicle_plate"])
    lic = next(x for x in sent.s.issued if x["type_code"].endswith("004"))
    sent.one(lic["issuer"], "ChangeLicence", {"identifier": lic["identifier"], "kind": "change",
                                              "reason": "new plate", "changes": {
                                                  "case_number": "PLATE-2"}})
    services.projections.catch_up()
    rows = services.read_db.query("SELECT identifier FROM public_licences WHERE stream = ?",
                                  [str(licence_stream(lic["identifier"]))])
    assert rows == [(_next(lic["identifier"]),)]


def test_two_runners_never_move_a_position_back(services: Services, clock: Clock,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("projections.runner.PAGE", 10)
    services.bus.after_commit = None
    sent = small_city(services, clock)
    sent.batch(sent.s.lifecycle(clock.now.date()))
    head = services.store.max_notification_id()
    other = ProjectionRunner(services.store, ProjectionDB(services.settings.database_url),
                             all_projections())
    seen: list[int] = []

    def overtaken(position: int, _head: int) -> None:
        if not seen:
            other.catch_up()  # a follower process finishes while we are on our first page
        seen.append(min(services.projections.positions().values()))

    services.projections.catch_up(overtaken)
    other.db.close()
    assert seen[0] == head and seen == sorted(seen)
