"""Unit tests for ledger.identifiers: published vectors first, then mostly negative cases."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from ledger.errors import LedgerError
from ledger.identifiers import (
    ALNUM36,
    HOLDER_CODE_TYPES,
    LICENCE_ROOT,
    USCC_ALPHABET,
    IdentifierError,
    LicenceIdentifier,
    check_value,
    citizen_id_check_char,
    classify,
    make_citizen_id,
    make_licence_identifier,
    make_uscc,
    mod37_36_check,
    org_code_check_char,
    parse_licence_identifier,
    uscc_check_char,
    validate_citizen_id,
    validate_holder_code,
    validate_uscc,
)

# Published USCCs; each passes both the GB 32100 and the GB 11714 check, which a random
# 18-char string does about once in 341 tries.
KNOWN_USCCS = [
    "91350100M000100Y43",  # the example quoted in most descriptions of GB 32100
    "91110000600037341L",  # python-stdnum's cn.uscc doctest
    "914403001922038216",  # Huawei Technologies Co., Ltd.
    "91440300708461136T",  # Shenzhen Tencent Computer Systems Co., Ltd.
    "91330100716105852F",  # Alibaba (China) Co., Ltd.
    "91110000802100433B",  # Beijing Baidu Netcom Science and Technology Co., Ltd.
]
CITIZEN_ID_EXAMPLE = "11010519491231002X"  # GB 11643-1999's worked example

AUTHORITY = make_uscc("11350100", "00300001")
TYPE_CODE = AUTHORITY + "001"
ISSUER = "91350100M000100Y43"
SAMPLE = make_licence_identifier(TYPE_CODE, ISSUER, "JY13501000012345", 1)
SAMPLE_TEXT = str(SAMPLE)
BAD_ORG = "91350100M000100Y5" + uscc_check_char("91350100M000100Y5")  # org check is '4'


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


def dotted(ident: LicenceIdentifier, body: str, check: str) -> str:
    """Re-cut a (possibly tampered) body into the dotted form of ``ident``'s parts."""
    cuts = [0, 21, 39, 39 + len(ident.serial), len(body)]
    parts = [body[a:b] for a, b in itertools.pairwise(cuts)]
    return ".".join([LICENCE_ROOT, *parts, check])


def code_of(call: Callable[[], object]) -> str:
    with pytest.raises(IdentifierError) as info:
        call()
    assert info.value.message and str(info.value) == info.value.message
    return info.value.code


# --- MOD 37,36 -----------------------------------------------------------------------------


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


# --- USCC ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", KNOWN_USCCS)
def test_known_usccs_validate(code: str) -> None:
    assert validate_uscc(code) == code
    assert uscc_check_char(code[:17]) == code[17]
    assert org_code_check_char(code[8:16]) == code[16]
    assert make_uscc(code[:8], code[8:16]) == code
    assert classify(code) == "uscc"


def test_org_code_check_maps_10_and_11() -> None:
    assert org_code_check_char("D2143569") == "X"  # GB 11714's often-quoted D2143569-X
    assert org_code_check_char("00000000") == "0"  # 11 - 0 = 11


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


# --- Citizen ID ----------------------------------------------------------------------------


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


# --- Licence identifier --------------------------------------------------------------------


def test_round_trip() -> None:
    assert SAMPLE_TEXT.startswith(LICENCE_ROOT + "." + TYPE_CODE + "." + ISSUER + ".")
    assert parse_licence_identifier(SAMPLE_TEXT) == SAMPLE
    assert str(parse_licence_identifier(SAMPLE_TEXT)) == SAMPLE_TEXT
    assert SAMPLE.check == mod37_36_check(TYPE_CODE + ISSUER + "JY13501000012345" + "001")
    assert classify(SAMPLE_TEXT) == "licence_identifier"
    check_value(SAMPLE_TEXT)


def test_versions() -> None:
    nxt = SAMPLE.next_version()
    assert nxt.version == 2 and str(nxt).split(".")[-2] == "002"
    assert (nxt.type_code, nxt.issuer_code, nxt.serial) == (TYPE_CODE, ISSUER, SAMPLE.serial)
    assert nxt.check != SAMPLE.check
    assert SAMPLE.with_version(999).with_version(1) == SAMPLE
    assert code_of(SAMPLE.with_version(999).next_version) == "bad_version"
    assert code_of(lambda: SAMPLE.with_version(0)) == "bad_version"


def _with_part(text: str, part: int, new: str) -> str:
    fields = text.split(".")
    fields[5 + part] = new
    return ".".join(fields)


