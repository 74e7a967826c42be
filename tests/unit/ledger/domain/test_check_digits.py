"""Check characters: ISO/IEC 7064 MOD 37,36, GB 11714, GB 32100 (ledger/domain/check_digits.py)."""

from __future__ import annotations

import pytest

from ledger.domain.check_digits import (
    ALNUM36,
    USCC_ALPHABET,
    mod37_36_check,
    org_code_check_char,
)
from ledger.domain.identifiers import (
    make_licence_identifier,
    parse_licence_identifier,
)
from tests.unit.ledger.domain.identifier_samples import (
    ISSUER,
    SAMPLE,
    TYPE_CODE,
    code_of,
)


def reference_mod37_36(body: str) -> str:
    """ISO 7064's definition read literally: the check is the char that makes the whole
    string, run through the recurrence, end on 1. Deliberately slow and different."""
    for candidate in ALNUM36:
        p = 36
        for ch in body + candidate:
            s = (p % 37 + ALNUM36.index(ch)) % 36
            s = s or 36
            p = (2 * s) % 37
        if s == 1:
            return candidate
    raise AssertionError("no check character")


def test_mod37_36_iso_example() -> None:
    assert mod37_36_check("A12425GABC1234002") == "M"  # ISO 7064 example, as in python-stdnum


@pytest.mark.parametrize("body", ["", "0", "Z", "A12425GABC1234002", SAMPLE.body, "9" * 74])
def test_mod37_36_agrees_with_reference(body: str) -> None:
    assert mod37_36_check(body) == reference_mod37_36(body)


def test_mod37_36_known_blind_spot() -> None:
    # The hybrid system misses a swap of two neighbouring values (v, v+1 mod 36) when the
    # state before them is 18 - v mod 36; here the start state 36 meets 'I' (18).
    # GB/T 17710 promises all single substitutions, not all transpositions.
    assert mod37_36_check("IJ123") == mod37_36_check("JI123")


def test_blind_spot_reaches_licence_serials() -> None:
    # Serials ...89... and ...98... share a check character: only the issuer's serial
    # register, not the check, can catch this swap.
    a = make_licence_identifier(TYPE_CODE, ISSUER, "JY890000001")
    b = make_licence_identifier(TYPE_CODE, ISSUER, "JY980000001")
    assert a.check == b.check == "D"
    assert parse_licence_identifier(str(b)) == b


def test_mod37_36_rejects_bad_charset() -> None:
    assert code_of(lambda: mod37_36_check("AB-1")) == "bad_charset"
    assert code_of(lambda: mod37_36_check("ab")) == "bad_case"


def test_org_code_check_maps_10_and_11() -> None:
    assert org_code_check_char("D2143569") == "X"  # GB 11714's often-quoted D2143569-X
    assert org_code_check_char("00000000") == "0"  # 11 - 0 = 11


def test_uscc_alphabet_excludes_confusable_letters() -> None:
    assert not set("IOZSV") & set(USCC_ALPHABET) and len(USCC_ALPHABET) == 31
