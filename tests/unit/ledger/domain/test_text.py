"""The one text policy (ledger/domain/text.py): every rule, mostly refusals."""

from __future__ import annotations

import pytest

from ledger.domain.text import (
    CODE,
    KINDS,
    NAME,
    NUMBER,
    PEM,
    TEXT,
    TextPolicyError,
    check_text,
    comparison_key,
    is_ascii_digits,
    quote,
)
from ledger.integrity.canonical import parse_instant

# Never allowed in any kind: (character, what the refusal calls it).
NEVER = [
    ("\x00", "control"), ("\x07", "control"), ("\x1b", "control"), ("\x7f", "control"),
    ("\x85", "control"), ("\r", "control"), ("\u200b", "invisible format"),
    ("\u200c", "invisible format"), ("\u200d", "invisible format"),
    ("\u200e", "invisible format"), ("\u200f", "invisible format"),
    ("\u202a", "invisible format"), ("\u202e", "invisible format"),
    ("\u2066", "invisible format"), ("\u2067", "invisible format"),
    ("\u2068", "invisible format"), ("\u2069", "invisible format"),
    ("\u2060", "invisible format"), ("\ufeff", "invisible format"),
    ("\u00ad", "invisible format"), ("\U000e0041", "invisible format"),
    ("\ud800", "lone surrogate"), ("\udfff", "lone surrogate"),
    ("\ue000", "private-use"), ("\U000f0000", "private-use"), ("\u0378", "unassigned"),
    ("\ufffe", "unassigned"), ("\u2028", "line separator"), ("\u2029", "paragraph separator"),
    ("\u3164", "invisible"), ("\u115f", "invisible"), ("\ufe0f", "invisible"),
    ("\u034f", "invisible"), ("\u2800", "invisible"),
]


@pytest.mark.parametrize("kind", [NUMBER, NAME, TEXT])
@pytest.mark.parametrize("ch, words", NEVER)
def test_invisible_and_control_characters_are_never_allowed(kind: str, ch: str,
                                                            words: str) -> None:
    with pytest.raises(TextPolicyError) as info:
        check_text(f"AB{ch}CD", kind)
    assert f"U+{ord(ch):04X}" in str(info.value) and "position 3" in str(info.value)
    assert words in str(info.value)


@pytest.mark.parametrize("kind", [CODE, PEM])
@pytest.mark.parametrize("ch", [c for c, _ in NEVER if c not in "\r"])
def test_ascii_kinds_refuse_everything_else(kind: str, ch: str) -> None:
    with pytest.raises(TextPolicyError, match="position 3"):
        check_text(f"AB{ch}CD", kind)


@pytest.mark.parametrize("value", ["A B", "é", "Ａ", "１", "٣", "A\tB", "A\nB"])
def test_codes_are_printable_ascii_without_spaces(value: str) -> None:
    with pytest.raises(TextPolicyError):
        check_text(value, CODE)


@pytest.mark.parametrize("value", ["MATTER-001", "ed25519:17d473ed0aa4f2463793c4f0", "a/b+c="])
def test_codes_accept_printable_ascii(value: str) -> None:
    assert check_text(value, CODE) == value


@pytest.mark.parametrize("value, words", [
    ("A\u00a0B", "ordinary space"), ("A\u3000B", "ordinary space"), ("A\u2007B", "ordinary space"),
    ("A\u202fB", "ordinary space"), ("AB\u0301", "combining mark"), ("A\u20ddB", "combining mark"),
    ("12\u0663", "non-ASCII digit"), ("12\u06f3", "non-ASCII digit"),
    ("12\u0967", "non-ASCII digit"),
    (" AB", "either end"), ("AB ", "either end"), ("A  B", "two spaces"), ("A\tB", "control"),
    ("A\nB", "control"),
])
def test_numbers_refuse_look_alike_tricks(value: str, words: str) -> None:
    with pytest.raises(TextPolicyError, match=words):
        check_text(value, NUMBER)


@pytest.mark.parametrize("value", ["营业（2022）第0042号", "苏(2026)常熟市不动产权第0001号",
                                   "２０２２-0042", "No. 42", "A-42/7"])
def test_numbers_accept_real_numbers_in_any_script(value: str) -> None:
    assert check_text(value, NUMBER) == value


def test_names_must_be_precomposed() -> None:
    assert check_text("José Müller", NAME) == "José Müller"
    assert check_text("张三", NAME) == "张三"
    with pytest.raises(TextPolicyError, match="NFC"):
        check_text("Jose\u0301", NAME)
    with pytest.raises(TextPolicyError, match="ordinary space"):
        check_text("张\u3000三", NAME)


def test_free_text_allows_lines_tabs_and_spaces_but_not_returns() -> None:
    text = "第一行\n\t第二行\u3000续 and\u00a0more"
    assert check_text(text, TEXT) == text
    with pytest.raises(TextPolicyError, match="control"):
        check_text("a\r\nb", TEXT)


def test_pem_allows_line_breaks_only() -> None:
    pem = "-----BEGIN CERTIFICATE-----\r\nMIIB\n-----END CERTIFICATE-----\n"
    assert check_text(pem, PEM) == pem
    with pytest.raises(TextPolicyError):
        check_text(pem + "\t", PEM)


def test_an_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        check_text("x", "anything")
    assert set(KINDS) == {CODE, NUMBER, NAME, TEXT, PEM}


@pytest.mark.parametrize("a, b", [
    ("营业（2022）第0042号", "营业(2022)第0042号"), ("２０２２-42", "2022-42"),
    ("ＡＢ", "AB"), ("No. 42", "No.  42"), ("ｶ", "カ"),
    ("\u0410\u0412-42", "AB-42"), ("\u039f\u03bf-7", "Oo-7"), ("\u0440\u0441", "pc"),
])
def test_numbers_that_look_the_same_have_one_key(a: str, b: str) -> None:
    assert comparison_key(a) == comparison_key(b)


def test_different_numbers_keep_different_keys() -> None:
    assert comparison_key("AB") != comparison_key("ab")
    assert comparison_key("42") != comparison_key("4 2")


@pytest.mark.parametrize("value, length, expected", [
    ("320581", 6, True), ("32058", 6, False), ("３２０５８１", 6, False), ("٣٢٠٥٨١", 6, False),
    ("²", None, False), ("12", None, True), ("", None, False), (12, None, False),
])
def test_ascii_digits(value: object, length: int | None, expected: bool) -> None:
    assert is_ascii_digits(value, length) is expected


def test_quotes_are_short_and_escaped() -> None:
    assert quote("ab") == "'ab'"
    assert quote("a\x00\u202e\ud800") == "'a\\x00\\u202e\\ud800'"
    long = quote("y" * 10_000_000)
    assert len(long) < 100 and "(10000000 characters)" in long
    assert quote(["x"] * 1000).endswith("characters)")
    assert quote(10**5000) == "an integer of 16610 bits"


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_instants_past_the_calendar_are_refused_not_overflowed(text: str) -> None:
    with pytest.raises(ValueError, match="end of the calendar"):
        parse_instant(text)


def test_recorded_instants_are_read_whatever_their_year() -> None:
    # A certificate may be valid "for ever" (RFC 5280: 9999-12-31T23:59:59Z).
    assert parse_instant("9999-12-31T23:59:59.000000Z").year == 9999
    assert parse_instant("1950-01-01T00:00:00.000000Z").year == 1950
    with pytest.raises(ValueError, match=r"outside the years 1970\.\.2199"):
        parse_instant("1950-01-01T00:00:00Z", (1970, 2199))
