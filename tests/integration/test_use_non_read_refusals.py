"""Refused commands that are not reads (granting, consenting, corrections, counts) write
nothing at all, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.use_town import (
    MATTER,
    OTHER_MATTER,
    Town,
    refused_writes_nothing,
)


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
