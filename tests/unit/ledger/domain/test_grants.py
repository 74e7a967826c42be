"""Grants of use: windows on the Beijing calendar, creation once, revocation once
(ledger/domain/grants.py)."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.domain.grants import (
    CONSENT,
    DELEGATION,
    FUNCTION,
    ConsentGranted,
    FunctionalUseGranted,
    GrantRevoked,
    UseDelegated,
    apply_grant,
    check_window,
    new_grant,
    revoke,
)
from ledger.domain.indexes import LicenceNumberClaimed
from ledger.errors import AlreadyExistsError, IllegalTransitionError, NotFoundError

FUNCTIONAL = FunctionalUseGranted("g1", "U", ("T",), ("name",), "2026-11-01", "2026-11-30", 10,
                                  ("MATTER-001",))
CONSENTED = ConsentGranted("g2", "stream", "ID", "H", "U", ("view",), "M", "2026-11-01",
                           "2026-11-30")
DELEGATED = UseDelegated("g3", "stream", "ID", "H", "A", "代理人", "M", "2026-11-01",
                         "2026-11-30")


def test_each_kind_of_grant_builds_its_state() -> None:
    f = apply_grant(None, FUNCTIONAL)
    assert (f.kind, f.grantee, f.type_codes, f.daily_cap, f.scenarios) == (
        FUNCTION, "U", ("T",), 10, ("MATTER-001",))
    c = apply_grant(None, CONSENTED)
    assert (c.kind, c.grantee, c.rights, c.holder_code, c.licence_stream) == (
        CONSENT, "U", ("view",), "H", "stream")
    d = apply_grant(None, DELEGATED)
    assert (d.kind, d.grantee, d.matter_code) == (DELEGATION, "A", "M")
    assert d.rights == ("verify", "view", "download")  # a delegate never annotates


@pytest.mark.parametrize(("day", "live"), [
    (date(2026, 10, 31), False), (date(2026, 11, 1), True), (date(2026, 11, 30), True),
    (date(2026, 12, 1), False),
])
def test_a_grant_is_live_on_both_ends_of_its_window_inclusive(day: date, live: bool) -> None:
    assert apply_grant(None, FUNCTIONAL).live_on(day) is live


def test_a_revoked_grant_is_never_live_and_keeps_its_reason() -> None:
    grant = apply_grant(None, FUNCTIONAL)
    revoked = apply_grant(grant, revoke(grant, "g1", "misuse"))
    assert revoked.revoked and revoked.revocation_reason == "misuse"
    assert not revoked.live_on(date(2026, 11, 15))
    assert grant.live_on(date(2026, 11, 15))  # the earlier state is unchanged


def test_a_grant_is_revoked_once_and_only_if_it_exists() -> None:
    grant = apply_grant(None, CONSENTED)
    revoked = apply_grant(grant, revoke(grant, "g2", "withdrawn"))
    with pytest.raises(IllegalTransitionError, match="grant g2 is already revoked"):
        revoke(revoked, "g2", "again")
    with pytest.raises(NotFoundError, match="grant g9 does not exist"):
        revoke(None, "g9", "why")


def test_a_grant_id_is_used_once() -> None:
    new_grant(None, "g1")
    with pytest.raises(AlreadyExistsError, match="grant g1 already exists"):
        new_grant(apply_grant(None, FUNCTIONAL), "g1")


def test_a_window_must_be_ordered_and_not_over() -> None:
    check_window("2026-11-01", "2026-11-01", date(2026, 11, 1))  # one day, today
    check_window("2026-12-01", "2026-12-31", date(2026, 11, 1))  # in the future
    with pytest.raises(IllegalTransitionError, match="is before valid_from") as info:
        check_window("2026-11-02", "2026-11-01", date(2026, 10, 1))
    assert info.value.code == "invalid_command"
    with pytest.raises(IllegalTransitionError, match="already past") as info:
        check_window("2026-10-01", "2026-10-31", date(2026, 11, 1))
    assert info.value.code == "invalid_command"


@pytest.mark.parametrize(("start", "end"), [("2026-02-30", "2026-03-01"), ("x", "2026-03-01"),
                                            ("2026-03-01", "")])
def test_a_window_with_an_impossible_date_is_refused(start: str, end: str) -> None:
    with pytest.raises(ValueError):
        check_window(start, end, date(2026, 1, 1))


def test_revocation_before_a_grant_or_foreign_events_do_not_apply() -> None:
    with pytest.raises(TypeError, match="GrantRevoked does not apply"):
        apply_grant(None, GrantRevoked("g1", "x"))
    with pytest.raises(TypeError, match="LicenceNumberClaimed does not apply"):
        apply_grant(None, LicenceNumberClaimed("T", "1", "ID"))
