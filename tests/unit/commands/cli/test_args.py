"""Argument shapes checked before any lookup (commands/cli/args.py)."""

from __future__ import annotations

import argparse

import pytest

from commands.cli.args import department_code, holder_code, licence_identifier


@pytest.mark.parametrize(("check", "value", "expected"), [
    (licence_identifier, "garbage", "is not a licence identifier: expected 1.2.156.3005.2."),
    (licence_identifier, "1.2.156.3005.2", "is not a licence identifier"),
    (department_code, "11320581LJ2K0XTF1Q", "is not a department code"),
    (department_code, "short", "is not a department code"),
    (holder_code, "91320581CDXPU40G3Y", "is not a holder code"),
    (holder_code, " padded", "is not a holder code"),
    (holder_code, "x" * 65, "is not a holder code"),
])
def test_shapes_are_checked_before_lookup(check: object, value: str, expected: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=expected.replace(".", r"\.")):
        check(value)  # type: ignore[operator]


def test_good_shapes_pass() -> None:
    assert holder_code("11010519491231002X") == "11010519491231002X"
    assert holder_code("E12345678") == "E12345678"  # a passport: no check to run
    assert department_code("91350100M000100Y43") == "91350100M000100Y43"
