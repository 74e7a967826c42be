"""Uniqueness indexes as tiny streams with deterministic ids.

A licence number is unique per licence type; where the catalogue allows one live
licence per holder, a holder slot per (type, holder) is taken on issue and released on
withdrawal. Two writers racing for the same slot collide on the store's unique
(stream, version) and one is refused, so uniqueness holds across processes.

A number's stream is named by its comparison key (:func:`ledger.domain.text.comparison_key`:
NFKC, Greek and Cyrillic twins of Latin letters folded, white space collapsed), so
numbers that look the same share one slot; the text
policy has already refused invisible characters that could tell two keys apart. Holder
codes are accepted only in NFKC form, so each document has one slot too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ledger.domain import streams
from ledger.domain.events import DomainEvent, event
from ledger.domain.text import comparison_key
from ledger.errors import AlreadyExistsError, DuplicateLicenceNumberError


@dataclass(frozen=True)
class Claim:
    """Who holds a number or slot now (``owner`` is a licence identifier, or None)."""

    owner: str | None


@event
@dataclass(frozen=True)
class LicenceNumberClaimed(DomainEvent):
    type_code: str
    licence_number: str
    owner: str


@event
@dataclass(frozen=True)
class LicenceNumberReleased(DomainEvent):
    type_code: str
    licence_number: str
    owner: str


@event
@dataclass(frozen=True)
class HolderSlotTaken(DomainEvent):
    type_code: str
    code_type: str
    code: str
    owner: str


@event
@dataclass(frozen=True)
class HolderSlotReleased(DomainEvent):
    type_code: str
    code_type: str
    code: str
    owner: str


def claim_number(
    current: Claim | None, type_code: str, number: str, owner: str
) -> LicenceNumberClaimed:
    if current is not None and current.owner is not None:
        raise DuplicateLicenceNumberError(
            f"licence number {number!r} is already used by licence {current.owner}"
            f" of type {type_code}; licence numbers are unique per type"
        )
    return LicenceNumberClaimed(type_code, number, owner)


def take_slot(
    current: Claim | None, type_code: str, code_type: str, code: str, owner: str
) -> HolderSlotTaken:
    if current is not None and current.owner is not None:
        raise AlreadyExistsError(
            f"holder {code_type}:{code} already has a live licence {current.owner} of type"
            f" {type_code}, and the catalogue allows only one per holder",
            code="holder_already_licensed",
        )
    return HolderSlotTaken(type_code, code_type, code, owner)


def apply_claim(state: Claim | None, evt: DomainEvent) -> Claim:
    if isinstance(evt, LicenceNumberClaimed | HolderSlotTaken):
        return Claim(evt.owner)
    if isinstance(evt, LicenceNumberReleased | HolderSlotReleased):
        return Claim(None)
    raise TypeError(f"{type(evt).__name__} does not apply to a claim")


Lookup = Callable[[UUID], Claim | None]
Writes = list[tuple[UUID, DomainEvent]]


def number_key(number: str) -> str:
    """Numbers that look the same claim one slot: full/half width folded (ledger/domain/text.py)."""
    return comparison_key(number)


def claims(type_code: str, multiple_per_holder: bool, fields: Mapping[str, Any], owner: str,
           previous: Mapping[str, Any] | None, current: Lookup) -> Writes:
    """The number and holder slots a licence version needs, claimed, and those it drops,
    released (``previous``: the version before, if any), in the order they are written."""
    writes: Writes = []
    new_number = number_key(fields["licence_number"])
    old_number = number_key(previous["licence_number"]) if previous else None
    if new_number != old_number:
        stream = streams.licence_number_stream(type_code, new_number)
        writes.append((stream, claim_number(current(stream), type_code,
                                            fields["licence_number"], owner)))
        if old_number is not None and previous is not None:
            writes.append((streams.licence_number_stream(type_code, old_number),
                           LicenceNumberReleased(type_code, previous["licence_number"], owner)))
    if multiple_per_holder:
        return writes
    new = {(h["code_type"], h["code"]) for h in fields["holders"]}
    old = {(h["code_type"], h["code"]) for h in previous["holders"]} if previous else set()
    for code_type, code in sorted(old - new):
        writes.append((streams.holder_slot_stream(type_code, code_type, code),
                       HolderSlotReleased(type_code, code_type, code, owner)))
    for code_type, code in sorted(new - old):
        stream = streams.holder_slot_stream(type_code, code_type, code)
        writes.append((stream, take_slot(current(stream), type_code, code_type, code, owner)))
    return writes


def release_slots(type_code: str, holders: tuple[Mapping[str, Any], ...], owner: str) -> Writes:
    """A withdrawn licence frees its holders' slots."""
    return [(streams.holder_slot_stream(type_code, h["code_type"], h["code"]),
             HolderSlotReleased(type_code, h["code_type"], h["code"], owner)) for h in holders]
