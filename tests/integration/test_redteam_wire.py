"""Red-team findings on the wire format, replayed through ``ledger apply``.

Each case is a signed envelope an attacker (or a sloppy client) could once send and have
taken: the same signature spelt in another base64 string, an object that names a member
twice (a reader keeping the first name sees another command than the one signed), and a
licence number whose letters are Greek or Cyrillic twins of an existing number's Latin
ones. Each is refused now, and the honest form of the same command still accepted.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest

from ledger.domain.identifiers import make_uscc
from ledger.integrity.signed_bytes import signing_bytes
from ledger.integrity.signing import b64encode, load_signing_key
from tests.integration.test_poison_apply import ledger

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[bytes]]:
    """A small loadgen ledger on SQLite: its directory, URL and the lines it applied."""
    cwd = tmp_path_factory.mktemp("redteam")
    url = f"sqlite:///{cwd / 'ledger.db'}"
    made = ledger(cwd, url, "loadgen", "--licences", "2", "--seed", "3",
                  "--keys", str(cwd / "keys"))
    lines = made.stdout.splitlines(keepends=True)
    setup = ledger(cwd, url, "apply", "-", stdin=b"".join(lines))
    assert setup.returncode == 0, setup.stderr
    return cwd, url, lines


def resign(cwd: Path, envelope: dict[str, Any], **payload: Any) -> dict[str, Any]:
    """The envelope with a new command id and ``payload`` changes, signed by its actor."""
    signed = {**envelope, "command_id": str(uuid.uuid4()),
              "payload": {**envelope["payload"], **payload}}
    signed.pop("signature")
    key = load_signing_key(cwd / "keys" / f"{signed['actor']}.pem")
    signed["key_id"] = key.key_id
    signed["signature"] = b64encode(key.sign(signing_bytes(signed)))
    return signed


def apply(cwd: Path, url: str, *lines: bytes) -> list[dict[str, Any]]:
    run = ledger(cwd, url, "apply", "--json", "-", stdin=b"".join(line + b"\n" for line in lines))
    assert b"Traceback" not in run.stderr, run.stderr
    answers = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(answers) == len(lines)
    return answers


def fresh_issue(cwd: Path, lines: list[bytes], n: int, number: str) -> dict[str, Any]:
    """A new licence of the loadgen's first type, to a holder of its own."""
    issue = first(lines, "IssueLicence")
    holder = make_uscc("91320581", f"RTHQLD{n:02d}")
    return resign(cwd, issue, serial=f"003999999{n:02d}", licence_number=number,
                  holders=[{**issue["payload"]["holders"][0], "code": holder}],
                  face={**issue["payload"]["face"], "uscc": holder})


def first(lines: list[bytes], command_type: str) -> dict[str, Any]:
    return next(orjson.loads(line) for line in lines
                if orjson.loads(line)["type"] == command_type)


def test_a_signature_in_non_canonical_base64_is_refused_and_the_canonical_one_taken(
        town: tuple[Path, str, list[bytes]]) -> None:
    cwd, url, lines = town
    signed = fresh_issue(cwd, lines, 1, "RT-B64-0001")
    text = signed["signature"]
    assert text.endswith("==")  # 64 bytes: the last character carries 4 unused bits
    spare = ALPHABET[ALPHABET.index(text[-3]) ^ 1]
    twin = text[:-3] + spare + "=="
    assert base64.b64decode(twin) == base64.b64decode(text)

    refused, accepted = apply(cwd, url, orjson.dumps({**signed, "signature": twin}),
                              orjson.dumps(signed))
    assert refused["status"] == "rejected"
    assert refused["code"] == "bad_signature"
    assert "not canonical base64" in refused["message"]
    assert accepted["status"] == "accepted", accepted


def test_an_object_that_names_a_member_twice_is_refused_wherever_it_is(
        town: tuple[Path, str, list[bytes]]) -> None:
    cwd, url, lines = town
    signed = fresh_issue(cwd, lines, 2, "RT-DUP-0001")
    line = orjson.dumps(signed)
    serial = b'"serial":"00399999902"'
    # The signature covers the last value; a reader keeping the first sees another command.
    in_payload = line.replace(serial, b'"serial":"00399999999",' + serial)
    in_envelope = line.replace(b'"type":"IssueLicence"',
                               b'"type":"RevokeLicence","type":"IssueLicence"')
    in_holder = line.replace(b'"code_type":"001"', b'"code_type":"111","code_type":"001"')
    # An escaped colon cannot hide a repeat by keeping the colon count level.
    hidden = in_payload.replace(b'"purpose"', b'"purpose"').replace(
        signed["issued_at"].encode(), signed["issued_at"].replace(":", "\\u003a", 1).encode())
    assert hidden.count(b":") == line.count(b":")
    # Nor is a line refused for an escaped colon alone: it decodes to what was signed.
    escaped = line.replace(signed["issued_at"].encode(),
                           signed["issued_at"].replace(":", "\\u003a").encode())

    answers = apply(cwd, url, in_payload, in_envelope, in_holder, hidden, escaped)
    for answer, name in zip(answers[:4], ["serial", "type", "code_type", "serial"],
                            strict=True):
        assert answer["status"] == "rejected", answer
        assert answer["code"] == "invalid_command"
        assert f"names the member '{name}' twice" in answer["message"]
    assert answers[4]["status"] == "accepted", answers[4]


