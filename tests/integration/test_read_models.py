"""The read models after a realistic run (tests.integration.read_city), on SQLite and on
PostgreSQL: licence state, wallet, access log, public register, corrections queue.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

import orjson

from projections.models.queries import get_licence
from projections.models.use_queries import get_access_log, get_wallet
from tests.builders import (
    current_licence,
)
from tests.integration.read_city import (
    AGENT,
    READS,
    STATUS_AFTER,
    Sent,
    lineage,
    next_identifier,
)


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
    correction = get_licence(db, next_identifier(changed[-1]["identifier"]))
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
    assert kept_back == {f["name"] for t in public for f in types[t]["face_fields"]
                         if f["name"] not in public[t]}
    assert {"business_scope", "premises"} <= kept_back


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
