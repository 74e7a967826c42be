"""Who may write (docs/commands.md, "Who must sign"): catalogue, departments, licences in
every status, grants and reports. Each refused signer writes nothing at all.

The full matrix runs on SQLite; PostgreSQL runs a representative test of each group.
"""

from __future__ import annotations

from typing import Any

import pytest

from commands.authorisation.policy import WHO_MUST_SIGN
from commands.demo.scenario import AREA, Dept
from commands.messages.catalog import COMMAND_TYPES
from ledger.domain.identifiers import make_uscc
from ledger.integrity.signing import SigningKey, b64encode
from tests.builders import issue_payload
from tests.integration.use_town import OTHER_MATTER, Town
from tests.integration.who_signs import AGENT, delegation, refused_write

NEWCOMER = make_uscc("12320581", "MB000000")  # a valid code no department holds
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
STATUS = ("SuspendLicence", "CancelLicence", "RevokeLicence", "PenaltyRevokeLicence",
          "ExpireLicence", "TransferLicenceOut", "SetLicenceStatusOther")


def test_the_table_names_every_command_type_and_only_those() -> None:
    named = {name for names, _, _ in WHO_MUST_SIGN for name in names}
    assert named == set(COMMAND_TYPES)


def _others(town: Town, *keep: Dept) -> list[Dept]:
    everyone = [town.mgmt, *town.s.city.issuers.values(), *town.s.city.users]
    return [d for d in everyone if d not in keep]


# -- catalogue and departments --------------------------------------------------------------
def test_only_management_keeps_the_catalogue_and_registers_departments(town: Town) -> None:
    t = town.t("001")
    definition = town.s.city.types[t]
    newcomer = {"code": NEWCOMER, "name": "新部门", "roles": ["using"],
                "area_code": AREA, "public_key": b64encode(SigningKey.generate().public_key)}
    for actor in _others(town, town.mgmt):
        refused_write(town, town.envelope(actor, "ReviseLicenceType",
                                          {"type_code": t, "definition": definition}),
                      "unauthorised")
        refused_write(town, town.envelope(actor, "RegisterLicenceType", {
            "type_code": town.t("009"), "definition": definition}), "unauthorised")
        refused_write(town, town.envelope(actor, "RegisterDepartment", newcomer),
                      "unauthorised")


@sqlite_only
def test_a_department_manages_only_its_own_keys_usage_list_and_certificates(
        town: Town) -> None:
    b = town.b
    new_key = b64encode(SigningKey.generate().public_key)
    payloads: dict[str, dict[str, Any]] = {
        "RegisterDepartmentKey": {"code": b.code, "public_key": new_key},
        "RotateDepartmentKey": {"code": b.code, "old_key_id": b.key.key_id,
                                "public_key": new_key},
        "RevokeDepartmentKey": {"code": b.code, "key_id": b.key.key_id, "reason": "stolen?"},
        "SetUsageList": {"code": b.code, "entries": []},
        "RegisterFileCertificate": {"code": b.code, "certificate": "-----BEGIN CERTIFICATE"},
    }
    for actor in _others(town, town.mgmt, b):
        for command_type, payload in payloads.items():
            refused_write(town, town.envelope(actor, command_type, payload), "unauthorised")
    town.ok(b, "SetUsageList", {"code": b.code, "entries": []})
    town.ok(town.mgmt, "SetUsageList", {"code": b.code, "entries": []})


# -- licences, in every status --------------------------------------------------------------
def test_only_a_listed_issuer_issues_and_in_its_own_name(town: Town) -> None:
    holder = {"name": "常熟新公司", "code_type": "001", "code": make_uscc("91320581", "MA1W0000")}
    payload = issue_payload(town.s, "001", "00712345678", "营业（2026）新0000001", holder)
    market = town.issuer("market")  # the only issuer of type 001
    for actor in _others(town, market):
        refused_write(town, town.envelope(actor, "IssueLicence", payload), "unauthorised")
    town.ok(market, "IssueLicence", payload)


@sqlite_only
def test_only_the_issuer_changes_a_licence_in_any_status(town: Town) -> None:
    market = town.issuer("market")
    valid, suspended = town.ident("001"), town.ident("001", 1)
    cancelled, out = town.ident("002"), town.ident("002", 1)
    town.ok(market, "SuspendLicence", {"identifier": suspended, "reason": "inspection"})
    town.ok(town.issuer(_issuer_name(town, cancelled)), "CancelLicence",
            {"identifier": cancelled, "reason": "closed"})
    town.ok(town.issuer(_issuer_name(town, out)), "TransferLicenceOut",
            {"identifier": out, "reason": "moved", "destination": "苏州市"})
    for ident in (valid, suspended, cancelled, out):
        owner = town.issuer(_issuer_name(town, ident))
        for actor in _others(town, owner):
            for command_type in (*STATUS, "EndSuspension", "CancelTransferOut"):
                if command_type == "ExpireLicence" and actor is town.mgmt:
                    continue  # management may record an expiry (the calendar's fact)
                refused_write(town, town.envelope(actor, command_type, {
                    "identifier": ident, "reason": "not mine", "destination": "苏州市"}
                    if command_type == "TransferLicenceOut" else
                    {"identifier": ident, "reason": "not mine"}), "unauthorised")
            refused_write(town, town.envelope(actor, "ChangeLicence", {
                "identifier": ident, "kind": "correction", "reason": "not mine",
                "changes": {"case_number": "X"}}), "unauthorised")
            refused_write(town, town.envelope(actor, "RecordLicenceFile", {
                "identifier": ident, "format": "pdf", "file_hash": "0" * 64,
                "reference": "0" * 32, "template_id": "t", "template_version": 1,
                "certificate": "0" * 64}), "unauthorised")


