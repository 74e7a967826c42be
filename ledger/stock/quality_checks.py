"""The regular data-quality checks over what is in the ledger (Art. 14). Pure: the caller
passes licences, catalogue entries, paper counts and today's date.

Each problem is named by issuer, check and subject, so that the same problem found on a
later run is the same finding (see :func:`ledger.domain.quality.finding_id`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ledger.domain.catalogue import CatalogueEntry
from ledger.domain.identifiers import (
    IdentifierError,
    parse_licence_identifier,
    validate_holder_code,
)
from ledger.domain.licence import VALID, WITHDRAWN
from ledger.stock.values import comparison_key


@dataclass(frozen=True)
class LicenceRow:
    """A licence's current version as the read model holds it."""

    identifier: str
    type_code: str
    issuer_code: str
    status: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class PaperRow:
    """A paper-count report beside what the ledger recorded for the same month."""

    department: str
    type_code: str
    period: str
    paper_issued: int
    electronic_issued: int


@dataclass(frozen=True)
class Problem:
    issuer_code: str
    check: str
    subject: str
    message: str


def check_licences(licences: Iterable[LicenceRow], entries: Mapping[str, CatalogueEntry],
                   today: str) -> Iterator[Problem]:
    """Missing fields, codes that fail, expired-but-valid, then holder names and duplicates."""
    names: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    numbers: dict[tuple[str, str], list[str]] = defaultdict(list)
    same: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for lic in licences:
        if lic.status in WITHDRAWN:
            continue
        entry = entries.get(lic.type_code)
        yield from _one(lic, entry, today)
        for h in lic.fields["holders"]:
            names[(lic.issuer_code, h["code"])][comparison_key(h["name"])].append(h["name"])
            same[(lic.issuer_code, lic.type_code, h["code"], lic.fields["issue_date"],
                  lic.fields.get("valid_until"))].append(lic.identifier)
        numbers[(lic.issuer_code, lic.type_code + "|"
                 + comparison_key(lic.fields["licence_number"]))].append(lic.identifier)
    for (issuer, code), spelled in names.items():
        if len(spelled) > 1:
            shown = ", ".join(sorted(v[0] for v in spelled.values()))
            yield Problem(issuer, "holder_name_differs", code,
                          f"holder {code} is named differently on its live licences: {shown}")
    for (issuer, key), idents in numbers.items():
        if len(idents) > 1:
            yield Problem(issuer, "suspicious_duplicate", key, "licence numbers equal once"
                          " spaces and full/half-width are ignored: " + ", ".join(sorted(idents)))
    for group, idents in same.items():
        if len(idents) > 1:
            yield Problem(group[0], "suspicious_duplicate", "|".join(map(str, group[1:])),
                          f"one holder ({group[2]}) has live licences of type {group[1]} with"
                          f" the same dates: {', '.join(sorted(idents))}")


def _one(lic: LicenceRow, entry: CatalogueEntry | None, today: str) -> Iterator[Problem]:
    issuer, ident = lic.issuer_code, lic.identifier
    if entry is not None:
        face = lic.fields.get("face") or {}
        missing = [f["name"] for f in entry.definition["face_fields"]
                   if f.get("required") and face.get(f["name"]) in (None, "")]
        if missing:
            yield Problem(issuer, "missing_field", ident, f"catalogue version {entry.version}"
                          f" of {entry.type_code} requires {', '.join(missing)}, which this"
                          " licence lacks")
    try:
        parse_licence_identifier(ident)
        for h in lic.fields["holders"]:
            validate_holder_code(h["code_type"], h["code"])
    except IdentifierError as exc:
        yield Problem(issuer, "code_invalid", ident, f"{exc.message}")
    until = lic.fields.get("valid_until")
    if lic.status == VALID and until is not None and until < today:
        yield Problem(issuer, "expired_still_valid", ident, f"valid until {until} but still"
                      " shown as valid (01); record its expiry (ExpireLicence)")


def check_paper(rows: Iterable[PaperRow]) -> Iterator[Problem]:
    """Months whose paper register and electronic issues disagree (Art. 12 同步签发)."""
    for r in rows:
        if r.paper_issued != r.electronic_issued:
            yield Problem(r.department, "paper_count_differs", f"{r.type_code}|{r.period}",
                          f"{r.period}: {r.paper_issued} issued on paper,"
                          f" {r.electronic_issued} electronically for type {r.type_code}")
