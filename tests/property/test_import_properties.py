"""Properties of the stock-file value rules: every accepted local form of a date reads
back as that date; comparison keys and serials are stable and well-formed."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.check_digits import ALNUM36
from ledger.domain.identifiers import make_licence_identifier, make_uscc
from ledger.stock.rows import serial_for
from ledger.stock.values import comparison_key, parse_date

DAYS = st.dates(min_value=dt.date(1927, 5, 18), max_value=dt.date(2173, 10, 14))


@given(DAYS)
def test_every_local_form_reads_back_as_the_date(day: dt.date) -> None:
    y, m, d = day.year, day.month, day.day
    forms = [f"{y}.{m}.{d}", f"{y}/{m}/{d}", f"{y}-{m}-{d}", f"{y}年{m}月{d}日",
             f"{y}{m:02d}{d:02d}", (day - dt.date(1899, 12, 30)).days, day]
    for form in forms:
        assert parse_date(form)[0] == day.isoformat()
    assert parse_date(day.isoformat()) == (day.isoformat(), None)


@given(st.text(max_size=40))
def test_comparison_key_is_idempotent_and_blind_to_width_and_spaces(text: str) -> None:
    key = comparison_key(text)
    assert comparison_key(key) == key
    assert not any(ch.isspace() for ch in key)
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    assert comparison_key(wide) == key


@given(st.text(min_size=1, max_size=60))
def test_serial_is_a_valid_licence_serial_for_any_number(number: str) -> None:
    serial = serial_for(number)
    assert len(serial) == 24 and set(serial) <= set(ALNUM36)
    assert serial == serial_for(" " + number + "\u3000")
    make_licence_identifier(make_uscc("11320581", "AY4CL12T") + "002",
                            make_uscc("11320581", "H3BJ1XG6"), serial)
