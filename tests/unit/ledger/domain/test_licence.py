"""The licence lifecycle: issue, new versions, every status transition and its refusals,
validity rules (ledger/domain/licence.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from ledger.domain.catalogue import CatalogueEntry, LicenceTypeRegistered
from ledger.domain.licence import (
    CANCELLED,
    EXPIRED,
    OP_CHANGE,
    OP_ISSUE,
    OP_RENEW,
    OP_TRANSFER_IN,
    OTHER,
    STATUS_NAMES,
    SUSPENDED,
    TRANSITIONS,
    VALID,
    WITHDRAWN,
    AnnotatedCopyMade,
    Licence,
    LicenceCancelled,
    LicenceIssued,
    apply_licence,
    change_status,
    check_validity,
    issue,
    new_version,
)
from ledger.errors import AlreadyExistsError, IllegalTransitionError, InvalidCommandError

ENTRY = CatalogueEntry("T", 2, {"validity": {"max_years": 5}})
OPEN_ENDED = CatalogueEntry("T", 2, {"validity": {"max_years": None, "open_ended": True}})
ID1, ID2 = "1.2.156.3005.2.T.I.S.001.A", "1.2.156.3005.2.T.I.S.002.B"


def fields(**changes: Any) -> dict[str, Any]:
    return {"issue_date": "2026-11-27", "valid_from": "2026-11-27",
            "valid_until": "2031-11-27", "holders": (), **changes}


def issued(status: str = VALID, **changes: Any) -> Licence:
    lic = apply_licence(None, issue(None, ENTRY, ID1, "I", "S", fields(**changes), None))
    return replace(lic, status=status)


def test_issuing_gives_a_valid_first_version_under_the_catalogue_version() -> None:
    evt = issue(None, ENTRY, ID1, "I", "S", fields(), None)
    assert isinstance(evt, LicenceIssued) and (evt.version, evt.catalogue_version) == (1, 2)
    lic = apply_licence(None, evt)
    assert (lic.status, lic.last_operation, lic.identifiers) == (VALID, OP_ISSUE, (ID1,))
    assert lic.live and lic.status_reason is None and lic.copies == ()


def test_a_transfer_in_names_the_licence_it_replaces() -> None:
    evt = issue(None, ENTRY, ID1, "I", "S", fields(), "1.2.156.3005.2.T.J.X.003.C")
    assert evt.operation == OP_TRANSFER_IN
    assert apply_licence(None, evt).previous_identifier == "1.2.156.3005.2.T.J.X.003.C"


def test_a_serial_is_issued_once() -> None:
    with pytest.raises(AlreadyExistsError, match="serial S of type T was already issued by I"):
        issue(issued(), ENTRY, ID1, "I", "S", fields(), None)


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"valid_from": "2026-11-26"}, "is before issue_date"),
    ({"valid_until": "2026-11-26", "valid_from": "2026-11-27"}, "is before valid_from"),
    ({"valid_until": "2031-11-28"}, "exceeds the catalogue's limit of 5 years"),
    ({"valid_until": None}, "valid_until is required"),
    ({"issue_date": "2026-02-30"}, "issue_date:"),
    ({"valid_from": "tomorrow"}, "valid_from:"),
    ({"valid_until": "2031/11/27"}, "valid_until:"),
])
def test_validity_is_checked(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidCommandError, match=fragment):
        check_validity(ENTRY, fields(**changes))


def test_validity_limits_and_open_ended_licences() -> None:
    check_validity(ENTRY, fields(valid_until="2031-11-27"))  # exactly five years
    check_validity(OPEN_ENDED, fields(valid_until=None))
    check_validity(OPEN_ENDED, fields(valid_until="2099-12-31"))  # no maximum
    # Five years from 29 February end on 28 February.
    leap = fields(issue_date="2028-02-29", valid_from="2028-02-29")
    check_validity(ENTRY, {**leap, "valid_until": "2033-02-28"})
    with pytest.raises(InvalidCommandError, match="exceeds"):
        check_validity(ENTRY, {**leap, "valid_until": "2033-03-01"})


def test_a_change_keeps_the_status_and_a_renewal_makes_the_licence_valid_again() -> None:
    suspended = replace(issued(SUSPENDED), status_reason="inspection")
    changed = apply_licence(suspended, new_version(suspended, ENTRY, ID2, "change", "moved",
                                                   fields()))
    assert (changed.status, changed.status_reason, changed.version) == (
        SUSPENDED, "inspection", 2)
    assert changed.identifiers == (ID1, ID2) and changed.last_operation == OP_CHANGE
    assert changed.previous_identifier == ID1
    expired = issued(EXPIRED)
    renewed = apply_licence(expired, new_version(expired, ENTRY, ID2, "renewal", "renewed",
                                                 fields()))
    assert (renewed.status, renewed.status_reason, renewed.last_operation) == (
        VALID, None, OP_RENEW)


@pytest.mark.parametrize(("kind", "status"), [
    ("renewal", SUSPENDED), ("renewal", CANCELLED), ("change", EXPIRED), ("change", OTHER),
    ("correction", CANCELLED),
])
def test_new_versions_need_a_live_enough_status(kind: str, status: str) -> None:
    with pytest.raises(IllegalTransitionError, match=f"cannot {kind} licence"):
        new_version(issued(status), ENTRY, ID2, kind, "why", fields())


def test_a_new_version_is_checked_against_the_catalogue() -> None:
    with pytest.raises(InvalidCommandError, match="exceeds"):
        new_version(issued(), ENTRY, ID2, "change", "why", fields(valid_until="2040-01-01"))


EXTRA: dict[str, dict[str, Any]] = {"cancel": {"issued_in_error": False},
                                    "expire": {"as_of": "2032-01-01"},
                                    "transfer_out": {"destination": "110000"}}


@pytest.mark.parametrize("action", TRANSITIONS)
@pytest.mark.parametrize("status", STATUS_NAMES)
def test_every_transition_is_allowed_exactly_from_its_statuses(action: str, status: str) -> None:
    cls, allowed, target, operation = TRANSITIONS[action]
    lic = issued(status)
    if status in allowed:
        evt = change_status(lic, action, "reason", **EXTRA.get(action, {}))
        assert isinstance(evt, cls) and (evt.status, evt.operation) == (target, operation)
        after = apply_licence(lic, evt)
        assert (after.status, after.status_reason) == (target, "reason")
        assert after.live == (target not in WITHDRAWN)
    else:
        with pytest.raises(IllegalTransitionError, match=f"its status is {status}"):
            change_status(lic, action, "reason", **EXTRA.get(action, {}))


def test_a_licence_expires_only_after_its_last_valid_day() -> None:
    lic = issued()
    with pytest.raises(IllegalTransitionError, match="has not expired as of 2031-11-27"):
        change_status(lic, "expire", "calendar", as_of="2031-11-27")
    assert change_status(lic, "expire", "calendar", as_of="2031-11-28").status == EXPIRED
    open_ended = replace(lic, fields={**lic.fields, "valid_until": None})
    with pytest.raises(IllegalTransitionError, match="valid until further notice"):
        change_status(open_ended, "expire", "calendar", as_of="2099-01-01")


def test_cancellations_say_whether_the_licence_was_issued_in_error() -> None:
    lic = issued()
    in_error = apply_licence(lic, change_status(lic, "cancel", "typo", issued_in_error=True))
    business = apply_licence(lic, change_status(lic, "cancel", "closed", issued_in_error=False))
    assert (in_error.cancel_kind, business.cancel_kind) == ("issued_in_error", "business")
    suspended = apply_licence(lic, change_status(lic, "suspend", "inspection"))
    assert suspended.cancel_kind is None
    assert isinstance(change_status(lic, "cancel", "x", issued_in_error=True), LicenceCancelled)


def test_annotated_copies_accumulate() -> None:
    lic = issued()
    for n in (1, 2):
        lic = apply_licence(lic, AnnotatedCopyMade(ID1, f"c{n}", "loan", "M", "R", "2026-11-27",
                                                   "2026-12-27"))
    assert [c["copy_id"] for c in lic.copies] == ["c1", "c2"]
    assert lic.status == VALID


def test_events_before_issue_or_foreign_events_do_not_apply() -> None:
    with pytest.raises(TypeError, match="before LicenceIssued"):
        apply_licence(None, change_status(issued(), "suspend", "x"))
    with pytest.raises(TypeError, match="LicenceTypeRegistered does not apply to a licence"):
        apply_licence(issued(), LicenceTypeRegistered("T", 1, {}))
