"""The verdict, as a pure function of what the file shows and what the ledger holds."""

from __future__ import annotations

from datetime import date

from ledger.domain.file_certificates import FileCertificate
from ledger.domain.file_records import FileIndexed
from ledger.domain.file_verdict import LedgerFacts, Presented, judge
from ledger.domain.licence import Licence

H, H2, CERT, OTHER = "a" * 64, "b" * 64, "c" * 64, "d" * 64
IDENT = "1.2.156.3005.2.T.I.S.001.X"
TODAY = date(2026, 11, 27)
ORIGINAL = FileIndexed(H, "original", "pdf", "e" * 32, "stream", IDENT, 1, (CERT,), ("I",))
CERTS = {CERT: FileCertificate("I", CERT, "CN=issuer", "", "", "", "", "")}


def licence(status: str = "01", until: str | None = None, ident: str = IDENT) -> Licence:
    return Licence("T", "I", "S", ident, 1, 1, status, {"valid_until": until}, None, (ident,),
                   "01")


def verdict(presented: Presented, record: FileIndexed | None = ORIGINAL,
            lic: Licence | None = None, **kw: object) -> dict[str, object]:
    facts = LedgerFacts(record, kw.get("first"), kw.get("ref"),  # type: ignore[arg-type]
                        lic or licence(), kw.get("certs", CERTS))  # type: ignore[arg-type]
    return judge(presented, facts, TODAY)


def codes(answer: dict[str, object]) -> list[str]:
    return [r["code"] for r in answer["reasons"]]  # type: ignore[attr-defined,index]


GOOD = Presented(H, "pdf", (CERT,), (H,), ())


def test_a_recorded_file_of_a_valid_current_licence_is_valid() -> None:
    assert verdict(GOOD) == {**verdict(GOOD), "verdict": "valid", "reasons": []}


def test_negative_verdicts_name_their_reason() -> None:
    assert codes(verdict(GOOD, lic=licence("03"))) == ["licence_revoked"]
    assert codes(verdict(GOOD, lic=licence("01", "2026-11-26"))) == ["licence_expired"]
    assert codes(verdict(GOOD, lic=licence(ident=IDENT + "2"))) == ["superseded"]
    edited = Presented(H2, "pdf", (CERT,), (H, H2), ())
    answer = verdict(edited, None, first=ORIGINAL)
    assert answer["verdict"] == "not_genuine" and codes(answer) == ["changed_after_signing"]
    lookalike = Presented(H2, "pdf", (OTHER,), (H2,), ())
    assert codes(verdict(lookalike, None)) == ["not_recorded", "certificate_not_registered"]
    picture = Presented(H2, "other", (), (), ("not_a_licence_file: a PNG image",))
    assert codes(verdict(picture, None)) == ["not_a_licence_file"]
    swapped = verdict(Presented(H, "pdf", (OTHER,), (H,), ()),
                      certs={OTHER: CERTS[CERT]})
    assert codes(swapped) == ["wrong_signer"]


def test_an_expired_copy_is_not_valid_but_genuine() -> None:
    copy = FileIndexed(H, "copy", "pdf", "f" * 32, "stream", IDENT, 1, (CERT, CERT),
                       ("I", "U"), "c1", "办事", "R", "2026-11-26", H2)
    answer = verdict(Presented(H, "pdf", (CERT, CERT), (H2, H), ()), copy)
    assert answer["verdict"] == "not_valid" and codes(answer) == ["copy_expired"]
    assert answer["copy"]["maker"] == "U"  # type: ignore[index]
