"""Who may use a licence: grants live on Beijing days, functional use by usage list and
grant, holder consent and delegation, caps, public views and annotated copies
(ledger/domain/access.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ledger.domain.access import (
    HolderUse,
    check_annotation,
    check_cap,
    check_function_use,
    check_grant_live,
    check_holder_use,
    public_view,
)
from ledger.domain.catalogue import CatalogueEntry
from ledger.domain.departments import Department
from ledger.domain.grants import CONSENT, DELEGATION, FUNCTION, Grant
from ledger.domain.licence import SUSPENDED, VALID, Licence
from ledger.domain.localtime import beijing_date
from ledger.errors import AccessRefusedError

# -- grant windows are Beijing dates ----------------------------------------------------------
GRANT = Grant("G-1", FUNCTION, "dept", valid_from="2026-03-02", valid_until="2026-03-05")


@pytest.mark.parametrize(("instant", "code"), [
    ("2026-03-01T15:59:59Z", "grant_not_yet_valid"),
    ("2026-03-01T16:00:00Z", None),
    ("2026-03-05T15:59:59Z", None),
    ("2026-03-05T16:00:00Z", "grant_expired"),
])
def test_grant_window_edges_fall_at_beijing_midnight(instant: str, code: str | None) -> None:
    today = beijing_date(instant)
    if code is None:
        assert check_grant_live(GRANT, "G-1", today) is GRANT
    else:
        with pytest.raises(AccessRefusedError) as caught:
            check_grant_live(GRANT, "G-1", today)
        assert caught.value.code == code


TODAY = date(2026, 3, 3)
LICENCE = Licence("T", "I", "S", "ID1", 1, 1, VALID,
                  {"licence_number": "No.1", "valid_until": "2026-12-31",
                   "face": {"name": "某公司", "address": "某路1号", "secret": "x"}},
                  None, ("ID1",), "01")
USER = Department("U", "用证部门", ("using",), "320581",
                  usage_list=({"type_code": "T", "scenarios": ("M1", "M2")},))
PLATFORM = Department("P", "平台", ("platform",), "320581")
OTHER = Department("O", "另一部门", ("using",), "320581")
FUNCTIONAL = Grant("G-1", FUNCTION, "U", "2026-03-01", "2026-03-31", type_codes=("T",),
                   fields=("name",), daily_cap=2, scenarios=("M1",))
CONSENTED = Grant("G-2", CONSENT, "U", "2026-03-01", "2026-03-31", licence_stream="L1",
                  holder_code="H", rights=("view",), matter_code="M1")
DELEGATED = Grant("G-3", DELEGATION, "A", "2026-03-01", "2026-03-31", licence_stream="L1",
                  holder_code="H", rights=("verify", "view", "download"), matter_code="M1")


def code_of(action: Any) -> str:
    with pytest.raises(AccessRefusedError) as info:
        action()
    return info.value.code


def test_a_missing_or_revoked_grant_is_refused() -> None:
    assert code_of(lambda: check_grant_live(None, "G-9", TODAY)) == "no_grant"
    revoked = Grant("G-1", FUNCTION, "U", "2026-03-01", "2026-03-31", revoked=True,
                    revocation_reason="misuse")
    assert code_of(lambda: check_grant_live(revoked, "G-1", TODAY)) == "grant_revoked"


def test_functional_use_returns_the_granted_fields() -> None:
    assert check_function_use(USER, FUNCTIONAL, "G-1", LICENCE, "M1", TODAY) == ("name",)


@pytest.mark.parametrize(("dept", "grant", "matter", "code"), [
    (Department("U", "u", ("using",), "320581"), FUNCTIONAL, "M1", "not_in_usage_list"),
    (USER, FUNCTIONAL, "M9", "not_in_usage_list"),  # not a scenario on the list
    (USER, None, "M1", "no_grant"),
    (USER, CONSENTED, "M1", "wrong_party"),  # not a functional grant
    (Department("U2", "u", ("using",), "320581", usage_list=USER.usage_list), FUNCTIONAL, "M1",
     "wrong_party"),  # another department's grant
    (USER, Grant("G-1", FUNCTION, "U", "2026-03-01", "2026-03-31", type_codes=("X",)), "M1",
     "type_not_granted"),
    (USER, FUNCTIONAL, "M2", "matter_not_granted"),  # listed, but not in the grant
])
def test_functional_use_refusals(dept: Department, grant: Grant | None, matter: str,
                                 code: str) -> None:
    assert code_of(lambda: check_function_use(dept, grant, "G-1", LICENCE, matter,
                                              TODAY)) == code


def test_a_usage_entry_without_scenarios_allows_any_matter() -> None:
    open_list = Department("U", "u", ("using",), "320581",
                           usage_list=({"type_code": "T", "scenarios": ()},))
    grant = Grant("G-1", FUNCTION, "U", "2026-03-01", "2026-03-31", type_codes=("T",))
    assert check_function_use(open_list, grant, "G-1", LICENCE, "ANY", TODAY) == ()


def test_the_daily_cap_counts_reads_already_made() -> None:
    check_cap(FUNCTIONAL, 1)
    assert code_of(lambda: check_cap(FUNCTIONAL, 2)) == "cap_exceeded"
    check_cap(Grant("G", FUNCTION, "U", "2026-03-01", "2026-03-31"), 10_000)  # no cap


def test_a_consent_is_used_by_the_department_it_names() -> None:
    check_holder_use(HolderUse(USER, CONSENT), CONSENTED, "G-2", "L1", "view", "M1", TODAY)


@pytest.mark.parametrize(("use", "stream", "action", "matter", "code"), [
    (HolderUse(OTHER, CONSENT), "L1", "view", "M1", "wrong_party"),
    (HolderUse(USER, DELEGATION), "L1", "view", "M1", "wrong_party"),  # mode differs
    (HolderUse(USER, CONSENT), "L2", "view", "M1", "wrong_party"),  # another licence
    (HolderUse(USER, CONSENT), "L1", "download", "M1", "right_not_granted"),
    (HolderUse(USER, CONSENT), "L1", "view", "M2", "matter_not_granted"),
])
def test_consent_refusals(use: HolderUse, stream: str, action: str, matter: str,
                          code: str) -> None:
    assert code_of(lambda: check_holder_use(use, CONSENTED, "G-2", stream, action, matter,
                                            TODAY)) == code


def test_a_functional_grant_is_not_a_holders_grant() -> None:
    assert code_of(lambda: check_holder_use(HolderUse(USER, CONSENT), FUNCTIONAL, "G-1", "L1",
                                            "view", "M1", TODAY)) == "wrong_party"


def test_a_delegate_uses_its_grant_itself_or_through_an_attesting_platform() -> None:
    delegate = Department("A", "代理", ("using",), "320581")
    check_holder_use(HolderUse(delegate, DELEGATION), DELEGATED, "G-3", "L1", "view", "M1",
                     TODAY)
    check_holder_use(HolderUse(PLATFORM, DELEGATION, "A", "biometric"), DELEGATED, "G-3", "L1",
                     "download", "M1", TODAY)


@pytest.mark.parametrize(("use", "code"), [
    (HolderUse(Department("A", "代理", ("using",), "320581"), DELEGATION, "B"), "wrong_party"),
    (HolderUse(OTHER, DELEGATION, "A", "seal"), "unauthorised"),  # not a platform
    (HolderUse(PLATFORM, DELEGATION, "B", "seal"), "wrong_party"),  # another agent
    (HolderUse(PLATFORM, DELEGATION, None, "seal"), "wrong_party"),  # no agent
    (HolderUse(PLATFORM, DELEGATION, "A", None), "agent_not_authenticated"),
    (HolderUse(PLATFORM, DELEGATION, "A", "password"), "agent_not_authenticated"),
])
def test_delegation_refusals(use: HolderUse, code: str) -> None:
    assert code_of(lambda: check_holder_use(use, DELEGATED, "G-3", "L1", "view", "M1",
                                            TODAY)) == code


def test_a_delegate_never_annotates() -> None:
    delegate = Department("A", "代理", ("using",), "320581")
    assert code_of(lambda: check_holder_use(HolderUse(delegate, DELEGATION), DELEGATED, "G-3",
                                            "L1", "annotate", "M1", TODAY)) == (
        "right_not_granted")


def entry(**definition: Any) -> CatalogueEntry:
    return CatalogueEntry("T", 1, {"name": "营业执照", "disclosure": "public", **definition})


def test_the_public_sees_only_the_public_fields_of_public_types() -> None:
    view = public_view(entry(public_fields=("name", "missing")), LICENCE)
    assert view == {"identifier": "ID1", "licence_type": "营业执照", "licence_number": "No.1",
                    "issuer": "I", "status": VALID, "face": {"name": "某公司"}}
    assert public_view(entry(), LICENCE)["face"] == {}
    assert code_of(lambda: public_view(entry(disclosure="restricted"), LICENCE)) == "not_public"


def copy(made_on: str, valid_until: str) -> dict[str, str]:
    return {"copy_id": "c", "made_on": made_on, "valid_until": valid_until}


def test_annotated_copies_within_the_limits_are_allowed() -> None:
    check_annotation(LICENCE, entry(), (), "2026-03-03", TODAY)  # valid today only
    check_annotation(LICENCE, entry(), (copy("2026-03-01", "2026-04-01"),) * 2, "2026-06-01",
                     TODAY)  # 90 days, third live copy


@pytest.mark.parametrize(("licence", "copies", "until", "definition", "code"), [
    (Licence("T", "I", "S", "ID1", 1, 1, SUSPENDED, {"valid_until": None}, None, ("ID1",), "03"),
     (), "2026-03-10", {}, "licence_not_valid"),
    (LICENCE, (), "2026-03-02", {}, "copy_expired"),
    (Licence("T", "I", "S", "ID1", 1, 1, VALID, {"valid_until": "2026-03-02"}, None, ("ID1",),
             "01"), (), "2026-03-10", {}, "licence_not_valid"),  # lapsed, expiry not recorded
    (Licence("T", "I", "S", "ID1", 1, 1, VALID, {"valid_until": "2026-03-09"}, None, ("ID1",),
             "01"), (), "2026-03-10", {}, "copy_outlives_licence"),
    (LICENCE, (), "2026-06-02", {}, "copy_too_long"),  # 91 days
    (LICENCE, (), "2026-03-11", {"annotation": {"max_days": 7, "max_live": 1}}, "copy_too_long"),
    (LICENCE, (copy("2026-03-01", "2026-04-01"),) * 3, "2026-03-10", {}, "too_many_copies"),
    (LICENCE, (copy("2026-03-01", "2026-04-01"),), "2026-03-10",
     {"annotation": {"max_days": 30, "max_live": 1}}, "too_many_copies"),
])
def test_annotated_copy_refusals(licence: Licence, copies: tuple[Any, ...], until: str,
                                 definition: dict[str, Any], code: str) -> None:
    assert code_of(lambda: check_annotation(licence, entry(**definition), copies, until,
                                            TODAY)) == code


def test_expired_or_old_copies_do_not_count_against_the_limit() -> None:
    old = (copy("2026-03-01", "2026-03-02"),) * 3 + (copy("2025-11-01", "2026-04-01"),) * 3
    check_annotation(LICENCE, entry(), old, "2026-03-10", TODAY)
