"""The pieces behind issue 16 in isolation: word-boundary wrapping, piped tables, face
labels, PostgreSQL failures explained, argument shapes."""

from __future__ import annotations

import argparse
import io

import pytest
from rich.console import Console

from commands.cli.args import department_code, holder_code, licence_identifier
from commands.cli.output import table
from ledger.errors import ConfigurationError
from ledger.store.event_store import persistence_env
from ledger.store.pg_probe import check_schema_name, explain
from licence_files.labels import labelled
from licence_files.layout import display_width, wrap


@pytest.mark.parametrize("text", [
    "legal representative of the company", "hello wonderful world of licences and more",
    "一般项目：纺织品、针织品及原料销售；服装服饰批发（除依法须经批准的项目外）",
    "Room 1203, 88 Yushan Road, 常熟市 Jiangsu 215500"])
def test_wrap_breaks_between_words_only(text: str) -> None:
    lines = wrap(text, 4.0, 40.0)
    assert all(display_width(line, 4.0) <= 40.0 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    words = {w for w in text.split() if w.isascii()}
    pieces = {p for line in lines for p in line.split()}
    assert {w for w in words if display_width(w, 4.0) <= 40.0} <= pieces  # none cut
    assert not any(line[:1] in "，。；：、）》" for line in lines)  # no line opens with ，
    assert not any(line[-1:] in "（《" for line in lines)  # nor ends with （


def test_a_word_wider_than_the_line_is_cut_and_newlines_are_kept() -> None:
    lines = wrap("x" * 50, 4.0, 40.0)
    assert len(lines) > 1 and all(display_width(line, 4.0) <= 40.0 for line in lines)
    assert wrap("a\nb", 4.0, 40.0) == ["a", "b"] and wrap("", 4.0, 40.0) == [""]


def test_a_piped_table_is_tab_separated_one_line_a_row() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=False, width=20)
    table("rates", ["department", "value"],
          [("11320581LJ2K0XTF1R" * 3, 1), ("tab\there", "line\nbreak")], console=console)
    assert buffer.getvalue().splitlines() == [
        "# rates", "department\tvalue", f"{'11320581LJ2K0XTF1R' * 3}\t1",
        "tab here\tline break", ""]


def test_face_labels_come_from_the_template_vocabulary() -> None:
    definition = {"name": "营业执照", "face_fields": [
        {"name": "company_name"}, {"name": "uscc", "label": "代码"}, {"name": "odd_field"}]}
    fields = labelled(definition)["face_fields"]
    assert [f.get("label") for f in fields] == ["名称", "代码", None]
    assert "label" not in definition["face_fields"][0]  # the definition is not changed


ARGS = {"host": "db.example", "port": "6543", "db": "ledger", "user": "app"}


@pytest.mark.parametrize(("reason", "expected"), [
    ('connection to server at "db.example", port 6543 failed: Connection refused',
     "nothing accepts connections at db.example:6543"),
    ("failed to resolve host 'db.example': [Errno -2] Name or service not known",
     "unknown host 'db.example'"),
    ('connection failed: FATAL:  database "ledger" does not exist',
     "the database 'ledger' does not exist; create it (createdb"),
    ('connection failed: FATAL:  role "app" does not exist', "the role 'app' does not exist"),
    ('FATAL:  password authentication failed for user "app"',
     "authentication failed for user 'app'"),
    ("connection timeout expired", "no answer from db.example:6543 within 2 s"),
    ('FATAL:  no pg_hba.conf entry for host "10.0.0.1"', "pg_hba.conf"),
])
def test_postgresql_failures_are_explained(reason: str, expected: str) -> None:
    assert expected in explain(reason, **ARGS)


def test_an_unknown_failure_keeps_the_servers_words() -> None:
    assert explain("something new", **ARGS) == "something new"


@pytest.mark.parametrize("name", ["Bad-Schema", "1abc", "a b", "x;drop", "", "é", "A" * 64])
def test_bad_schema_names_are_refused_before_any_sql(name: str) -> None:
    with pytest.raises(ConfigurationError, match="not a valid schema name"):
        persistence_env(f"postgresql://u@h/db?schema={name}" if name else
                        "postgresql://u@h/db?schema=%20")
    assert check_schema_name("ledger_prod_2") == "ledger_prod_2"


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