def test_a_licence_number_with_greek_or_cyrillic_twins_of_its_letters_is_the_same_number(
        town: tuple[Path, str, list[bytes]]) -> None:
    cwd, url, lines = town
    latin = "JYA-2026-ECHO"
    twins = ["JY\u0410-2026-ECHO",             # Cyrillic capital A
             "JYA-2026-\u0395\u0421\u041d\u039f",  # Greek E, Cyrillic C and H, Greek O
             "\u0408\u04ae\u0391-2026-ECHO"]   # Cyrillic J and straight U, Greek A
    issued = [orjson.dumps(fresh_issue(cwd, lines, 10 + n, number))
              for n, number in enumerate([latin, *twins])]
    first_answer, *others = apply(cwd, url, *issued)
    assert first_answer["status"] == "accepted", first_answer
    for answer in others:
        assert answer["status"] == "rejected", answer
        assert answer["code"] == "duplicate_licence_number"
    # Unlike twins: another script's own letters, and O for 0, stay other numbers.
    different = [orjson.dumps(fresh_issue(cwd, lines, 20 + n, number))
                 for n, number in enumerate(["JY\u0416-2026-ECHO", "JYA-2O26-ECHO"])]
    assert [a["status"] for a in apply(cwd, url, *different)] == ["accepted", "accepted"]


def test_a_passport_number_with_a_cyrillic_twin_of_a_latin_letter_is_refused(
        town: tuple[Path, str, list[bytes]]) -> None:
    cwd, url, lines = town
    # The catalogue's 医师执业证书: natural persons, one live licence each, issued by the
    # health commission.
    registered = first(lines, "RegisterLicenceType")["payload"]["type_code"]
    issue = {**first(lines, "IssueLicence"), "actor": "113205818H76NFHT07"}
    face = {"practice_category": "公共卫生", "practice_scope": "外科专业",
            "practice_site": "常熟市中医医院"}

    def passport(n: int, code: str) -> bytes:
        return orjson.dumps(resign(
            cwd, issue, type_code=registered[:-3] + "003", serial=f"003888888{n:02d}",
            licence_number=f"RT-PASS-{n}", face=face,
            holders=[{"name": "Ivan Petrov", "code_type": "414", "code": code}]))

    latin, twin = apply(cwd, url, passport(1, "E12345678"), passport(2, "\u041512345678"))
    assert latin["status"] == "accepted", latin
    assert twin["status"] == "rejected"
    assert twin["code"] == "invalid_command"
    assert "Greek or Cyrillic letters drawn like Latin ones" in twin["message"]


def test_a_licence_type_valid_for_more_years_than_the_calendar_holds_is_refused(
        town: tuple[Path, str, list[bytes]]) -> None:
    cwd, url, lines = town
    registered = first(lines, "RegisterLicenceType")
    code = registered["payload"]["type_code"][:-3] + "099"

    def lasting(years: int, copy_days: int = 90) -> bytes:
        definition = registered["payload"]["definition"]
        return orjson.dumps(resign(cwd, registered, type_code=code, definition={
            **definition, "validity": {**definition["validity"], "max_years": years},
            "annotation": {"max_days": copy_days, "max_live": 3}}))

    # 10**15 years (or days of an annotated copy) once passed, and every issue of the type
    # with an end date (every annotated copy) then died in the date arithmetic.
    years, days, accepted = apply(cwd, url, lasting(10**15), lasting(5, 10**12),
                                  lasting(299, 299 * 366))
    for refused, why in [(years, "validity.max_years: must be 1..299"),
                         (days, "annotation.max_days: must be at most 109434")]:
        assert refused["status"] == "rejected"
        assert refused["code"] == "invalid_command"
        assert why in refused["message"]
    assert accepted["status"] == "accepted", accepted
