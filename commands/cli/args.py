"""Argument types that check a value's shape before any lookup, so a typo is named as a
typo ("not a licence identifier") and not as something the ledger lacks."""

from __future__ import annotations

import argparse

from ledger.domain.identifiers import (
    LICENCE_ROOT,
    IdentifierError,
    classify,
    parse_licence_identifier,
    validate_citizen_id,
    validate_uscc,
)
from ledger.domain.streams import department_stream
from ledger.errors import NotFoundError
from ledger.store.event_store import EventStore


def licence_identifier(text: str) -> str:
    try:
        parse_licence_identifier(text)
    except IdentifierError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a licence identifier: expected {LICENCE_ROOT}.<21-char type>."
            f"<18-char issuer USCC>.<serial>.<3-digit version>.<check> ({exc.message})"
        ) from None
    return text


def department_code(text: str) -> str:
    try:
        return validate_uscc(text)
    except IdentifierError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a department code: expected an 18-char unified social credit"
            f" code (统一社会信用代码) ({exc.message})") from None


def holder_code(text: str) -> str:
    """A USCC or citizen ID is checked fully; other documents (passports, permits) have no
    check to run, so only their length and characters are."""
    if len(text) == 18:
        try:
            if classify(text) == "citizen_id":
                return validate_citizen_id(text)
            return validate_uscc(text)
        except IdentifierError as exc:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a holder code: an 18-char code must be a valid USCC or"
                f" citizen ID ({exc.message})") from None
    if not 1 <= len(text) <= 64 or not text.isprintable() or text != text.strip():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a holder code: expected a USCC, a citizen ID or another"
            " document number (1-64 printable characters)")
    return text


def require_department(store: EventStore, code: str, option: str) -> None:
    """Raise :class:`NotFoundError` unless ``code`` is a registered department."""
    if store.last_of_stream(department_stream(code)) is None:
        raise NotFoundError(f"{option} {code}: no such department is registered in this"
                            " ledger (`ledger demo` lists its departments under \"try next\")",
                            code="unknown_department")
