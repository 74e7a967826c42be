"""Authentication: the signature is the actor's, with a key valid when it signed, at a
believable time; and the genesis command's special case (commands/signed/authenticate.py).

The department state comes from real domain events folded by the real fold; only the
unit of work is replaced by a dict of streams, so no database is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import UUID

import pytest

from commands.signed.authenticate import (
    MAX_CLOCK_SKEW,
    PreVerified,
    authenticate,
    authenticate_genesis,
    check_clock,
    check_signature,
)
from commands.signed.envelope import SignedCommand, decode_envelope, sign_envelope
from ledger.domain import streams
from ledger.domain.departments import (
    DepartmentKeyRegistered,
    DepartmentKeyRetired,
    DepartmentKeyRevoked,
    DepartmentRegistered,
)
from ledger.domain.events import DomainEvent
from ledger.domain.identifiers import make_uscc
from ledger.errors import InvalidSignatureError, KeyNotValidError, UnknownKeyError
from ledger.integrity.signing import SigningKey, b64encode
from ledger.store.application import UnitOfWork

KEY = SigningKey("ed25519", bytes(range(32)))
OTHER = SigningKey("ed25519", bytes(range(1, 33)))
CODE = make_uscc("11320581", "MB0000A1")
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
SIGNED_AT = "2026-11-27T07:59:00.000000Z"
REGISTERED_AT = "2026-11-01T00:00:00.000000Z"


class Streams:
    """What :func:`authenticate` reads of a unit of work: a stream's folded state."""

    def __init__(self, events: dict[UUID, list[DomainEvent]]) -> None:
        self.events = events

    def get(self, stream: UUID, fold: Callable[[Any, DomainEvent], Any]) -> Any:
        state = None
        for evt in self.events.get(stream, []):
            state = fold(state, evt)
        return state


def ledger_with(*key_events: DomainEvent) -> UnitOfWork:
    events: list[DomainEvent] = [
        DepartmentRegistered(CODE, "市场监管局", ("issuing",), "320581"),
        DepartmentKeyRegistered(CODE, KEY.key_id, "ed25519", b64encode(KEY.public_key),
                                REGISTERED_AT),
        *key_events]
    return cast(UnitOfWork, Streams({streams.department_stream(CODE): events}))


def signed(key: SigningKey = KEY, *, actor: str = CODE, issued_at: str = SIGNED_AT,
           command_type: str = "SetUsageList", payload: dict[str, Any] | None = None,
           ) -> SignedCommand:
    return decode_envelope(sign_envelope(
        key, command_type=command_type, actor=actor, issued_at=issued_at,
        payload=payload if payload is not None else {"code": actor, "entries": []}))


def test_the_actors_own_valid_key_authenticates() -> None:
    department = authenticate(ledger_with(), signed(), NOW)
    assert department.code == CODE and department.has_role("issuing")


def test_an_unknown_actor_is_refused() -> None:
    stranger = make_uscc("11320581", "MB0000B2")
    with pytest.raises(UnknownKeyError) as info:
        authenticate(ledger_with(), signed(actor=stranger), NOW)
    assert info.value.code == "unknown_actor" and stranger in info.value.message


def test_a_key_not_registered_to_the_actor_is_refused() -> None:
    with pytest.raises(UnknownKeyError) as info:
        authenticate(ledger_with(), signed(OTHER), NOW)
    assert info.value.code == "unknown_key" and OTHER.key_id in info.value.message


def test_an_altered_command_does_not_verify() -> None:
    command = signed()
    altered = replace(command, signing_bytes=command.signing_bytes.replace(b"[]", b"[ ]"))
    with pytest.raises(InvalidSignatureError, match="was altered, or signed with another key"):
        authenticate(ledger_with(), altered, NOW)


def test_a_signature_by_another_key_under_the_actors_key_id_is_refused() -> None:
    forged = replace(signed(OTHER), key_id=KEY.key_id)
    with pytest.raises(InvalidSignatureError):
        authenticate(ledger_with(), forged, NOW)


def test_a_command_signed_before_the_key_was_registered_is_refused() -> None:
    with pytest.raises(KeyNotValidError, match="after the command claims"):
        authenticate(ledger_with(), signed(issued_at="2026-10-31T23:59:59.000000Z"), NOW)