BAD_LICENCE_IDS = [
    (SAMPLE_TEXT.replace("1.2.156.3005.2", "1.2.156.3005.3"), "bad_root"),
    (SAMPLE_TEXT.replace("1.2.156.3005.2.", "1.2.156.3005.20."), "bad_root"),
    (SAMPLE_TEXT[len(LICENCE_ROOT) + 1 :], "bad_root"),
    (LICENCE_ROOT, "bad_part"),
    (SAMPLE_TEXT.rsplit(".", 1)[0], "bad_part"),
    (SAMPLE_TEXT + ".1", "bad_part"),
    (SAMPLE_TEXT.replace(".JY", "..JY"), "bad_part"),
    (_with_part(SAMPLE_TEXT, 0, TYPE_CODE[:20]), "bad_length"),
    (_with_part(SAMPLE_TEXT, 0, AUTHORITY + "0A1"), "bad_charset"),
    (_with_part(SAMPLE_TEXT, 0, AUTHORITY[:17] + "0001"), "bad_check_char"),
    (_with_part(SAMPLE_TEXT, 1, ISSUER[:17]), "bad_length"),
    (_with_part(SAMPLE_TEXT, 1, ISSUER[:8] + "I" + ISSUER[9:]), "bad_charset"),
    (_with_part(SAMPLE_TEXT, 1, ISSUER[:17] + "4"), "bad_check_char"),
    (_with_part(SAMPLE_TEXT, 1, BAD_ORG), "bad_org_check"),
    (_with_part(SAMPLE_TEXT, 2, ""), "bad_length"),
    (_with_part(SAMPLE_TEXT, 2, "A" * 33), "bad_length"),
    (_with_part(SAMPLE_TEXT, 2, "jy13501000012345"), "bad_case"),
    (_with_part(SAMPLE_TEXT, 2, "JY１3501000012345"), "bad_charset"),
    (_with_part(SAMPLE_TEXT, 3, "000"), "bad_version"),
    (_with_part(SAMPLE_TEXT, 3, "01"), "bad_length"),
    (_with_part(SAMPLE_TEXT, 3, "0001"), "bad_length"),
    (_with_part(SAMPLE_TEXT, 3, "00A"), "bad_charset"),
    (_with_part(SAMPLE_TEXT, 4, ""), "bad_length"),
    (_with_part(SAMPLE_TEXT, 4, "QQ"), "bad_length"),
    (_with_part(SAMPLE_TEXT, 4, "q"), "bad_case"),
    (_with_part(SAMPLE_TEXT, 4, "P" if SAMPLE.check != "P" else "R"), "bad_check_char"),
    (SAMPLE_TEXT.replace(".", "．", 1), "bad_charset"),  # full-width full stop
    (SAMPLE_TEXT + " ", "bad_charset"),
]


@pytest.mark.parametrize(("text", "code"), BAD_LICENCE_IDS)
def test_bad_licence_identifier(text: str, code: str) -> None:
    assert code_of(lambda: parse_licence_identifier(text)) == code
    assert code_of(lambda: check_value(text)) == code


def test_empty_licence_identifier_has_no_root() -> None:
    assert code_of(lambda: parse_licence_identifier("")) == "bad_root"


def test_error_names_the_part() -> None:
    with pytest.raises(IdentifierError, match="issuer code"):
        parse_licence_identifier(_with_part(SAMPLE_TEXT, 1, ISSUER[:17] + "4"))
    with pytest.raises(IdentifierError, match="type code"):
        parse_licence_identifier(_with_part(SAMPLE_TEXT, 0, AUTHORITY[:17] + "0001"))
    with pytest.raises(IdentifierError, match="serial"):
        parse_licence_identifier(_with_part(SAMPLE_TEXT, 2, "A" * 33))


def test_make_licence_identifier_refuses_bad_parts() -> None:
    assert code_of(lambda: make_licence_identifier(TYPE_CODE, ISSUER, "X", 1000)) == "bad_version"
    assert code_of(lambda: make_licence_identifier(TYPE_CODE, ISSUER, "X", True)) == "bad_version"
    assert code_of(lambda: make_licence_identifier(ISSUER, ISSUER, "X")) == "bad_length"
    assert code_of(lambda: make_licence_identifier(TYPE_CODE, TYPE_CODE, "X")) == "bad_length"
    assert code_of(lambda: make_licence_identifier(TYPE_CODE, ISSUER, "A-1")) == "bad_charset"
    bad_seq = AUTHORITY + "0A1"
    assert code_of(lambda: make_licence_identifier(bad_seq, ISSUER, "X")) == "bad_charset"


EXHAUSTIVE = [
    SAMPLE,
    make_licence_identifier(TYPE_CODE, KNOWN_USCCS[2], "ZZ00000001", 2),
    make_licence_identifier(
        make_uscc("11110000", "0000D214") + "123", KNOWN_USCCS[5], "2024A" + "0" * 25 + "XY", 999
    ),
    make_licence_identifier(TYPE_CODE, KNOWN_USCCS[0], "7", 1),
]


@pytest.mark.parametrize("ident", EXHAUSTIVE, ids=str)
def test_every_substitution_is_rejected(ident: LicenceIdentifier) -> None:
    body, check = ident.body, ident.check
    for i, old in enumerate(body):
        for new in ALNUM36.replace(old, ""):
            tampered = body[:i] + new + body[i + 1 :]
            assert mod37_36_check(tampered) != check
            with pytest.raises(IdentifierError):
                parse_licence_identifier(dotted(ident, tampered, check))


# These identifiers happen to avoid the one blind swap per state (see
# test_mod37_36_known_blind_spot); the property tests pin down exactly where it lies.
@pytest.mark.parametrize("ident", EXHAUSTIVE, ids=str)
def test_every_adjacent_swap_is_rejected(ident: LicenceIdentifier) -> None:
    body, check = ident.body, ident.check
    for i in range(len(body) - 1):
        if body[i] != body[i + 1]:
            swapped = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
            with pytest.raises(IdentifierError):
                parse_licence_identifier(dotted(ident, swapped, check))


def test_tampered_check_char_is_rejected() -> None:
    for new in ALNUM36.replace(SAMPLE.check, ""):
        assert code_of(lambda n=new: parse_licence_identifier(SAMPLE_TEXT[:-1] + n)) == (
            "bad_check_char"
        )


# --- Classification and holder codes -------------------------------------------------------


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


def test_uscc_alphabet_excludes_confusable_letters() -> None:
    assert not set("IOZSV") & set(USCC_ALPHABET) and len(USCC_ALPHABET) == 31
