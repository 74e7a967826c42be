"""Is this command really the actor's? Signature, key history and signing time.

The key must be registered to the acting department, verify the signature over the
envelope's canonical bytes, and have been valid when the command says it was signed.
A revoked key is refused from the moment of revocation whatever its claimed signing
time, because whoever stole it can also backdate. A command claiming to be signed more
than ``MAX_CLOCK_SKEW`` in the future is refused (a clock that far off is a fault).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from commands.messages.core import RegisterDepartment
from commands.signed.envelope import SignedCommand
from ledger.domain import streams
from ledger.domain.departments import Department, KeyRecord, apply_department
from ledger.errors import InvalidSignatureError, KeyNotValidError, UnknownKeyError
from ledger.integrity.signing import b64decode, key_id_for, verify
from ledger.store.application import UnitOfWork

MAX_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class PreVerified(SignedCommand):
    """A command whose signature was already verified, ahead of its batch, with the key
    ``verified_with`` (algorithm, base64 public key): by a worker process of the Kafka
    consumer (consumers/verify_pool.py), which has no ledger state. :func:`authenticate`
    still checks the actor, the key's registration, validity window and revocation
    against the ledger, and skips its own verification only when ``verified_with`` is
    exactly the key the ledger holds for ``key_id`` then; otherwise it verifies again."""

    verified_with: tuple[str, str] = ("", "")


def check_signature(algorithm: str, public_key_b64: str, signed: SignedCommand) -> None:
    try:
        public = b64decode(public_key_b64, what="public key")
    except ValueError as exc:
        raise InvalidSignatureError(str(exc)) from None
    try:
        verify(algorithm, public, signed.signing_bytes, signed.signature)
    except InvalidSignatureError:
        raise InvalidSignatureError(
            f"signature of command {signed.command_id} does not verify with key"
            f" {signed.key_id}: the command was altered, or signed with another key"
        ) from None


def check_clock(signed: SignedCommand, now: datetime) -> None:
    if signed.issued_at > now + MAX_CLOCK_SKEW:
        raise KeyNotValidError(
            f"issued_at {signed.raw['issued_at']} is more than {MAX_CLOCK_SKEW} ahead of the"
            " ledger's clock; check the sender's clock",
            code="issued_in_future",
        )


def authenticate(uow: UnitOfWork, signed: SignedCommand, now: datetime) -> Department:
    """Return the acting department, or raise why the command is not authentic."""
    check_clock(signed, now)
    actor, record = _signed_by(uow, signed)
    record.check_usable(signed.issued_at)
    return actor


def check_repeat(uow: UnitOfWork, signed: SignedCommand) -> None:
    """A command id answered before is answered again only to the envelope its receipt
    holds: the same signing bytes (checked by the caller) under a signature that verifies
    with the key it names. Its validity window is not checked again: the key was valid
    when the original was taken, and a revoked key must not stop the signer from getting
    the answer it lost. A copy of the body under any other signature is ``bad_signature``,
    never the original answer (a repeated signed query answers with its data read again).
    """
    _signed_by(uow, signed)  # even genesis registered its signer: no receipt without one


def _signed_by(uow: UnitOfWork, signed: SignedCommand) -> tuple[Department, KeyRecord]:
    return signed_by(uow.get(streams.department_stream(signed.actor), apply_department),
                     signed)


def signed_by(actor: Department | None, signed: SignedCommand
              ) -> tuple[Department, KeyRecord]:
    """The registered ``actor`` (as the caller read it) and the key ``signed`` names, once
    the signature verified with that key (a worker's verdict counts only for exactly that
    key: consumers/verify_pool.py). The key's validity window is the caller's to check."""
    if actor is None:
        raise UnknownKeyError(
            f"actor {signed.actor} is not a registered department", code="unknown_actor"
        )
    record = actor.key(signed.key_id)
    if not (isinstance(signed, PreVerified)
            and signed.verified_with == (record.algorithm, record.public_key)):
        check_signature(record.algorithm, record.public_key, signed)
    return actor, record


def authenticate_genesis(signed: SignedCommand) -> None:
    """The very first command registers the management department with its own key."""
    cmd = signed.command
    assert isinstance(cmd, RegisterDepartment)
    if signed.actor != cmd.code:
        raise UnknownKeyError(
            f"the ledger has no departments yet: the first command must be the management"
            f" department registering itself (actor {signed.actor} != code {cmd.code})",
            code="unknown_actor",
        )
    expected = key_id_for(cmd.algorithm, _decode_key(cmd.public_key))
    if signed.key_id != expected:
        raise UnknownKeyError(
            f"the genesis command must be signed with the key it registers ({expected}),"
            f" not {signed.key_id}"
        )
    check_signature(cmd.algorithm, cmd.public_key, signed)


def _decode_key(text: str) -> bytes:
    try:
        return b64decode(text, what="payload.public_key")
    except ValueError as exc:
        raise InvalidSignatureError(str(exc), code="invalid_command") from None