def test_a_retired_key_is_refused_after_its_retirement() -> None:
    retired = DepartmentKeyRetired(CODE, KEY.key_id, "2026-11-20T00:00:00.000000Z", "k2")
    authenticate(ledger_with(retired), signed(issued_at="2026-11-19T23:00:00.000000Z"), NOW)
    with pytest.raises(KeyNotValidError, match="retired"):
        authenticate(ledger_with(retired), signed(), NOW)


def test_a_revoked_key_is_refused_even_for_a_backdated_command() -> None:
    revoked = DepartmentKeyRevoked(CODE, KEY.key_id, "2026-11-20T00:00:00.000000Z", "stolen")
    with pytest.raises(KeyNotValidError, match="revoked"):
        authenticate(ledger_with(revoked), signed(issued_at="2026-11-02T00:00:00.000000Z"), NOW)


def test_a_clock_too_far_ahead_is_refused_and_a_little_skew_tolerated() -> None:
    at_limit = (NOW + MAX_CLOCK_SKEW).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    check_clock(signed(issued_at=at_limit), NOW)
    beyond = (NOW + MAX_CLOCK_SKEW + timedelta(microseconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with pytest.raises(KeyNotValidError) as info:
        authenticate(ledger_with(), signed(issued_at=beyond), NOW)
    assert info.value.code == "issued_in_future"
    assert "check the sender's clock" in info.value.message


def test_a_pre_verified_command_skips_verification_only_for_the_ledgers_own_key() -> None:
    good = signed()
    fields = {f: getattr(good, f) for f in good.__dataclass_fields__}
    broken = {**fields, "signature": bytes(64)}
    trusted = PreVerified(**broken, verified_with=("ed25519", b64encode(KEY.public_key)))
    assert authenticate(ledger_with(), trusted, NOW).code == CODE
    # Verified by the worker with a different key than the ledger holds: verified again.
    stale = PreVerified(**broken, verified_with=("ed25519", b64encode(OTHER.public_key)))
    with pytest.raises(InvalidSignatureError):
        authenticate(ledger_with(), stale, NOW)
    # A pre-verified command still meets every other check.
    revoked = DepartmentKeyRevoked(CODE, KEY.key_id, "2026-11-20T00:00:00.000000Z", "stolen")
    with pytest.raises(KeyNotValidError):
        authenticate(ledger_with(revoked), trusted, NOW)


@pytest.mark.parametrize("public", ["not base64!", "", "AAAA"])
def test_a_malformed_public_key_is_a_signature_error(public: str) -> None:
    with pytest.raises(InvalidSignatureError):
        check_signature("ed25519", public, signed())


def genesis(key: SigningKey = KEY, *, actor: str = CODE, code: str = CODE,
            public_key: str | None = None) -> SignedCommand:
    return signed(key, actor=actor, command_type="RegisterDepartment", payload={
        "code": code, "name": "管理部门", "roles": ["management"], "area_code": "320500",
        "public_key": public_key if public_key is not None else b64encode(KEY.public_key)})


def test_genesis_is_the_management_department_registering_itself_with_its_key() -> None:
    authenticate_genesis(genesis())


def test_genesis_by_another_actor_is_refused() -> None:
    other = make_uscc("11320581", "MB0000B2")
    with pytest.raises(UnknownKeyError) as info:
        authenticate_genesis(genesis(actor=other))
    assert info.value.code == "unknown_actor" and f"actor {other} != code {CODE}" in (
        info.value.message)


def test_genesis_signed_with_a_key_other_than_the_one_it_registers_is_refused() -> None:
    with pytest.raises(UnknownKeyError, match="must be signed with the key it registers"):
        authenticate_genesis(genesis(OTHER))


def test_genesis_with_an_unreadable_key_is_an_invalid_command() -> None:
    with pytest.raises(InvalidSignatureError) as info:
        authenticate_genesis(genesis(public_key="%%%"))
    assert info.value.code == "invalid_command"


def test_genesis_whose_signature_does_not_cover_its_bytes_is_refused() -> None:
    command = genesis()
    altered = replace(command, signing_bytes=command.signing_bytes + b" ")
    with pytest.raises(InvalidSignatureError):
        authenticate_genesis(altered)