def _issuer_name(town: Town, identifier: str) -> str:
    code = identifier.split(".")[6]
    return next(k for k, d in town.s.city.issuers.items() if d.code == code)


# -- grants --------------------------------------------------------------------------------
def test_only_the_platform_records_a_holders_consent_or_delegation(town: Town) -> None:
    ident = town.ident("001")
    consent = town.consent("K-1", ident, town.a)["payload"]
    delegate = delegation(town, "D-1", ident)["payload"]
    for actor in _others(town, town.platform):
        refused_write(town, town.envelope(actor, "GrantHolderConsent", consent), "unauthorised")
        refused_write(town, town.envelope(actor, "DelegateUse", delegate), "unauthorised")
    town.accept(town.consent("K-1", ident, town.a))
    town.accept(delegation(town, "D-1", ident))


@sqlite_only
def test_a_consent_names_a_holder_of_the_licence_and_a_using_department(town: Town) -> None:
    ident = town.ident("001")
    someone_else = town.s.holder_of(town.ident("001", 1))
    refused_write(town, town.consent("K-1", ident, town.a, holder_code=someone_else),
                  "wrong_party")
    refused_write(town, delegation(town, "D-1", ident, holder_code=someone_else),
                  "wrong_party")
    for grantee in (town.issuer("health").code, town.platform.code, town.mgmt.code, AGENT,
                    NEWCOMER):
        payload = {**town.consent("K-1", ident, town.a)["payload"], "grantee": grantee}
        refused_write(town, town.envelope(town.platform, "GrantHolderConsent", payload),
                      "not_found")
    refused_write(town, town.grant("G-X", town.issuer("health")), "not_found")


@sqlite_only
def test_who_revokes_a_grant(town: Town) -> None:
    ident = town.ident("001")
    town.accept(town.consent("K-1", ident, town.a))
    town.accept(delegation(town, "D-1", ident))
    revoke = {"reason": "not mine to revoke"}
    for actor in _others(town, town.platform):  # holders' grants: a platform
        for gid in ("K-1", "D-1"):
            refused_write(town, town.envelope(actor, "RevokeGrant", {"grant_id": gid,
                                                                     **revoke}), "unauthorised")
    for actor in _others(town, town.mgmt):  # functional grants: management
        refused_write(town, town.envelope(actor, "RevokeGrant", {"grant_id": "G-A", **revoke}),
                      "unauthorised")
    # Neither role: refused before the grant is looked up, so nothing says whether it exists.
    for actor in (town.a, town.issuer("health")):
        refused_write(town, town.envelope(actor, "RevokeGrant", {"grant_id": "NO-SUCH",
                                                                 **revoke}), "unauthorised")
    town.ok(town.platform, "RevokeGrant", {"grant_id": "D-1", **revoke})
    town.ok(town.mgmt, "RevokeGrant", {"grant_id": "G-A", **revoke})


# -- corrections and counts -----------------------------------------------------------------
@sqlite_only
def test_who_reports_and_answers(town: Town) -> None:
    market, health = town.issuer("market"), town.issuer("health")
    report = {"correction_id": "X-1", "kind": "missing", "type_code": town.t("001"),
              "issuer_code": market.code, "description": "never received"}
    for actor in (health, town.mgmt):  # neither a platform nor a using department
        refused_write(town, town.envelope(actor, "ReportCorrection", report), "unauthorised")
    town.ok(town.platform, "ReportCorrection", report)
    answer = {"correction_id": "X-1", "outcome": "refused", "reasons": "issued on paper only"}
    for actor in _others(town, market):
        refused_write(town, town.envelope(actor, "AnswerCorrection", answer), "unauthorised")
    paper = {"type_code": town.t("001"), "period": "2026-10", "issued": 1, "changed": 0,
             "withdrawn": 0, "in_force": 1}
    for actor in _others(town, market):
        refused_write(town, town.envelope(actor, "ReportPaperCount", paper), "unauthorised")
    cases = {"matter_code": OTHER_MATTER, "type_code": town.t("001"), "period": "2026-10",
             "cases": 3}
    for actor in (health, town.platform, town.mgmt):
        refused_write(town, town.envelope(actor, "ReportCaseCount", cases), "unauthorised")
    town.ok(market, "AnswerCorrection", answer)
    town.ok(market, "ReportPaperCount", paper)
    for actor in _others(town, market):  # once answered, still not theirs to answer
        refused_write(town, town.envelope(actor, "AnswerCorrection", answer), "unauthorised")
