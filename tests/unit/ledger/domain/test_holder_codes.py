"""USCCs, citizen IDs, shape detection and GB/T 36903 holder codes (ledger/domain/identifiers)."""

from __future__ import annotations

import pytest

from ledger.domain.check_digits import (
    citizen_id_check_char,
    org_code_check_char,
    uscc_check_char,
)
from ledger.domain.identifiers import (
    HOLDER_CODE_TYPES,
    IdentifierError,
    check_value,
    classify,
    make_citizen_id,
    make_uscc,
    validate_citizen_id,
    validate_holder_code,
    validate_uscc,
)
from ledger.errors import LedgerError
from tests.unit.ledger.domain.identifier_samples import (
    BAD_ORG,
    CITIZEN_ID_EXAMPLE,
    KNOWN_USCCS,
    SAMPLE_TEXT,
    code_of,
)


@pytest.mark.parametrize("code", KNOWN_USCCS)
def test_known_usccs_validate(code: str) -> None:
    assert validate_uscc(code) == code
    assert uscc_check_char(code[:17]) == code[17]
    assert org_code_check_char(code[8:16]) == code[16]
    assert make_uscc(code[:8], code[8:16]) == code
    assert classify(code) == "uscc"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("91350100M000100Y4", "bad_length"),
        ("91350100M000100Y433", "bad_length"),
        ("", "bad_length"),
        ("91350100m000100Y43", "bad_case"),
        ("９1350100M000100Y43", "bad_charset"),  # full-width nine
        ("91350100M000100Y4３", "bad_charset"),
        ("91350100I000100Y43", "bad_charset"),
        ("91350100O000100Y43", "bad_charset"),
        ("91350100Z000100Y43", "bad_charset"),
        ("91350100S000100Y43", "bad_charset"),
        ("91350100V000100Y43", "bad_charset"),
        ("91350100-000100Y43", "bad_charset"),
        (" 1350100M000100Y43", "bad_charset"),
        ("91350100M000100Y44", "bad_check_char"),
        ("91350100M000200Y43", "bad_check_char"),
    ],
)
def test_bad_uscc(value: str, code: str) -> None:
    assert code_of(lambda: validate_uscc(value)) == code


def test_bad_org_check_with_good_uscc_check() -> None:
    with pytest.raises(IdentifierError) as info:
        validate_uscc(BAD_ORG)
    assert (info.value.code, info.value.position) == ("bad_org_check", 17)
    assert "'4'" in info.value.message


def test_error_names_the_position() -> None:
    with pytest.raises(IdentifierError) as info:
        validate_uscc("91350100MI00100Y43")
    assert info.value.position == 10 and "position 10" in info.value.message
    assert "I, O, Z, S and V" in info.value.message
    assert isinstance(info.value, ValueError) and isinstance(info.value, LedgerError)


def test_make_uscc_refuses_bad_parts() -> None:
    assert code_of(lambda: make_uscc("9135010", "M0001000")) == "bad_length"
    assert code_of(lambda: make_uscc("91350100", "M000I000")) == "bad_charset"


def test_citizen_id_example() -> None:
    assert validate_citizen_id(CITIZEN_ID_EXAMPLE) == CITIZEN_ID_EXAMPLE
    assert citizen_id_check_char(CITIZEN_ID_EXAMPLE[:17]) == "X"
    assert make_citizen_id("110105", "19491231", "002") == CITIZEN_ID_EXAMPLE
    assert classify(CITIZEN_ID_EXAMPLE) == "citizen_id"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("11010519491231002x", "bad_case"),
        ("11010519491231002", "bad_length"),
        ("110105194912310021X", "bad_length"),
        ("1101051949123100X2", "bad_charset"),
        ("１1010519491231002X", "bad_charset"),
        ("110105194912310021", "bad_check_char"),
        ("11010519491231003X", "bad_check_char"),
        ("11010519491321002X", "bad_date"),  # month 13
        ("110105202302300010", "bad_date"),  # 30 February
        ("110105189912310021", "bad_date"),  # before 1900
        ("110105000000000021", "bad_date"),
    ],
)
def test_bad_citizen_id(value: str, code: str) -> None:
    assert code_of(lambda: validate_citizen_id(value)) == code


def test_make_citizen_id_refuses_impossible_date() -> None:
    assert code_of(lambda: make_citizen_id("110105", "20230230", "001")) == "bad_date"
    assert code_of(lambda: make_citizen_id("11010", "20230228", "001")) == "bad_length"


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (SAMPLE_TEXT, "licence_identifier"),
        ("1.2.3", "licence_identifier"),
        (CITIZEN_ID_EXAMPLE, "citizen_id"),
        (CITIZEN_ID_EXAMPLE.lower(), "citizen_id"),
        ("110105202302300010", "citizen_id"),  # shape only: the date is checked later
        ("914403001922038216", "uscc"),  # all digits, but 00192203 is no date
        ("91350100M000100Y43", "uscc"),
        ("１1010519491231002X", "citizen_id"),  # routed by shape, then refused as full-width
    ],
)
def test_classify(value: str, kind: str) -> None:
    assert classify(value) == kind


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "bad_length"),
        ("91350100M000100Y4", "bad_length"),
        ("11010519491231002x", "bad_case"),
        ("110105202302300010", "bad_date"),
        ("91350100M000100Y44", "bad_check_char"),
        ("ｌ.2.156", "bad_charset"),
        ("１1010519491231002X", "bad_charset"),
    ],
)
def test_check_value_rejects(value: str, code: str) -> None:
    assert code_of(lambda: check_value(value)) == code


def test_check_value_accepts() -> None:
    for value in [*KNOWN_USCCS, CITIZEN_ID_EXAMPLE, SAMPLE_TEXT]:
        check_value(value)


def test_holder_code_types() -> None:
    assert set(HOLDER_CODE_TYPES) == {
        "001", "099", "111", "114", "115", "118", "119", "120", "122",
        "411", "412", "413", "414", "511", "516", "999",
    }  # fmt: skip
    assert validate_holder_code("001", KNOWN_USCCS[0]) == KNOWN_USCCS[0]
    assert validate_holder_code("111", CITIZEN_ID_EXAMPLE) == CITIZEN_ID_EXAMPLE
    assert validate_holder_code("414", "E12345678") == "E12345678"
    assert validate_holder_code("999", "x" * 64) == "x" * 64


@pytest.mark.parametrize(
    ("code_type", "code", "error"),
    [
        ("002", "whatever", "bad_code_type"),
        ("1", "whatever", "bad_code_type"),
        ("001", CITIZEN_ID_EXAMPLE, "bad_check_char"),
        ("001", "91350100m000100Y43", "bad_case"),
        ("111", KNOWN_USCCS[0], "bad_charset"),
        ("111", "11010519491231002x", "bad_case"),
        ("414", "", "bad_length"),
        ("414", "E" * 65, "bad_length"),
        ("414", " E12345678", "bad_charset"),
        ("414", "E1234\n5678", "bad_charset"),
    ],
)
def test_bad_holder_code(code_type: str, code: str, error: str) -> None:
    assert code_of(lambda: validate_holder_code(code_type, code)) == error
